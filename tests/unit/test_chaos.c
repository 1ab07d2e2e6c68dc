/* SPDX-License-Identifier: Apache-2.0 */
/* test_chaos.c - every allocation of every operation, made to fail.
 *
 * After jansson's test_chaos.c: cegate allocates through jansson's allocator
 * (see cegate/buffer.h), so json_set_alloc_funcs() puts wrappers under every
 * allocation of the library. For N = 1, 2, 3, ... each operation runs with
 * its Nth allocation failing, until a run makes no allocation that fails, and
 * that run must succeed. Every run must
 *   - not crash (ASan/UBSan builds check the error paths as well),
 *   - report the failure: a non-zero return and an error code, which is
 *     CEGATE_ERR_NOMEM unless the failed allocation was made inside jansson's
 *     parser (json_loadb and friends report out-of-memory as a syntax error,
 *     so any code is accepted there),
 *   - leave nothing allocated once the caller has freed what it owns.
 */
#define _GNU_SOURCE /* dladdr */
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__)
#include <dlfcn.h>
#include <execinfo.h>
#define HAVE_BACKTRACE 1
#endif

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>

#include "cegate/buffer.h"
#include "cegate/error.h"
#include "cegate/event.h"
#include "cegate/format.h"

/* ---- the failing allocator ------------------------------------------------ */

static long live;          /* allocations made and not yet freed */
static size_t calls;       /* allocations since the operation started */
static size_t fail_at;     /* which of them fails; 0: none */
static int armed;          /* count and fail only while an operation runs */
static int failed;         /* the failure was hit */
static int failed_in_parse;/* ... inside jansson's parser */
static int parse_ops;      /* without backtraces: the operation parses JSON */

/* Is jansson's parser (json_loads, json_loadb, ...) on the stack? A frame's
 * return address inside one of those functions is named after it by dladdr;
 * json_load_callback is left out because dladdr also gives that name to the
 * hidden allocator helpers placed after it in libjansson. */
static int in_jansson_parse(void)
{
#ifdef HAVE_BACKTRACE
    static const char *const parsers[] = {"json_loads", "json_loadb",
                                          "json_loadf", "json_loadfd",
                                          "json_load_file"};
    void *frames[128];
    int n = backtrace(frames, 128);
    for (int i = 1; i < n; i++) {
        Dl_info info;
        if (dladdr(frames[i], &info) == 0 || info.dli_sname == NULL)
            continue;
        for (size_t j = 0; j < sizeof parsers / sizeof parsers[0]; j++)
            if (strcmp(info.dli_sname, parsers[j]) == 0)
                return 1;
    }
    return 0;
#else
    return parse_ops;
#endif
}

/* jansson 2.14's lexer does not survive a failed growth of its token buffer:
 * lex_save() drops the error, and the string scanner then reads past the
 * buffer (a crash; akheron/jansson#362, fix proposed in PR #747). That
 * buffer grows to powers of two from 32 bytes, so inside the parser those
 * sizes are never failed: the next allocation fails instead. */
static size_t skipped;

static int lexer_buffer_size(size_t n)
{
    return n >= 32 && (n & (n - 1)) == 0;
}

static void *chaos_malloc(size_t n)
{
    if (armed && ++calls == fail_at) {
        int in_parse = in_jansson_parse();
        if (in_parse && lexer_buffer_size(n)) {
            skipped++;
            fail_at++;
        } else {
            failed = 1;
            failed_in_parse = in_parse;
            return NULL;
        }
    }
    void *p = malloc(n);
    if (p != NULL)
        live++;
    return p;
}

static void chaos_free(void *p)
{
    if (p == NULL)
        return;
    live--;
    free(p);
}

static void install(void)
{
    live = 0;
    json_set_alloc_funcs(chaos_malloc, chaos_free);
#ifdef HAVE_BACKTRACE
    /* The first backtrace() loads libgcc_s; do it before counting. */
    void *frames[4];
    (void)backtrace(frames, 4);
#endif
}

static void uninstall(void)
{
    json_set_alloc_funcs(malloc, free);
}

TestSuite(chaos, .init = install, .fini = uninstall, .timeout = 120);

typedef int (*operation)(cegate_error *err);

/* Run `op` with its 1st, 2nd, ... allocation failing until it needs no more
 * allocations than it gets; returns how many it made in the last run. */
