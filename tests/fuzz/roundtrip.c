/* SPDX-License-Identifier: Apache-2.0 */
/* roundtrip.c - the property the CloudEvents fuzz targets share: every
 * decoded event survives, without change, each way cegate can write it:
 *   - the JSON format, as a batch (cegate_json_encode_batch) and one event at
 *     a time (cegate_json_encode_event), read back with cegate_json_decode;
 *   - the HTTP binding in structured mode, read back with cegate_http_decode;
 *   - the HTTP binding in binary mode, read back with cegate_http_decode,
 *     equal except for what binary mode cannot carry (see same_event_binary).
 * Encoding the re-decoded batch must also give the same bytes again (the
 * encoder is deterministic and a round trip is a fixpoint after one step).
 * Any other outcome aborts with a description on stderr, which libFuzzer
 * reports as a crash and saves as crash-<sha1>. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "roundtrip.h"

const char *fuzz_stage = "";

static void dump_event(const char *label, const cegate_event *ev)
{
    cegate_buffer b;
    cegate_error e;
    cegate_error_clear(&e);
    cegate_buffer_init(&b, (size_t)64 << 20);
    if (cegate_json_encode_event(ev, &b, &e) == 0)
        fprintf(stderr, "  %s: %s\n", label, b.data);
    else
        fprintf(stderr, "  %s: (cannot encode: %s: %s)\n", label, e.path,
                e.text);
    cegate_buffer_free(&b);
}

/* Abort with what went wrong; `a` and `b` (either may be NULL) are shown. */
void fuzz_fail(const char *what, const cegate_error *err,
                 const cegate_event *a, const cegate_event *b)
{
    fprintf(stderr, "\nFUZZ PROPERTY BROKEN (%s): %s\n", fuzz_stage, what);
    if (err != NULL && err->code != CEGATE_OK)
        fprintf(stderr, "  error: %s at \"%s\": %s\n",
                cegate_error_code_name(err->code), err->path, err->text);
    if (a != NULL)
        dump_event("event ", a);
    if (b != NULL)
        dump_event("result", b);
    abort();
}

void *fuzz_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

/* The canonical string form of a value (CloudEvents type system), in a
 * malloc'd string. */
static char *value_text(const cegate_value *v)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s;
    switch (v->type) {
    case CEGATE_TYPE_BOOLEAN:
        s = fuzz_xmalloc(6);
        strcpy(s, v->u.boolean ? "true" : "false");
        return s;
    case CEGATE_TYPE_INTEGER:
        s = fuzz_xmalloc(16);
        snprintf(s, 16, "%ld", (long)v->u.integer);
        return s;
    case CEGATE_TYPE_BINARY: {
        const unsigned char *p = v->u.binary.bytes;
        size_t n = v->u.binary.length, o = 0;
        s = fuzz_xmalloc((n + 2) / 3 * 4 + 1);
        for (size_t i = 0; i < n; i += 3) {
            unsigned x = (unsigned)p[i] << 16;
            if (i + 1 < n)
                x |= (unsigned)p[i + 1] << 8;
            if (i + 2 < n)
                x |= p[i + 2];
            s[o++] = alphabet[x >> 18 & 63];
            s[o++] = alphabet[x >> 12 & 63];
            s[o++] = i + 1 < n ? alphabet[x >> 6 & 63] : '=';
            s[o++] = i + 2 < n ? alphabet[x & 63] : '=';
        }
        s[o] = '\0';
        return s;
    }
    default:
        s = fuzz_xmalloc(strlen(v->u.string) + 1);
        strcpy(s, v->u.string);
        return s;
    }
}

/* Two values carry the same thing once written as text: binary mode turns
 * every attribute into a header string, and the decoder reads extensions it
 * has no type for as String. Timestamps compare by instant. */
