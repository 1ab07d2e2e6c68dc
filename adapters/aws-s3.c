/* aws-s3.c - Amazon S3 event notifications, and those of S3-compatible
 * stores (MinIO, Ceph, ...): {"Records":[...]} becomes one CloudEvent per
 * record, in order, as the CloudEvents project's aws-s3 adapter says
 * (DESIGN.md, "Source -> CloudEvent mappings"):
 *
 *   type    "com.amazonaws.s3." + eventName
 *   source  eventSource "." awsRegion "." s3.bucket.name
 *   id      responseElements x-amz-request-id "." x-amz-id-2; when either
 *           is missing [ours]: bucket "/" key "/" s3.object.sequencer (or
 *           eventTime when there is no sequencer)
 *   time    eventTime
 *   subject s3.object.key as received (still form-encoded)
 *   data    the record
 *
 * The {"Event":"s3:TestEvent",...} message S3 sends when notifications are
 * configured is acknowledged with no event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cegate/adapter.h"

#define TYPE_PREFIX "com.amazonaws.s3"

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

/* "Records[3]" + "." + the first `n` bytes of `name`, for error paths. */
static const char *field(char *buf, size_t size, size_t index,
                         const char *name, size_t n)
{
    snprintf(buf, size, "Records[%zu].%.*s", index, (int)n, name);
    return buf;
}

/* The string at dotted `name` ("s3.object.key") below record `index`.
 * Returns 1 with *s and *n set, 0 when absent (or null) and not REQUIRED, -1
 * with `err` naming the field. */
static int get_string(const cegate_host *host, const json_t *rec, size_t index,
                      const char *name, int flags, const char **s, size_t *n,
                      cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const json_t *v = rec;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        v = json_object_get(v, key);
        if (v == NULL || (json_is_null(v) && !(flags & REQUIRED))) {
            if (!(flags & REQUIRED))
                return 0;
            host->error_set(err, CEGATE_ERR_MISSING,
                            field(path, sizeof path, index, name,
                                  strlen(name)),
                            "required member is missing");
            return -1;
        }
        if (dot == NULL)
            break;
        if (!json_is_object(v)) {
            host->error_set(err, CEGATE_ERR_TYPE,
                            field(path, sizeof path, index, name,
                                  (size_t)(dot - name)),
                            "must be an object, not %s", type_name(v));
            return -1;
        }
        p = dot + 1;
    }
    if (!json_is_string(v)) {
        host->error_set(err, CEGATE_ERR_TYPE,
                        field(path, sizeof path, index, name, strlen(name)),
                        "must be a string, not %s", type_name(v));
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

/* a SEP b [SEP c]: a new string (free()), or NULL. */
static char *join(char sep, const char *a, size_t an, const char *b,
                  size_t bn, const char *c, size_t cn, size_t *length)
{
    size_t n = an + 1 + bn + (c ? 1 + cn : 0);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    memcpy(p, a, an);
    p += an;
    *p++ = sep;
    memcpy(p, b, bn);
    p += bn;
    if (c != NULL) {
        *p++ = sep;
        memcpy(p, c, cn);
        p += cn;
    }
    *p = '\0';
    *length = n;
    return out;
}

static int is_test_event(const json_t *root)
{
    const char *event = json_string_value(json_object_get(root, "Event"));
    return event != NULL && strcmp(event, "s3:TestEvent") == 0;
}

/* The members an S3-compatible store's record must have. */
static int has_s3_fields(const json_t *rec)
{
    const json_t *s3 = json_object_get(rec, "s3");
    return json_is_string(json_object_get(rec, "eventName")) &&
           json_is_string(
               json_object_get(json_object_get(s3, "bucket"), "name")) &&
           json_is_string(
               json_object_get(json_object_get(s3, "object"), "key"));
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
        if (is_test_event(root))
            return 90;
        *reason = "no Records array";
        return 0;
    }
    if (!json_is_array(records)) {
        *reason = "Records is not an array";
        return 0;
    }
    const json_t *first = json_array_get(records, 0);
    if (first == NULL) {
        *reason = "Records is empty";
        return 0;
    }
    const char *source =
        json_string_value(json_object_get(first, "eventSource"));
    if (source != NULL && strcmp(source, "aws:s3") == 0)
        return 90;
    if (has_s3_fields(first))
        return 60;
    *reason = "Records[0] is not an S3 record";
    return 0;
}