static size_t run_chaos(const char *name, operation op, int parses)
{
    long base = live;
    size_t parse_failures = 0, parse_other_codes = 0;
    parse_ops = parses;
    skipped = 0;
    for (size_t n = 1; n < 1000000; n++) {
        cegate_error err;
        cegate_error_clear(&err);
        calls = 0;
        fail_at = n;
        failed = failed_in_parse = 0;
        armed = 1;
        int rc = op(&err);
        armed = 0;
        cr_assert_eq(live, base,
                     "%s, allocation %zu failing: %ld allocation(s) leaked "
                     "(rc %d, error %s: %s: %s)", name, n, live - base, rc,
                     cegate_error_code_name(err.code), err.path, err.text);
        if (!failed) {
            cr_assert_eq(rc, 0, "%s failed with no allocation failing: %s: "
                         "%s: %s", name, cegate_error_code_name(err.code),
                         err.path, err.text);
            cr_assert_eq(err.code, CEGATE_OK,
                         "%s succeeded but set an error: %s", name,
                         cegate_error_code_name(err.code));
            cr_log_info("%s: %zu allocations, each one made to fail; %zu "
                        "in jansson's parser (%zu reported as other than "
                        "nomem), %zu of its lexer buffer skipped", name,
                        calls, parse_failures, parse_other_codes, skipped);
            return calls;
        }
        cr_assert_neq(rc, 0, "%s reported success although allocation %zu "
                      "of %s failed", name, n, name);
        cr_assert_neq(err.code, CEGATE_OK, "%s failed at allocation %zu "
                      "without an error code", name, n);
        if (failed_in_parse) {
            parse_failures++;
            parse_other_codes += err.code != CEGATE_ERR_NOMEM;
        } else {
            cr_assert_eq(err.code, CEGATE_ERR_NOMEM,
                         "%s, allocation %zu failing (not in the JSON "
                         "parser): error %s at \"%s\": %s, expected nomem",
                         name, n, cegate_error_code_name(err.code), err.path,
                         err.text);
        }
    }
    cr_assert_fail("%s did not finish", name);
    return 0;
}

/* For functions that report no memory as NULL instead of an error. */
static int nomem(cegate_error *err, const char *what)
{
    cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "%s returned NULL", what);
    return -1;
}

/* ---- inputs ---------------------------------------------------------------- */

static const char single_event[] =
    "{\"specversion\":\"1.0\",\"id\":\"A234-1234-1234\","
    "\"source\":\"https://shop.example.com/orders\","
    "\"type\":\"com.example.order.created\",\"subject\":\"orders/1042\","
    "\"time\":\"2026-11-23T09:30:00.123456+01:00\","
    "\"dataschema\":\"https://shop.example.com/schemas/order.json\","
    "\"tenant\":\"acme\",\"priority\":3,\"urgent\":true,"
    "\"data\":{\"order\":1042,\"total\":\"19.90\",\"currency\":\"EUR\","
    "\"items\":[{\"sku\":\"A-1\",\"qty\":2,\"price\":4.95},"
    "{\"sku\":\"B-7\",\"qty\":1,\"price\":10.0,\"tags\":[\"gift\",null]}],"
    "\"customer\":{\"name\":\"J\\u00f6rg \\u20ac\",\"vip\":false}}}";

static const char batch_events[] =
    "[{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/a\",\"type\":\"t\","
    "\"data\":{\"n\":[1,2,3]}},"
    "{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"urn:x:y\","
    "\"type\":\"t\",\"datacontenttype\":\"text/plain\",\"data\":\"text\"},"
    "{\"specversion\":\"1.0\",\"id\":\"3\",\"source\":\"#f\",\"type\":\"t\","
    "\"datacontenttype\":\"application/octet-stream\","
    "\"data_base64\":\"AAECAwQFBgc=\",\"ext\":\"e\"}]";

static const char v03_event[] =
    "{\"specversion\":\"0.3\",\"id\":\"v03\",\"source\":\"/sensors/1\","
    "\"type\":\"com.example.v03\",\"schemaurl\":\"https://example.com/s\","
    "\"subject\":\"s\",\"time\":\"2019-06-05T23:42:17Z\","
    "\"datacontenttype\":\"application/octet-stream\","
    "\"datacontentencoding\":\"base64\",\"data\":\"SGVsbG8sIHdvcmxkIQ==\"}";

static const char base64_event[] =
    "{\"specversion\":\"1.0\",\"id\":\"b64\",\"source\":\"/s\",\"type\":\"t\","
    "\"datacontenttype\":\"image/png\","
    "\"data_base64\":\"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\"}";

