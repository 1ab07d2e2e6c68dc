/* aws-eventbridge.c - Amazon EventBridge events
 *
 *   {"version":"0","id","detail-type","source","account","time","region",
 *    "resources":[...],"detail":{...}}
 *
 * become one CloudEvent by AWS's own EventBridge -> CloudEvents mapping
 * (DESIGN.md, "Source -> CloudEvent mappings"): type = detail-type,
 * source = source, id, time, data = detail, and the String extensions
 * "region" and "account" (omitted when absent or empty). S3 events
 * (source "aws.s3") also get subject = detail.object.key [ours]. Other
 * members ("resources", "replay-name", ...) are not attributes: they are
 * dropped, never turned into extensions. */
#include <stdio.h>
#include <string.h>

#include "cegate/adapter.h"

enum { REQUIRED = 1 };

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* The string member `name` of `obj`; `path` names it in errors. Returns 1
 * with *s and *n set, 0 when absent (or null) and not REQUIRED, -1 with `err`
 * filled. */
static int get_string(const cegate_host *host, const json_t *obj,
                      const char *name, const char *path, int flags,
                      const char **s, size_t *n, cegate_error *err)
{
    const json_t *v = json_object_get(obj, name);
    if (v == NULL || (json_is_null(v) && !(flags & REQUIRED))) {
        if (!(flags & REQUIRED))
            return 0;
        host->error_set(err, CEGATE_ERR_MISSING, path,
                        "required member is missing");
        return -1;
    }
    if (!json_is_string(v)) {
        host->error_set(err, CEGATE_ERR_TYPE, path, "must be a string, not %s",
                        type_name(v));
        return -1;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

/* Set an attribute from a string; errors name `path` (the input field),
 * not the attribute. */
static int set_attribute(const cegate_host *host, cegate_event *ev,
                         const char *name, const char *s, size_t n,
                         const char *path, cegate_error *err)
{
    size_t max = host->limits ? host->limits->max_attribute_bytes : 16384;
    if (n > max) {
        host->error_set(err, CEGATE_ERR_LIMIT, path,
                        "value of %zu bytes exceeds max_attribute_bytes (%zu)",
                        n, max);
        return -1;
    }
    int clean = err == NULL || err->code == CEGATE_OK;
    if (host->event_set_string(ev, name, s, n, 0, err) == 0)
        return 0;
    if (clean && err != NULL && strcmp(err->path, name) == 0)
        snprintf(err->path, sizeof err->path, "%s", path);
    return -1;
}

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    (void)host;
    const json_t *root = msg->json;
    if (!json_is_object(root)) {
        *reason = root ? "the body is not a JSON object"
                       : "the body is not JSON";
        return 0;
    }
    if (json_object_get(root, "detail-type") == NULL) {
        *reason = "no detail-type member";
        return 0;
    }
    if (json_object_get(root, "source") != NULL &&
        json_object_get(root, "detail") != NULL)
        return 80;
    /* detail-type alone is still EventBridge's: let normalize() say what
     * is missing. */
    return 50;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *root = msg->json;
    if (!json_is_object(root))
        return CEGATE_ADAPTER_DECLINED;
    const char *id, *type, *source, *time, *region = NULL, *account = NULL;
    const char *key = NULL;
    size_t id_n, type_n, source_n, time_n, region_n = 0, account_n = 0;
    size_t key_n = 0;
    if (get_string(host, root, "id", "id", REQUIRED, &id, &id_n, err) < 0 ||
        get_string(host, root, "detail-type", "detail-type", REQUIRED, &type,
                   &type_n, err) < 0 ||
        get_string(host, root, "source", "source", REQUIRED, &source,
                   &source_n, err) < 0 ||
        get_string(host, root, "time", "time", REQUIRED, &time, &time_n,
                   err) < 0 ||
        get_string(host, root, "region", "region", 0, &region, &region_n,
                   err) < 0 ||
        get_string(host, root, "account", "account", 0, &account, &account_n,
                   err) < 0)
        return CEGATE_ADAPTER_ERROR;
    const json_t *detail = json_object_get(root, "detail");
    if (detail == NULL) {
        host->error_set(err, CEGATE_ERR_MISSING, "detail",
                        "required member is missing");
        return CEGATE_ADAPTER_ERROR;
    }
    if (!json_is_object(detail)) {
        host->error_set(err, CEGATE_ERR_TYPE, "detail",
                        "must be an object, not %s", type_name(detail));
        return CEGATE_ADAPTER_ERROR;
    }
    if (strcmp(source, "aws.s3") == 0) {
        /* [ours] S3 events get the object key as subject however they
         * arrive; S3 events without an object (e.g. CloudTrail API calls)
         * simply have none. */
        const json_t *object = json_object_get(detail, "object");
        if (object != NULL && !json_is_null(object) &&
            !json_is_object(object)) {
            host->error_set(err, CEGATE_ERR_TYPE, "detail.object",
                            "must be an object, not %s", type_name(object));
            return CEGATE_ADAPTER_ERROR;
        }
        if (get_string(host, object, "key", "detail.object.key", 0, &key,
                       &key_n, err) < 0)
            return CEGATE_ADAPTER_ERROR;
    }

    cegate_event *ev = host->event_new();
    if (ev == NULL) {
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        return CEGATE_ADAPTER_ERROR;
    }
    if (set_attribute(host, ev, "id", id, id_n, "id", err) < 0 ||
        set_attribute(host, ev, "source", source, source_n, "source",
                      err) < 0 ||
        set_attribute(host, ev, "type", type, type_n, "detail-type", err) < 0 ||
        set_attribute(host, ev, "datacontenttype", "application/json", 16, "",
                      err) < 0 ||
        (key != NULL && set_attribute(host, ev, "subject", key, key_n,
                                      "detail.object.key", err) < 0) ||
        set_attribute(host, ev, "time", time, time_n, "time", err) < 0 ||
        (region_n > 0 && set_attribute(host, ev, "region", region, region_n,
                                         "region", err) < 0) ||
        (account_n > 0 && set_attribute(host, ev, "account", account,
                                          account_n, "account", err) < 0) ||
        /* Shared, not copied: the event takes its own reference and event
         * data is never modified. */
        host->event_set_data_json(ev, (json_t *)detail, err) < 0) {
        host->event_free(ev);
        return CEGATE_ADAPTER_ERROR;
    }
    return host->emit(call, ev, err) < 0 ? CEGATE_ADAPTER_ERROR
                                         : CEGATE_ADAPTER_OK;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "aws-eventbridge",
    .description = "Amazon EventBridge events (AWS's EventBridge to "
                   "CloudEvents mapping)",
    .probe = probe,
    .normalize = normalize,
};
