/* SPDX-License-Identifier: Apache-2.0 */
/* gcp-pubsub.c - Google Cloud Pub/Sub push deliveries.
 *
 * A wrapped push body
 *     {"message": {"data", "attributes", "messageId", "publishTime",
 *                  "orderingKey"}, "subscription", "deliveryAttempt"}
 * becomes the CloudEvent Eventarc emits for it (DESIGN.md, "Source ->
 * CloudEvent mappings"): type google.cloud.pubsub.topic.v1.messagePublished,
 * source //pubsub.googleapis.com/projects/P/topics/T, id messageId, time
 * publishTime, data the push body in its camelCase form.
 *
 * The body never names the topic. It comes from the adapter option "topic",
 * else from the request path (".../projects/P/topics/T", the endpoint the
 * Functions Frameworks recommend), else [ours] the source is
 * //pubsub.googleapis.com/ + the subscription.
 *
 * A message that itself carries a CloudEvent (Google's Pub/Sub protocol
 * binding: attribute ce-specversion for binary mode, attribute content-type
 * application/cloudevents... for structured mode) yields that event instead.
 *
 * The Functions Framework's legacy background event for a Pub/Sub message
 * ({"context": {"eventType": "google.pubsub.topic.publish", ...}, "data"})
 * is converted as the Functions Frameworks do (their conformance data is
 * the reference: tests/vectors/gcp-pubsub/valid/gcf-pubsub_text-legacy).
 *
 * msg->json is never modified: the event's data is a new object; what it
 * takes over unchanged (the attributes, the legacy data's members) is shared
 * with msg->json, not copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cegate/adapter.h"
#include "common/adapter_util.h"

#define EVENT_TYPE "google.cloud.pubsub.topic.v1.messagePublished"
#define SOURCE_PREFIX "//pubsub.googleapis.com/"
#define LEGACY_TYPE "google.pubsub.topic.publish"
#define LEGACY_TYPE_OLD "providers/cloud.pubsub/eventTypes/topic.publish"

static const cegate_adapter_option options[] = {
    {"topic", NULL,
     "the topic of the push subscription, projects/P/topics/T (default: "
     "from a request path holding projects/P/topics/T, else the "
     "subscription stands in)"},
};

/* ---- small helpers ---------------------------------------------------------- */

/* A member, with JSON null read as absent (proto3 JSON's rule). */
static json_t *member(const json_t *object, const char *key)
{
    json_t *v = json_object_get(object, key);
    return json_is_null(v) ? NULL : v;
}

/* The member under its camelCase name, else its snake_case one; `*used`
 * gets the name that was found (for error paths). */
static json_t *member2(const json_t *object, const char *camel,
                       const char *snake, const char **used)
{
    json_t *v = member(object, camel);
    *used = camel;
    if (v == NULL && (v = member(object, snake)) != NULL)
        *used = snake;
    return v;
}

/* A copy of s for an error message, control characters shown as '?' (an
 * attribute name is outside text: it must not break the message's line). */
static void printable(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            *p = '?';
}

/* Rewrite the path of an error reported by the CloudEvents decoder so that
 * it names the field of the push body it came from. */
static void locate_error(const cegate_host *host, cegate_error *err,
                         int binary)
{
    if (err == NULL || err->code == CEGATE_OK)
        return;
    const char *p = err->path;
    if (strcasecmp(p, "content-type") == 0) {
        host->error_set_path(err, "message.attributes.content-type");
        return;
    }
    if (binary && strncasecmp(p, "ce-", 3) == 0) {
        host->error_prefix_path(err, "message.attributes");
        return;
    }
    if (p[0] == '\0' || (binary && strcmp(p, "data") == 0))
        host->error_set_path(err, "message.data");
    else
        host->error_prefix_path(err, "message.data");
}

/* ---- the topic ----------------------------------------------------------------- */

