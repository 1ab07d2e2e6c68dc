/* SPDX-License-Identifier: Apache-2.0 */
/* azure-eventgrid.c - Azure Event Grid webhook deliveries.
 *
 * Event Grid schema: a JSON array (or a single object) of
 *     {"id", "topic", "subject", "eventType", "eventTime", "data",
 *      "dataVersion", "metadataVersion"}
 * gives one CloudEvent per element, in order, by Microsoft's EG -> CE
 * mapping (DESIGN.md, "Source -> CloudEvent mappings"): type eventType,
 * source topic, id, time eventTime, subject verbatim, data; datacontenttype
 * application/json; [ours] extension "dataversion" when dataVersion is
 * non-empty, instead of Azure's relative dataschema "#<dataVersion>", which
 * is not the absolute URI the spec requires. metadataVersion is dropped.
 *
 * CloudEvents schema (elements with "specversion"): the events as received,
 * except that Azure's relative dataschema "#<dataVersion>" becomes the
 * extension "dataversion" (see fix_dataschema).
 * Without the aeg-event-type header such a body is an ordinary CloudEvent
 * and left to the cloudevents adapter.
 *
 * Handshakes (Microsoft.EventGrid.SubscriptionValidationEvent) are answered
 * by the HTTP ingress; normalize shows them as the mapping gives them.
 *
 * msg->json is never modified: an Event Grid event's data is shared with
 * it (the event takes its own reference); a CloudEvents-schema body whose
 * dataschema must move is copied first. */
#include <stdio.h>
#include <string.h>

#include "cegate/adapter.h"
#include "common/adapter_util.h"

/* The element an array starts with, or the object itself. */
static const json_t *first_element(const json_t *root)
{
    return json_is_array(root) ? json_array_get(root, 0) : root;
}

static int is_cloudevent(const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "specversion") != NULL;
}

/* A string member `field` of the element at `at` ("[2]", or "" for a
 * single object): 1 found, 0 absent (null counts as absent), -1 wrong type
 * or missing when AU_REQUIRED. */
static int string_field(const cegate_host *host, const json_t *element,
                        const char *at, const char *field, int flags,
                        const char **s, size_t *n, cegate_error *err)
{
    char path[64];
    const json_t *v = json_object_get(element, field);
    return au_string_field(host, json_is_null(v) ? NULL : v,
                           au_path(path, sizeof path, at, field), flags, s, n,
                           err);
}

/* One Event Grid schema event; `i` is its index, -1 for a lone object. */
static int native_event(const cegate_host *host, cegate_call *call,
                        const json_t *element, long i, cegate_error *err)
{
    char at[32] = "";
    if (i >= 0)
        snprintf(at, sizeof at, "[%ld]", i);
    if (!json_is_object(element))
        return host->error_set(err, CEGATE_ERR_TYPE, at,
                               "an Event Grid event must be an object, not "
                               "%s", au_json_kind(element)),
               -1;
    const char *id, *topic, *type, *time, *subject, *version;
    size_t id_n, topic_n, type_n, time_n, subject_n, version_n;
    if (string_field(host, element, at, "id", AU_REQUIRED, &id, &id_n,
                     err) < 0 ||
        string_field(host, element, at, "topic", AU_REQUIRED, &topic,
                     &topic_n, err) < 0 ||
        string_field(host, element, at, "eventType", AU_REQUIRED, &type,
                     &type_n, err) < 0 ||
        string_field(host, element, at, "eventTime", AU_REQUIRED, &time,
                     &time_n, err) < 0 ||
        string_field(host, element, at, "subject", 0, &subject, &subject_n,
                     err) < 0 ||
        string_field(host, element, at, "dataVersion", 0, &version,
                     &version_n, err) < 0)
        return -1;
    const json_t *data = json_object_get(element, "data");

    cegate_event *ev = au_event_new(host, err);
    if (ev == NULL)
        return -1;
    if (au_set_field(host, ev, "id", id, id_n, at, "id", err) < 0 ||
        au_set_field(host, ev, "source", topic, topic_n, at, "topic",
                     err) < 0 ||
        au_set_field(host, ev, "type", type, type_n, at, "eventType",
                     err) < 0 ||
        au_set_field(host, ev, "time", time, time_n, at, "eventTime",
                     err) < 0 ||
        /* Event Grid sends "" where there is no subject (validation
         * events); a CloudEvents subject must not be empty: leave it out. */
        (subject_n > 0 && au_set_field(host, ev, "subject", subject,
                                       subject_n, at, "subject", err) < 0) ||
        au_set_field(host, ev, "datacontenttype", "application/json", 16, at,
                     "datacontenttype", err) < 0 ||
        (version_n > 0 && au_set_field(host, ev, "dataversion", version,
                                       version_n, at, "dataVersion",
                                       err) < 0) ||
        /* Shared, not copied: the event takes its own reference and event
         * data is never modified. */
        (data != NULL && !json_is_null(data) &&
         host->event_set_data_json(ev, (json_t *)data, err) < 0)) {
        host->event_free(ev);
        return -1;
    }
    return host->emit(call, ev, err); /* takes ev over, even on failure */
}

