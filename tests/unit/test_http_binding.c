/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_binding.c - the CloudEvents HTTP protocol binding (cegate/format.h).
 *
 * Covers: choosing the content mode from Content-Type, header lookup,
 * binary-mode decoding (ce- headers, Content-Type, the body as JSON, text or
 * bytes, percent-decoding and quoted strings, typed extensions, conflicts),
 * structured and batched mode, binary and structured encoding (header values
 * percent-encoded as the binding says, canonical extension strings), encode ->
 * decode round trips, and the header value codec on its own.
 *
 * Errors are checked for their code and for err.path, which names the header
 * the user sent ("ce-subject") or, in structured mode, the JSON field.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cegate/cegate.h"
#include "helpers.h"

/* ---- helpers ------------------------------------------------------------ */

static cegate_event *decode_one(const cegate_header *h, size_t count,
                                const char *body)
{
    return http_decode_one(h, count, body, body ? strlen(body) : 0, NULL);
}

static cegate_error decode_fail(const cegate_header *h, size_t count,
                                const char *body)
{
    return http_decode_fail(h, count, body, body ? strlen(body) : 0, NULL);
}

/* The four required headers plus one more. */
static cegate_event *decode_with_header(const char *name, const char *value)
{
    cegate_header h[] = {REQUIRED_HEADERS, {name, value}};
    return decode_one(h, N(h), NULL);
}

static cegate_error fail_with_header(const char *name, const char *value)
{
    cegate_header h[] = {REQUIRED_HEADERS, {name, value}};
    return decode_fail(h, N(h), NULL);
}

/* A header of an encoded message by case-insensitive name; NULL when
 * absent. Every header may appear at most once. */
static const char *msg_find(const cegate_http_message *m, const char *name)
{
    const char *found = NULL;
    for (size_t i = 0; i < m->count; i++) {
        cr_assert_not_null(m->names[i]);
        cr_assert_not_null(m->values[i]);
        if (strcasecmp(m->names[i], name) == 0) {
            cr_assert_null(found, "header %s written twice", name);
            found = m->values[i];
        }
    }
    return found;
}

static void expect_msg_header(const cegate_http_message *m, const char *name,
                              const char *want)
{
    const char *got = msg_find(m, name);
    cr_assert_not_null(got, "header %s missing, want '%s'", name, want);
    cr_assert_str_eq(got, want, "header %s: got '%s', want '%s'", name, got,
                     want);
}

static void encode_msg(const cegate_event *ev, cegate_http_mode mode,
                       cegate_http_message *msg)
{
    cegate_http_message_init(msg, OUTPUT_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_http_encode(ev, mode, msg, &err);
    cr_assert_eq(rc, 0, "encode failed: %s at '%s': %s",
                 cegate_error_code_name(err.code), err.path, err.text);
}

/* Decode what cegate_http_encode wrote, as a receiver would. */
static cegate_event *decode_msg(const cegate_http_message *msg,
                                const cegate_options *opt)
{
    cegate_header *h = calloc(msg->count + 1, sizeof *h);
    cr_assert_not_null(h);
    for (size_t i = 0; i < msg->count; i++) {
        h[i].name = msg->names[i];
        h[i].value = msg->values[i];
    }
    cegate_event *ev = http_decode_one(h, msg->count, msg->body.data,
                                       msg->body.length, opt);
    free(h);
    return ev;
}

/* ---- content mode ------------------------------------------------------- */

Test(mode, from_content_type)
{
    struct {
        const char *content_type;
        cegate_http_mode want;
    } cases[] = {
        {"application/cloudevents+json", CEGATE_HTTP_STRUCTURED},
        {"application/cloudevents+json; charset=UTF-8", CEGATE_HTTP_STRUCTURED},
        {"application/cloudevents-batch+json", CEGATE_HTTP_BATCH},
        {"application/cloudevents-batch+json; charset=utf-8", CEGATE_HTTP_BATCH},
        /* Media types compare case-insensitively. */
        {"Application/CloudEvents+JSON", CEGATE_HTTP_STRUCTURED},
        {"APPLICATION/CLOUDEVENTS-BATCH+JSON", CEGATE_HTTP_BATCH},
        /* Other formats are still structured mode (and then refused). */
        {"application/cloudevents+avro", CEGATE_HTTP_STRUCTURED},
        {"application/json", CEGATE_HTTP_BINARY},
        {"text/plain", CEGATE_HTTP_BINARY},
        {"application/octet-stream", CEGATE_HTTP_BINARY},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_header h[] = {{"ce-id", "1"},
                             {"Content-Type", cases[i].content_type}};
        cr_assert_eq(cegate_http_mode_of(h, N(h)), cases[i].want,
                     "'%s': mode %d, want %d", cases[i].content_type,
                     cegate_http_mode_of(h, N(h)), cases[i].want);
    }
}

Test(mode, header_name_case_insensitive_and_absent_is_binary)
{
    cegate_header lower[] = {{"content-type", "application/cloudevents+json"}};
    cr_assert_eq(cegate_http_mode_of(lower, 1), CEGATE_HTTP_STRUCTURED);
    cegate_header upper[] = {
        {"CONTENT-TYPE", "application/cloudevents-batch+json"}};
    cr_assert_eq(cegate_http_mode_of(upper, 1), CEGATE_HTTP_BATCH);

    cegate_header none[] = {{"ce-specversion", "1.0"}, {"ce-id", "1"}};
    cr_assert_eq(cegate_http_mode_of(none, N(none)), CEGATE_HTTP_BINARY);
    cr_assert_eq(cegate_http_mode_of(NULL, 0), CEGATE_HTTP_BINARY);
    /* A ce-datacontenttype header is not the Content-Type. */
    cegate_header ce_ct[] = {
        {"ce-datacontenttype", "application/cloudevents+json"}};
    cr_assert_eq(cegate_http_mode_of(ce_ct, 1), CEGATE_HTTP_BINARY);
}

Test(headers, find_is_case_insensitive)
{
    cegate_header h[] = {{"Host", "example.com"},
                         {"Content-Type", "text/plain"},
                         {"ce-ID", "42"}};
    cr_assert_str_eq(cegate_header_find(h, N(h), "content-type"), "text/plain");
    cr_assert_str_eq(cegate_header_find(h, N(h), "CONTENT-TYPE"), "text/plain");
    cr_assert_str_eq(cegate_header_find(h, N(h), "ce-id"), "42");
    cr_assert_str_eq(cegate_header_find(h, N(h), "HOST"), "example.com");
    /* Whole names only. */
    cr_assert_null(cegate_header_find(h, N(h), "content"));
    cr_assert_null(cegate_header_find(h, N(h), "content-type-x"));
    cr_assert_null(cegate_header_find(h, N(h), "ce-i"));
    cr_assert_null(cegate_header_find(h, N(h), "ce-source"));
    cr_assert_null(cegate_header_find(NULL, 0, "ce-id"));
}

/* ---- binary mode: attributes --------------------------------------------- */

Test(binary_decode, minimal_without_body)
{
    cegate_header h[] = {REQUIRED_HEADERS};
    cegate_event *ev = decode_one(h, N(h), NULL);
    expect_string_attr(ev, "specversion", "1.0");
    expect_string_attr(ev, "id", "1");
    expect_string_attr(ev, "source", "/s");
    expect_string_attr(ev, "type", "t");
    cr_assert_eq(cegate_event_attribute_count(ev), 4);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_NONE);
    cr_assert_null(cegate_event_get(ev, "datacontenttype"));
    cr_assert_null(cegate_event_effective_content_type(ev));
    cegate_event_free(ev);
}

