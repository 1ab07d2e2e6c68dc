/* aws-sqs.c - Amazon SQS messages as Lambda receives them:
 *
 *   {"Records":[{"eventSource":"aws:sqs","messageId","body",
 *                "attributes":{"SentTimestamp":"<epoch ms>",...},
 *                "eventSourceARN",...}]}
 *
 * SQS is an envelope: each record's body is handed back to the host first,
 * so an S3 notification, an SNS message (and whatever it carries), an
 * EventBridge event or a CloudEvent in the body gives those events. Only a
 * body nobody recognises gives the SQS event [ours] (DESIGN.md, "Source ->
 * CloudEvent mappings"):
 *
 *   type    "com.amazonaws.sqs.message"
 *   source  eventSourceARN
 *   id      messageId
 *   time    attributes.SentTimestamp (epoch milliseconds, as RFC 3339 UTC)
 *   data    the record, with body inlined as JSON when it is a JSON object
 *           or array */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cegate/adapter.h"

#define EVENT_TYPE "com.amazonaws.sqs.message"

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

/* The required string member `name` of `obj`; `path` names it in errors.
 * Returns 0 with *s and *n set, or -1 with `err` filled. */
static int get_string(const cegate_host *host, const json_t *obj,
                      const char *name, const char *path, const char **s,
                      size_t *n, cegate_error *err)
{
    const json_t *v = json_object_get(obj, name);
    if (v == NULL) {
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
    return 0;
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

/* An error of the re-dispatched body names its field below the body. */
static void prefix_error_path(cegate_error *err, const char *prefix)
{
    if (err == NULL)
        return;
    char inner[CEGATE_ERROR_PATH_LENGTH];
    memcpy(inner, err->path, sizeof inner);
    inner[sizeof inner - 1] = '\0';
    int n = snprintf(err->path, sizeof err->path, "%s%s%s", prefix,
                     inner[0] == '\0' || inner[0] == '[' ? "" : ".", inner);
    if (n < 0 || (size_t)n >= sizeof err->path) /* truncated: mark it */
        memcpy(err->path + sizeof err->path - 4, "...", 4);
}

/* Epoch milliseconds (decimal digits) as "YYYY-MM-DDThh:mm:ss.mmmZ";
 * days-to-date after Howard Hinnant's civil_from_days. Returns 0, or -1
 * when `s` is not digits or lies after 9999-12-31. */
static int epoch_ms_to_rfc3339(const char *s, size_t n, char out[32])
{
    const uint64_t max = 253402300799999u; /* 9999-12-31T23:59:59.999Z */
    uint64_t ms = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        ms = ms * 10 + (uint64_t)(s[i] - '0');
        if (ms > max)
            return -1;
    }
    uint64_t secs = ms / 1000, days = secs / 86400, rem = secs % 86400;
    uint64_t z = days + 719468; /* days since 0000-03-01 */
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned year = (unsigned)(yoe + era * 400 + (month <= 2));
    /* (the % only tell the compiler the ranges it cannot see) */
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", year % 10000,
             month % 100, day % 100, (unsigned)(rem / 3600 % 100),
             (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
             (unsigned)(ms % 1000));
    return 0;
}

/* Non-zero when `v` nests more than `limit` levels of arrays/objects. */
static int deeper_than(const json_t *v, size_t limit)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (limit == 0)
        return 1;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (deeper_than(json_array_get(v, i), limit - 1))
                return 1;
        return 0;
    }
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member)
        if (deeper_than(member, limit - 1))
            return 1;
    return 0;
}

/* The event's data: the record, or a copy of it with the body inlined when
 * the body is a JSON object or array. A new reference, or NULL with `err`
 * filled. */