static const char text_event[] =
    "{\"specversion\":\"1.0\",\"id\":\"txt\",\"source\":\"/s\",\"type\":\"t\","
    "\"datacontenttype\":\"text/plain; charset=utf-8\","
    "\"data\":\"line one\\nline two \\u00e9\\u20ac\",\"extn\":-7}";

static const cegate_header binary_headers[] = {
    {"ce-specversion", "1.0"},
    {"ce-id", "chaos-1"},
    {"ce-source", "https://example.com/src"},
    {"ce-type", "com.example.chaos"},
    {"ce-time", "2026-11-23T09:30:00.123Z"},
    {"ce-subject", "orders%2F1042%20%E2%82%AC"},
    {"ce-tenant", "\"acme corp\""},
    {"Content-Type", "application/json"},
};
static const char binary_body[] =
    "{\"order\":1042,\"items\":[{\"sku\":\"A\",\"qty\":2}],\"total\":\"19.90\"}";

static const cegate_header binary_text_headers[] = {
    {"CE-SpecVersion", "1.0"},
    {"CE-ID", "chaos-2"},
    {"CE-Source", "/s"},
    {"CE-Type", "t"},
    {"Content-Type", "text/plain"},
};

static const cegate_header structured_headers[] = {
    {"Content-Type", "application/cloudevents+json; charset=UTF-8"},
};

static const cegate_header batch_headers[] = {
    {"Content-Type", "application/cloudevents-batch+json"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- operations -------------------------------------------------------------- */

/* What a decode returned: `expect` events, or none after a failure. */
static int decoded(int rc, cegate_event_list *list, size_t expect)
{
    if (rc == 0)
        cr_assert_eq(list->count, expect, "decoded %zu events, not %zu",
                     list->count, expect);
    else
        cr_assert_eq(list->count, 0, "a failed decode left %zu events",
                     list->count);
    cegate_event_list_free(list);
    return rc;
}

static int decode(const char *json, size_t expect, cegate_error *err)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    int rc = cegate_json_decode(json, strlen(json), NULL, &list, err);
    return decoded(rc, &list, expect);
}

static int op_decode_single(cegate_error *err) { return decode(single_event, 1, err); }
static int op_decode_batch(cegate_error *err) { return decode(batch_events, 3, err); }
static int op_decode_v03(cegate_error *err) { return decode(v03_event, 1, err); }
static int op_decode_base64(cegate_error *err) { return decode(base64_event, 1, err); }
static int op_decode_text(cegate_error *err) { return decode(text_event, 1, err); }

static int http_decode(const cegate_header *headers, size_t count,
                       const char *body, size_t expect, cegate_error *err)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    int rc = cegate_http_decode(headers, count, body, strlen(body), NULL,
                                &list, err);
    return decoded(rc, &list, expect);
}

static int op_http_binary(cegate_error *err)
{
    return http_decode(binary_headers, COUNT(binary_headers), binary_body, 1,
                       err);
}

static int op_http_binary_text(cegate_error *err)
{
    return http_decode(binary_text_headers, COUNT(binary_text_headers),
                       "plain text body", 1, err);
}

static int op_http_structured(cegate_error *err)
{
    return http_decode(structured_headers, 1, single_event, 1, err);
}

static int op_http_batch(cegate_error *err)
{
    return http_decode(batch_headers, 1, batch_events, 3, err);
}

/* Fixtures for the encoders, decoded before the allocator is armed. */
static cegate_event_list fixture;

static void load_fixture(const char *json)
{
    cegate_error err;
    cegate_error_clear(&err);
    cegate_event_list_init(&fixture);
    cr_assert_eq(cegate_json_decode(json, strlen(json), NULL, &fixture, &err),
                 0, "fixture: %s: %s", err.path, err.text);
}

static void free_fixture(void)
{
    cegate_event_list_free(&fixture);
    cr_assert_eq(live, 0, "%ld allocation(s) leaked in total", live);
}

/* run_chaos on an operation over the events of `json` (the fixture). */
static void run_chaos_on(const char *json, const char *name, operation op)
{
    load_fixture(json);
    run_chaos(name, op, 0);
    free_fixture();
}

static int op_encode_batch(cegate_error *err)
{
    cegate_buffer out;
    cegate_buffer_init(&out, (size_t)1 << 20);
    int rc = cegate_json_encode_batch(fixture.events, fixture.count, &out,
                                      err);
    if (rc == 0)
        cr_assert(out.length > 0 && out.data[0] == '[');
    cegate_buffer_free(&out);
    return rc;
}

