/* SPDX-License-Identifier: Apache-2.0 */
/* cloudevents.c - the CloudEvents adapter: events that already are
 * CloudEvents, in any HTTP content mode (binary, structured, batch) or as
 * plain JSON (an event object or a batch array), v1.0 or v0.3. */
#include <strings.h>

#include "cegate/adapter.h"
#include "common/adapter_util.h"

/* Any Content-Type header of CloudEvents' types, not only the first: with
 * two of them the binding must see the message, to refuse it as
 * ambiguous, rather than another adapter reading the body. */
static int has_cloudevents_type(const cegate_message *msg)
{
    for (size_t i = 0; i < msg->header_count; i++)
        if (strcasecmp(msg->headers[i].name, "content-type") == 0 &&
            au_is_cloudevents_type(msg->headers[i].value))
            return 1;
    return 0;
}

/* ce-* headers (binary mode) or an application/cloudevents... content type
 * (structured, batch): the HTTP binding's business. */
static int is_http_event(const cegate_host *host, const cegate_message *msg)
{
    return host->header(msg, "ce-specversion") != NULL ||
           has_cloudevents_type(msg);
}

static int looks_like_event(const json_t *v)
{
    return json_is_object(v) && json_is_string(json_object_get(v, "specversion"));
}

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    if (is_http_event(host, msg))
        return 100;
    if (msg->json == NULL) {
        *reason = "no ce-specversion header and the body is not JSON";
        return 0;
    }
    if (looks_like_event(msg->json))
        return 90;
    if (json_is_array(msg->json)) {
        if (looks_like_event(json_array_get(msg->json, 0)))
            return 90;
        *reason = json_array_size(msg->json) == 0
                      ? "an empty array needs Content-Type "
                        "application/cloudevents-batch+json"
                      : "array elements have no specversion";
        return 0;
    }
    *reason = "no specversion member";
    return 0;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    int rc;
    if (is_http_event(host, msg))
        rc = host->emit_http_events(call, msg->headers, msg->header_count,
                                    msg->body, msg->body_length, err);
    else
        rc = host->emit_json_events(call, msg->json, err);
    return rc < 0 ? CEGATE_ADAPTER_ERROR : CEGATE_ADAPTER_OK;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "cloudevents",
    .description = "CloudEvents in binary, structured or batch mode (v1.0, v0.3)",
    .probe = probe,
    .normalize = normalize,
};