/* Azure's CloudEvents-schema samples carry dataschema "#<dataVersion>"
 * ("#" when dataVersion is empty), a relative reference where the spec
 * requires an absolute URI, which the core rightly refuses. As for the Event
 * Grid schema, [ours] the version goes to extension "dataversion" instead
 * (when non-empty and no dataversion is there already). */
static int has_azure_dataschema(const json_t *event)
{
    const char *s = json_string_value(json_object_get(event, "dataschema"));
    return s != NULL && s[0] == '#';
}

static int fix_dataschema(json_t *event)
{
    if (!json_is_object(event) || !has_azure_dataschema(event))
        return 0;
    const char *version = json_string_value(json_object_get(event, "dataschema")) + 1;
    if (version[0] != '\0' && json_object_get(event, "dataversion") == NULL &&
        json_object_set_new(event, "dataversion", json_string(version)) < 0)
        return -1;
    return json_object_del(event, "dataschema");
}

/* The events as received; a copy when a dataschema must be moved. */
static cegate_adapter_result cloudevents_schema(const cegate_host *host,
                                                cegate_call *call,
                                                const json_t *root,
                                                cegate_error *err)
{
    int lenient = 0;
    if (json_is_array(root)) {
        for (size_t i = 0; i < json_array_size(root); i++)
            lenient |= is_cloudevent(json_array_get(root, i)) &&
                       has_azure_dataschema(json_array_get(root, i));
    } else {
        lenient = has_azure_dataschema(root);
    }
    json_t *copy = NULL;
    if (lenient) {
        int rc = (copy = json_deep_copy(root)) == NULL ? -1 : 0;
        if (json_is_array(copy))
            for (size_t i = 0; rc == 0 && i < json_array_size(copy); i++)
                rc = fix_dataschema(json_array_get(copy, i));
        else if (copy != NULL)
            rc = fix_dataschema(copy);
        if (rc < 0) {
            json_decref(copy);
            return host->error_set(err, CEGATE_ERR_NOMEM, NULL,
                                   "out of memory"),
                   CEGATE_ADAPTER_ERROR;
        }
        root = copy;
    }
    int rc = host->emit_json_events(call, root, err);
    json_decref(copy);
    return rc < 0 ? CEGATE_ADAPTER_ERROR : CEGATE_ADAPTER_OK;
}

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    const json_t *root = msg->json;
    if (root == NULL) {
        *reason = "the body is not JSON";
        return 0;
    }
    if (host->header(msg, "aeg-event-type") != NULL)
        return 100;
    const json_t *first = first_element(root);
    if (!json_is_object(first)) {
        *reason = json_is_array(root) && json_array_size(root) == 0
                      ? "an empty array without aeg-event-type header"
                      : "no eventType member";
        return 0;
    }
    if (is_cloudevent(first)) {
        *reason = "CloudEvents schema without aeg-event-type header";
        return 0;
    }
    if (json_object_get(first, "eventType") == NULL) {
        *reason = "no eventType member";
        return 0;
    }
    if (json_object_get(first, "eventTime") == NULL ||
        json_object_get(first, "id") == NULL) {
        *reason = "no eventTime or id member";
        return 0;
    }
    return 85;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *root = msg->json;
    if (!json_is_array(root) && !json_is_object(root))
        return host->error_set(err, CEGATE_ERR_TYPE, NULL,
                               "an Event Grid delivery must be a JSON array or "
                               "object, not %s",
                               root ? au_json_kind(root) : "non-JSON"),
               CEGATE_ADAPTER_ERROR;
    if (is_cloudevent(first_element(root)))
        return cloudevents_schema(host, call, root, err);
    if (json_is_object(root))
        return native_event(host, call, root, -1, err) < 0
                   ? CEGATE_ADAPTER_ERROR
                   : CEGATE_ADAPTER_OK;
    size_t n = json_array_size(root);
    for (size_t i = 0; i < n; i++)
        if (native_event(host, call, json_array_get(root, i), (long)i, err) < 0)
            return CEGATE_ADAPTER_ERROR;
    return CEGATE_ADAPTER_OK;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "azure-eventgrid",
    .description = "Azure Event Grid deliveries (Event Grid, CloudEvents schema)",
    .probe = probe,
    .normalize = normalize,
};