static int op_encode_event(cegate_error *err)
{
    cegate_buffer out;
    cegate_buffer_init(&out, (size_t)1 << 20);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fixture.count; i++) {
        cegate_buffer_reset(&out);
        rc = cegate_json_encode_event(fixture.events[i], &out, err);
    }
    cegate_buffer_free(&out);
    return rc;
}

static int http_encode(cegate_http_mode mode, cegate_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fixture.count; i++) {
        cegate_http_message msg;
        cegate_http_message_init(&msg, (size_t)1 << 20);
        rc = cegate_http_encode(fixture.events[i], mode, &msg, err);
        if (rc == 0)
            cr_assert(msg.count > 0, "no headers encoded");
        cegate_http_message_free(&msg);
    }
    return rc;
}

static int op_http_encode_binary(cegate_error *err)
{
    return http_encode(CEGATE_HTTP_BINARY, err);
}

static int op_http_encode_structured(cegate_error *err)
{
    return http_encode(CEGATE_HTTP_STRUCTURED, err);
}

static int op_event_copy(cegate_error *err)
{
    for (size_t i = 0; i < fixture.count; i++) {
        cegate_event *c = cegate_event_copy(fixture.events[i]);
        if (c == NULL)
            return nomem(err, "cegate_event_copy");
        cr_assert(cegate_event_equal(c, fixture.events[i]),
                  "a copy differs from its original");
        cegate_event_free(c);
    }
    return 0;
}

#define SET(ev, name, s, type)                                               \
    do {                                                                     \
        if (cegate_event_set_string((ev), (name), (s), strlen(s), (type),    \
                                    err) < 0)                                \
            goto fail;                                                       \
    } while (0)

static int op_event_build(cegate_error *err)
{
    cegate_event *ev = cegate_event_new();
    if (ev == NULL)
        return nomem(err, "cegate_event_new");
    SET(ev, "id", "built-1", 0);
    SET(ev, "source", "https://example.com/built", 0);
    SET(ev, "type", "com.example.built", 0);
    SET(ev, "subject", "a subject \xe2\x82\xac", 0);
    SET(ev, "time", "2026-11-23T09:30:00.5-05:00", 0);
    SET(ev, "dataschema", "https://example.com/schema", 0);
    SET(ev, "datacontenttype", "text/plain", 0);
    SET(ev, "exttext", "text", 0);
    SET(ev, "extint", "-2147483648", CEGATE_TYPE_INTEGER);
    SET(ev, "extbool", "false", CEGATE_TYPE_BOOLEAN);
    SET(ev, "extbin", "AAECAw==", CEGATE_TYPE_BINARY);
    SET(ev, "extts", "2023-03-31T15:12:00Z", CEGATE_TYPE_TIMESTAMP);
    SET(ev, "exturi", "https://cloudevents.io", CEGATE_TYPE_URI);
    SET(ev, "exturiref", "//authority/path", CEGATE_TYPE_URI_REF);
    SET(ev, "subject", "replaced", 0); /* replacing frees the old value */
    for (int i = 0; i < 12; i++) {     /* grow the attribute array */
        char name[16];
        snprintf(name, sizeof name, "more%d", i);
        SET(ev, name, name, 0);
    }
    if (cegate_event_set_data_text(ev, "some text", 9, err) < 0)
        goto fail;
    if (cegate_event_set_data_binary(ev, "\0\1\2", 3, err) < 0)
        goto fail;
    if (cegate_event_validate(ev, err) < 0)
        goto fail;
    cegate_event_free(ev);
    return 0;
fail:
    cegate_event_free(ev);
    return -1;
}

/* A failed set leaves the event as it was. */
static int op_event_set_keeps_old(cegate_error *err)
{
    cegate_event *ev = fixture.events[0];
    const char *before = cegate_event_get_string(ev, "subject");
    cr_assert_not_null(before);
    char *saved = strdup(before);
    size_t count = cegate_event_attribute_count(ev);
    int first = cegate_event_set_string(ev, "subject", "new subject", 11, 0,
                                        err);
    int rc = first < 0 ? first
                       : cegate_event_set_string(ev, "newext", "v", 1, 0, err);
    if (rc < 0) {
        cr_assert_eq(cegate_event_attribute_count(ev), count,
                     "a failed set changed the number of attributes");
        cr_assert_str_eq(cegate_event_get_string(ev, "subject"),
                         first < 0 ? saved : "new subject",
                         "a failed set changed the old value");
        cr_assert_eq(cegate_event_validate(ev, NULL), 0);
    }
    /* Put the event back for the next run, without failing. */
    int was_armed = armed;
    armed = 0;
    cr_assert_eq(cegate_event_set_string(ev, "subject", saved, strlen(saved),
                                         0, NULL), 0);
    cegate_event_remove(ev, "newext");
    armed = was_armed;
    free(saved);
    return rc;
}