static int same_value_text(const cegate_value *a, const cegate_value *b)
{
    if (a->type == CEGATE_TYPE_TIMESTAMP && b->type == CEGATE_TYPE_TIMESTAMP) {
        cegate_timestamp ta, tb;
        if (cegate_timestamp_parse(a->u.string, strlen(a->u.string), &ta,
                                   "a", NULL) < 0 ||
            cegate_timestamp_parse(b->u.string, strlen(b->u.string), &tb,
                                   "b", NULL) < 0)
            return 0;
        return ta.seconds == tb.seconds && ta.nanoseconds == tb.nanoseconds;
    }
    char *x = value_text(a), *y = value_text(b);
    int same = strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

/* Equal as cegate_event_equal says, except that `b` may carry explicitly
 * the datacontenttype that is implied in `a` (the spec says re-encoders
 * SHOULD write the implied application/json). */
static int same_event(const cegate_event *a, const cegate_event *b)
{
    if (cegate_event_equal(a, b))
        return 1;
    const char *ct = cegate_event_get_string(b, "datacontenttype");
    const char *implied = cegate_event_effective_content_type(a);
    if (ct == NULL || cegate_event_get(a, "datacontenttype") != NULL ||
        implied == NULL || strcmp(ct, implied) != 0)
        return 0;
    cegate_event *c = cegate_event_copy(a);
    if (c == NULL)
        abort();
    if (cegate_event_set_string(c, "datacontenttype", ct, strlen(ct), 0,
                                NULL) < 0)
        fuzz_fail("cannot set the implied datacontenttype on a copy", NULL, a, b);
    int same = cegate_event_equal(c, b);
    cegate_event_free(c);
    return same;
}

/* The data of an event as the bytes binary mode sends: the bytes of text or
 * binary data, the compact serialization of JSON data. *json gets a new
 * reference to JSON data (or NULL). Returns a malloc'd copy. */
static unsigned char *data_bytes(const cegate_event *ev, size_t *length,
                                 json_t **json)
{
    unsigned char *out;
    *json = NULL;
    switch (cegate_event_data_kind(ev)) {
    case CEGATE_DATA_JSON: {
        *json = json_incref(cegate_event_data_json(ev));
        char *s = json_dumps(*json, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s == NULL)
            abort();
        *length = strlen(s);
        out = fuzz_xmalloc(*length + 1);
        memcpy(out, s, *length + 1);
        free(s);
        return out;
    }
    case CEGATE_DATA_TEXT:
    case CEGATE_DATA_BINARY: {
        const unsigned char *p = cegate_event_data_bytes(ev, length);
        out = fuzz_xmalloc(*length + 1);
        memcpy(out, p, *length);
        out[*length] = 0;
        return out;
    }
    default:
        *length = 0;
        return fuzz_xmalloc(1);
    }
}

static int has_data(const cegate_event *ev)
{
    return cegate_event_data_kind(ev) != CEGATE_DATA_NONE;
}

/* What survives HTTP binary mode: every attribute other than
 * datacontenttype with the same canonical string; datacontenttype equal, or
 * absent in `a` and absent or its implied value in `b`; and the same data,
 * compared as JSON values when either side holds JSON, else as bytes, where
 * no data and zero bytes of data are the same (an empty body). */
static int same_event_binary(const cegate_event *a, const cegate_event *b)
{
    size_t na = cegate_event_attribute_count(a);
    size_t nb = cegate_event_attribute_count(b);
    const char *cta = cegate_event_get_string(a, "datacontenttype");
    const char *ctb = cegate_event_get_string(b, "datacontenttype");
    if (na - (cegate_event_get(a, "datacontenttype") != NULL) !=
        nb - (cegate_event_get(b, "datacontenttype") != NULL))
        return 0;
    for (size_t i = 0; i < na; i++) {
        const char *name = cegate_event_attribute_name(a, i);
        if (strcmp(name, "datacontenttype") == 0)
            continue;
        const cegate_value *vb = cegate_event_get(b, name);
        if (vb == NULL ||
            !same_value_text(cegate_event_attribute_value(a, i), vb))
            return 0;
    }
    if (cta != NULL) {
        if (ctb == NULL || strcmp(cta, ctb) != 0)
            return 0;
    } else if (ctb != NULL) {
        const char *implied = cegate_event_effective_content_type(a);
        if (implied == NULL || strcmp(implied, ctb) != 0)
            return 0;
    }

    size_t la, lb;
    json_t *ja, *jb;
    unsigned char *da = data_bytes(a, &la, &ja);
    unsigned char *db = data_bytes(b, &lb, &jb);
    int same;
    if (ja != NULL || jb != NULL) {
        if (ja == NULL && has_data(a))
            ja = json_loadb((const char *)da, la,
                            JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (jb == NULL && has_data(b))
            jb = json_loadb((const char *)db, lb,
                            JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        same = ja != NULL && jb != NULL && json_equal(ja, jb);
    } else {
        same = la == lb && memcmp(da, db, la) == 0;
    }
    json_decref(ja);
    json_decref(jb);
    free(da);
    free(db);
    return same;
}

static void decode_or_fail(const char *what, const char *bytes, size_t n,
                           cegate_event_list *out, const cegate_event *orig)
{
    cegate_error err;
    cegate_error_clear(&err);
    if (cegate_json_decode(bytes, n, NULL, out, &err) < 0) {
        fprintf(stderr, "  encoded: %.*s\n", (int)(n > 4000 ? 4000 : n), bytes);
        fuzz_fail(what, &err, orig, NULL);
    }
    if (err.code != CEGATE_OK)
        fuzz_fail("decoding succeeded but left an error set", &err, orig, NULL);
}

/* One event through the HTTP binding in `mode` and back. */
static void check_http(const cegate_event *ev, cegate_http_mode mode)
{
    cegate_http_message msg;
    cegate_event_list back;
    cegate_error err;
    cegate_limits limits;

    fuzz_stage = mode == CEGATE_HTTP_BINARY ? "http binary" : "http structured";
    cegate_limits_default(&limits);
    cegate_error_clear(&err);
    cegate_http_message_init(&msg, limits.max_output_bytes);
    cegate_event_list_init(&back);
    if (cegate_http_encode(ev, mode, &msg, &err) < 0) {
        /* Binary mode cannot carry an event whose datacontenttype is itself
         * a CloudEvents media type (the receiver would take the message for
         * structured or batched mode); refusing it is the one allowed
         * failure. */
        const char *ct = cegate_event_effective_content_type(ev);
        if (mode == CEGATE_HTTP_BINARY && err.code == CEGATE_ERR_MODE &&
            ct != NULL && strncasecmp(ct, "application/cloudevents", 23) == 0) {
            cegate_http_message_free(&msg);
            return;
        }
        fuzz_fail("cegate_http_encode failed on a decoded event", &err, ev, NULL);
    }

    cegate_header headers[256];
    if (msg.count > sizeof headers / sizeof headers[0])
        fuzz_fail("cegate_http_encode wrote more than 256 headers", NULL, ev, NULL);
    for (size_t i = 0; i < msg.count; i++) {
        headers[i].name = msg.names[i];
        headers[i].value = msg.values[i];
    }
    if (cegate_http_mode_of(headers, msg.count) != mode)
        fuzz_fail("the encoded message is not in the mode it was encoded in",
             NULL, ev, NULL);
    if (cegate_http_decode(headers, msg.count, msg.body.data, msg.body.length,
                           NULL, &back, &err) < 0) {
        /* Binary mode sends data_base64 bytes as they are; when the event
         * says they are JSON and they are not, the receiver rejects the
         * body, which is right: the one failure allowed here. */
        size_t n;
        const unsigned char *bytes = cegate_event_data_bytes(ev, &n);
        if (mode == CEGATE_HTTP_BINARY && err.code == CEGATE_ERR_SYNTAX &&
            strncmp(err.path, "data", 4) == 0 &&
            cegate_event_data_kind(ev) == CEGATE_DATA_BINARY &&
            cegate_media_type_is_json(cegate_event_effective_content_type(ev))) {
            json_t *parsed = json_loadb((const char *)bytes, n, JSON_DECODE_ANY,
                                        NULL);
            if (parsed == NULL) {
                cegate_event_list_free(&back);
                cegate_http_message_free(&msg);
                return;
            }
            json_decref(parsed);
        }
        for (size_t i = 0; i < msg.count; i++)
            fprintf(stderr, "  header %s: %s\n", headers[i].name,
                    headers[i].value);
        fprintf(stderr, "  body: %.*s\n",
                (int)(msg.body.length > 4000 ? 4000 : msg.body.length),
                msg.body.data ? msg.body.data : "");
        fuzz_fail("cegate_http_decode rejected what cegate_http_encode wrote",
             &err, ev, NULL);
    }
    if (back.count != 1)
        fuzz_fail("one encoded event did not decode to one event", NULL, ev, NULL);
    if (mode == CEGATE_HTTP_BINARY ? !same_event_binary(ev, back.events[0])
                                   : !same_event(ev, back.events[0]))
        fuzz_fail("the event changed on its way through the HTTP binding", NULL,
             ev, back.events[0]);
    cegate_event_list_free(&back);
    cegate_http_message_free(&msg);
}

/* Every way of writing the events, read back and compared. */
void fuzz_check_round_trips(const cegate_event_list *list)
{
    cegate_limits limits;
    cegate_error err;
    cegate_buffer first, second;
    cegate_event_list back, again;

    cegate_limits_default(&limits);
    cegate_error_clear(&err);
    cegate_buffer_init(&first, limits.max_output_bytes);
    cegate_buffer_init(&second, limits.max_output_bytes);
    cegate_event_list_init(&back);
    cegate_event_list_init(&again);

    /* The batch, through the JSON format. */
    fuzz_stage = "json batch";
    for (size_t i = 0; i < list->count; i++)
        if (cegate_event_validate(list->events[i], &err) < 0)
            fuzz_fail("a decoded event does not validate", &err, list->events[i],
                 NULL);
    if (cegate_json_encode_batch(list->events, list->count, &first, &err) < 0)
        fuzz_fail("cegate_json_encode_batch failed on decoded events", &err,
             list->count ? list->events[0] : NULL, NULL);
    decode_or_fail("cannot decode what cegate_json_encode_batch wrote",
                   first.data, first.length, &back, NULL);
    if (back.count != list->count)
        fuzz_fail("the batch changed length on a round trip", NULL, NULL, NULL);
    for (size_t i = 0; i < list->count; i++)
        if (!same_event(list->events[i], back.events[i]))
            fuzz_fail("an event changed on a JSON batch round trip", NULL,
                 list->events[i], back.events[i]);

    /* The second encoding is the first one again. */
    fuzz_stage = "json batch fixpoint";
    if (cegate_json_encode_batch(back.events, back.count, &second, &err) < 0)
        fuzz_fail("cegate_json_encode_batch failed on re-decoded events", &err,
             NULL, NULL);
    if (second.length != first.length ||
        memcmp(first.data, second.data, first.length) != 0) {
        fprintf(stderr, "  first:  %s\n  second: %s\n", first.data,
                second.data);
        fuzz_fail("encoding is not a fixpoint after one round trip", NULL, NULL,
             NULL);
    }

    /* The batch, through the HTTP binding's batched mode. */
    fuzz_stage = "http batch";
    {
        cegate_header h[1] = {{"Content-Type", CEGATE_MEDIA_TYPE_BATCH}};
        if (cegate_http_decode(h, 1, first.data, first.length, NULL, &again,
                               &err) < 0)
            fuzz_fail("batched mode rejected what cegate_json_encode_batch wrote",
                 &err, list->count ? list->events[0] : NULL, NULL);
        if (again.count != list->count)
            fuzz_fail("the batch changed length in batched mode", NULL, NULL,
                 NULL);
        for (size_t i = 0; i < list->count; i++)
            if (!same_event(list->events[i], again.events[i]))
                fuzz_fail("an event changed in batched mode", NULL,
                     list->events[i], again.events[i]);
        cegate_event_list_free(&again);
    }

    /* One event at a time, then through the HTTP binding. */
    for (size_t i = 0; i < list->count; i++) {
        const cegate_event *ev = list->events[i];
        fuzz_stage = "json single";
        cegate_buffer_reset(&second);
        if (cegate_json_encode_event(ev, &second, &err) < 0)
            fuzz_fail("cegate_json_encode_event failed on a decoded event", &err,
                 ev, NULL);
        decode_or_fail("cannot decode what cegate_json_encode_event wrote",
                       second.data, second.length, &again, ev);
        if (again.count != 1 || !same_event(ev, again.events[0]))
            fuzz_fail("an event changed on a single-event JSON round trip", NULL,
                 ev, again.count ? again.events[0] : NULL);
        cegate_event_list_free(&again);

        check_http(ev, CEGATE_HTTP_STRUCTURED);
        check_http(ev, CEGATE_HTTP_BINARY);
    }

    cegate_event_list_free(&back);
    cegate_buffer_free(&first);
    cegate_buffer_free(&second);
}
