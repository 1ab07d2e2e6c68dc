/* SPDX-License-Identifier: Apache-2.0 */
/* helpers.c - shared helpers of the CloudEvents core's unit tests (see
 * helpers.h). */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- building events ---------------------------------------------------------- */

const cegate_extension_type sample_types[] = {
    {"extinteger", CEGATE_TYPE_INTEGER},     {"extboolean", CEGATE_TYPE_BOOLEAN},
    {"extstring", CEGATE_TYPE_STRING},       {"extbinary", CEGATE_TYPE_BINARY},
    {"exttimestamp", CEGATE_TYPE_TIMESTAMP}, {"exturi", CEGATE_TYPE_URI},
    {"exturiref", CEGATE_TYPE_URI_REF},
};
const size_t sample_type_count = N(sample_types);

cegate_options sample_options(void)
{
    cegate_options opt;
    cegate_options_init(&opt);
    opt.extensions = sample_types;
    opt.extension_count = sample_type_count;
    return opt;
}

cegate_event *new_event(void)
{
    cegate_event *ev = cegate_event_new();
    cr_assert_not_null(ev, "cegate_event_new returned NULL");
    return ev;
}

void set_str(cegate_event *ev, const char *name, const char *s,
             cegate_type ext_type)
{
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_event_set_string(ev, name, s, strlen(s), ext_type, &err);
    cr_assert_eq(rc, 0, "setting %s to '%s' failed: %s: %s (%s)", name, s,
                 cegate_error_code_name(err.code), err.path, err.text);
    cr_assert_eq(err.code, CEGATE_OK, "err set on success for %s", name);
}

cegate_event *event_with(const char *id, const char *source, const char *type)
{
    cegate_event *ev = new_event();
    set_str(ev, "id", id, 0);
    set_str(ev, "source", source, 0);
    set_str(ev, "type", type, 0);
    return ev;
}

cegate_event *minimal_event(const char *id)
{
    return event_with(id, "/s", "t");
}

cegate_event *sample_minimal_event(const char *id)
{
    return event_with(id, "https://cloudevents.io", "io.cloudevents.test");
}

cegate_event *json_data_event(const char *id, const char *content_type,
                              const char *json)
{
    cegate_event *ev = minimal_event(id);
    set_str(ev, "datacontenttype", content_type, 0);
    json_t *data = json_loads(json, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(data, "bad test JSON %s", json);
    cr_assert_eq(cegate_event_set_data_json(ev, data, NULL), 0);
    json_decref(data);
    return ev;
}

cegate_event *text_data_event(const char *id, const char *content_type,
                              const char *text)
{
    cegate_event *ev = minimal_event(id);
    set_str(ev, "datacontenttype", content_type, 0);
    cr_assert_eq(cegate_event_set_data_text(ev, text, strlen(text), NULL), 0);
    return ev;
}

cegate_event *all_extension_types_event(const char *text)
{
    cegate_event *ev = minimal_event("allExtensionTypes");
    set_str(ev, "extinteger", "-2147483648", CEGATE_TYPE_INTEGER);
    set_str(ev, "extboolean", "false", CEGATE_TYPE_BOOLEAN);
    set_str(ev, "extstring", text, CEGATE_TYPE_STRING);
    set_str(ev, "extbinary", "AAEC/w==", CEGATE_TYPE_BINARY);
    set_str(ev, "exttimestamp", "2023-03-31T15:12:00-07:00",
            CEGATE_TYPE_TIMESTAMP);
    set_str(ev, "exturi", "https://cloudevents.io", CEGATE_TYPE_URI);
    set_str(ev, "exturiref", "//authority/path", CEGATE_TYPE_URI_REF);
    return ev;
}

cegate_event *binary_data_event(void)
{
    cegate_event *ev = minimal_event("binary");
    set_str(ev, "datacontenttype", "application/octet-stream", 0);
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)(255 - i);
    cr_assert_eq(cegate_event_set_data_binary(ev, bytes, sizeof bytes, NULL),
                 0);
    return ev;
}