Test(binary_decode, header_names_case_insensitive)
{
    cegate_header h[] = {{"CE-SPECVERSION", "1.0"},
                         {"Ce-Id", "abc"},
                         {"cE-sOuRcE", "https://example.com/x"},
                         {"CE-Type", "com.example"},
                         {"Ce-Subject", "sub"},
                         {"CE-MYEXT", "value"}};
    cegate_event *ev = decode_one(h, N(h), NULL);
    expect_string_attr(ev, "id", "abc");
    expect_string_attr(ev, "source", "https://example.com/x");
    expect_string_attr(ev, "type", "com.example");
    expect_string_attr(ev, "subject", "sub");
    /* Attribute names are lower case; the header's case is not kept. */
    expect_string_attr(ev, "myext", "value");
    cr_assert_null(cegate_event_get(ev, "MYEXT"));
    cr_assert_eq(cegate_event_attribute_count(ev), 6);
    cegate_event_free(ev);
}

Test(binary_decode, every_core_attribute_and_other_headers_ignored)
{
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"ce-subject", "orders/1"},
                         {"ce-dataschema", "https://example.com/schema"},
                         {"ce-time", "2018-04-05T17:31:00Z"},
                         {"Host", "example.com"},
                         {"Content-Length", "0"},
                         {"X-Ce-Fake", "no"},
                         {"cex-fake", "no"},
                         {"ce", "no"}};
    cegate_event *ev = decode_one(h, N(h), NULL);
    expect_string_attr(ev, "subject", "orders/1");
    expect_string_attr(ev, "dataschema", "https://example.com/schema");
    expect_string_attr(ev, "time", "2018-04-05T17:31:00Z");
    cr_assert_eq(cegate_event_get(ev, "time")->type, CEGATE_TYPE_TIMESTAMP);
    cr_assert_eq(cegate_event_get(ev, "dataschema")->type, CEGATE_TYPE_URI);
    cr_assert_eq(cegate_event_attribute_count(ev), 7,
                 "non-ce headers became attributes");
    cegate_event_free(ev);
}

Test(binary_decode, missing_required_headers_named)
{
    cegate_header no_id[] = {{"ce-specversion", "1.0"},
                             {"ce-source", "/s"},
                             {"ce-type", "t"}};
    assert_error(decode_fail(no_id, N(no_id), NULL), CEGATE_ERR_MISSING,
                 "ce-id");
    cegate_header no_source[] = {{"ce-specversion", "1.0"},
                                 {"ce-id", "1"},
                                 {"ce-type", "t"}};
    assert_error(decode_fail(no_source, N(no_source), NULL),
                 CEGATE_ERR_MISSING, "ce-source");
    cegate_header no_type[] = {{"ce-specversion", "1.0"},
                               {"ce-id", "1"},
                               {"ce-source", "/s"}};
    assert_error(decode_fail(no_type, N(no_type), NULL), CEGATE_ERR_MISSING,
                 "ce-type");
    cegate_header empty_id[] = {{"ce-specversion", "1.0"},
                                {"ce-id", ""},
                                {"ce-source", "/s"},
                                {"ce-type", "t"}};
    assert_error(decode_fail(empty_id, N(empty_id), NULL), CEGATE_ERR_EMPTY,
                 "ce-id");
}

Test(binary_decode, specversion_required_and_checked)
{
    cegate_header no_sv[] = {{"ce-id", "1"},
                             {"ce-source", "/s"},
                             {"ce-type", "t"},
                             {"Content-Type", "text/plain"}};
    assert_error(decode_fail(no_sv, N(no_sv), "hello"), CEGATE_ERR_MISSING,
                 "ce-specversion");
    /* A plain HTTP request without any ce- header is not a CloudEvent. */
    cegate_header plain[] = {{"Content-Type", "application/json"}};
    assert_error(decode_fail(plain, N(plain), "{}"), CEGATE_ERR_MISSING,
                 "ce-specversion");

    cegate_header bad_sv[] = {{"ce-specversion", "0.9"},
                              {"ce-id", "1"},
                              {"ce-source", "/s"},
                              {"ce-type", "t"}};
    assert_error(decode_fail(bad_sv, N(bad_sv), NULL), CEGATE_ERR_SPECVERSION,
                 "ce-specversion");
}

Test(binary_decode, bad_core_values_name_the_header)
{
    assert_error(fail_with_header("ce-time", "lunchtime"), CEGATE_ERR_VALUE,
                 "ce-time");
    assert_error(fail_with_header("ce-dataschema", "#fragment"),
                 CEGATE_ERR_VALUE, "ce-dataschema");
    assert_error(fail_with_header("ce-subject", ""), CEGATE_ERR_EMPTY,
                 "ce-subject");
    /* The path is the header as the sender spelt it. */
    assert_error(fail_with_header("CE-Time", "2018-04-05T18:31Z"),
                 CEGATE_ERR_VALUE, "CE-Time");
}

Test(binary_decode, duplicate_headers_conflict)
{
    cegate_header twice[] = {{"ce-specversion", "1.0"},
                             {"ce-id", "1"},
                             {"ce-source", "/s"},
                             {"ce-type", "t"},
                             {"ce-id", "2"}};
    assert_error(decode_fail(twice, N(twice), NULL), CEGATE_ERR_CONFLICT,
                 "ce-id");

    cegate_header sv_twice[] = {REQUIRED_HEADERS, {"ce-specversion", "1.0"}};
    assert_error(decode_fail(sv_twice, N(sv_twice), NULL), CEGATE_ERR_CONFLICT,
                 "ce-specversion");
}

/* Content-Type is the data's type: two of them are as ambiguous as two
 * ce-id, in any case and whatever their values. */