/* One record, one event. */
static int record_event(const cegate_host *host, cegate_call *call,
                        const json_t *rec, size_t i, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    if (!json_is_object(rec)) {
        snprintf(path, sizeof path, "Records[%zu]", i);
        host->error_set(err, CEGATE_ERR_TYPE, path,
                        "must be an object, not %s", type_name(rec));
        return -1;
    }
    const char *name, *source, *region, *time, *bucket, *key;
    size_t name_n, source_n, region_n, time_n, bucket_n, key_n;
    const char *request_id = NULL, *id2 = NULL, *sequencer = NULL;
    size_t request_id_n = 0, id2_n = 0, sequencer_n = 0;
    if (get_string(host, rec, i, "s3.bucket.name", REQUIRED, &bucket,
                   &bucket_n, err) < 0 ||
        get_string(host, rec, i, "s3.object.key", REQUIRED, &key, &key_n,
                   err) < 0 ||
        get_string(host, rec, i, "eventName", REQUIRED, &name, &name_n,
                   err) < 0 ||
        get_string(host, rec, i, "eventSource", REQUIRED, &source, &source_n,
                   err) < 0 ||
        get_string(host, rec, i, "awsRegion", REQUIRED, &region, &region_n,
                   err) < 0 ||
        get_string(host, rec, i, "eventTime", REQUIRED, &time, &time_n,
                   err) < 0 ||
        get_string(host, rec, i, "responseElements.x-amz-request-id", 0,
                   &request_id, &request_id_n, err) < 0 ||
        get_string(host, rec, i, "responseElements.x-amz-id-2", 0, &id2,
                   &id2_n, err) < 0 ||
        get_string(host, rec, i, "s3.object.sequencer", 0, &sequencer,
                   &sequencer_n, err) < 0)
        return -1;

    /* Empty strings would make odd composites ("." as an id, "aws:s3.."):
     * refuse them, except the region (S3-compatible stores often send ""). */
    const char *empty = bucket_n == 0   ? "s3.bucket.name"
                        : key_n == 0    ? "s3.object.key"
                        : name_n == 0   ? "eventName"
                        : source_n == 0 ? "eventSource"
                                        : NULL;
    if (empty != NULL) {
        host->error_set(err, CEGATE_ERR_EMPTY,
                        field(path, sizeof path, i, empty, strlen(empty)),
                        "must not be empty");
        return -1;
    }

    char *type = NULL, *src = NULL, *id = NULL;
    size_t type_n = 0, src_n = 0, id_n = 0;
    const char *id_path;
    type = join('.', TYPE_PREFIX, strlen(TYPE_PREFIX), name, name_n, NULL, 0,
                &type_n);
    /* "aws:s3" "." region "." bucket */
    src = join('.', source, source_n, region, region_n, bucket, bucket_n,
               &src_n);
    if (request_id_n > 0 && id2_n > 0) {
        id = join('.', request_id, request_id_n, id2, id2_n, NULL, 0, &id_n);
        id_path = "responseElements";
    } else {
        /* [ours] no request ids (S3-compatible stores): bucket/key/sequencer,
         * or bucket/key/eventTime */
        if (sequencer_n == 0) {
            sequencer = time;
            sequencer_n = time_n;
        }
        id = join('/', bucket, bucket_n, key, key_n, sequencer, sequencer_n,
                  &id_n);
        id_path = "s3.object.key";
    }
    cegate_event *ev = host->event_new();
    if (type == NULL || src == NULL || id == NULL || ev == NULL) {
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        goto fail;
    }
    /* The plain values first: a bad key or time is then reported as
     * itself, not as part of a composite. */
    if (set_attribute(host, ev, "subject", key, key_n,
                      field(path, sizeof path, i, "s3.object.key", 13),
                      err) < 0 ||
        set_attribute(host, ev, "time", time, time_n,
                      field(path, sizeof path, i, "eventTime", 9), err) < 0 ||
        set_attribute(host, ev, "type", type, type_n,
                      field(path, sizeof path, i, "eventName", 9), err) < 0 ||
        set_attribute(host, ev, "source", src, src_n,
                      field(path, sizeof path, i, "eventSource", 11),
                      err) < 0 ||
        set_attribute(host, ev, "id", id, id_n,
                      field(path, sizeof path, i, id_path, strlen(id_path)),
                      err) < 0 ||
        set_attribute(host, ev, "datacontenttype", "application/json", 16,
                      "", err) < 0)
        goto fail;
    /* The record is shared, not copied: the event takes its own reference
     * and event data is never modified. */
    if (host->event_set_data_json(ev, (json_t *)rec, err) < 0)
        goto fail;
    free(type);
    free(src);
    free(id);
    return host->emit(call, ev, err);

fail:
    host->event_free(ev);
    free(type);
    free(src);
    free(id);
    return -1;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *records = json_object_get(msg->json, "Records");
    if (records == NULL && is_test_event(msg->json)) {
        host->log(call, CEGATE_LOG_DEBUG, "s3:TestEvent acknowledged");
        return CEGATE_ADAPTER_OK;
    }
    if (!json_is_array(records))
        return CEGATE_ADAPTER_DECLINED;
    for (size_t i = 0; i < json_array_size(records); i++)
        if (record_event(host, call, json_array_get(records, i), i, err) < 0)
            return CEGATE_ADAPTER_ERROR;
    return CEGATE_ADAPTER_OK;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "aws-s3",
    .description = "Amazon S3 (and S3-compatible) event notifications, one "
                   "event per record",
    .probe = probe,
    .normalize = normalize,
};