/* The first "projects/[^/?]+/topics/[^/?]+" in `path` (the Functions
 * Frameworks' regular expression); returns its start and sets `*n`. */
static const char *find_topic(const char *path, size_t *n)
{
    static const char projects[] = "projects/", topics[] = "/topics/";
    for (const char *p = path; (p = strstr(p, projects)) != NULL; p++) {
        const char *q = p + sizeof projects - 1;
        size_t project = strcspn(q, "/?");
        if (project == 0 || strncmp(q + project, topics, sizeof topics - 1) != 0)
            continue;
        const char *t = q + project + sizeof topics - 1;
        size_t topic = strcspn(t, "/?");
        if (topic == 0)
            continue;
        *n = (size_t)(t + topic - p);
        return p;
    }
    return NULL;
}

/* "//pubsub.googleapis.com/" + s[0..n), malloc'd. */
static char *prefixed(const char *s, size_t n)
{
    size_t m = sizeof SOURCE_PREFIX - 1;
    char *out = malloc(m + n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, SOURCE_PREFIX, m);
    memcpy(out + m, s, n);
    out[m + n] = '\0';
    return out;
}

/* The event's source: the topic option, the request path, else the given
 * fallback (`*path` names where it came from, for errors). NULL with
 * `*path` NULL when nothing names it; NULL with `*path` set on no memory. */
static char *topic_source(const cegate_host *host, cegate_call *call,
                          const cegate_message *msg, const char *fallback,
                          size_t fallback_length, const char *fallback_path,
                          const char **path)
{
    const char *topic = host->option(call, "topic");
    if (topic != NULL && topic[0] != '\0') {
        *path = "option topic";
        if (strncmp(topic, "//", 2) == 0)
            return strdup(topic);
        while (*topic == '/')
            topic++;
        return prefixed(topic, strlen(topic));
    }
    size_t n;
    const char *found = msg->path ? find_topic(msg->path, &n) : NULL;
    if (found != NULL) {
        *path = "path";
        return prefixed(found, n);
    }
    if (fallback != NULL) {
        *path = fallback_path;
        host->log(call, CEGATE_LOG_INFO,
                  "no topic known (set the topic option or push to "
                  ".../projects/P/topics/T): source from %s", fallback_path);
        return prefixed(fallback, fallback_length);
    }
    *path = NULL;
    return NULL;
}

/* ---- a message that carries a CloudEvent ----------------------------------- */

/* The value of attribute `name` (case-insensitive), or NULL. */
static const char *attribute(const json_t *attributes, const char *name)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)attributes, key, v) {
        if (strcasecmp(key, name) == 0 && json_is_string(v))
            return json_string_value(v);
    }
    return NULL;
}

/* Percent-encode an attribute value as a ce- header value, so that the
 * HTTP binding's decoding gives back exactly the attribute (Pub/Sub values
 * are raw strings: a '%' or a quote in them is literal). malloc'd. */
static char *header_encode(const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(3 * n + 1);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x20 && c < 0x7F && c != '"' && c != '%') {
            out[k++] = (char)c;
        } else {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    out[k] = '\0';
    return out;
}

/* Google's Pub/Sub protocol binding: structured mode when the content-type
 * attribute is application/cloudevents..., else binary mode (ce-*
 * attributes are the event's attributes, content-type its datacontenttype,
 * the decoded data its data). Other attributes are dropped. */
