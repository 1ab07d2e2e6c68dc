/* SPDX-License-Identifier: Apache-2.0 */
/* test_hostile.c - hostile input to every parser of cegate/format.h.
 *
 * What an attacker controls: JSON text (the JSON format, structured and
 * batched HTTP bodies, cegate_json_parse), HTTP header names and values and
 * binary-mode bodies. Each test feeds something built to hurt (header
 * injection, bad UTF-8, NUL, huge values, deep nesting, truncation, floods of
 * events or headers, duplicates, over-long names) and asserts a clean error:
 * -1, the right code, the path naming the culprit, and nothing appended to a
 * list that already held an event. Crashes and sanitizer reports fail the
 * test process on their own.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cegate/cegate.h"
#include "helpers.h"

/* ---- helpers ------------------------------------------------------------ */

#define MB ((size_t)1024 * 1024)

/* Nesting past jansson's own cap (2048) is the same limit, and the text
 * says so. */
#define assert_depth_error(err)                                               \
    do {                                                                      \
        assert_limit_error(err, "max_depth");                                 \
        cr_assert_not_null(strstr((err).text, "max_depth"),                   \
                           "text does not name max_depth: '%s'", (err).text); \
    } while (0)

static const cegate_header structured[] = {
    {"Content-Type", "application/cloudevents+json"}};
static const cegate_header batched[] = {
    {"Content-Type", "application/cloudevents-batch+json"}};

static cegate_error json_fail(const char *json)
{
    return json_decode_fail(json, strlen(json), NULL);
}

static cegate_error http_fail(const cegate_header *h, size_t count,
                              const char *body)
{
    return http_decode_fail(h, count, body, body ? strlen(body) : 0, NULL);
}

/* malloc'ed text: prefix, `n` copies of `fill`, suffix. */
static char *build(const char *prefix, char fill, size_t n, const char *suffix,
                   size_t *length)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    char *out = malloc(p + n + s + 1);
    cr_assert_not_null(out);
    memcpy(out, prefix, p);
    memset(out + p, fill, n);
    memcpy(out + p + n, suffix, s + 1);
    if (length)
        *length = p + n + s;
    return out;
}

/* `depth` nested arrays or objects: [[[...]]] or {"a":{"a":...{}}}. */
static char *nested(size_t depth, int objects, const char *prefix,
                    const char *suffix, size_t *length)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    size_t open = objects ? 5 : 1; /* {"a": */
    char *out = malloc(p + depth * (open + 1) + s + 8);
    cr_assert_not_null(out);
    size_t n = 0;
    memcpy(out, prefix, p);
    n += p;
    for (size_t i = 0; i < depth; i++) {
        if (objects && i + 1 < depth) {
            memcpy(out + n, "{\"a\":", 5);
            n += 5;
        } else {
            out[n++] = objects ? '{' : '[';
        }
    }
    for (size_t i = 0; i < depth; i++)
        out[n++] = objects ? '}' : ']';
    memcpy(out + n, suffix, s + 1);
    n += s;
    if (length)
        *length = n;
    return out;
}

/* ---- injection: CR LF and friends --------------------------------------- */

Test(injection, crlf_escapes_in_json_attributes)
{
    const char *names[] = {"subject", "id", "type", "myext"};
    for (size_t i = 0; i < N(names); i++) {
        char json[256];
        /* The required ones are written in place (a second member of the
         * same name would be an error of its own). */
        if (strcmp(names[i], "id") == 0)
            snprintf(json, sizeof json,
                     "{\"specversion\":\"1.0\",\"id\":\"a\\r\\nb\","
                     "\"source\":\"/s\",\"type\":\"t\"}");
        else if (strcmp(names[i], "type") == 0)
            snprintf(json, sizeof json,
                     "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                     "\"type\":\"t\\r\\nX-Injected: 1\"}");
        else
            snprintf(json, sizeof json,
                     "{" MINIMAL_MEMBERS ",\"%s\":\"a\\r\\nSet-Cookie: x=1\"}",
                     names[i]);
        cegate_error err = json_fail(json);
        assert_error(err, CEGATE_ERR_VALUE, names[i]);
    }
}

