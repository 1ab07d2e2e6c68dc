/* SPDX-License-Identifier: Apache-2.0 */
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
#include "common/adapter_util.h"

#define EVENT_TYPE "com.amazonaws.sqs.message"

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

/* The event's data: the record, or a copy of it with the body (at
 * `body_path`) inlined when the body is a JSON object or array. A new
 * reference, or NULL with `err` filled. */
static json_t *record_data(const cegate_host *host, cegate_call *call,
                           const json_t *rec, const char *body, size_t body_n,
                           const char *body_path, cegate_error *err)
{
    size_t i = 0;
    while (i < body_n && (body[i] == ' ' || body[i] == '\t' ||
                          body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == body_n || (body[i] != '{' && body[i] != '['))
        return json_incref((json_t *)rec); /* text: keep it a string */
    cegate_error parse_err;
    memset(&parse_err, 0, sizeof parse_err);
    json_t *parsed = host->json_parse(call, body, body_n, &parse_err);
    if (parsed == NULL && parse_err.code == CEGATE_ERR_SYNTAX)
        return json_incref((json_t *)rec); /* not well-formed: a string */
    if (parsed == NULL) { /* over a limit, or out of memory */
        host->error_prefix_path(&parse_err, body_path);
        host->error_set(err, parse_err.code, parse_err.path, "%s",
                        parse_err.text);
        return NULL;
    }
    /* json_parse() counted the body as an event's data; it sits one level
     * deeper, below the record. emit() would catch that too, but as "data":
     * say where. */
    size_t max_depth = host->limits ? host->limits->max_depth : 64;
    if (max_depth < 2 || au_json_deeper_than(parsed, max_depth - 2)) {
        host->error_set(err, CEGATE_ERR_LIMIT, body_path,
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
    if (!au_probe_object(msg, reason))
        return 0;
    const json_t *records = json_object_get(msg->json, "Records");
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

/* One record (an object, at `at`): its body's events, or the SQS event. */
static int record_events(const cegate_host *host, cegate_call *call,
                         const json_t *rec, const char *at, cegate_error *err)
{
    char id_path[CEGATE_ERROR_PATH_LENGTH];
    char body_path[CEGATE_ERROR_PATH_LENGTH];
    char arn_path[CEGATE_ERROR_PATH_LENGTH];
    char attr_path[CEGATE_ERROR_PATH_LENGTH];
    char time_path[CEGATE_ERROR_PATH_LENGTH];
    au_path(id_path, sizeof id_path, at, "messageId");
    au_path(body_path, sizeof body_path, at, "body");
    au_path(arn_path, sizeof arn_path, at, "eventSourceARN");
    au_path(attr_path, sizeof attr_path, at, "attributes");
    au_path(time_path, sizeof time_path, attr_path, "SentTimestamp");
    const char *event_source, *id, *body, *arn, *sent;
    size_t event_source_n, id_n, body_n, arn_n, sent_n;
    const json_t *attributes;
    if (au_get_string(host, rec, at, "eventSource", AU_REQUIRED, &event_source,
                      &event_source_n, err) < 0)
        return -1;
    if (strcmp(event_source, "aws:sqs") != 0) {
        char path[CEGATE_ERROR_PATH_LENGTH];
        host->error_set(err, CEGATE_ERR_VALUE,
                        au_path(path, sizeof path, at, "eventSource"),
                        "must be \"aws:sqs\"");
        return -1;
    }
    if (au_get_string(host, rec, at, "messageId", AU_REQUIRED, &id, &id_n,
                      err) < 0 ||
        au_get_string(host, rec, at, "body", AU_REQUIRED, &body, &body_n,
                      err) < 0 ||
        au_get_string(host, rec, at, "eventSourceARN", AU_REQUIRED, &arn,
                      &arn_n, err) < 0 ||
        au_get_object(host, rec, at, "attributes", &attributes, err) < 0 ||
        au_get_string(host, attributes, attr_path, "SentTimestamp",
                      AU_REQUIRED, &sent, &sent_n, err) < 0)
        return -1;
    char time[32];
    if (epoch_ms_to_rfc3339(sent, sent_n, time) < 0) {
        host->error_set(err, CEGATE_ERR_VALUE, time_path,
                        "not epoch milliseconds up to year 9999 (decimal "
                        "digits expected)");
        return -1;
    }

    cegate_adapter_result r = host->redispatch(call, NULL, 0, body, body_n,
                                               err);
    if (r == CEGATE_ADAPTER_OK)
        return 0;
    if (r == CEGATE_ADAPTER_ERROR) {
        /* The inner error names its field below the body. */
        host->error_prefix_path(err, body_path);
        return -1;
    }

    json_t *data = record_data(host, call, rec, body, body_n, body_path, err);
    if (data == NULL)
        return -1;
    cegate_event *ev = au_event_new(host, err);
    if (ev == NULL) {
        json_decref(data);
        return -1;
    }
    int rc = 0;
    if (au_set_attribute(host, ev, "id", id, id_n, id_path, err) < 0 ||
        au_set_attribute(host, ev, "source", arn, arn_n, arn_path, err) < 0 ||
        au_set_attribute(host, ev, "type", EVENT_TYPE, strlen(EVENT_TYPE), "",
                         err) < 0 ||
        au_set_attribute(host, ev, "datacontenttype", "application/json", 16,
                         "", err) < 0 ||
        au_set_attribute(host, ev, "time", time, strlen(time), time_path,
                         err) < 0 ||
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
    return au_each_record(host, call, json_object_get(msg->json, "Records"),
                          record_events, err);
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