static cegate_adapter_result carried_event(const cegate_host *host,
                                           cegate_call *call,
                                           const json_t *attributes,
                                           const char *data, size_t data_length,
                                           cegate_error *err)
{
    cegate_adapter_result result = CEGATE_ADAPTER_ERROR;
    unsigned char *body = NULL;
    size_t count = json_object_size(attributes);
    cegate_header *headers = calloc(count + 1, sizeof *headers);
    char **values = calloc(count + 1, sizeof *values);
    size_t nh = 0, length = 0;
    if (headers == NULL || values == NULL) {
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    if (data != NULL &&
        (body = host->base64_decode(data, data_length, &length,
                                    "message.data", err)) == NULL)
        goto done;

    const char *content_type = attribute(attributes, "content-type");
    int binary = !au_is_cloudevents_type(content_type);
    if (!binary && data == NULL) {
        host->error_set(err, CEGATE_ERR_MISSING, "message.data",
                        "required field is missing (attribute content-type "
                        "says it holds a structured CloudEvent)");
        goto done;
    }
    if (content_type != NULL)
        headers[nh++] = (cegate_header){"Content-Type", content_type};
    if (binary) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)attributes, key, v) {
            if (strncasecmp(key, "ce-", 3) != 0 || !json_is_string(v))
                continue;
            values[nh] = header_encode(json_string_value(v),
                                       json_string_length(v));
            if (values[nh] == NULL) {
                host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
                goto done;
            }
            headers[nh] = (cegate_header){key, values[nh]};
            nh++;
        }
    }
    if (host->emit_http_events(call, headers, nh,
                               body ? (const char *)body : "", length,
                               err) < 0) {
        locate_error(host, err, binary);
        goto done;
    }
    result = CEGATE_ADAPTER_OK;
done:
    for (size_t i = 0; values != NULL && i < nh; i++)
        free(values[i]);
    free(values);
    free(headers);
    host->free(body);
    return result;
}

/* ---- the push body ----------------------------------------------------------- */

/* json_object_set_new that remembers a failure (it frees `value` then). */
static void put(json_t *object, const char *key, json_t *value, int *ok)
{
    if (object == NULL) {
        json_decref(value);
        *ok = 0;
    } else if (json_object_set_new(object, key, value) < 0) {
        *ok = 0;
    }
}

/* Check that s[0..n) is base64, as the data stays encoded in the event. */
static int check_base64(const cegate_host *host, const char *s, size_t n,
                        const char *what, cegate_error *err)
{
    size_t length;
    unsigned char *bytes = host->base64_decode(s, n, &length, what, err);
    if (bytes == NULL)
        return -1;
    host->free(bytes);
    return 0;
}

/* The attributes of a messagePublished event and the fields they come
 * from (for errors). */
typedef struct published {
    const char *id, *id_path;
    size_t id_length;
    const char *time, *time_path; /* time may be NULL */
    size_t time_length;
    char *source; /* malloc'd; NULL when there was no memory */
    const char *source_path;
} published;

/* Emit the messagePublished event with `data` (NULL when building it ran
 * out of memory). Takes over p->source and `data`. */