Test(binary_decode, two_content_types_conflict)
{
    cegate_header same[] = {REQUIRED_HEADERS,
                            {"Content-Type", "application/json"},
                            {"Content-Type", "application/json"}};
    assert_error(decode_fail(same, N(same), "{}"), CEGATE_ERR_CONFLICT,
                 "Content-Type");
    cegate_header cased[] = {REQUIRED_HEADERS,
                             {"content-type", "text/plain"},
                             {"CONTENT-TYPE", "application/json"}};
    assert_error(decode_fail(cased, N(cased), "{}"), CEGATE_ERR_CONFLICT,
                 "CONTENT-TYPE");
    /* Structured mode: the first would choose it, the second would not. */
    cegate_header modes[] = {{"Content-Type", "application/cloudevents+json"},
                             {"Content-Type", "text/plain"}};
    assert_error(decode_fail(modes, N(modes), "{" MINIMAL_MEMBERS "}"),
                 CEGATE_ERR_CONFLICT, "Content-Type");
}

Test(binary_decode, typed_extensions_from_options)
{
    cegate_options opt = sample_options();
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"ce-extinteger", "-10"},
                         {"ce-extboolean", "true"},
                         {"ce-extstring", "10"},
                         {"ce-extbinary", "TWE="},
                         {"ce-exttimestamp", "2023-03-31T15:12:00%2B01:00"},
                         {"ce-exturi", "https://cloudevents.io"},
                         {"ce-exturiref", "//authority/path"},
                         {"ce-unknown", "10"}};
    cegate_event *ev = http_decode_one(h, N(h), NULL, 0, &opt);
    const cegate_value *v = cegate_event_get(ev, "extinteger");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, CEGATE_TYPE_INTEGER);
    cr_assert_eq(v->u.integer, -10);
    v = cegate_event_get(ev, "extboolean");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, CEGATE_TYPE_BOOLEAN);
    cr_assert_eq(v->u.boolean, 1);
    v = cegate_event_get(ev, "extstring");
    cr_assert_eq(v->type, CEGATE_TYPE_STRING);
    cr_assert_str_eq(v->u.string, "10");
    v = cegate_event_get(ev, "extbinary");
    cr_assert_eq(v->type, CEGATE_TYPE_BINARY);
    cr_assert_eq(v->u.binary.length, 2);
    cr_assert_arr_eq(v->u.binary.bytes, "Ma", 2);
    v = cegate_event_get(ev, "exttimestamp");
    cr_assert_eq(v->type, CEGATE_TYPE_TIMESTAMP);
    cr_assert_str_eq(v->u.string, "2023-03-31T15:12:00+01:00");
    cr_assert_eq(cegate_event_get(ev, "exturi")->type, CEGATE_TYPE_URI);
    cr_assert_eq(cegate_event_get(ev, "exturiref")->type, CEGATE_TYPE_URI_REF);
    /* Extensions the caller did not type are Strings: headers have no
     * native types. */
    v = cegate_event_get(ev, "unknown");
    cr_assert_eq(v->type, CEGATE_TYPE_STRING);
    cr_assert_str_eq(v->u.string, "10");
    cegate_event_free(ev);
}

Test(binary_decode, typed_extensions_bad_values_name_the_header)
{
    cegate_options opt = sample_options();
    struct {
        const char *name, *value;
        cegate_error_code code;
    } cases[] = {
        {"ce-extinteger", "ten", CEGATE_ERR_VALUE},
        {"ce-extinteger", "2147483648", CEGATE_ERR_VALUE},
        {"ce-extboolean", "TRUE", CEGATE_ERR_VALUE},
        {"ce-extbinary", "TWE", CEGATE_ERR_ENCODING},
        {"ce-exttimestamp", "lunchtime", CEGATE_ERR_VALUE},
        {"ce-exturi", "%2Frelative", CEGATE_ERR_VALUE},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_header h[] = {REQUIRED_HEADERS, {cases[i].name, cases[i].value}};
        cegate_error err = http_decode_fail(h, N(h), NULL, 0, &opt);
        cr_assert_eq(err.code, cases[i].code, "%s: %s: code %s (%s)",
                     cases[i].name, cases[i].value,
                     cegate_error_code_name(err.code), err.text);
        cr_assert_str_eq(err.path, cases[i].name, "%s: %s: path '%s'",
                         cases[i].name, cases[i].value, err.path);
    }
}

/* ---- binary mode: header value decoding ---------------------------------- */

Test(binary_decode, percent_decoding)
{
    struct {
        const char *raw, *want;
    } cases[] = {
        {"Euro%20%E2%82%AC%20%F0%9F%98%80",
         "Euro \xe2\x82\xac \xf0\x9f\x98\x80"},
        /* Lower-case hex is accepted. */
        {"Euro%20%e2%82%ac", "Euro \xe2\x82\xac"},
        /* Needlessly encoded characters are decoded too. */
        {"%41%62%63", "Abc"},
        {"100%25", "100%"},
        {"%22quoted%22", "\"quoted\""},
        /* '+' is not a space: this is not form encoding. */
        {"a+b", "a+b"},
        /* Exactly one round of decoding. */
        {"%252F", "%2F"},
        {"plain", "plain"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_event *ev = decode_with_header("ce-subject", cases[i].raw);
        const char *got = cegate_event_get_string(ev, "subject");
        cr_assert_not_null(got);
        cr_assert_str_eq(got, cases[i].want, "'%s' decoded to '%s', want '%s'",
                         cases[i].raw, got, cases[i].want);
        cegate_event_free(ev);
    }
}

Test(binary_decode, quoted_string_values_unquoted)
{
    struct {
        const char *raw, *want;
    } cases[] = {
        {"\"hello world\"", "hello world"},
        {"\"a\\\"b\"", "a\"b"},
        {"\"back\\\\slash\"", "back\\slash"},
        /* Unquoting comes first, then percent-decoding. */
        {"\"Euro%20%E2%82%AC\"", "Euro \xe2\x82\xac"},
        /* A quote inside a value that is not a quoted-string stays. */
        {"a\"b", "a\"b"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_event *ev = decode_with_header("ce-subject", cases[i].raw);
        const char *got = cegate_event_get_string(ev, "subject");
        cr_assert_not_null(got);
        cr_assert_str_eq(got, cases[i].want, "%s decoded to '%s', want '%s'",
                         cases[i].raw, got, cases[i].want);
        cegate_event_free(ev);
    }
}

Test(binary_decode, bad_percent_encoding_and_utf8_rejected)
{
    struct {
        const char *raw;
        cegate_error_code code1, code2;
    } cases[] = {
        {"%C0%A0", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING},   /* overlong */
        {"Euro%E2%82", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING}, /* truncated */
        {"%zz", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING},
        {"abc%", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING},
        {"abc%4", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING},
        {"%E2%28%A1", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING},
        {"%FF", CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING},
        /* A surrogate in UTF-8 is bad UTF-8 and a forbidden code point. */
        {"%ED%A0%80", CEGATE_ERR_ENCODING, CEGATE_ERR_VALUE},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_error err = fail_with_header("ce-subject", cases[i].raw);
        cr_assert(err.code == cases[i].code1 || err.code == cases[i].code2,
                  "'%s': code %s (%s)", cases[i].raw,
                  cegate_error_code_name(err.code), err.text);
        cr_assert_str_eq(err.path, "ce-subject", "'%s': path '%s'",
                         cases[i].raw, err.path);
    }
    /* The same in an extension names that header. */
    assert_error(fail_with_header("ce-myext", "%C0%A0"), CEGATE_ERR_ENCODING,
                 "ce-myext");
}

Test(binary_decode, control_characters_rejected)
{
    const char *bad[] = {"line1%0D%0Aline2", "a%0Ab", "nul%00", "del%7F",
                         "c1%C2%85"};
    for (size_t i = 0; i < N(bad); i++) {
        cegate_error err = fail_with_header("ce-subject", bad[i]);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "'%s': code %s (%s)", bad[i],
                     cegate_error_code_name(err.code), err.text);
        cr_assert_str_eq(err.path, "ce-subject", "'%s': path '%s'", bad[i],
                         err.path);
    }
    /* In a required attribute too (a header splitting attempt). */
    cegate_header h[] = {{"ce-specversion", "1.0"},
                         {"ce-id", "x%0D%0AInjected: 1"},
                         {"ce-source", "/s"},
                         {"ce-type", "t"}};
    assert_error(decode_fail(h, N(h), NULL), CEGATE_ERR_VALUE, "ce-id");
}

/* ---- binary mode: the body ------------------------------------------------ */

Test(binary_decode, content_type_becomes_datacontenttype_json_body)
{
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"Content-Type", "application/json"}};
    cegate_event *ev = decode_one(h, N(h), "{\"a\":[1,2,{\"b\":null}]}");
    expect_string_attr(ev, "datacontenttype", "application/json");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    json_t *want = json_loads("{\"a\":[1,2,{\"b\":null}]}", 0, NULL);
    cr_assert(json_equal(cegate_event_data_json(ev), want));
    json_decref(want);
    cegate_event_free(ev);

    /* Any JSON value, and any +json type with parameters. */
    cegate_header h2[] = {
        REQUIRED_HEADERS,
        {"Content-Type", "application/vnd.example+json; charset=utf-8"}};
    ev = decode_one(h2, N(h2), "\"I'm just a string\"");
    expect_string_attr(ev, "datacontenttype",
                       "application/vnd.example+json; charset=utf-8");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cr_assert_str_eq(json_string_value(cegate_event_data_json(ev)),
                     "I'm just a string");
    cegate_event_free(ev);

    /* No ce-datacontenttype header is needed, and none is created. */
    cegate_header h3[] = {REQUIRED_HEADERS, {"content-type", "Text/JSON"}};
    ev = decode_one(h3, N(h3), "[1]");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cegate_event_free(ev);
}

