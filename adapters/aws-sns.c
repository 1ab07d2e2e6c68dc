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

#define TYPE_PREFIX "com.amazonaws.sns."

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

/* `prefix` "." `name` (just `name` when there is no prefix). */
static const char *field(char *buf, size_t size, const char *prefix,
                         const char *name)
{
    snprintf(buf, size, "%s%s%s", prefix, prefix[0] ? "." : "", name);
    return buf;
}

/* The string member `name` of `obj` (which is at `prefix`). Returns 1 with
 * *s and *n set, 0 when absent (or null) and not REQUIRED, -1 with `err`
 * naming the field. */
static int get_string(const cegate_host *host, const json_t *obj,
                      const char *prefix, const char *name, int flags,
                      const char **s, size_t *n, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const json_t *v = json_object_get(obj, name);
    if (v == NULL || (json_is_null(v) && !(flags & REQUIRED))) {
        if (!(flags & REQUIRED))
            return 0;
        host->error_set(err, CEGATE_ERR_MISSING,
                        field(path, sizeof path, prefix, name),
                        "required member is missing");
        return -1;
    }
    if (!json_is_string(v)) {
        host->error_set(err, CEGATE_ERR_TYPE,
                        field(path, sizeof path, prefix, name),
                        "must be a string, not %s", type_name(v));
        return -1;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

/* Set an attribute from a string; errors name `path` (the input field or
 * header), not the attribute. */
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

/* An error of the re-dispatched Message names its field below Message. */
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

/* Non-zero when `v` nests more than `limit` levels of arrays/objects. */
static int deeper_than(const json_t *v, size_t limit)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (limit == 0)
        return 1;
    const char *key;
    json_t *member;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, member)
            if (deeper_than(member, limit - 1))
                return 1;
        return 0;
    }
    json_object_foreach((json_t *)v, key, member)
        if (deeper_than(member, limit - 1))
            return 1;
    return 0;
}

