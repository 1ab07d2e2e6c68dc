/* SPDX-License-Identifier: Apache-2.0 */
/* bench_adapters.c - normalize throughput of the adapters, against jansson.
 *
 *   make bench   (runs ./bench/bench_adapters)
 *
 * Two workloads, generated here, in the same run:
 *   s3-4-records    an S3 notification with four records (4 events);
 *   sqs-sns-s3      an SQS message whose body is an SNS notification whose
 *                   Message is an S3 notification (1 event, 3 JSON decodes).
 * The sides, on the same bytes:
 *   cegate   registry_normalize with every built-in adapter probing (the
 *            host parses once, adapters probe, envelopes re-dispatch, the
 *            events are built and validated), then the events are freed;
 *   jansson  json_loadb + json_decref: the parse alone.
 * The envelope needs three parses whatever parses it (SQS record, SNS body,
 * S3 Message, each a JSON string inside the one before), so it is also
 * measured against jansson parsing all three layers: that ratio is the
 * cost of cegate's own work.
 * Exits 0 whatever the ratio, 1 when a message does not normalize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adapters.h"
#include "harness.h"

#define TARGET_RATIO 0.50

static json_t *s3_record(int i)
{
    char key[64], etag[40], sequencer[32];
    snprintf(key, sizeof key, "uploads/2026/11/photo+%04d%%281%%29.jpg", i);
    snprintf(etag, sizeof etag, "d41d8cd98f00b204e9800998ecf8%04x", i);
    snprintf(sequencer, sizeof sequencer, "0065A1B2C3D4E5F6%02d", i);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s},"
        " s:{s:s, s:s, s:{s:s, s:{s:s}, s:s}, s:{s:s, s:i, s:s, s:s}}}",
        "eventVersion", "2.1", "eventSource", "aws:s3", "awsRegion", "eu-west-1",
        "eventTime", "2026-11-23T09:41:07.512Z", "eventName", "ObjectCreated:Put",
        "userIdentity", "principalId", "AWS:AIDAEXAMPLE",
        "requestParameters", "sourceIPAddress", "203.0.113.7",
        "responseElements", "x-amz-request-id", "C3D13FE58DE4C810",
        "x-amz-id-2", "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        "s3", "s3SchemaVersion", "1.0", "configurationId", "uploads-to-app",
        "bucket", "name", "acme-uploads", "ownerIdentity", "principalId",
        "A3NL1KOZZKExample", "arn", "arn:aws:s3:::acme-uploads",
        "object", "key", key, "size", 48213 + i, "eTag", etag, "sequencer",
        sequencer);
}

static json_t *s3_notification(int records)
{
    json_t *list = json_array();
    for (int i = 0; i < records; i++)
        json_array_append_new(list, s3_record(i));
    return json_pack("{s:o}", "Records", list);
}

/* SQS record -> body: SNS notification -> Message: S3 notification. */
static json_t *sqs_sns_s3(void)
{
    json_t *s3 = s3_notification(1);
    char *s3_text = json_dumps(s3, JSON_COMPACT);
    json_t *sns = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
        "Type", "Notification", "MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn", "arn:aws:sns:eu-west-1:123456789012:uploads",
        "Subject", "Amazon S3 Notification", "Message", s3_text,
        "Timestamp", "2026-11-23T09:41:07.600Z", "SignatureVersion", "1",
        "Signature", "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
        "SigningCertURL", "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
        "UnsubscribeURL", "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe");
    char *sns_text = json_dumps(sns, JSON_COMPACT);
    json_t *sqs = json_pack(
        "{s:[{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{}, s:s, s:s, s:s, s:s}]}",
        "Records", "messageId", "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle", "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...", "body", sns_text,
        "attributes", "ApproximateReceiveCount", "1", "SentTimestamp",
        "1795340467600", "SenderId", "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp", "1795340467610",
        "messageAttributes", "md5OfBody", "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource", "aws:sqs", "eventSourceARN",
        "arn:aws:sqs:eu-west-1:123456789012:uploads", "awsRegion", "eu-west-1");
    free(s3_text);
    free(sns_text);
    json_decref(s3);
    json_decref(sns);
    return sqs;
}