Test(binary_decode, invalid_json_body_rejected)
{
    const char *bodies[] = {"not json", "{\"a\":", "{} {}", "\xff"};
    for (size_t i = 0; i < N(bodies); i++) {
        cegate_header h[] = {REQUIRED_HEADERS,
                             {"Content-Type", "application/json"}};
        cegate_error err = decode_fail(h, N(h), bodies[i]);
        cr_assert_eq(strncmp(err.path, "data", 4), 0,
                     "'%s': path '%s' should start with data (%s: %s)",
                     bodies[i], err.path, cegate_error_code_name(err.code),
                     err.text);
    }
}

Test(binary_decode, text_media_types_give_text_data)
{
    const char *types[] = {
        "text/plain",
        "text/plain; charset=utf-8",
        "TEXT/CSV",
        "text/html",
        "application/xml",
        "image/svg+xml",
        "application/atom+xml; type=entry",
        "application/x-custom; charset=utf-8",
    };
    const char *body = "Caf\xc3\xa9 <b>\n\t\xe2\x82\xac</b>";
    for (size_t i = 0; i < N(types); i++) {
        cegate_header h[] = {REQUIRED_HEADERS, {"Content-Type", types[i]}};
        cegate_event *ev = decode_one(h, N(h), body);
        cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_TEXT,
                     "%s: data kind %d, want TEXT", types[i],
                     cegate_event_data_kind(ev));
        expect_bytes(ev, CEGATE_DATA_TEXT, body, strlen(body));
        expect_string_attr(ev, "datacontenttype", types[i]);
        cegate_event_free(ev);
    }
}

Test(binary_decode, charset_parameter_name_case_insensitive)
{
    /* Media type parameter names compare case-insensitively (RFC 2045 §5.1;
     * CloudEvents main §datacontenttype): "Charset=" is a charset parameter. */
    const char *types[] = {"application/x-custom; Charset=utf-8",
                           "application/x-custom;CHARSET=UTF-8"};
    for (size_t i = 0; i < N(types); i++) {
        cegate_header h[] = {REQUIRED_HEADERS, {"Content-Type", types[i]}};
        cegate_event *ev = decode_one(h, N(h), "hello");
        cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_TEXT,
                     "%s: data kind %d, want TEXT", types[i],
                     cegate_event_data_kind(ev));
        cegate_event_free(ev);
    }
}

Test(binary_decode, text_type_but_not_utf8_or_with_nul_is_binary)
{
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"Content-Type", "text/plain; charset=iso-8859-1"}};
    const char latin1[] = "caf\xe9";
    cegate_event *ev = http_decode_one(h, N(h), latin1, 4, NULL);
    expect_bytes(ev, CEGATE_DATA_BINARY, latin1, 4);
    expect_string_attr(ev, "datacontenttype", "text/plain; charset=iso-8859-1");
    cegate_event_free(ev);

    cegate_header h2[] = {REQUIRED_HEADERS, {"Content-Type", "text/plain"}};
    const char with_nul[] = {'a', '\0', 'b'};
    ev = http_decode_one(h2, N(h2), with_nul, 3, NULL);
    expect_bytes(ev, CEGATE_DATA_BINARY, with_nul, 3);
    cegate_event_free(ev);
}

Test(binary_decode, other_bodies_are_bytes)
{
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"Content-Type", "application/octet-stream"}};
    cegate_event *ev = http_decode_one(h, N(h), bytes, sizeof bytes, NULL);
    expect_bytes(ev, CEGATE_DATA_BINARY, bytes, sizeof bytes);
    cegate_event_free(ev);

    /* Valid UTF-8 in a non-text type is still bytes. */
    cegate_header png[] = {REQUIRED_HEADERS, {"Content-Type", "image/png"}};
    ev = decode_one(png, N(png), "hello");
    expect_bytes(ev, CEGATE_DATA_BINARY, "hello", 5);
    cegate_event_free(ev);

    /* No Content-Type: bytes, and no content type is invented. */
    cegate_header none[] = {REQUIRED_HEADERS};
    ev = decode_one(none, N(none), "{\"a\":1}");
    expect_bytes(ev, CEGATE_DATA_BINARY, "{\"a\":1}", 7);
    cr_assert_null(cegate_event_get(ev, "datacontenttype"));
    cr_assert_null(cegate_event_effective_content_type(ev));
    cegate_event_free(ev);
}