static int op_header_values(cegate_error *err)
{
    cegate_buffer out;
    int rc;
    cegate_buffer_init(&out, 1024);
    static const char quoted[] = "\"Euro%20%E2%82%AC%20%F0%9F%98%80\"";
    rc = cegate_header_value_decode(quoted, strlen(quoted), &out,
                                    "ce-subject", err);
    if (rc == 0) {
        cr_assert_str_eq(out.data, "Euro \xe2\x82\xac \xf0\x9f\x98\x80");
        char *copy = strdup(out.data);
        cegate_buffer_reset(&out);
        rc = cegate_header_value_encode(copy, strlen(copy), &out, err);
        if (rc == 0)
            cr_assert_str_eq(out.data, "Euro%20%E2%82%AC%20%F0%9F%98%80");
        free(copy);
    }
    cegate_buffer_free(&out);
    return rc;
}

static int op_json_parse(cegate_error *err)
{
    cegate_limits limits;
    cegate_limits_default(&limits);
    json_t *j = cegate_json_parse(single_event, strlen(single_event), &limits,
                                  err);
    if (j == NULL)
        return -1;
    json_decref(j);
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

Test(chaos, json_decode_single) { run_chaos("cegate_json_decode (single)", op_decode_single, 1); }
Test(chaos, json_decode_batch) { run_chaos("cegate_json_decode (batch)", op_decode_batch, 1); }
Test(chaos, json_decode_v03) { run_chaos("cegate_json_decode (v0.3)", op_decode_v03, 1); }
Test(chaos, json_decode_data_base64) { run_chaos("cegate_json_decode (data_base64)", op_decode_base64, 1); }
Test(chaos, json_decode_text_data) { run_chaos("cegate_json_decode (text data)", op_decode_text, 1); }
Test(chaos, json_parse) { run_chaos("cegate_json_parse", op_json_parse, 1); }

Test(chaos, http_decode_binary) { run_chaos("cegate_http_decode (binary, JSON body)", op_http_binary, 1); }
Test(chaos, http_decode_binary_text) { run_chaos("cegate_http_decode (binary, text body)", op_http_binary_text, 0); }
Test(chaos, http_decode_structured) { run_chaos("cegate_http_decode (structured)", op_http_structured, 1); }
Test(chaos, http_decode_batch) { run_chaos("cegate_http_decode (batch)", op_http_batch, 1); }
Test(chaos, header_values) { run_chaos("cegate_header_value_decode/encode", op_header_values, 0); }

Test(chaos, json_encode_batch)
{
    run_chaos_on(batch_events, "cegate_json_encode_batch", op_encode_batch);
}

Test(chaos, json_encode_event)
{
    run_chaos_on(batch_events, "cegate_json_encode_event", op_encode_event);
}

Test(chaos, http_encode_binary)
{
    run_chaos_on("[" "{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\","
                 "\"type\":\"t y\",\"subject\":\"\xe2\x82\xac\",\"n\":5,"
                 "\"b\":true,\"data\":{\"k\":[1,\"v\"]}},"
                 "{\"specversion\":\"1.0\",\"id\":\"t\",\"source\":\"/s\","
                 "\"type\":\"t\",\"datacontenttype\":\"text/plain\","
                 "\"data\":\"text\"},"
                 "{\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\","
                 "\"type\":\"t\",\"data_base64\":\"AAEC\"}]",
                 "cegate_http_encode (binary)", op_http_encode_binary);
}

Test(chaos, http_encode_structured)
{
    run_chaos_on(batch_events, "cegate_http_encode (structured)",
                 op_http_encode_structured);
}

Test(chaos, event_copy)
{
    load_fixture(batch_events);
    {
        /* and the single event, with every kind of attribute */
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_json_decode(single_event, strlen(single_event),
                                        NULL, &fixture, &err), 0);
    }
    run_chaos("cegate_event_copy", op_event_copy, 0);
    free_fixture();
}

Test(chaos, event_set_string)
{
    run_chaos("cegate_event_new + cegate_event_set_string", op_event_build, 0);
}

Test(chaos, event_set_string_failure_keeps_event)
{
    run_chaos_on(single_event, "cegate_event_set_string (replace)",
                 op_event_set_keeps_old);
}