void expect_string_attr(const cegate_event *ev, const char *name,
                        const char *want)
{
    const char *got = cegate_event_get_string(ev, name);
    cr_assert_not_null(got, "%s: absent, want '%s'", name, want);
    cr_assert_str_eq(got, want, "%s: got '%s', want '%s'", name, got, want);
}

void expect_bytes(const cegate_event *ev, cegate_data_kind kind,
                  const void *want, size_t want_len)
{
    cr_assert_eq(cegate_event_data_kind(ev), kind, "data kind %d, want %d",
                 cegate_event_data_kind(ev), kind);
    size_t n = 0;
    const unsigned char *got = cegate_event_data_bytes(ev, &n);
    cr_assert_not_null(got);
    cr_assert_eq(n, want_len, "data length %zu, want %zu", n, want_len);
    cr_assert_arr_eq(got, want, want_len);
}

/* ---- decoding ------------------------------------------------------------------ */

cegate_event *seeded_list(cegate_event_list *list)
{
    cegate_event_list_init(list);
    cegate_event *seed = new_event();
    cr_assert_eq(cegate_event_list_append(list, seed, NULL), 0);
    return seed;
}

void expect_untouched(cegate_event_list *list)
{
    cr_assert_eq(list->count, 1, "%zu events appended on failure",
                 list->count - 1);
    cegate_event_list_free(list);
}

/* After a decode that must have succeeded: its one event, copied. `input`
 * is shown when it did not. */
static cegate_event *only_event(int rc, cegate_event_list *list,
                                const cegate_error *err, const char *input)
{
    cr_assert_eq(rc, 0, "decode failed: %s at '%s': %s\n%.300s",
                 cegate_error_code_name(err->code), err->path, err->text,
                 input);
    cr_assert_eq(err->code, CEGATE_OK, "err set on success");
    cr_assert_eq(list->count, 1, "want one event, got %zu", list->count);
    cegate_event *ev = cegate_event_copy(list->events[0]);
    cr_assert_not_null(ev);
    cegate_event_list_free(list);
    return ev;
}

cegate_event *json_decode_one(const char *json, size_t length,
                              const cegate_options *opt)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_json_decode(json, length, opt, &list, &err);
    return only_event(rc, &list, &err, json);
}

cegate_event *http_decode_one(const cegate_header *h, size_t count,
                              const void *body, size_t length,
                              const cegate_options *opt)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_http_decode(h, count, body, length, opt, &list, &err);
    return only_event(rc, &list, &err, "");
}

/* After a decode into a list seeded with `seed` that must have failed. */
static cegate_error failure(int rc, cegate_event_list *list,
                            const cegate_event *seed, const cegate_error *err,
                            const char *input)
{
    cr_assert_eq(rc, -1, "decode accepted: %.300s", input);
    cr_assert_neq(err->code, CEGATE_OK, "failure without an error code: %.300s",
                  input);
    cr_assert_eq(list->count, 1, "%zu events appended on failure",
                 list->count - 1);
    cr_assert_eq(list->events[0], seed, "the list was disturbed");
    cegate_event_list_free(list);
    return *err;
}

cegate_error json_decode_fail(const char *json, size_t length,
                              const cegate_options *opt)
{
    cegate_event_list list;
    cegate_event *seed = seeded_list(&list);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_json_decode(json, length, opt, &list, &err);
    return failure(rc, &list, seed, &err, json);
}

cegate_error http_decode_fail(const cegate_header *h, size_t count,
                              const void *body, size_t length,
                              const cegate_options *opt)
{
    cegate_event_list list;
    cegate_event *seed = seeded_list(&list);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_http_decode(h, count, body, length, opt, &list, &err);
    return failure(rc, &list, seed, &err, "the HTTP message");
}