Test(binary_decode, no_body_means_no_data)
{
    const char *types[] = {"text/plain", "application/json",
                           "application/octet-stream"};
    for (size_t i = 0; i < N(types); i++) {
        cegate_header h[] = {REQUIRED_HEADERS, {"Content-Type", types[i]}};
        cegate_event *ev = http_decode_one(h, N(h), "", 0, NULL);
        cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_NONE,
                     "%s: empty body gave data kind %d", types[i],
                     cegate_event_data_kind(ev));
        expect_string_attr(ev, "datacontenttype", types[i]);
        cegate_event_free(ev);
    }
}

/* ---- structured and batched mode ------------------------------------------- */

#define MINIMAL_MEMBERS                                                       \
    "\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\""

Test(structured_decode, event_in_the_body)
{
    cegate_header h[] = {
        {"Content-Type", "application/cloudevents+json; charset=UTF-8"},
        /* The body is authoritative; ce- headers beside it do not count. */
        {"ce-id", "from-header"},
        {"ce-subject", "from-header"}};
    cegate_event *ev = decode_one(
        h, N(h),
        "{\"specversion\":\"1.0\",\"id\":\"body-id\",\"source\":\"/s\","
        "\"type\":\"t\",\"datacontenttype\":\"application/json\","
        "\"data\":{\"k\":\"v\"}}");
    expect_string_attr(ev, "id", "body-id");
    cr_assert_null(cegate_event_get(ev, "subject"));
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cr_assert_str_eq(
        json_string_value(json_object_get(cegate_event_data_json(ev), "k")),
        "v");
    cegate_event_free(ev);

    /* Without a charset, in any letter case. */
    cegate_header h2[] = {{"content-type", "Application/CloudEvents+JSON"}};
    ev = decode_one(h2, N(h2), "{" MINIMAL_MEMBERS "}");
    expect_string_attr(ev, "id", "1");
    cegate_event_free(ev);
}

Test(structured_decode, errors_name_the_field)
{
    cegate_header h[] = {{"Content-Type", "application/cloudevents+json"}};
    assert_error(decode_fail(h, N(h),
                             "{\"specversion\":\"1.0\",\"source\":\"/s\","
                             "\"type\":\"t\"}"),
                 CEGATE_ERR_MISSING, "id");
    assert_error(decode_fail(h, N(h),
                             "{" MINIMAL_MEMBERS ",\"time\":\"lunchtime\"}"),
                 CEGATE_ERR_VALUE, "time");
    cegate_error err = decode_fail(h, N(h), "{" MINIMAL_MEMBERS ",");
    cr_assert_eq(err.code, CEGATE_ERR_SYNTAX, "code %s",
                 cegate_error_code_name(err.code));
}

Test(structured_decode, charset_must_be_utf8)
{
    cegate_header utf8[] = {
        {"Content-Type", "application/cloudevents+json; charset=utf-8"}};
    cegate_event *ev = decode_one(utf8, N(utf8), "{" MINIMAL_MEMBERS "}");
    cegate_event_free(ev);

    const char *bad[] = {"application/cloudevents+json; charset=latin1",
                         "application/cloudevents+json; charset=ISO-8859-1",
                         "application/cloudevents+json; charset=utf-16"};
    for (size_t i = 0; i < N(bad); i++) {
        cegate_header h[] = {{"Content-Type", bad[i]}};
        cegate_error err = decode_fail(h, N(h), "{" MINIMAL_MEMBERS "}");
        cr_assert(err.code == CEGATE_ERR_ENCODING || err.code == CEGATE_ERR_MODE,
                  "%s: code %s (%s)", bad[i], cegate_error_code_name(err.code),
                  err.text);
        cr_assert(strcasecmp(err.path, "Content-Type") == 0,
                  "%s: path '%s' should name Content-Type", bad[i], err.path);
    }
}

Test(structured_decode, other_formats_refused)
{
    const char *bad[] = {"application/cloudevents+avro",
                         "application/cloudevents+protobuf",
                         "application/cloudevents"};
    for (size_t i = 0; i < N(bad); i++) {
        cegate_header h[] = {{"Content-Type", bad[i]}};
        cegate_error err = decode_fail(h, N(h), "{" MINIMAL_MEMBERS "}");
        cr_assert_eq(err.code, CEGATE_ERR_MODE, "%s: code %s (%s)", bad[i],
                     cegate_error_code_name(err.code), err.text);
        cr_assert(strcasecmp(err.path, "Content-Type") == 0,
                  "%s: path '%s' should name Content-Type", bad[i], err.path);
    }
}

Test(structured_decode, array_body_is_not_an_event)
{
    cegate_header h[] = {{"Content-Type", "application/cloudevents+json"}};
    cegate_error err = decode_fail(h, N(h), "[{" MINIMAL_MEMBERS "}]");
    cr_assert(err.code == CEGATE_ERR_TYPE || err.code == CEGATE_ERR_MODE,
              "code %s (%s)", cegate_error_code_name(err.code), err.text);
    err = decode_fail(h, N(h), "[]");
    cr_assert(err.code == CEGATE_ERR_TYPE || err.code == CEGATE_ERR_MODE,
              "code %s (%s)", cegate_error_code_name(err.code), err.text);
}

Test(batch_decode, events_in_order)
{
    cegate_header h[] = {
        {"Content-Type", "application/cloudevents-batch+json; charset=utf-8"}};
    const char *body =
        "[{\"specversion\":\"1.0\",\"id\":\"a\",\"source\":\"/s\",\"type\":\"t\"},"
        "{\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\",\"type\":\"t\"},"
        "{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"/x\",\"type\":\"u\","
        "\"datacontenttype\":\"text/plain\",\"data\":\"hi\"}]";
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_http_decode(h, N(h), body, strlen(body), NULL, &list,
                                    &err),
                 0, "%s: %s", err.path, err.text);
    cr_assert_eq(list.count, 3);
    expect_string_attr(list.events[0], "id", "a");
    expect_string_attr(list.events[1], "id", "b");
    expect_string_attr(list.events[2], "id", "c");
    expect_bytes(list.events[2], CEGATE_DATA_TEXT, "hi", 2);

    /* An empty batch is valid and appends nothing. */
    cr_assert_eq(cegate_http_decode(h, N(h), "[]", 2, NULL, &list, &err), 0,
                 "%s", err.text);
    cr_assert_eq(list.count, 3);
    cegate_event_list_free(&list);
}