Test(injection, crlf_in_structured_body)
{
    const char *body = "{" MINIMAL_MEMBERS ",\"subject\":\"x\\r\\ny\"}";
    assert_error(http_fail(structured, N(structured), body), CEGATE_ERR_VALUE,
                 "subject");
    const char *ext = "{" MINIMAL_MEMBERS ",\"myext\":\"\\n\"}";
    assert_error(http_fail(structured, N(structured), ext), CEGATE_ERR_VALUE,
                 "myext");
}

Test(injection, crlf_in_header_values)
{
    cegate_header encoded[] = {REQUIRED_HEADERS,
                               {"ce-subject", "a%0D%0ASet-Cookie:%20x=1"}};
    assert_error(http_fail(encoded, N(encoded), NULL), CEGATE_ERR_VALUE,
                 "ce-subject");
    cegate_header ext[] = {REQUIRED_HEADERS, {"ce-myext", "%0A"}};
    assert_error(http_fail(ext, N(ext), NULL), CEGATE_ERR_VALUE, "ce-myext");
    /* Raw CR LF, from a front end that let them through. */
    cegate_header raw[] = {REQUIRED_HEADERS, {"ce-subject", "a\r\nb"}};
    assert_error(http_fail(raw, N(raw), NULL), CEGATE_ERR_VALUE, "ce-subject");
    cegate_header quoted[] = {REQUIRED_HEADERS, {"ce-subject", "\"a\\\rb\""}};
    assert_error(http_fail(quoted, N(quoted), NULL), CEGATE_ERR_VALUE,
                 "ce-subject");
}

/* ---- encoding: bad UTF-8 and NUL ----------------------------------------- */

Test(encoding, invalid_utf8_in_json_text)
{
    const char *cases[] = {
        "{" MINIMAL_MEMBERS ",\"subject\":\"\xc3\x28\"}",
        "{" MINIMAL_MEMBERS ",\"myext\":\"\xff\"}",
        "{" MINIMAL_MEMBERS ",\"data\":\"\xc0\xa0\"}",
        "{" MINIMAL_MEMBERS ",\"\xc3\x28\":\"x\"}",
        "{" MINIMAL_MEMBERS ",\"data\":\"\xed\xa0\x80\"}",
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_fail(cases[i]);
        http_fail(structured, N(structured), cases[i]);
    }
}

Test(encoding, invalid_utf8_in_binary_mode)
{
    /* A JSON body that is not UTF-8 is not JSON. */
    cegate_header json_body[] = {REQUIRED_HEADERS,
                                 {"Content-Type", "application/json"}};
    cegate_error err = http_fail(json_body, N(json_body), "\"\xc3\x28\"");
    cr_assert_eq(strncmp(err.path, "data", 4), 0, "path '%s'", err.path);

    /* Raw bytes in a header value. */
    cegate_header raw[] = {REQUIRED_HEADERS, {"ce-subject", "a\xc3\x28"}};
    assert_error(http_fail(raw, N(raw), NULL), CEGATE_ERR_ENCODING,
                 "ce-subject");
}

Test(encoding, nul_escape_in_json_strings)
{
    const char *cases[] = {
        "{" MINIMAL_MEMBERS ",\"subject\":\"a\\u0000b\"}",
        "{" MINIMAL_MEMBERS ",\"myext\":\"\\u0000\"}",
        "{\"specversion\":\"1.0\",\"id\":\"1\\u0000\",\"source\":\"/s\","
        "\"type\":\"t\"}",
        "{" MINIMAL_MEMBERS ",\"datacontenttype\":\"text/plain\","
        "\"data\":\"a\\u0000b\"}",
        "{" MINIMAL_MEMBERS ",\"data\":{\"k\\u0000\":1}}",
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_fail(cases[i]);
        http_fail(structured, N(structured), cases[i]);
    }
}

