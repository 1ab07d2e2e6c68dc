/* SPDX-License-Identifier: Apache-2.0 */
/* aws-sns.c - Amazon SNS messages: the body of an HTTP(S) delivery
 *
 *   {"Type":"Notification"|"SubscriptionConfirmation"|
 *    "UnsubscribeConfirmation","MessageId","TopicArn","Message",
 *    "Timestamp",...}
 *
 * (also without its x-amz-sns-* headers, e.g. inside an SQS message) and
 * Lambda's form {"Records":[{"EventSource":"aws:sns","Sns":{...}}]}, one
 * event per record. By the CloudEvents project's aws-sns adapter
 * (DESIGN.md, "Source -> CloudEvent mappings"):
 *
 *   type    "com.amazonaws.sns." + Type
 *   source  header x-amz-sns-subscription-arn (SubscriptionConfirmation:
 *           x-amz-sns-topic-arn); without the header, TopicArn
 *   id      header x-amz-sns-message-id, else MessageId
 *   time    Timestamp
 *   subject Subject (Notification only, when not empty)
 *   data    the SNS body
 *
 * A Notification's Message is handed back to the host first: when it is
 * something another adapter recognises (an S3 notification, an EventBridge
 * event, a structured CloudEvent, ...) those events replace the SNS one. */
#include <stdio.h>
#include <string.h>

#include "cegate/adapter.h"
#include "common/adapter_util.h"

#define TYPE_PREFIX "com.amazonaws.sns."

static int is_sns_type(const char *type)
{
    return type != NULL && (strcmp(type, "Notification") == 0 ||
                            strcmp(type, "SubscriptionConfirmation") == 0 ||
                            strcmp(type, "UnsubscribeConfirmation") == 0);
}

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    if (!au_probe_object(msg, reason))
        return 0;
    const json_t *root = msg->json;
    const char *type = json_string_value(json_object_get(root, "Type"));
    if (type != NULL && host->header(msg, "x-amz-sns-message-type") != NULL)
        return 100;
    if (type == NULL) {
        const json_t *records = json_object_get(root, "Records");
        if (records != NULL) {
            const json_t *first = json_array_get(records, 0);
            const char *source =
                json_string_value(json_object_get(first, "EventSource"));
            if (source != NULL && strcmp(source, "aws:sns") == 0)
                return 90;
            *reason = "Records[0] is not an SNS record";
            return 0;
        }
        *reason = host->header(msg, "x-amz-sns-message-type") != NULL
                      ? "raw message delivery (no Type member)"
                      : "no Type member";
        return 0;
    }
    if (json_object_get(root, "MessageId") != NULL &&
        json_object_get(root, "TopicArn") != NULL)
        return 90;
    if (is_sns_type(type))
        return 60;
    *reason = "Type is not an SNS message type";
    return 0;
}

/* One SNS body (the HTTP body, or a Lambda record's Sns member at
 * `prefix`). `msg` supplies the headers of the HTTP form, NULL otherwise. */