Test(batch_decode, errors)
{
    cegate_header h[] = {{"Content-Type", "application/cloudevents-batch+json"}};
    assert_error(decode_fail(h, N(h),
                             "[{" MINIMAL_MEMBERS "},{\"specversion\":\"1.0\","
                             "\"source\":\"/s\",\"type\":\"t\"}]"),
                 CEGATE_ERR_MISSING, "[1].id");
    /* A single object is not a batch. */
    cegate_error err = decode_fail(h, N(h), "{" MINIMAL_MEMBERS "}");
    cr_assert(err.code == CEGATE_ERR_TYPE || err.code == CEGATE_ERR_MODE,
              "code %s (%s)", cegate_error_code_name(err.code), err.text);
    cegate_header avro[] = {
        {"Content-Type", "application/cloudevents-batch+avro"}};
    err = decode_fail(avro, N(avro), "[]");
    cr_assert_eq(err.code, CEGATE_ERR_MODE, "code %s",
                 cegate_error_code_name(err.code));
}

/* ---- encoding ------------------------------------------------------------- */

Test(binary_encode, headers_and_body)
{
    cegate_event *ev = minimal_event("1");
    set_str(ev, "datacontenttype", "text/plain; charset=utf-8", 0);
    set_str(ev, "dataschema", "https://example.com/schema", 0);
    set_str(ev, "subject", "orders/1", 0);
    set_str(ev, "time", "2018-04-05T17:31:00Z", 0);
    set_str(ev, "myext", "x", 0);
    cr_assert_eq(cegate_event_set_data_text(ev, "hello", 5, NULL), 0);

    cegate_http_message msg;
    encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
    expect_msg_header(&msg, "Content-Type", "text/plain; charset=utf-8");
    cr_assert_null(msg_find(&msg, "ce-datacontenttype"),
                   "ce-datacontenttype must not be sent beside Content-Type");
    expect_msg_header(&msg, "ce-specversion", "1.0");
    expect_msg_header(&msg, "ce-id", "1");
    expect_msg_header(&msg, "ce-source", "/s");
    expect_msg_header(&msg, "ce-type", "t");
    expect_msg_header(&msg, "ce-dataschema", "https://example.com/schema");
    expect_msg_header(&msg, "ce-subject", "orders/1");
    expect_msg_header(&msg, "ce-time", "2018-04-05T17:31:00Z");
    expect_msg_header(&msg, "ce-myext", "x");
    cr_assert_eq(msg.count, 9, "%zu headers, want 8 ce- and Content-Type",
                 msg.count);
    cr_assert_eq(msg.body.length, 5);
    cr_assert_arr_eq(msg.body.data, "hello", 5);
    cegate_http_message_free(&msg);
    cegate_event_free(ev);
}

/* A message reset and encoded again is exactly what a fresh one holds: no
 * header, body byte or count of the earlier event is left over. */
Test(binary_encode, a_reset_message_encodes_like_a_fresh_one)
{
    cegate_event *big = minimal_event("first-event-with-a-long-id");
    set_str(big, "subject", "orders/1", 0);
    set_str(big, "myext", "x", 0);
    cr_assert_eq(cegate_event_set_data_text(big, "a longer body than the next", 27,
                                            NULL), 0);
    cegate_event *small = minimal_event("2");
    cr_assert_eq(cegate_event_set_data_text(small, "hi", 2, NULL), 0);

    for (int mode = 0; mode < 2; mode++) {
        cegate_http_mode m = mode ? CEGATE_HTTP_STRUCTURED : CEGATE_HTTP_BINARY;
        cegate_http_message reused, fresh;
        encode_msg(big, m, &reused);
        cegate_http_message_reset(&reused);
        cr_assert_eq(reused.count, 0);
        cr_assert_eq(reused.body.length, 0);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_http_encode(small, m, &reused, &err), 0, "%s", err.text);
        encode_msg(small, m, &fresh);
        cr_assert_eq(reused.count, fresh.count);
        for (size_t i = 0; i < fresh.count; i++) {
            cr_assert_str_eq(reused.names[i], fresh.names[i]);
            cr_assert_str_eq(reused.values[i], fresh.values[i]);
        }
        cr_assert_eq(reused.body.length, fresh.body.length);
        cr_assert_arr_eq(reused.body.data, fresh.body.data, fresh.body.length);
        cegate_http_message_free(&reused);
        cegate_http_message_free(&fresh);
    }
    cegate_event_free(big);
    cegate_event_free(small);
}