static cegate_adapter_result emit_published(const cegate_host *host,
                                            cegate_call *call, published *p,
                                            json_t *data, cegate_error *err)
{
    cegate_adapter_result result = CEGATE_ADAPTER_ERROR;
    cegate_event *ev = NULL;
    if (data == NULL || p->source == NULL) {
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    if ((ev = au_event_new(host, err)) == NULL)
        goto done;
    if (au_set_attribute(host, ev, "id", p->id, p->id_length, p->id_path,
                         err) < 0 ||
        /* byte offsets in the setter's error count from the source */
        au_set_attribute_note(host, ev, "source", p->source,
                              strlen(p->source), p->source_path,
                              "(in the source built from this value)",
                              err) < 0 ||
        au_set_attribute(host, ev, "type", EVENT_TYPE, sizeof EVENT_TYPE - 1,
                         "type", err) < 0 ||
        (p->time != NULL &&
         au_set_attribute(host, ev, "time", p->time, p->time_length,
                          p->time_path, err) < 0) ||
        au_set_attribute(host, ev, "datacontenttype", "application/json", 16,
                         "datacontenttype", err) < 0 ||
        host->event_set_data_json(ev, data, err) < 0) {
        host->event_free(ev);
        goto done;
    }
    result = host->emit(call, ev, err) < 0 ? CEGATE_ADAPTER_ERROR
                                           : CEGATE_ADAPTER_OK;
done:
    json_decref(data);
    free(p->source);
    return result;
}

static cegate_adapter_result push(const cegate_host *host, cegate_call *call,
                                  const cegate_message *msg, cegate_error *err)
{
    const json_t *root = msg->json;
    const json_t *message = member(root, "message");
    if (message == NULL)
        return host->error_set(err, CEGATE_ERR_MISSING, "message",
                               "required field is missing"),
               CEGATE_ADAPTER_ERROR;
    if (!json_is_object(message))
        return host->error_set(err, CEGATE_ERR_TYPE, "message",
                               "must be an object, not %s",
                               au_json_kind(message)),
               CEGATE_ADAPTER_ERROR;

    /* Every field is checked before anything is built. */
    const json_t *attributes = member(message, "attributes");
    if (attributes != NULL) {
        if (!json_is_object(attributes))
            return host->error_set(err, CEGATE_ERR_TYPE, "message.attributes",
                                   "must be an object, not %s",
                                   au_json_kind(attributes)),
                   CEGATE_ADAPTER_ERROR;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)attributes, key, v) {
            if (!json_is_string(v)) {
                char name[64];
                printable(name, sizeof name, key);
                return host->error_set(err, CEGATE_ERR_TYPE,
                                       "message.attributes", "\"%s\" must "
                                       "be a string, not %s", name,
                                       au_json_kind(v)),
                       CEGATE_ADAPTER_ERROR;
            }
        }
    }
    const char *data, *used;
    size_t data_length;
    if (au_string_field(host, member(message, "data"), "message.data", 0,
                        &data, &data_length, err) < 0)
        return CEGATE_ADAPTER_ERROR;

    if (attributes != NULL &&
        (attribute(attributes, "ce-specversion") != NULL ||
         au_is_cloudevents_type(attribute(attributes, "content-type"))))
        return carried_event(host, call, attributes, data, data_length, err);

    if (data != NULL &&
        check_base64(host, data, data_length, "message.data", err) < 0)
        return CEGATE_ADAPTER_ERROR;

    char id_path[32], time_path[32], key_path[32];
    const char *id, *time, *ordering_key, *subscription;
    size_t id_length, time_length, key_length, subscription_length;
    const json_t *v = member2(message, "messageId", "message_id", &used);
    snprintf(id_path, sizeof id_path, "message.%s", used);
    if (au_string_field(host, v, id_path, AU_REQUIRED, &id, &id_length,
                        err) < 0)
        return CEGATE_ADAPTER_ERROR;
    v = member2(message, "publishTime", "publish_time", &used);
    snprintf(time_path, sizeof time_path, "message.%s", used);
    if (au_string_field(host, v, time_path, 0, &time, &time_length, err) < 0)
        return CEGATE_ADAPTER_ERROR;
    v = member2(message, "orderingKey", "ordering_key", &used);
    snprintf(key_path, sizeof key_path, "message.%s", used);
    if (au_string_field(host, v, key_path, 0, &ordering_key, &key_length,
                        err) < 0 ||
        au_string_field(host, member(root, "subscription"), "subscription", 0,
                        &subscription, &subscription_length, err) < 0)
        return CEGATE_ADAPTER_ERROR;
    const json_t *attempt = member(root, "deliveryAttempt");
    if (attempt != NULL && !json_is_integer(attempt))
        return host->error_set(err, CEGATE_ERR_TYPE, "deliveryAttempt",
                               "must be an integer, not %s",
                               au_json_kind(attempt)),
               CEGATE_ADAPTER_ERROR;

    published p = {id, id_path, id_length, time, time_path, time_length, NULL,
                   NULL};
    p.source = topic_source(host, call, msg, subscription, subscription_length,
                            "subscription", &p.source_path);
    if (p.source == NULL) {
        if (p.source_path == NULL)
            host->error_set(err, CEGATE_ERR_MISSING, "subscription",
                            "required field is missing (and neither the "
                            "topic option nor the request path names the "
                            "topic)");
        else
            host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        return CEGATE_ADAPTER_ERROR;
    }

    /* data: the push body, camelCase, only the members present. */
    int ok = 1;
    json_t *out = json_object();
    json_t *m = json_object();
    if (data != NULL)
        put(m, "data", json_stringn(data, data_length), &ok);
    if (attributes != NULL)
        put(m, "attributes", json_incref((json_t *)attributes), &ok);
    put(m, "messageId", json_stringn(id, id_length), &ok);
    if (time != NULL)
        put(m, "publishTime", json_stringn(time, time_length), &ok);
    if (ordering_key != NULL)
        put(m, "orderingKey", json_stringn(ordering_key, key_length), &ok);
    if (out != NULL && m != NULL)
        put(out, "message", json_incref(m), &ok);
    if (subscription != NULL)
        put(out, "subscription",
            json_stringn(subscription, subscription_length), &ok);
    if (attempt != NULL)
        put(out, "deliveryAttempt", json_integer(json_integer_value(attempt)),
            &ok);
    json_decref(m);
    if (!ok || m == NULL) {
        json_decref(out);
        out = NULL;
    }
    return emit_published(host, call, &p, out, err);
}

