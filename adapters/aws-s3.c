/* SPDX-License-Identifier: Apache-2.0 */
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
#include "common/adapter_util.h"

#define TYPE_PREFIX "com.amazonaws.s3"

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
    if (!au_probe_object(msg, reason))
        return 0;
    const json_t *root = msg->json;
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

/* One record (an object, at `at`: "Records[3]"), one event. */
static int record_event(const cegate_host *host, cegate_call *call,
                        const json_t *rec, const char *at, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const char *name, *source, *region, *time, *bucket, *key;
    size_t name_n, source_n, region_n, time_n, bucket_n, key_n;
    const char *request_id = NULL, *id2 = NULL, *sequencer = NULL;
    size_t request_id_n = 0, id2_n = 0, sequencer_n = 0;
    if (au_get_string(host, rec, at, "s3.bucket.name", AU_REQUIRED, &bucket,
                      &bucket_n, err) < 0 ||
        au_get_string(host, rec, at, "s3.object.key", AU_REQUIRED, &key,
                      &key_n, err) < 0 ||
        au_get_string(host, rec, at, "eventName", AU_REQUIRED, &name, &name_n,
                      err) < 0 ||
        au_get_string(host, rec, at, "eventSource", AU_REQUIRED, &source,
                      &source_n, err) < 0 ||
        au_get_string(host, rec, at, "awsRegion", AU_REQUIRED, &region,
                      &region_n, err) < 0 ||
        au_get_string(host, rec, at, "eventTime", AU_REQUIRED, &time, &time_n,
                      err) < 0 ||
        au_get_string(host, rec, at, "responseElements.x-amz-request-id", 0,
                      &request_id, &request_id_n, err) < 0 ||
        au_get_string(host, rec, at, "responseElements.x-amz-id-2", 0, &id2,
                      &id2_n, err) < 0 ||
        au_get_string(host, rec, at, "s3.object.sequencer", 0, &sequencer,
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
                        au_path(path, sizeof path, at, empty),
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
    if (au_set_field(host, ev, "subject", key, key_n, at, "s3.object.key",
                     err) < 0 ||
        au_set_field(host, ev, "time", time, time_n, at, "eventTime",
                     err) < 0 ||
        au_set_field(host, ev, "type", type, type_n, at, "eventName",
                     err) < 0 ||
        au_set_field(host, ev, "source", src, src_n, at, "eventSource",
                     err) < 0 ||
        au_set_field(host, ev, "id", id, id_n, at, id_path, err) < 0 ||
        au_set_attribute(host, ev, "datacontenttype", "application/json", 16,
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
    return au_each_record(host, call, records, record_event, err);
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