Test(encoding, raw_nul_bytes)
{
    /* A NUL byte inside JSON text is not JSON. */
    const char json[] = "{" MINIMAL_MEMBERS ",\"subject\":\"a\0b\"}";
    json_decode_fail(json, sizeof json - 1, NULL);
    /* A JSON body with a NUL: an error naming data, not truncated data. */
    cegate_header h[] = {REQUIRED_HEADERS, {"Content-Type", "application/json"}};
    const char body[] = "{\"a\":1}\0{\"b\":2}";
    cegate_error err = http_decode_fail(h, N(h), body, sizeof body - 1, NULL);
    cr_assert_eq(strncmp(err.path, "data", 4), 0, "path '%s'", err.path);
    cegate_header nul[] = {REQUIRED_HEADERS, {"ce-subject", "a%00b"}};
    assert_error(http_fail(nul, N(nul), NULL), CEGATE_ERR_VALUE, "ce-subject");
}

/* ---- size --------------------------------------------------------------- */

Test(size, huge_attribute_value_in_json)
{
    const char *names[] = {"subject", "myext"};
    for (size_t i = 0; i < N(names); i++) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "{" MINIMAL_MEMBERS ",\"%s\":\"",
                 names[i]);
        size_t n;
        char *json = build(prefix, 'x', 10 * MB, "\"}", &n);
        assert_error(json_decode_fail(json, n, NULL), CEGATE_ERR_LIMIT, names[i]);
        cegate_event_list list;
        seeded_list(&list);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_http_decode(structured, N(structured), json, n,
                                        NULL, &list, &err),
                     -1);
        assert_error(err, CEGATE_ERR_LIMIT, names[i]);
        expect_untouched(&list);
        free(json);
    }
}

Test(size, huge_header_value)
{
    char *value = build("", 'x', 10 * MB, "", NULL);
    cegate_header h[] = {REQUIRED_HEADERS, {"ce-subject", value}};
    assert_error(http_fail(h, N(h), NULL), CEGATE_ERR_LIMIT, "ce-subject");
    cegate_header ext[] = {REQUIRED_HEADERS, {"ce-myext", value}};
    assert_error(http_fail(ext, N(ext), NULL), CEGATE_ERR_LIMIT, "ce-myext");
    free(value);
}

Test(size, ten_megabytes_of_data_accepted)
{
    /* The default max_input_bytes (32 MiB) is for whole messages: 10 MB of
     * data is fine in the JSON format, in structured mode and in binary
     * mode. */
    size_t n;
    char *json = build("{" MINIMAL_MEMBERS ",\"datacontenttype\":\"text/plain\","
                       "\"data\":\"",
                       'd', 10 * MB, "\"}", &n);
    cegate_event *ev = json_decode_one(json, n, NULL);
    size_t got = 0;
    cr_assert_not_null(cegate_event_data_bytes(ev, &got));
    cr_assert_eq(got, 10 * MB);
    cegate_event_free(ev);
    ev = http_decode_one(structured, N(structured), json, n, NULL);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_TEXT);
    cegate_event_free(ev);
    free(json);

    char *body = build("", '\xab', 10 * MB, "", NULL);
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"Content-Type", "application/octet-stream"}};
    ev = http_decode_one(h, N(h), body, 10 * MB, NULL);
    const unsigned char *bytes = cegate_event_data_bytes(ev, &got);
    cr_assert_eq(got, 10 * MB);
    cr_assert_eq(bytes[10 * MB - 1], 0xab);
    cegate_event_free(ev);
    free(body);
}