static size_t run_cegate(const workload *w)
{
    registry *reg = w->context;
    size_t events = 0;
    for (size_t i = 0; i < w->count; i++) {
        cegate_event_list list;
        cegate_event_list_init(&list);
        cegate_error err;
        cegate_error_clear(&err);
        if (registry_normalize(reg, NULL, 0, w->messages[i], w->lengths[i],
                               NULL, &list, &err) < 0) {
            fprintf(stderr, "bench_adapters: %s: %s%s%s: %s\n", w->name,
                    err.origin, err.origin[0] ? ": " : "", err.path, err.text);
            exit(1);
        }
        events += list.count;
        cegate_event_list_free(&list);
    }
    return events;
}

/* The JSON texts nested in an SQS(SNS(S3)) message: the outer one, the
 * SQS body (SNS) and the SNS Message (S3). */
typedef struct layers {
    char *text[3];
    size_t length[3];
} layers;

static layers nested_layers(const char *outer, size_t length)
{
    layers l = {{NULL, NULL, NULL}, {0, 0, 0}};
    l.text[0] = strdup(outer);
    l.length[0] = length;
    json_t *sqs = json_loadb(outer, length, 0, NULL);
    const char *body = json_string_value(
        json_object_get(json_array_get(json_object_get(sqs, "Records"), 0), "body"));
    l.text[1] = strdup(body);
    l.length[1] = strlen(body);
    json_t *sns = json_loads(body, 0, NULL);
    const char *message = json_string_value(json_object_get(sns, "Message"));
    l.text[2] = strdup(message);
    l.length[2] = strlen(message);
    json_decref(sns);
    json_decref(sqs);
    return l;
}

static size_t run_jansson_layers(const workload *w)
{
    const layers *l = w->context;
    for (int i = 0; i < 3; i++) {
        json_t *j = json_loadb(l->text[i], l->length[i], 0, NULL);
        if (j == NULL) {
            fprintf(stderr, "bench_adapters: layer %d does not parse\n", i);
            exit(1);
        }
        json_decref(j);
    }
    return 1;
}

static size_t run_jansson(const workload *w)
{
    for (size_t i = 0; i < w->count; i++) {
        json_t *j = json_loadb(w->messages[i], w->lengths[i], 0, NULL);
        if (j == NULL) {
            fprintf(stderr, "bench_adapters: %s: json_loadb failed\n", w->name);
            exit(1);
        }
        json_decref(j);
    }
    return w->count;
}

int main(void)
{
    cegate_error err;
    cegate_error_clear(&err);
    registry *reg = registry_new(NULL);
    if (reg == NULL || registry_load_defaults(reg, &err) < 0) {
        fprintf(stderr, "bench_adapters: loading adapters: %s\n", err.text);
        return 1;
    }
    workload s3 = {.name = "s3-4-records", .context = reg};
    workload envelope = {.name = "sqs-sns-s3", .context = reg};
    json_t *v = s3_notification(4);
    workload_add_json(&s3, v);
    json_decref(v);
    v = sqs_sns_s3();
    workload_add_json(&envelope, v);
    json_decref(v);

    printf("cegate bench: adapter normalize throughput, against jansson's parse\n"
           "  cegate  = registry_normalize, every built-in adapter probing\n"
           "  jansson = json_loadb of the same bytes\n");
    bench_compare(&s3, run_cegate, "cegate", run_jansson, "jansson parse",
                  TARGET_RATIO);
    bench_compare(&envelope, run_cegate, "cegate", run_jansson,
                  "jansson parse", TARGET_RATIO);
    /* The same envelope against the parses it cannot avoid. The reference
     * side reads its texts from the context; cegate's from the registry. */
    layers l = nested_layers(envelope.messages[0], envelope.lengths[0]);
    workload all_layers = envelope;
    all_layers.name = "sqs-sns-s3, against all 3 layers";
    all_layers.context = &l;
    bench_compare_with(&all_layers, run_cegate, reg, "cegate",
                       run_jansson_layers, &l, "jansson parse x3 layers", 0);
    for (int i = 0; i < 3; i++)
        free(l.text[i]);
    workload_free(&s3);
    workload_free(&envelope);
    registry_free(reg);
    return 0;
}