/* ---- the Functions Framework's legacy background event --------------------- */

/* Where the legacy fields are: under "context", or at the top level. */
static const json_t *legacy_context(const json_t *root)
{
    const json_t *context = member(root, "context");
    return json_is_object(context) ? context : root;
}

static int is_legacy(const json_t *root)
{
    const json_t *t = member(legacy_context(root), "eventType");
    const char *s = json_string_value(t);
    return s != NULL && (strcmp(s, LEGACY_TYPE) == 0 ||
                         strcmp(s, LEGACY_TYPE_OLD) == 0);
}

/* functions-framework-conformance docs/mapping.md: id eventId, time
 * timestamp, source "//" + resource.service + "/" + resource.name, data
 * {"message": data + messageId + publishTime (when absent)}. */
static cegate_adapter_result legacy(const cegate_host *host, cegate_call *call,
                                    const cegate_message *msg,
                                    cegate_error *err)
{
    const json_t *root = msg->json;
    const json_t *context = legacy_context(root);
    const char *prefix = context == root ? "" : "context.";
    char id_path[32], time_path[32], name_path[40], service_path[40];
    snprintf(id_path, sizeof id_path, "%seventId", prefix);
    snprintf(time_path, sizeof time_path, "%stimestamp", prefix);
    snprintf(name_path, sizeof name_path, "%sresource.name", prefix);
    snprintf(service_path, sizeof service_path, "%sresource.service", prefix);

    const char *id, *time, *name = NULL, *service = NULL;
    size_t id_length, time_length, name_length = 0, service_length = 0;
    if (au_string_field(host, member(context, "eventId"), id_path,
                        AU_REQUIRED, &id, &id_length, err) < 0 ||
        au_string_field(host, member(context, "timestamp"), time_path, 0,
                        &time, &time_length, err) < 0)
        return CEGATE_ADAPTER_ERROR;
    const json_t *resource = member(context, "resource");
    if (json_is_string(resource)) {
        name = json_string_value(resource);
        name_length = json_string_length(resource);
        snprintf(name_path, sizeof name_path, "%sresource", prefix);
    } else if (json_is_object(resource)) {
        if (au_string_field(host, member(resource, "name"), name_path, 0,
                            &name, &name_length, err) < 0 ||
            au_string_field(host, member(resource, "service"), service_path,
                            0, &service, &service_length, err) < 0)
            return CEGATE_ADAPTER_ERROR;
    } else if (resource != NULL) {
        return host->error_set(err, CEGATE_ERR_TYPE, name_path,
                               "resource must be an object or a string, not "
                               "%s", au_json_kind(resource)),
               CEGATE_ADAPTER_ERROR;
    }
    const json_t *data = member(root, "data");
    if (data != NULL && !json_is_object(data))
        return host->error_set(err, CEGATE_ERR_TYPE, "data",
                               "must be an object, not %s",
                               au_json_kind(data)),
               CEGATE_ADAPTER_ERROR;
    const char *bytes;
    size_t bytes_length;
    if (data != NULL &&
        (au_string_field(host, member(data, "data"), "data.data", 0, &bytes,
                         &bytes_length, err) < 0 ||
         (bytes != NULL && check_base64(host, bytes, bytes_length,
                                        "data.data", err) < 0)))
        return CEGATE_ADAPTER_ERROR;

    /* The source: the resource as Google's mapping says, else the topic
     * option or the request path as for a push. */
    published p = {id, id_path, id_length, time, time_path, time_length, NULL,
                   name_path};
    if (name != NULL && name_length > 0) {
        const char *svc = service && service_length ? service
                                                    : "pubsub.googleapis.com";
        size_t svc_length = service && service_length ? service_length
                                                       : strlen(svc);
        size_t size = 2 + svc_length + 1 + name_length + 1;
        if ((p.source = malloc(size)) != NULL)
            snprintf(p.source, size, "//%.*s/%.*s", (int)svc_length, svc,
                     (int)name_length, name);
    } else {
        p.source = topic_source(host, call, msg, NULL, 0, NULL, &p.source_path);
        if (p.source == NULL && p.source_path == NULL)
            return host->error_set(err, CEGATE_ERR_MISSING, name_path,
                                   "required field is missing (and neither "
                                   "the topic option nor the request path "
                                   "names the topic)"),
                   CEGATE_ADAPTER_ERROR;
    }

    /* A shallow copy: only members are added. */
    int ok = 1;
    json_t *m = data != NULL ? json_copy((json_t *)data) : json_object();
    json_t *out = json_object();
    if (m != NULL && member(m, "messageId") == NULL)
        put(m, "messageId", json_stringn(id, id_length), &ok);
    if (m != NULL && time != NULL && member(m, "publishTime") == NULL)
        put(m, "publishTime", json_stringn(time, time_length), &ok);
    if (m != NULL)
        put(out, "message", json_incref(m), &ok);
    json_decref(m);
    if (!ok || m == NULL) {
        json_decref(out);
        out = NULL;
    }
    return emit_published(host, call, &p, out, err);
}

/* ---- the adapter ------------------------------------------------------------- */

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    (void)host;
    const json_t *root = msg->json;
    if (!json_is_object(root)) {
        *reason = root == NULL ? "the body is not JSON" : "not a JSON object";
        return 0;
    }
    const json_t *message = member(root, "message");
    const json_t *subscription = member(root, "subscription");
    if (message != NULL) {
        /* The push body's two members, whatever their shape. */
        if ((json_is_object(message) && subscription != NULL) ||
            json_is_string(subscription))
            return 90;
        if (json_is_object(message) &&
            (member(message, "messageId") || member(message, "message_id")))
            return 70;
        *reason = "message is not a Pub/Sub message";
        return 0;
    }
    if (is_legacy(root))
        return 80;
    *reason = "no message member";
    return 0;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    if (!json_is_object(msg->json))
        return CEGATE_ADAPTER_DECLINED;
    if (member(msg->json, "message") == NULL && is_legacy(msg->json))
        return legacy(host, call, msg, err);
    return push(host, call, msg, err);
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "gcp-pubsub",
    .description = "Google Cloud Pub/Sub push messages (and CloudEvents in them)",
    .probe = probe,
    .normalize = normalize,
    .options = options,
    .option_count = sizeof options / sizeof options[0],
};