Test(size, message_over_max_input_bytes)
{
    cegate_options opt;
    cegate_options_init(&opt);
    opt.limits.max_input_bytes = 1024;
    char *body = build("", 'x', 1025, "", NULL);
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"Content-Type", "application/octet-stream"}};
    assert_limit_error(http_decode_fail(h, N(h), body, 1025, &opt),
                       "max_input_bytes");
    free(body);
    size_t n;
    char *json = build("{" MINIMAL_MEMBERS ",\"data\":\"", 'x', 2048, "\"}",
                       &n);
    assert_limit_error(json_decode_fail(json, n, &opt), "max_input_bytes");
    assert_limit_error(http_decode_fail(structured, N(structured), json, n, &opt),
                       "max_input_bytes");
    free(json);
}

/* ---- depth ------------------------------------------------------------- */

#define VERY_DEEP 100000

Test(depth, deep_data_in_json_format)
{
    for (int objects = 0; objects <= 1; objects++) {
        size_t n;
        char *json = nested(VERY_DEEP, objects, "{" MINIMAL_MEMBERS ",\"data\":",
                            "}", &n);
        assert_depth_error(json_decode_fail(json, n, NULL));
        free(json);
        /* Inside a batch too. */
        json = nested(VERY_DEEP, objects, "[{" MINIMAL_MEMBERS ",\"data\":",
                      "}]", &n);
        assert_depth_error(json_decode_fail(json, n, NULL));
        free(json);
    }
}

Test(depth, deep_structured_and_binary_bodies)
{
    for (int objects = 0; objects <= 1; objects++) {
        size_t n;
        char *json = nested(VERY_DEEP, objects, "{" MINIMAL_MEMBERS ",\"data\":",
                            "}", &n);
        assert_depth_error(
            http_decode_fail(structured, N(structured), json, n, NULL));
        free(json);
        json = nested(VERY_DEEP, objects, "[{" MINIMAL_MEMBERS ",\"data\":",
                      "}]", &n);
        assert_depth_error(http_decode_fail(batched, N(batched), json, n, NULL));
        free(json);

        char *body = nested(VERY_DEEP, objects, "", "", &n);
        cegate_header h[] = {REQUIRED_HEADERS,
                             {"Content-Type", "application/json"}};
        cegate_error err = http_decode_fail(h, N(h), body, n, NULL);
        assert_depth_error(err);
        free(body);
    }
}

Test(depth, deep_json_parse)
{
    cegate_limits limits;
    cegate_limits_default(&limits);
    for (int objects = 0; objects <= 1; objects++) {
        size_t n;
        char *json = nested(VERY_DEEP, objects, "", "", &n);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_null(cegate_json_parse(json, n, &limits, &err));
        assert_depth_error(err);
        cegate_error_clear(&err);
        cr_assert_null(cegate_json_parse(json, n, NULL, &err));
        assert_depth_error(err);
        free(json);
    }
}

Test(depth, max_depth_counts_levels_of_one_event)
{
    /* The event object is level 1 and its data one deeper: with the default
     * max_depth of 64, data of 63 nested arrays is the deepest accepted. */
    size_t n;
    char *ok = nested(63, 0, "{" MINIMAL_MEMBERS ",\"data\":", "}", &n);
    cegate_event *ev = json_decode_one(ok, n, NULL);
    cegate_event_free(ev);
    ev = http_decode_one(structured, N(structured), ok, n, NULL);
    cegate_event_free(ev);
    free(ok);
    char *too_deep = nested(64, 0, "{" MINIMAL_MEMBERS ",\"data\":", "}", &n);
    assert_limit_error(json_decode_fail(too_deep, n, NULL), "max_depth");
    free(too_deep);

    /* The array around a batch does not count. */
    ok = nested(63, 0, "[{" MINIMAL_MEMBERS ",\"data\":", "}]", &n);
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(ok, n, NULL, &list, &err), 0, "%s: %s",
                 err.path, err.text);
    cr_assert_eq(list.count, 1);
    cegate_event_list_free(&list);
    free(ok);

}