static json_t *record_data(const cegate_host *host, const json_t *rec,
                           const char *body, size_t body_n, size_t index,
                           cegate_error *err)
{
    size_t i = 0;
    while (i < body_n && (body[i] == ' ' || body[i] == '\t' ||
                          body[i] == '\r' || body[i] == '\n'))
        i++;
    json_t *parsed = NULL;
    if (i < body_n && (body[i] == '{' || body[i] == '['))
        parsed = json_loadb(body, body_n, JSON_REJECT_DUPLICATES, NULL);
    if (parsed == NULL) /* text, or not well-formed: keep it a string */
        return json_incref((json_t *)rec);
    /* The data sits one level below the event, the body one below the
     * record: keep the whole event within max_depth. */
    size_t max_depth = host->limits ? host->limits->max_depth : 64;
    if (max_depth < 2 || deeper_than(parsed, max_depth - 2)) {
        char path[CEGATE_ERROR_PATH_LENGTH];
        snprintf(path, sizeof path, "Records[%zu].body", index);
        host->error_set(err, CEGATE_ERR_LIMIT, path,
                        "JSON nested deeper than max_depth (%zu)", max_depth);
        json_decref(parsed);
        return NULL;
    }
    json_t *data = json_copy((json_t *)rec); /* shallow: rec is not touched */
    if (data == NULL || json_object_set_new(data, "body", parsed) < 0) {
        /* json_object_set_new consumed `parsed` even on failure */
        if (data == NULL)
            json_decref(parsed);
        json_decref(data);
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    return data;
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
    const json_t *records = json_object_get(root, "Records");
    if (records == NULL) {
        *reason = "no Records array";
        return 0;
    }
    if (!json_is_array(records)) {
        *reason = "Records is not an array";
        return 0;
    }
    const char *source = json_string_value(
        json_object_get(json_array_get(records, 0), "eventSource"));
    if (source != NULL && strcmp(source, "aws:sqs") == 0)
        return 90;
    *reason = "Records[0].eventSource is not aws:sqs";
    return 0;
}

/* One record: its body's events, or the SQS event. */
static int record_events(const cegate_host *host, cegate_call *call,
                         const json_t *rec, size_t i, cegate_error *err)
{
    char p1[CEGATE_ERROR_PATH_LENGTH], p2[CEGATE_ERROR_PATH_LENGTH];
    char p3[CEGATE_ERROR_PATH_LENGTH], p4[CEGATE_ERROR_PATH_LENGTH];
    char p5[CEGATE_ERROR_PATH_LENGTH];
    snprintf(p1, sizeof p1, "Records[%zu]", i);
    if (!json_is_object(rec)) {
        host->error_set(err, CEGATE_ERR_TYPE, p1, "must be an object, not %s",
                        type_name(rec));
        return -1;
    }
    snprintf(p1, sizeof p1, "Records[%zu].eventSource", i);
    snprintf(p2, sizeof p2, "Records[%zu].messageId", i);
    snprintf(p3, sizeof p3, "Records[%zu].body", i);
    snprintf(p4, sizeof p4, "Records[%zu].eventSourceARN", i);
    snprintf(p5, sizeof p5, "Records[%zu].attributes", i);
    const char *event_source, *id, *body, *arn, *sent;
    size_t event_source_n, id_n, body_n, arn_n, sent_n;
    if (get_string(host, rec, "eventSource", p1, &event_source,
                   &event_source_n, err) < 0)
        return -1;
    if (strcmp(event_source, "aws:sqs") != 0) {
        host->error_set(err, CEGATE_ERR_VALUE, p1, "must be \"aws:sqs\"");
        return -1;
    }
    if (get_string(host, rec, "messageId", p2, &id, &id_n, err) < 0 ||
        get_string(host, rec, "body", p3, &body, &body_n, err) < 0 ||
        get_string(host, rec, "eventSourceARN", p4, &arn, &arn_n, err) < 0)
        return -1;
    const json_t *attributes = json_object_get(rec, "attributes");
    if (attributes == NULL) {
        host->error_set(err, CEGATE_ERR_MISSING, p5,
                        "required member is missing");
        return -1;
    }
    if (!json_is_object(attributes)) {
        host->error_set(err, CEGATE_ERR_TYPE, p5, "must be an object, not %s",
                        type_name(attributes));
        return -1;
    }
    snprintf(p5, sizeof p5, "Records[%zu].attributes.SentTimestamp", i);
    if (get_string(host, attributes, "SentTimestamp", p5, &sent, &sent_n,
                   err) < 0)
        return -1;
    char time[32];
    if (epoch_ms_to_rfc3339(sent, sent_n, time) < 0) {
        host->error_set(err, CEGATE_ERR_VALUE, p5,
                        "not epoch milliseconds up to year 9999 (decimal "
                        "digits expected)");
        return -1;
    }

    cegate_adapter_result r = host->redispatch(call, NULL, 0, body, body_n,
                                               err);
    if (r == CEGATE_ADAPTER_OK)
        return 0;
    if (r == CEGATE_ADAPTER_ERROR) {
        prefix_error_path(err, p3);
        return -1;
    }

    json_t *data = record_data(host, rec, body, body_n, i, err);
    if (data == NULL)
        return -1;
    cegate_event *ev = host->event_new();
    if (ev == NULL) {
        json_decref(data);
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        return -1;
    }
    int rc = 0;
    if (set_attribute(host, ev, "id", id, id_n, p2, err) < 0 ||
        set_attribute(host, ev, "source", arn, arn_n, p4, err) < 0 ||
        set_attribute(host, ev, "type", EVENT_TYPE, strlen(EVENT_TYPE), "",
                      err) < 0 ||
        set_attribute(host, ev, "datacontenttype", "application/json", 16, "",
                      err) < 0 ||
        set_attribute(host, ev, "time", time, strlen(time), p5, err) < 0 ||
        host->event_set_data_json(ev, data, err) < 0) {
        host->event_free(ev);
        rc = -1;
    }
    json_decref(data);
    if (rc == 0)
        rc = host->emit(call, ev, err);
    return rc;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *records = json_object_get(msg->json, "Records");
    if (!json_is_array(records))
        return CEGATE_ADAPTER_DECLINED;
    for (size_t i = 0; i < json_array_size(records); i++)
        if (record_events(host, call, json_array_get(records, i), i, err) < 0)
            return CEGATE_ADAPTER_ERROR;
    return CEGATE_ADAPTER_OK;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "aws-sqs",
    .description = "Amazon SQS messages (Lambda records); each body is "
                   "re-dispatched first",
    .probe = probe,
    .normalize = normalize,
};