static int sns_message(const cegate_host *host, cegate_call *call,
                       const json_t *body, const char *prefix,
                       const cegate_message *msg, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const char *type, *time, *id = NULL, *source = NULL, *subject = NULL;
    const char *message = NULL;
    size_t type_n, time_n, id_n = 0, source_n = 0, subject_n = 0, message_n = 0;
    if (au_get_string(host, body, prefix, "Type", AU_REQUIRED, &type, &type_n,
                      err) < 0)
        return -1;
    if (!is_sns_type(type) || strlen(type) != type_n) {
        host->error_set(err, CEGATE_ERR_VALUE,
                        au_path(path, sizeof path, prefix, "Type"),
                        "must be Notification, SubscriptionConfirmation or "
                        "UnsubscribeConfirmation");
        return -1;
    }
    int notification = strcmp(type, "Notification") == 0;
    int confirmation = strcmp(type, "SubscriptionConfirmation") == 0;

    /* The HTTP headers win over the body, as the aws-sns adapter says. */
    const char *id_header = NULL, *source_header = NULL;
    const char *source_name = confirmation ? "x-amz-sns-topic-arn"
                                           : "x-amz-sns-subscription-arn";
    if (msg != NULL) {
        const char *h = host->header(msg, "x-amz-sns-message-type");
        if (h != NULL && strcmp(h, type) != 0) {
            host->error_set(err, CEGATE_ERR_CONFLICT,
                            au_path(path, sizeof path, prefix, "Type"),
                            "does not match the x-amz-sns-message-type header");
            return -1;
        }
        id_header = host->header(msg, "x-amz-sns-message-id");
        source_header = host->header(msg, source_name);
        if (id_header != NULL && id_header[0] == '\0') /* empty: absent */
            id_header = NULL;
        if (source_header != NULL && source_header[0] == '\0')
            source_header = NULL;
    }
    if (au_get_string(host, body, prefix, "MessageId",
                      id_header ? 0 : AU_REQUIRED, &id, &id_n, err) < 0 ||
        au_get_string(host, body, prefix, "TopicArn",
                      source_header ? 0 : AU_REQUIRED, &source, &source_n,
                      err) < 0 ||
        au_get_string(host, body, prefix, "Timestamp", AU_REQUIRED, &time,
                      &time_n, err) < 0 ||
        (notification &&
         (au_get_string(host, body, prefix, "Subject", 0, &subject,
                        &subject_n, err) < 0 ||
          au_get_string(host, body, prefix, "Message", AU_REQUIRED, &message,
                        &message_n, err) < 0)))
        return -1;
    char id_path[CEGATE_ERROR_PATH_LENGTH];
    char source_path[CEGATE_ERROR_PATH_LENGTH];
    if (id_header != NULL) {
        id = id_header;
        id_n = strlen(id);
        snprintf(id_path, sizeof id_path, "x-amz-sns-message-id");
    } else {
        au_path(id_path, sizeof id_path, prefix, "MessageId");
    }
    if (source_header != NULL) {
        source = source_header;
        source_n = strlen(source);
        snprintf(source_path, sizeof source_path, "%s", source_name);
    } else {
        au_path(source_path, sizeof source_path, prefix, "TopicArn");
    }

    /* The body becomes the data, one level below the event. emit() checks
     * that too, but only for the event it is given: this check comes before
     * the Message is re-dispatched (whose events would replace ours) and
     * names the body rather than "data". */
    size_t max_depth = host->limits ? host->limits->max_depth : 64;
    if (max_depth < 1 || au_json_deeper_than(body, max_depth - 1)) {
        host->error_set(err, CEGATE_ERR_LIMIT, prefix,
                        "JSON nested deeper than max_depth (%zu) once inside "
                        "an event", max_depth);
        return -1;
    }

    /* Build the SNS event first, so a broken envelope is reported even
     * when its Message turns out to be someone else's. */
    char type_s[64];
    snprintf(type_s, sizeof type_s, "%s%s", TYPE_PREFIX, type);
    cegate_event *ev = au_event_new(host, err);
    if (ev == NULL)
        return -1;
    if (au_set_attribute(host, ev, "id", id, id_n, id_path, err) < 0 ||
        au_set_attribute(host, ev, "source", source, source_n, source_path,
                         err) < 0 ||
        au_set_field(host, ev, "type", type_s, strlen(type_s), prefix, "Type",
                     err) < 0 ||
        au_set_attribute(host, ev, "datacontenttype", "application/json", 16,
                         "", err) < 0 ||
        (subject_n > 0 && au_set_field(host, ev, "subject", subject,
                                       subject_n, prefix, "Subject",
                                       err) < 0) ||
        au_set_field(host, ev, "time", time, time_n, prefix, "Timestamp",
                     err) < 0 ||
        /* Shared, not copied: the event takes its own reference and event
         * data is never modified. */
        host->event_set_data_json(ev, (json_t *)body, err) < 0)
        goto fail;

    if (notification) {
        cegate_adapter_result r =
            host->redispatch(call, NULL, 0, message, message_n, err);
        if (r == CEGATE_ADAPTER_ERROR) {
            /* The inner error names its field below Message. */
            host->error_prefix_path(err,
                                    au_path(path, sizeof path, prefix,
                                            "Message"));
            goto fail;
        }
        if (r == CEGATE_ADAPTER_OK) { /* the Message's events replace ours */
            host->event_free(ev);
            return 0;
        }
    }
    return host->emit(call, ev, err);

fail:
    host->event_free(ev);
    return -1;
}

/* Lambda's form: one record (an object, at `at`), one SNS body. */
static int lambda_record(const cegate_host *host, cegate_call *call,
                         const json_t *rec, const char *at, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const char *source;
    size_t source_n;
    const json_t *sns;
    if (au_get_string(host, rec, at, "EventSource", AU_REQUIRED, &source,
                      &source_n, err) < 0)
        return -1;
    if (strcmp(source, "aws:sns") != 0) {
        host->error_set(err, CEGATE_ERR_VALUE,
                        au_path(path, sizeof path, at, "EventSource"),
                        "must be \"aws:sns\"");
        return -1;
    }
    if (au_get_object(host, rec, at, "Sns", &sns, err) < 0)
        return -1;
    return sns_message(host, call, sns, au_path(path, sizeof path, at, "Sns"),
                       NULL, err);
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *root = msg->json;
    if (!json_is_object(root))
        return CEGATE_ADAPTER_DECLINED;
    const json_t *records = json_object_get(root, "Records");
    if (json_object_get(root, "Type") != NULL || records == NULL)
        return sns_message(host, call, root, "", msg, err) < 0
                   ? CEGATE_ADAPTER_ERROR
                   : CEGATE_ADAPTER_OK;
    return au_each_record(host, call, records, lambda_record, err);
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "aws-sns",
    .description = "Amazon SNS messages (HTTP and Lambda); a Notification's "
                   "Message is re-dispatched",
    .probe = probe,
    .normalize = normalize,
};