Test(depth, binary_body_is_data_one_level_down)
{
    /* A binary-mode JSON body is the event's data, so its outermost value is
     * level 2, whatever its type: 63 levels fit in the default max_depth of
     * 64, 64 do not. (A top-level array here is data, not a batch.) */
    cegate_header h[] = {REQUIRED_HEADERS, {"Content-Type", "application/json"}};
    for (int objects = 1; objects >= 0; objects--) {
        size_t n;
        char *body = nested(63, objects, "", "", &n);
        cegate_event *ev = http_decode_one(h, N(h), body, n, NULL);
        cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
        cegate_event_free(ev);
        free(body);
        body = nested(64, objects, "", "", &n);
        cegate_event_list list;
        seeded_list(&list);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_http_decode(h, N(h), body, n, NULL, &list, &err),
                     -1, "a body of 64 nested %s was accepted (level 65)",
                     objects ? "objects" : "arrays");
        expect_untouched(&list);
        assert_limit_error(err, "max_depth");
        cr_assert_eq(strncmp(err.path, "data", 4), 0, "path '%s'", err.path);
        free(body);
    }
}

/* ---- truncation ---------------------------------------------------------- */

Test(truncation, json_event_cut_at_every_byte)
{
    const char *json =
        "{\"specversion\":\"1.0\",\"id\":\"Euro \xe2\x82\xac\","
        "\"source\":\"https://example.com/a?b=c\",\"type\":\"t\","
        "\"time\":\"2018-04-05T17:31:00Z\",\"myext\":true,\"n\":-12,"
        "\"datacontenttype\":\"application/json\","
        "\"data\":{\"a\":[1,2.5,\"\\u20ac\",null,{\"b\":false}]}}";
    size_t n = strlen(json);
    /* The whole text is fine. */
    cegate_event *ev = json_decode_one(json, n, NULL);
    cegate_event_free(ev);
    for (size_t cut = 0; cut < n; cut++) {
        /* A copy of exactly `cut` bytes, so a reader that runs past the end
         * is caught by ASan. */
        char *prefix = malloc(cut ? cut : 1);
        cr_assert_not_null(prefix);
        memcpy(prefix, json, cut);
        cegate_event_list list;
        seeded_list(&list);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_json_decode(prefix, cut, NULL, &list, &err), -1,
                     "accepted the first %zu bytes", cut);
        cr_assert_neq(err.code, CEGATE_OK, "cut at %zu: no code", cut);
        cr_assert_eq(list.count, 1, "cut at %zu: events appended", cut);
        cegate_error_clear(&err);
        cr_assert_eq(cegate_http_decode(structured, N(structured), prefix, cut,
                                        NULL, &list, &err),
                     -1, "structured: accepted the first %zu bytes", cut);
        cr_assert_neq(err.code, CEGATE_OK);
        cr_assert_eq(list.count, 1, "cut at %zu: events appended", cut);
        cegate_event_list_free(&list);
        free(prefix);
    }
}

Test(truncation, batch_cut_at_every_byte)
{
    const char *json = "[{" MINIMAL_MEMBERS "},{" MINIMAL_MEMBERS
                       ",\"data\":[1]}]";
    size_t n = strlen(json);
    for (size_t cut = 0; cut < n; cut++) {
        char *prefix = malloc(cut ? cut : 1);
        cr_assert_not_null(prefix);
        memcpy(prefix, json, cut);
        json_decode_fail(prefix, cut, NULL);
        free(prefix);
    }
}

/* ---- floods ---------------------------------------------------------------- */

static char *batch_of(size_t count, size_t *length)
{
    static const char one[] = "{" MINIMAL_MEMBERS "}";
    size_t m = sizeof one - 1;
    char *out = malloc(count * (m + 1) + 2);
    cr_assert_not_null(out);
    size_t n = 0;
    out[n++] = '[';
    for (size_t i = 0; i < count; i++) {
        if (i)
            out[n++] = ',';
        memcpy(out + n, one, m);
        n += m;
    }
    out[n++] = ']';
    out[n] = '\0';
    *length = n;
    return out;
}