Test(binary_encode, values_percent_encoded)
{
    struct {
        const char *value, *want;
    } cases[] = {
        {"Euro \xe2\x82\xac \xf0\x9f\x98\x80",
         "Euro%20%E2%82%AC%20%F0%9F%98%80"},
        {"say \"hi\"", "say%20%22hi%22"},
        {"100%", "100%25"},
        {"Object Created", "Object%20Created"},
        /* U+0021..U+007E other than '"' and '%' go as they are. */
        {"a/b:c?d#e+f=g&h~i!j'k(l)m*n,o;p@q[r]s\\t{u}v|w^x`y$z<>",
         "a/b:c?d#e+f=g&h~i!j'k(l)m*n,o;p@q[r]s\\t{u}v|w^x`y$z<>"},
        {"\xc2\xa0", "%C2%A0"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_event *ev = minimal_event("1");
        set_str(ev, "subject", cases[i].value, 0);
        cegate_http_message msg;
        encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
        expect_msg_header(&msg, "ce-subject", cases[i].want);
        cegate_http_message_free(&msg);
        cegate_event_free(ev);
    }
}

Test(binary_encode, extension_values_in_canonical_form)
{
    cegate_event *ev = minimal_event("1");
    set_str(ev, "extinteger", "-2147483648", CEGATE_TYPE_INTEGER);
    set_str(ev, "extpositive", "42", CEGATE_TYPE_INTEGER);
    set_str(ev, "extboolean", "false", CEGATE_TYPE_BOOLEAN);
    set_str(ev, "exttrue", "true", CEGATE_TYPE_BOOLEAN);
    set_str(ev, "extbinary", "AAEC/w==", CEGATE_TYPE_BINARY);
    set_str(ev, "exttimestamp", "2023-03-31T15:12:00Z", CEGATE_TYPE_TIMESTAMP);
    set_str(ev, "exturi", "https://cloudevents.io", CEGATE_TYPE_URI);
    cegate_http_message msg;
    encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
    expect_msg_header(&msg, "ce-extinteger", "-2147483648");
    expect_msg_header(&msg, "ce-extpositive", "42");
    expect_msg_header(&msg, "ce-extboolean", "false");
    expect_msg_header(&msg, "ce-exttrue", "true");
    expect_msg_header(&msg, "ce-extbinary", "AAEC/w==");
    expect_msg_header(&msg, "ce-exttimestamp", "2023-03-31T15:12:00Z");
    expect_msg_header(&msg, "ce-exturi", "https://cloudevents.io");
    cegate_http_message_free(&msg);
    cegate_event_free(ev);
}

Test(binary_encode, json_data_and_implied_content_type)
{
    cegate_event *ev = minimal_event("1");
    json_t *data = json_pack("{s:[i,i],s:s}", "a", 1, 2, "b", "c");
    cr_assert_eq(cegate_event_set_data_json(ev, data, NULL), 0);
    cegate_http_message msg;
    encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
    /* No datacontenttype with JSON data: application/json is implied. */
    expect_msg_header(&msg, "Content-Type", "application/json");
    json_t *body = json_loadb(msg.body.data, msg.body.length, 0, NULL);
    cr_assert_not_null(body, "body is not JSON: %s", msg.body.data);
    cr_assert(json_equal(body, data), "body %s", msg.body.data);
    json_decref(body);
    json_decref(data);
    cegate_http_message_free(&msg);
    cegate_event_free(ev);

    /* A JSON string travels with its quotes. */
    ev = minimal_event("2");
    data = json_string("I'm just a string");
    cr_assert_eq(cegate_event_set_data_json(ev, data, NULL), 0);
    json_decref(data);
    encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
    cr_assert_str_eq(msg.body.data, "\"I'm just a string\"");
    cegate_http_message_free(&msg);
    cegate_event_free(ev);
}

Test(binary_encode, no_content_type_without_one_to_give)
{
    cegate_event *ev = minimal_event("1");
    cegate_http_message msg;
    encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
    cr_assert_null(msg_find(&msg, "Content-Type"));
    cr_assert_eq(msg.body.length, 0);
    cr_assert_eq(msg.count, 4);
    cegate_http_message_free(&msg);

    /* Binary data of unknown type: the bytes, and no invented type. */
    cr_assert_eq(cegate_event_set_data_binary(ev, "\x00\x01\xff", 3, NULL), 0);
    encode_msg(ev, CEGATE_HTTP_BINARY, &msg);
    cr_assert_null(msg_find(&msg, "Content-Type"));
    cr_assert_eq(msg.body.length, 3);
    cr_assert_arr_eq(msg.body.data, "\x00\x01\xff", 3);
    cegate_http_message_free(&msg);
    cegate_event_free(ev);
}

Test(binary_encode, refuses_cloudevents_content_type)
{
    const char *types[] = {"application/cloudevents+json",
                           "application/cloudevents-batch+json",
                           "Application/CloudEvents+JSON; charset=utf-8"};
    for (size_t i = 0; i < N(types); i++) {
        cegate_event *ev = minimal_event("1");
        set_str(ev, "datacontenttype", types[i], 0);
        json_t *data = json_object();
        cr_assert_eq(cegate_event_set_data_json(ev, data, NULL), 0);
        json_decref(data);
        cegate_http_message msg;
        cegate_http_message_init(&msg, OUTPUT_MAX);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_http_encode(ev, CEGATE_HTTP_BINARY, &msg, &err), -1,
                     "%s accepted as a binary-mode Content-Type", types[i]);
        cr_assert_eq(err.code, CEGATE_ERR_MODE, "%s: code %s", types[i],
                     cegate_error_code_name(err.code));
        cegate_http_message_free(&msg);

        /* Structured mode is the way to send it. */
        encode_msg(ev, CEGATE_HTTP_STRUCTURED, &msg);
        cegate_http_message_free(&msg);
        cegate_event_free(ev);
    }
}

Test(structured_encode, body_is_the_json_event)
{
    cegate_event *ev = minimal_event("Euro \xe2\x82\xac");
    set_str(ev, "subject", "a b", 0);
    set_str(ev, "datacontenttype", "text/plain", 0);
    cr_assert_eq(cegate_event_set_data_text(ev, "hello", 5, NULL), 0);
    cegate_http_message msg;
    encode_msg(ev, CEGATE_HTTP_STRUCTURED, &msg);
    const char *ct = msg_find(&msg, "Content-Type");
    cr_assert_not_null(ct);
    cr_assert_eq(strncasecmp(ct, CEGATE_MEDIA_TYPE_EVENT,
                             strlen(CEGATE_MEDIA_TYPE_EVENT)),
                 0, "Content-Type '%s'", ct);
    cr_assert_null(msg_find(&msg, "ce-id"),
                   "attributes belong in the body in structured mode");
    json_t *body = json_loadb(msg.body.data, msg.body.length, 0, NULL);
    cr_assert(json_is_object(body), "body is not a JSON object: %s",
              msg.body.data);
    /* No percent-encoding in the body. */
    cr_assert_str_eq(json_string_value(json_object_get(body, "id")),
                     "Euro \xe2\x82\xac");
    cr_assert_str_eq(json_string_value(json_object_get(body, "subject")), "a b");
    cr_assert_str_eq(json_string_value(json_object_get(body, "data")), "hello");
    json_decref(body);

    /* And the body is the event. */
    cegate_event *back = decode_msg(&msg, NULL);
    cr_assert(cegate_event_equal(ev, back));
    cegate_event_free(back);
    cegate_http_message_free(&msg);
    cegate_event_free(ev);
}