static int is_sns_type(const char *type)
{
    return type != NULL && (strcmp(type, "Notification") == 0 ||
                            strcmp(type, "SubscriptionConfirmation") == 0 ||
                            strcmp(type, "UnsubscribeConfirmation") == 0);
}

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    const json_t *root = msg->json;
    if (!json_is_object(root)) {
        *reason = root ? "the body is not a JSON object"
                       : "the body is not JSON";
        return 0;
    }
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
    if (get_string(host, body, prefix, "Type", REQUIRED, &type, &type_n,
                   err) < 0)
        return -1;
    if (!is_sns_type(type) || strlen(type) != type_n) {
        host->error_set(err, CEGATE_ERR_VALUE,
                        field(path, sizeof path, prefix, "Type"),
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
                            field(path, sizeof path, prefix, "Type"),
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
    if (get_string(host, body, prefix, "MessageId",
                   id_header ? 0 : REQUIRED, &id, &id_n, err) < 0 ||
        get_string(host, body, prefix, "TopicArn",
                   source_header ? 0 : REQUIRED, &source, &source_n, err) < 0 ||
        get_string(host, body, prefix, "Timestamp", REQUIRED, &time, &time_n,
                   err) < 0 ||
        (notification &&
         (get_string(host, body, prefix, "Subject", 0, &subject, &subject_n,
                     err) < 0 ||
          get_string(host, body, prefix, "Message", REQUIRED, &message,
                     &message_n, err) < 0)))
        return -1;
    char id_path[CEGATE_ERROR_PATH_LENGTH];
    char source_path[CEGATE_ERROR_PATH_LENGTH];
    if (id_header != NULL) {
        id = id_header;
        id_n = strlen(id);
        snprintf(id_path, sizeof id_path, "x-amz-sns-message-id");
    } else {
        field(id_path, sizeof id_path, prefix, "MessageId");
    }
    if (source_header != NULL) {
        source = source_header;
        source_n = strlen(source);
        snprintf(source_path, sizeof source_path, "%s", source_name);
    } else {
        field(source_path, sizeof source_path, prefix, "TopicArn");
    }

    /* The body becomes the data, one level below the event: the event
     * must still fit max_depth (the host only checked the body itself). */
    size_t max_depth = host->limits ? host->limits->max_depth : 64;
    if (max_depth < 1 || deeper_than(body, max_depth - 1)) {
        host->error_set(err, CEGATE_ERR_LIMIT, prefix,
                        "JSON nested deeper than max_depth (%zu) once inside "
                        "an event", max_depth);
        return -1;
    }

    /* Build the SNS event first, so a broken envelope is reported even
     * when its Message turns out to be someone else's. */
    char type_s[64];
    snprintf(type_s, sizeof type_s, "%s%s", TYPE_PREFIX, type);
    cegate_event *ev = host->event_new();
    if (ev == NULL) {
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        return -1;
    }
    if (set_attribute(host, ev, "id", id, id_n, id_path, err) < 0 ||
        set_attribute(host, ev, "source", source, source_n, source_path,
                      err) < 0 ||
        set_attribute(host, ev, "type", type_s, strlen(type_s),
                      field(path, sizeof path, prefix, "Type"), err) < 0 ||
        set_attribute(host, ev, "datacontenttype", "application/json", 16, "",
                      err) < 0 ||
        (subject_n > 0 &&
         set_attribute(host, ev, "subject", subject, subject_n,
                       field(path, sizeof path, prefix, "Subject"), err) < 0) ||
        set_attribute(host, ev, "time", time, time_n,
                      field(path, sizeof path, prefix, "Timestamp"), err) < 0 ||
        /* Shared, not copied: the event takes its own reference and event
         * data is never modified. */
        host->event_set_data_json(ev, (json_t *)body, err) < 0)
        goto fail;

    if (notification) {
        cegate_adapter_result r =
            host->redispatch(call, NULL, 0, message, message_n, err);
        if (r == CEGATE_ADAPTER_ERROR) {
            prefix_error_path(err, field(path, sizeof path, prefix, "Message"));
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

    /* Lambda's form: one SNS body per record. */
    if (!json_is_array(records))
        return CEGATE_ADAPTER_DECLINED;
    for (size_t i = 0; i < json_array_size(records); i++) {
        char prefix[48], path[CEGATE_ERROR_PATH_LENGTH];
        const json_t *rec = json_array_get(records, i);
        snprintf(prefix, sizeof prefix, "Records[%zu]", i);
        const char *source;
        size_t source_n;
        if (!json_is_object(rec)) {
            host->error_set(err, CEGATE_ERR_TYPE, prefix,
                            "must be an object, not %s", type_name(rec));
            return CEGATE_ADAPTER_ERROR;
        }
        if (get_string(host, rec, prefix, "EventSource", REQUIRED, &source,
                       &source_n, err) < 0)
            return CEGATE_ADAPTER_ERROR;
        if (strcmp(source, "aws:sns") != 0) {
            host->error_set(err, CEGATE_ERR_VALUE,
                            field(path, sizeof path, prefix, "EventSource"),
                            "must be \"aws:sns\"");
            return CEGATE_ADAPTER_ERROR;
        }
        const json_t *sns = json_object_get(rec, "Sns");
        if (sns == NULL) {
            host->error_set(err, CEGATE_ERR_MISSING,
                            field(path, sizeof path, prefix, "Sns"),
                            "required member is missing");
            return CEGATE_ADAPTER_ERROR;
        }
        if (!json_is_object(sns)) {
            host->error_set(err, CEGATE_ERR_TYPE,
                            field(path, sizeof path, prefix, "Sns"),
                            "must be an object, not %s", type_name(sns));
            return CEGATE_ADAPTER_ERROR;
        }
        if (sns_message(host, call, sns,
                        field(path, sizeof path, prefix, "Sns"), NULL,
                        err) < 0)
            return CEGATE_ADAPTER_ERROR;
    }
    return CEGATE_ADAPTER_OK;
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