Test(flood, batch_over_max_events)
{
    size_t n;
    char *json = batch_of(10001, &n);
    assert_limit_error(json_decode_fail(json, n, NULL), "max_events");
    assert_limit_error(http_decode_fail(batched, N(batched), json, n, NULL),
                       "max_events");
    json_t *root = json_loadb(json, n, 0, NULL);
    cr_assert_not_null(root);
    cegate_event_list list;
    seeded_list(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_to_events(root, NULL, &list, &err), -1);
    assert_limit_error(err, "max_events");
    expect_untouched(&list);
    json_decref(root);
    free(json);

    /* Exactly max_events is fine. */
    json = batch_of(10000, &n);
    cegate_event_list_init(&list);
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(json, n, NULL, &list, &err), 0, "%s",
                 err.text);
    cr_assert_eq(list.count, 10000);
    cegate_event_list_free(&list);
    free(json);
}

Test(flood, thousand_ce_headers)
{
    enum { COUNT = 1000 };
    cegate_header *h = calloc(COUNT + 4, sizeof *h);
    char(*names)[16] = calloc(COUNT, sizeof *names);
    cr_assert(h && names);
    cegate_header req[] = {REQUIRED_HEADERS};
    memcpy(h, req, sizeof req);
    for (size_t i = 0; i < COUNT; i++) {
        snprintf(names[i], sizeof names[i], "ce-ext%zu", i);
        h[4 + i].name = names[i];
        h[4 + i].value = "v";
    }
    assert_limit_error(http_fail(h, COUNT + 4, NULL), "max_attributes");
    free(names);
    free(h);
}

Test(flood, thousand_json_members)
{
    enum { COUNT = 1000 };
    size_t cap = COUNT * 24 + 128, n = 0;
    char *json = malloc(cap);
    cr_assert_not_null(json);
    n += (size_t)sprintf(json, "{" MINIMAL_MEMBERS);
    for (size_t i = 0; i < COUNT; i++)
        n += (size_t)sprintf(json + n, ",\"ext%zu\":\"v\"", i);
    n += (size_t)sprintf(json + n, "}");
    assert_limit_error(json_decode_fail(json, n, NULL), "max_attributes");
    free(json);
}

/* ---- types ------------------------------------------------------------------ */

Test(types, non_scalar_extension_values)
{
    const char *values[] = {"{\"a\":1}", "{}", "[1,2]", "[]", "1.5", "-0.5",
                            "1e3"};
    for (size_t i = 0; i < N(values); i++) {
        char json[256];
        snprintf(json, sizeof json, "{" MINIMAL_MEMBERS ",\"myext\":%s}",
                 values[i]);
        cegate_error err = json_fail(json);
        cr_assert_eq(err.code, CEGATE_ERR_TYPE, "%s: code %s (%s)", values[i],
                     cegate_error_code_name(err.code), err.text);
        cr_assert_str_eq(err.path, "myext", "%s: path '%s'", values[i],
                         err.path);
    }
}

Test(types, non_object_roots_and_elements)
{
    const char *roots[] = {"1", "\"event\"", "null", "true", "[[{" MINIMAL_MEMBERS
                                                          "}]]",
                           "[null]"};
    for (size_t i = 0; i < N(roots); i++) {
        json_fail(roots[i]);
        http_fail(structured, N(structured), roots[i]);
        http_fail(batched, N(batched), roots[i]);
    }
}