Test(encode, batch_mode_is_not_for_one_event)
{
    cegate_event *ev = minimal_event("1");
    cegate_http_message msg;
    cegate_http_message_init(&msg, OUTPUT_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_http_encode(ev, CEGATE_HTTP_BATCH, &msg, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_USAGE, "code %s",
                 cegate_error_code_name(err.code));
    cegate_http_message_free(&msg);
    cegate_event_free(ev);
}

/* ---- round trips ---------------------------------------------------------- */

typedef cegate_event *(*event_builder)(void);

static cegate_event *rt_minimal(void) { return minimal_event("minimal"); }

static cegate_event *rt_all_core(void)
{
    cegate_event *ev = minimal_event("allCore");
    set_str(ev, "source", "https://cloudevents.io/a?b=c#d", 0);
    set_str(ev, "datacontenttype", "text/plain", 0);
    set_str(ev, "dataschema", "https://cloudevents.io/dataschema", 0);
    set_str(ev, "subject", "tests", 0);
    set_str(ev, "time", "2018-04-05T18:31:00.123456789+01:00", 0);
    cr_assert_eq(cegate_event_set_data_text(ev, "Simple text", 11, NULL), 0);
    return ev;
}

static cegate_event *rt_all_extension_types(void)
{
    return all_extension_types_event("text with spaces");
}

static cegate_event *rt_unicode(void)
{
    cegate_event *ev = minimal_event("Euro \xe2\x82\xac \xf0\x9f\x98\x80");
    set_str(ev, "type", "Object Created", 0);
    set_str(ev, "subject", "quote \" backslash \\ percent %25 plus + tilde ~", 0);
    set_str(ev, "extstring", "\xe4\xb8\xad\xe6\x96\x87", 0);
    return ev;
}

static cegate_event *rt_json_object(void)
{
    return json_data_event("obj", "application/json",
                           "{\"a\":{\"b\":[1,2.5,\"c\",true,null]},\"e\":{}}");
}
static cegate_event *rt_json_string(void)
{
    return json_data_event("str", "application/json", "\"I'm just a string\"");
}
static cegate_event *rt_json_null(void)
{
    return json_data_event("null", "application/json", "null");
}
static cegate_event *rt_json_typed(void)
{
    return json_data_event("typed", "application/vnd.foo+json; charset=utf-8",
                           "[-42,{\"x\":\"\xe2\x82\xac\"}]");
}

static cegate_event *rt_binary_untyped(void)
{
    cegate_event *ev = minimal_event("binaryUntyped");
    cr_assert_eq(cegate_event_set_data_binary(ev, "\x89PNG\r\n", 6, NULL), 0);
    return ev;
}

static cegate_event *rt_xml(void)
{
    return text_data_event("xml", "application/xml",
                           "<a href=\"x\">caf\xc3\xa9</a>\n");
}

static cegate_event *rt_text_utf8(void)
{
    return text_data_event("text", "text/plain; charset=utf-8",
                           "line 1\r\nline 2 \xe2\x82\xac\ttab");
}

static cegate_event *rt_content_type_without_data(void)
{
    cegate_event *ev = minimal_event("typeOnly");
    set_str(ev, "datacontenttype", "text/csv", 0);
    return ev;
}

static cegate_event *rt_relative_source(void)
{
    cegate_event *ev = minimal_event("relative");
    set_str(ev, "source", "#fragment", 0);
    set_str(ev, "time", "1970-01-01T00:00:00Z", 0);
    return ev;
}

static const event_builder round_trip_events[] = {
    rt_minimal,        rt_all_core,        rt_all_extension_types,
    rt_unicode,        rt_json_object,     rt_json_string,
    rt_json_null,      rt_json_typed,      binary_data_event,
    rt_binary_untyped, rt_xml,             rt_text_utf8,
    rt_content_type_without_data,          rt_relative_source,
};

static void round_trip(cegate_http_mode mode)
{
    cegate_options opt = sample_options();
    for (size_t i = 0; i < N(round_trip_events); i++) {
        cegate_event *ev = round_trip_events[i]();
        cegate_http_message msg;
        encode_msg(ev, mode, &msg);
        cegate_event *back = decode_msg(&msg, &opt);
        cr_assert(cegate_event_equal(ev, back),
                  "event %zu (id '%s') changed in a round trip in mode %d",
                  i, cegate_event_get_string(ev, "id"), mode);
        cegate_event_free(back);
        cegate_http_message_free(&msg);
        cegate_event_free(ev);
    }
}

Test(round_trip, binary_mode) { round_trip(CEGATE_HTTP_BINARY); }

Test(round_trip, structured_mode) { round_trip(CEGATE_HTTP_STRUCTURED); }

/* ---- the header value codec -------------------------------------------- */

static char *value_encode(const char *s, size_t n)
{
    cegate_buffer buf;
    cegate_buffer_init(&buf, OUTPUT_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_header_value_encode(s, n, &buf, &err), 0, "%s",
                 err.text);
    char *out = cegate_buffer_steal(&buf, NULL);
    cr_assert_not_null(out);
    cegate_buffer_free(&buf);
    return out;
}

Test(header_value, encode)
{
    char *s = value_encode("", 0);
    cr_assert_str_eq(s, "");
    cegate_free(s);

    const char *euro = "Euro \xe2\x82\xac \xf0\x9f\x98\x80";
    s = value_encode(euro, strlen(euro));
    cr_assert_str_eq(s, "Euro%20%E2%82%AC%20%F0%9F%98%80");
    cegate_free(s);

    s = value_encode("\"%\x01\x1f\x7f", 5);
    cr_assert_str_eq(s, "%22%25%01%1F%7F");
    cegate_free(s);

    /* The length is honoured. */
    s = value_encode("a b c", 3);
    cr_assert_str_eq(s, "a%20b");
    cegate_free(s);

    /* Every printable ASCII byte except space, '"' and '%' is left alone. */
    char printable[128];
    size_t n = 0;
    for (int c = 0x21; c <= 0x7e; c++)
        if (c != '"' && c != '%')
            printable[n++] = (char)c;
    printable[n] = '\0';
    s = value_encode(printable, n);
    cr_assert_str_eq(s, printable);
    cegate_free(s);
}

Test(header_value, decode)
{
    struct {
        const char *raw, *want;
    } cases[] = {
        {"", ""},
        {"\"\"", ""},
        {"Euro%20%E2%82%AC%20%F0%9F%98%80", "Euro \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"%e2%82%ac", "\xe2\x82\xac"},
        {"\"quoted value\"", "quoted value"},
        {"%22%25", "\"%"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_buffer buf;
        cegate_buffer_init(&buf, OUTPUT_MAX);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_header_value_decode(cases[i].raw,
                                                strlen(cases[i].raw), &buf,
                                                "ce-x", &err),
                     0, "'%s': %s", cases[i].raw, err.text);
        cr_assert_eq(buf.length, strlen(cases[i].want), "'%s': length %zu",
                     cases[i].raw, buf.length);
        if (buf.length > 0)
            cr_assert_str_eq(buf.data, cases[i].want);
        cegate_buffer_free(&buf);
    }

    const char *bad[] = {"%C0%A0", "%E2%82", "%zz", "%", "%F4%90%80%80"};
    for (size_t i = 0; i < N(bad); i++) {
        cegate_buffer buf;
        cegate_buffer_init(&buf, OUTPUT_MAX);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_header_value_decode(bad[i], strlen(bad[i]), &buf,
                                                "ce-x", &err),
                     -1, "'%s' accepted", bad[i]);
        assert_error(err, CEGATE_ERR_ENCODING, "ce-x");
        cegate_buffer_free(&buf);
    }
}

Test(header_value, encode_decode_round_trip)
{
    /* Every code point class: ASCII, controls a String may not hold but the
     * codec must still carry, 2-, 3- and 4-byte UTF-8. */
    const char *values[] = {
        "", " ", "%", "%25", "\"\"", "a\"b\"c", "\t\r\n",
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "+/=?&#", "100 % sure",
    };
    for (size_t i = 0; i < N(values); i++) {
        char *enc = value_encode(values[i], strlen(values[i]));
        for (const char *p = enc; *p; p++)
            cr_assert((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f &&
                          *p != '"',
                      "'%s' encoded with byte 0x%02x", values[i],
                      (unsigned char)*p);
        cegate_buffer buf;
        cegate_buffer_init(&buf, OUTPUT_MAX);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_header_value_decode(enc, strlen(enc), &buf, "x",
                                                &err),
                     0, "'%s' -> '%s': %s", values[i], enc, err.text);
        cr_assert_eq(buf.length, strlen(values[i]));
        if (buf.length)
            cr_assert_arr_eq(buf.data, values[i], buf.length,
                             "'%s' -> '%s' -> '%s'", values[i], enc, buf.data);
        cegate_buffer_free(&buf);
        cegate_free(enc);
    }
}