Test(types, path_traversal_is_just_a_string)
{
    const char *json = "{\"specversion\":\"1.0\",\"id\":\"../../../../etc/shadow\","
                       "\"source\":\"../../etc\",\"type\":\"t\","
                       "\"subject\":\"../../etc/passwd\","
                       "\"myext\":\"..\\\\..\\\\windows\\\\system32\"}";
    cegate_event *ev = json_decode_one(json, strlen(json), NULL);
    cr_assert_str_eq(cegate_event_get_string(ev, "subject"), "../../etc/passwd");
    cr_assert_str_eq(cegate_event_get_string(ev, "id"), "../../../../etc/shadow");
    cr_assert_str_eq(cegate_event_get_string(ev, "source"), "../../etc");
    cr_assert_str_eq(cegate_event_get_string(ev, "myext"),
                     "..\\..\\windows\\system32");
    cegate_event_free(ev);

    /* In headers, percent-encoded slashes are decoded exactly once. */
    cegate_header h[] = {REQUIRED_HEADERS,
                         {"ce-subject", "..%2F..%2Fetc%2Fpasswd"},
                         {"ce-myext", "..%252F..%252Fetc"}};
    ev = http_decode_one(h, N(h), NULL, 0, NULL);
    cr_assert_str_eq(cegate_event_get_string(ev, "subject"), "../../etc/passwd");
    cr_assert_str_eq(cegate_event_get_string(ev, "myext"), "..%2F..%2Fetc");
    cegate_event_free(ev);
}

/* ---- duplicates and names -------------------------------------------------- */

Test(duplicates, ce_headers_differing_in_case)
{
    cegate_header a[] = {REQUIRED_HEADERS, {"ce-Foo", "1"}, {"ce-foo", "2"}};
    cegate_error err = http_fail(a, N(a), NULL);
    cr_assert_eq(err.code, CEGATE_ERR_CONFLICT, "code %s (%s)",
                 cegate_error_code_name(err.code), err.text);
    cr_assert(strcmp(err.path, "ce-Foo") == 0 || strcmp(err.path, "ce-foo") == 0,
              "path '%s' should name the header", err.path);

    cegate_header b[] = {{"ce-specversion", "1.0"}, {"CE-ID", "1"},
                         {"ce-source", "/s"},       {"ce-type", "t"},
                         {"ce-id", "2"}};
    err = http_fail(b, N(b), NULL);
    cr_assert_eq(err.code, CEGATE_ERR_CONFLICT, "code %s (%s)",
                 cegate_error_code_name(err.code), err.text);
    cr_assert(strcmp(err.path, "CE-ID") == 0 || strcmp(err.path, "ce-id") == 0,
              "path '%s' should name the header", err.path);
}

Test(duplicates, json_members)
{
    /* A later member must not silently replace an earlier one. */
    json_fail("{" MINIMAL_MEMBERS ",\"id\":\"2\"}");
    json_fail("{" MINIMAL_MEMBERS ",\"myext\":\"a\",\"myext\":\"b\"}");
    json_fail("{" MINIMAL_MEMBERS ",\"data\":1,\"data\":2}");
    http_fail(structured, N(structured),
              "{" MINIMAL_MEMBERS ",\"subject\":\"a\",\"subject\":\"b\"}");
}

Test(names, overlong_attribute_names)
{
    char name[201];
    memset(name, 'a', 200);
    name[200] = '\0';

    char json[512];
    snprintf(json, sizeof json, "{" MINIMAL_MEMBERS ",\"%s\":\"v\"}", name);
    cegate_error err = json_fail(json);
    cr_assert_eq(err.code, CEGATE_ERR_NAME, "code %s (%s)",
                 cegate_error_code_name(err.code), err.text);

    char header[210];
    snprintf(header, sizeof header, "ce-%s", name);
    cegate_header h[] = {REQUIRED_HEADERS, {header, "v"}};
    err = http_fail(h, N(h), NULL);
    cr_assert_eq(err.code, CEGATE_ERR_NAME, "code %s (%s)",
                 cegate_error_code_name(err.code), err.text);

    /* The boundary: CEGATE_MAX_NAME_LENGTH characters are fine, one more
     * is not. */
    char at_max[CEGATE_MAX_NAME_LENGTH + 2];
    memset(at_max, 'b', CEGATE_MAX_NAME_LENGTH + 1);
    at_max[CEGATE_MAX_NAME_LENGTH] = '\0';
    snprintf(json, sizeof json, "{" MINIMAL_MEMBERS ",\"%s\":\"v\"}", at_max);
    cegate_event *ev = json_decode_one(json, strlen(json), NULL);
    cr_assert_not_null(cegate_event_get(ev, at_max));
    cegate_event_free(ev);
    snprintf(header, sizeof header, "ce-%s", at_max);
    cegate_header ok[] = {REQUIRED_HEADERS, {header, "v"}};
    ev = http_decode_one(ok, N(ok), NULL, 0, NULL);
    cr_assert_not_null(cegate_event_get(ev, at_max));
    cegate_event_free(ev);

    at_max[CEGATE_MAX_NAME_LENGTH] = 'b';
    at_max[CEGATE_MAX_NAME_LENGTH + 1] = '\0';
    snprintf(json, sizeof json, "{" MINIMAL_MEMBERS ",\"%s\":\"v\"}", at_max);
    err = json_fail(json);
    cr_assert_eq(err.code, CEGATE_ERR_NAME, "code %s (%s)",
                 cegate_error_code_name(err.code), err.text);
    snprintf(header, sizeof header, "ce-%s", at_max);
    cegate_header over[] = {REQUIRED_HEADERS, {header, "v"}};
    err = http_fail(over, N(over), NULL);
    cr_assert_eq(err.code, CEGATE_ERR_NAME, "code %s (%s)",
                 cegate_error_code_name(err.code), err.text);
}

Test(names, bad_characters_in_names)
{
    /* ("data" is the data member in the JSON format, not a name.) */
    const char *bad[] = {"My-Ext", "my_ext", "my ext", "\xc3\xa9t\xc3\xa9", ""};
    for (size_t i = 0; i < N(bad); i++) {
        char json[256];
        snprintf(json, sizeof json, "{" MINIMAL_MEMBERS ",\"%s\":\"v\"}",
                 bad[i]);
        cegate_error err = json_fail(json);
        cr_assert_eq(err.code, CEGATE_ERR_NAME, "'%s': code %s (%s)", bad[i],
                     cegate_error_code_name(err.code), err.text);
    }
    const char *bad_headers[] = {"ce-my_ext", "ce-my.ext", "ce-", "ce-data",
                                 "ce-\xc3\xa9"};
    for (size_t i = 0; i < N(bad_headers); i++) {
        cegate_header h[] = {REQUIRED_HEADERS, {bad_headers[i], "v"}};
        cegate_error err = http_fail(h, N(h), NULL);
        cr_assert_eq(err.code, CEGATE_ERR_NAME, "'%s': code %s (%s)",
                     bad_headers[i], cegate_error_code_name(err.code),
                     err.text);
    }
}

/* ---- numbers ---------------------------------------------------------------- */

Test(numbers, integers_out_of_range)
{
    const char *values[] = {"2147483648", "-2147483649", "99999999999999999999",
                            "1e400"};
    for (size_t i = 0; i < N(values); i++) {
        char json[256];
        snprintf(json, sizeof json, "{" MINIMAL_MEMBERS ",\"myext\":%s}",
                 values[i]);
        json_fail(json);
    }
    cegate_options opt;
    cegate_options_init(&opt);
    const cegate_extension_type types[] = {{"extinteger", CEGATE_TYPE_INTEGER}};
    opt.extensions = types;
    opt.extension_count = 1;
    const char *strings[] = {"2147483648", "99999999999999999999999999",
                             "-0x10", "+1", "1.0", "0x7fffffff"};
    for (size_t i = 0; i < N(strings); i++) {
        cegate_header h[] = {REQUIRED_HEADERS, {"ce-extinteger", strings[i]}};
        assert_error(http_decode_fail(h, N(h), NULL, 0, &opt), CEGATE_ERR_VALUE,
                     "ce-extinteger");
    }
}
