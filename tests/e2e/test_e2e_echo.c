/* SPDX-License-Identifier: Apache-2.0 */
/* test_e2e_echo.c - cegate replay into the libfcgi echo app
 * ($CEGATE_ECHO_APP), which answers with the params and the body (length,
 * sha256, text) it received: the synthesized request exactly, structured
 * mode, path templates against hostile subjects, big bodies, FastCGI
 * length-encoding boundaries, S3 keys, concurrency, and the outcome rules
 * (2xx / 5xx / 4xx / timeouts / an app that is not there or comes late). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

TestSuite(e2e_echo, .init = e2e_setup, .fini = e2e_teardown);

/* A CloudEvent with every kind of context attribute, values that need
 * percent-encoding in a ce- header, and an extension named "proxy" (which
 * must give HTTP_CE_PROXY and never HTTP_PROXY). */
static const char KNOWN_EVENT[] =
    "{\"specversion\":\"1.0\",\"id\":\"evt-0001\","
    "\"source\":\"https://example.com/src?x=1\","
    "\"type\":\"com.example.order.created\","
    "\"subject\":\"caf\xc3\xa9 \\\"q\\\" 100% done\","
    "\"time\":\"2026-11-23T09:30:00Z\","
    "\"datacontenttype\":\"application/json\","
    "\"dataschema\":\"https://example.com/schema\","
    "\"tenant\":\"acme corp\",\"count\":42,\"flag\":true,"
    "\"proxy\":\"http://evil.example:3128\","
    "\"data\":{\"order\":1042,\"note\":\"\xc3\xbcn\xc3\xaf" "code\"}}";
/* Its data as the body: the JSON value, compact. */
static const char KNOWN_BODY[] = "{\"order\":1042,\"note\":\"\xc3\xbcn\xc3\xaf" "code\"}";

static const char *echo_sock(void) { return e2e_path("echo.sock"); }
static const char *echo_app(void) { return e2e_fmt("unix:%s", echo_sock()); }

static e2e_proc *start_echo_at(const char *sock, int threads)
{
    const char *bin = run_need_env("CEGATE_ECHO_APP");
    const char *argv[] = {bin, "--socket", sock, NULL};
    const char *env[] = {e2e_fmt("THREADS=%d", threads), NULL};
    return e2e_start("echo", argv, env, sock);
}

static e2e_proc *start_echo(int threads) { return start_echo_at(echo_sock(), threads); }

/* The params object and the body object of an echo answer. */
static json_t *params_of(json_t *response)
{
    json_t *p = json_object_get(response, "params");
    cr_assert(json_is_object(p), "no params in the echo answer");
    return p;
}

static const char *param(json_t *response, const char *name)
{
    const char *v = json_string_value(json_object_get(params_of(response), name));
    cr_assert_not_null(v, "param %s was not received", name);
    return v;
}

static void assert_body(json_t *response, const void *bytes, size_t n)
{
    char hex[65];
    e2e_sha256_hex(bytes, n, hex);
    json_t *body = json_object_get(response, "body");
    cr_assert_eq(json_integer_value(json_object_get(body, "length")), (json_int_t)n,
                 "body length");
    cr_assert_str_eq(json_string_value(json_object_get(body, "sha256")), hex,
                     "body sha256");
}

static void assert_delivered(json_t *line, const char *id)
{
    cr_assert_str_eq(e2e_str(line, "status"), "delivered", "line: status %s, error %s",
                     e2e_str(line, "status"), e2e_str(line, "error"));
    if (id != NULL)
        cr_assert_str_eq(e2e_str(line, "id"), id);
    cr_assert_eq(e2e_int(line, "code"), 200);
}

/* ---- the synthesized request ------------------------------------------------------ */

Test(e2e_echo, binary_mode_params_are_exact)
{
    e2e_proc *app = start_echo(1);
    const char *input = e2e_write_text("event.json", KNOWN_EVENT, 0644);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    cr_assert_eq(r.total, 1);
    json_t *line = e2e_line(&r, 0);
    assert_delivered(line, "evt-0001");
    cr_assert_str_eq(e2e_str(line, "type"), "com.example.order.created");
    cr_assert_eq(e2e_int(line, "attempts"), 1);

    json_t *resp = e2e_response_json(line);
    e2e_params want;
    e2e_standard_params(&want, "POST", "/", "application/json", strlen(KNOWN_BODY));
    e2e_params_add(&want, "HTTP_CE_SPECVERSION", "1.0");
    e2e_params_add(&want, "HTTP_CE_ID", "evt-0001");
    e2e_params_add(&want, "HTTP_CE_SOURCE", "https://example.com/src?x=1");
    e2e_params_add(&want, "HTTP_CE_TYPE", "com.example.order.created");
    e2e_params_add(&want, "HTTP_CE_SUBJECT", "caf%C3%A9%20%22q%22%20100%25%20done");
    e2e_params_add(&want, "HTTP_CE_TIME", "2026-11-23T09:30:00Z");
    e2e_params_add(&want, "HTTP_CE_DATASCHEMA", "https://example.com/schema");
    e2e_params_add(&want, "HTTP_CE_TENANT", "acme%20corp");
    e2e_params_add(&want, "HTTP_CE_COUNT", "42");
    e2e_params_add(&want, "HTTP_CE_FLAG", "true");
    e2e_params_add(&want, "HTTP_CE_PROXY", "http://evil.example:3128");
    e2e_assert_params_exact(params_of(resp), &want, NULL);
    cr_assert_null(json_object_get(params_of(resp), "HTTP_PROXY"), "httpoxy");
    cr_assert_null(json_object_get(params_of(resp), "HTTP_CE_DATACONTENTTYPE"));

    assert_body(resp, KNOWN_BODY, strlen(KNOWN_BODY));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(resp, "body"),
                                                       "text")),
                     KNOWN_BODY);
    cr_assert_eq(json_integer_value(json_object_get(resp, "pid")), app->pid);
    e2e_stop_clean(app);
}

Test(e2e_echo, structured_mode_sends_the_event_as_the_body)
{
    e2e_proc *app = start_echo(1);
    const char *input = e2e_write_text("event.json", KNOWN_EVENT, 0644);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--mode", "structured", input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    assert_delivered(line, "evt-0001");
    json_t *resp = e2e_response_json(line);

    /* application/cloudevents+json, parameters (charset) allowed. */
    const char *ct = param(resp, "CONTENT_TYPE");
    size_t media = strcspn(ct, ";");
    cr_assert(media == strlen("application/cloudevents+json") &&
                  strncmp(ct, "application/cloudevents+json", media) == 0,
              "CONTENT_TYPE %s", ct);
    const char *text = json_string_value(
        json_object_get(json_object_get(resp, "body"), "text"));
    cr_assert_not_null(text, "the body is not shown as text");

    /* Exactly the standard params: no HTTP_CE_* in structured mode. */
    e2e_params want;
    e2e_standard_params(&want, "POST", "/", ct, strlen(text));
    e2e_assert_params_exact(params_of(resp), &want, NULL);
    assert_body(resp, text, strlen(text));

    /* The body is the event in the JSON format. */
    json_error_t jerr;
    json_t *body = e2e_own_json(json_loads(text, 0, &jerr));
    cr_assert_not_null(body, "the body is not JSON (%s): %s", jerr.text, text);
    json_t *event = e2e_own_json(json_loads(KNOWN_EVENT, 0, NULL));
    cr_assert(json_equal(body, event), "body %s\nevent %s", text, KNOWN_EVENT);
    e2e_stop_clean(app);
}

/* ---- path templates ----------------------------------------------------------------- */

static void assert_no_dot_segment(const char *uri)
{
    cr_assert(strpbrk(uri, "?#\r\n") == NULL, "REQUEST_URI %s", uri);
    const char *p = uri;
    while (*p) {
        p++; /* past '/' */
        size_t n = strcspn(p, "/");
        cr_assert(!(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.'),
                  "dot segment in REQUEST_URI %s", uri);
        p += n;
    }
}

Test(e2e_echo, route_path_with_hostile_subjects)
{
    e2e_proc *app = start_echo(1);
    static const struct {
        const char *json_subject; /* as written in the JSON input */
        const char *uri;          /* expected REQUEST_URI, NULL: invalid
                                     input, "": an event the route refuses */
    } cases[] = {
        /* Encoded, but the app decodes PATH_INFO once: ../../etc/passwd
         * again, so the route refuses it. */
        {"../../etc/passwd", ""},
        {"a/../b", ""},
        {"a?b=c&d", "/uploads/a%3Fb%3Dc%26d"},
        {"x#y", "/uploads/x%23y"},
        {"CR\\r\\nLF", NULL}, /* a JSON-escaped CR LF: the core refuses it */
        /* Only dots: even encoded, a normalizing proxy or app would read
         * a dot segment, so the route refuses them. */
        {"..", ""},
        {".", ""},
        /* Values that decode once to a dot segment (an app decoding an S3
         * key as it arrived): refused too. */
        {"%2e%2e", ""},
        {"%2E.", ""},
        {"..%2F..%2Fetc", ""},
        {"/", "/uploads/%2F"},
        {"a.b/c..d%41", "/uploads/a.b%2Fc..d%2541"},
        {NULL, NULL}, /* no subject: the template cannot be filled */
    };
    const size_t n = sizeof cases / sizeof cases[0];
    char *ndjson = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&ndjson, &size);
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "{\"specversion\":\"1.0\",\"id\":\"h%zu\",\"source\":\"/e2e\","
                   "\"type\":\"e2e.hostile\",%s%s%s"
                   "\"datacontenttype\":\"text/plain\",\"data\":\"x\"}\n",
                i + 1, cases[i].json_subject ? "\"subject\":\"" : "",
                cases[i].json_subject ? cases[i].json_subject : "",
                cases[i].json_subject ? "\"," : "");
    fclose(f);
    e2e_own(ndjson);
    const char *input = e2e_write("hostile.ndjson", ndjson, size, 0644);

    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--route-path", "/uploads/{subject}", input);
    size_t invalid = 0;
    for (size_t i = 0; i < n; i++)
        invalid += cases[i].uri == NULL || cases[i].uri[0] == '\0';
    cr_assert_eq(r.total, n, "stderr: %s", r.stderr_text);
    cr_assert_eq(r.invalid, invalid);
    cr_assert_eq(r.delivered, n - invalid);
    cr_assert_eq(r.exit_code, 65, "an invalid event makes exit 65; stderr: %s",
                 r.stderr_text);
    for (size_t i = 0; i < n; i++) {
        json_t *line;
        if (cases[i].json_subject == NULL ||
            (cases[i].uri != NULL && cases[i].uri[0] == '\0')) {
            line = e2e_line_for(&r, e2e_fmt("h%zu", i + 1));
            /* A valid event the route cannot take: invalid, named. */
            cr_assert_str_eq(e2e_str(line, "status"), "invalid", "case %zu", i);
            cr_assert_str_eq(e2e_str(line, "id"), e2e_fmt("h%zu", i + 1));
            cr_assert_eq(e2e_int(line, "attempts"), 0, "never sent to the app");
            cr_assert_not_null(strstr(e2e_str(line, "error"), "subject"),
                               "error: %s", e2e_str(line, "error"));
            continue;
        }
        if (cases[i].uri == NULL) {
            line = e2e_line_for_input(&r, i + 1); /* no event: no id */
            cr_assert_str_eq(e2e_str(line, "status"), "invalid", "case %zu", i);
            cr_assert_eq(e2e_int(line, "attempts"), 0, "never sent to the app");
            cr_assert_null(json_object_get(line, "response"));
            cr_assert_not_null(strstr(e2e_str(line, "error"), "subject"),
                               "error: %s", e2e_str(line, "error"));
            continue;
        }
        line = e2e_line_for(&r, e2e_fmt("h%zu", i + 1));
        assert_delivered(line, e2e_fmt("h%zu", i + 1));
        json_t *resp = e2e_response_json(line);
        const char *uri = param(resp, "REQUEST_URI");
        cr_assert_str_eq(uri, cases[i].uri, "case %zu", i);
        assert_no_dot_segment(uri);
        cr_assert_str_eq(param(resp, "SCRIPT_NAME"), cases[i].uri);
        cr_assert_str_eq(param(resp, "DOCUMENT_URI"), cases[i].uri);
        cr_assert_str_eq(param(resp, "QUERY_STRING"), "", "case %zu", i);
        cr_assert_str_eq(param(resp, "PATH_INFO"), "");
    }
    e2e_stop_clean(app);
}

/* ---- sizes -------------------------------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static char *base64(const unsigned char *in, size_t n)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = e2e_own(malloc((n + 2) / 3 * 4 + 1));
    cr_assert_not_null(out);
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = t[(v >> 6) & 63];
        out[o++] = t[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = t[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

Test(e2e_echo, sixteen_mib_binary_body_arrives_byte_exact)
{
    e2e_proc *app = start_echo(1);
    const size_t n = 16u << 20;
    unsigned char *bytes = e2e_own(malloc(n));
    cr_assert_not_null(bytes);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = xorshift(&seed);
        memcpy(bytes + i, &v, 8);
    }
    char *b64 = base64(bytes, n);
    char *event = NULL;
    int len = asprintf(&event,
                       "{\"specversion\":\"1.0\",\"id\":\"big\",\"source\":\"/e2e\","
                       "\"type\":\"e2e.big\",\"datacontenttype\":"
                       "\"application/octet-stream\",\"data_base64\":\"%s\"}",
                       b64);
    cr_assert_gt(len, 0);
    e2e_own(event);
    const char *input = e2e_write("big.json", event, (size_t)len, 0644);

    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    assert_delivered(line, "big");
    json_t *resp = e2e_response_json(line);
    assert_body(resp, bytes, n);
    cr_assert_str_eq(param(resp, "CONTENT_LENGTH"), "16777216");
    cr_assert_str_eq(param(resp, "CONTENT_TYPE"), "application/octet-stream");
    cr_assert_null(json_object_get(json_object_get(resp, "body"), "text"));
    e2e_stop_clean(app);
}

/* A value of n printable bytes that needs no percent-encoding, different
 * at every position (so a cut or a shift shows). */
static char *pattern(size_t n, unsigned salt)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    char *s = e2e_own(malloc(n + 1));
    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = alphabet[(i * 7 + i / 61 + salt) % (sizeof alphabet - 1)];
    s[n] = '\0';
    return s;
}

Test(e2e_echo, fastcgi_length_encoding_boundaries)
{
    e2e_proc *app = start_echo(1);
    /* One event with values of 127 bytes (the last 1-byte FastCGI length),
     * 128 (the first 4-byte one) and 16000; another whose params (five
     * values of 16000 bytes) need more than one PARAMS record. */
    static const size_t sizes[] = {127, 128, 16000};
    char *values[8];
    for (size_t i = 0; i < 8; i++)
        values[i] = pattern(i < 3 ? sizes[i] : 16000, (unsigned)i);
    const char *input = e2e_fmt("%s/lengths.ndjson", e2e_dir());
    FILE *f = fopen(input, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"specversion\":\"1.0\",\"id\":\"len-1\",\"source\":\"/e2e\","
               "\"type\":\"e2e.lengths\",\"a127\":\"%s\",\"a128\":\"%s\","
               "\"a16000\":\"%s\",\"datacontenttype\":\"text/plain\","
               "\"data\":\"ok\"}\n",
            values[0], values[1], values[2]);
    fprintf(f, "{\"specversion\":\"1.0\",\"id\":\"len-2\",\"source\":\"/e2e\","
               "\"type\":\"e2e.lengths\",\"b1\":\"%s\",\"b2\":\"%s\",\"b3\":\"%s\","
               "\"b4\":\"%s\",\"b5\":\"%s\",\"datacontenttype\":\"text/plain\","
               "\"data\":\"ok\"}\n",
            values[3], values[4], values[5], values[6], values[7]);
    cr_assert_eq(fclose(f), 0);

    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), input);
    e2e_assert_delivered(&r, 2);

    json_t *resp = e2e_response_json(e2e_line_for(&r, "len-1"));
    cr_assert_str_eq(param(resp, "HTTP_CE_ID"), "len-1");
    cr_assert_str_eq(param(resp, "HTTP_CE_A127"), values[0]);
    cr_assert_eq(strlen(param(resp, "HTTP_CE_A127")), 127);
    cr_assert_str_eq(param(resp, "HTTP_CE_A128"), values[1]);
    cr_assert_eq(strlen(param(resp, "HTTP_CE_A128")), 128);
    cr_assert_str_eq(param(resp, "HTTP_CE_A16000"), values[2]);
    cr_assert_str_eq(param(resp, "CONTENT_LENGTH"), "2");
    assert_body(resp, "ok", 2);

    resp = e2e_response_json(e2e_line_for(&r, "len-2"));
    cr_assert_str_eq(param(resp, "HTTP_CE_ID"), "len-2");
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(param(resp, e2e_fmt("HTTP_CE_B%d", i + 1)), values[3 + i],
                         "HTTP_CE_B%d", i + 1);
    /* The params after the big ones still arrive. */
    cr_assert_str_eq(param(resp, "HTTP_CE_TYPE"), "e2e.lengths");
    assert_body(resp, "ok", 2);

    e2e_stop_clean(app);
}

/* ---- an S3 notification ---------------------------------------------------------------- */

Test(e2e_echo, s3_notification_passes_the_decoded_key)
{
    e2e_proc *app = start_echo(1);
    const char *input = e2e_sample("s3-object-created.json");
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--route-path", "/uploads/{subject}", input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    cr_assert_eq(r.total, 1);
    json_t *line = e2e_line(&r, 0);
    assert_delivered(line, "C3D13FE58DE4C810.FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/"
                           "JRWeUWerMUE5JgHvANOjpD");
    json_t *resp = e2e_response_json(line);
    cr_assert_str_eq(param(resp, "CEGATE_S3_KEY"), "invoices/2026/November report(1).pdf");
    /* The subject is the key as received, percent-encoded for the header. */
    cr_assert_str_eq(param(resp, "HTTP_CE_SUBJECT"),
                     "invoices/2026/November+report%25281%2529.pdf");
    cr_assert_str_eq(param(resp, "REQUEST_URI"),
                     "/uploads/invoices%2F2026%2FNovember%2Breport%25281%2529.pdf");
    cr_assert_str_eq(param(resp, "HTTP_CE_TYPE"), "com.amazonaws.s3.ObjectCreated:Put");
    cr_assert_str_eq(param(resp, "HTTP_CE_SOURCE"), "aws:s3.eu-west-1.acme-uploads");
    cr_assert_str_eq(param(resp, "HTTP_CE_TIME"), "2026-11-23T09:41:07.512Z");
    cr_assert_str_eq(param(resp, "CONTENT_TYPE"), "application/json");

    /* The body is the record. */
    const char *text = json_string_value(
        json_object_get(json_object_get(resp, "body"), "text"));
    cr_assert_not_null(text);
    json_t *body = e2e_own_json(json_loads(text, 0, NULL));
    json_t *notification = e2e_own_json(json_load_file(input, 0, NULL));
    cr_assert_not_null(notification);
    json_t *record = json_array_get(json_object_get(notification, "Records"), 0);
    cr_assert(json_equal(body, record), "body: %s", text);
    e2e_stop_clean(app);
}

/* ---- concurrency ------------------------------------------------------------------------ */

Test(e2e_echo, two_workers_deliver_two_hundred_events)
{
    e2e_proc *app = start_echo(2);
    enum { N = 200 };
    const char *input = e2e_write_events("many.ndjson", N, "evt-", "n=");

    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--workers", "2", input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    cr_assert_eq(r.total, N);
    cr_assert_eq(r.delivered, N);
    int seen[N] = {0};
    for (size_t i = 0; i < N; i++) {
        json_t *line = e2e_line(&r, i);
        assert_delivered(line, NULL);
        int n = -1;
        cr_assert_eq(sscanf(e2e_str(line, "id"), "evt-%d", &n), 1);
        cr_assert(n >= 0 && n < N && !seen[n], "id %s", e2e_str(line, "id"));
        seen[n] = 1;
        /* Lines come in completion order; `line` says which input it was. */
        cr_assert_eq(e2e_int(line, "line"), n + 1, "id %s", e2e_str(line, "id"));
        /* Each answer is the answer to that very event. */
        json_t *resp = e2e_response_json(line);
        cr_assert_str_eq(param(resp, "HTTP_CE_ID"), e2e_str(line, "id"));
        const char *text = json_string_value(
            json_object_get(json_object_get(resp, "body"), "text"));
        cr_assert_str_eq(text, e2e_fmt("n=%d", n));
    }
    e2e_stop_clean(app);
}

/* ---- routes from a configuration file ---------------------------------------------------- */

Test(e2e_echo, config_routes_pick_app_path_and_mode)
{
    e2e_proc *main_app = start_echo(1);
    const char *orders_sock = e2e_path("orders.sock");
    e2e_proc *orders = start_echo_at(orders_sock, 1);
    const char *cfg = e2e_write_text(
        "cegate.json",
        e2e_fmt("{\"app\": \"%s\",\n"
                " \"apps\": {\"orders\": {\"address\": \"unix:%s\", \"workers\": 1}},\n"
                " \"routes\": [\n"
                "  {\"name\": \"uploads\", \"match\": {\"type\": \"com.amazonaws.s3.*\"},\n"
                "   \"request\": {\"path\": \"/uploads/{subject}\",\n"
                "               \"params\": {\"APP_ROUTE\": \"uploads\"}}},\n"
                "  {\"match\": {\"type\": \"com.example.order.*\", \"source\": \"/shop\"},\n"
                "   \"app\": \"orders\",\n"
                "   \"request\": {\"method\": \"PUT\", \"path\": \"/orders/{id}\",\n"
                "               \"mode\": \"structured\"}}]}\n",
                echo_app(), orders_sock),
        0644);
    const char *input = e2e_write_text(
        "events.ndjson",
        "{\"specversion\":\"1.0\",\"id\":\"o-1\",\"source\":\"/shop\","
        "\"type\":\"com.example.order.created\",\"data\":{\"n\":1}}\n"
        "{\"specversion\":\"1.0\",\"id\":\"s-1\",\"source\":\"/bucket\","
        "\"type\":\"com.amazonaws.s3.ObjectCreated:Put\",\"subject\":\"a/b c.jpg\"}\n"
        "{\"specversion\":\"1.0\",\"id\":\"o-2\",\"source\":\"/elsewhere\","
        "\"type\":\"com.example.order.created\"}\n",
        0644);
    e2e_run r;
    E2E_REPLAY(&r, "-c", cfg, input);
    cr_assert_eq(r.exit_code, 65, "an unrouted event makes the run 65; stderr: %s",
                 r.stderr_text);
    cr_assert_eq(r.delivered, 2);
    cr_assert_eq(r.rejected, 1);

    json_t *order = e2e_line_for(&r, "o-1");
    assert_delivered(order, "o-1");
    json_t *resp = e2e_response_json(order);
    cr_assert_eq(json_integer_value(json_object_get(resp, "pid")), orders->pid,
                 "the order went to the orders app");
    cr_assert_str_eq(param(resp, "REQUEST_METHOD"), "PUT");
    cr_assert_str_eq(param(resp, "REQUEST_URI"), "/orders/o-1");
    cr_assert_str_eq(param(resp, "CONTENT_TYPE"),
                     "application/cloudevents+json; charset=utf-8");
    cr_assert_null(json_object_get(params_of(resp), "APP_ROUTE"));

    json_t *upload = e2e_line_for(&r, "s-1");
    assert_delivered(upload, "s-1");
    resp = e2e_response_json(upload);
    cr_assert_eq(json_integer_value(json_object_get(resp, "pid")), main_app->pid,
                 "the upload went to the default app");
    cr_assert_str_eq(param(resp, "REQUEST_METHOD"), "POST");
    cr_assert_str_eq(param(resp, "REQUEST_URI"), "/uploads/a%2Fb%20c.jpg");
    cr_assert_str_eq(param(resp, "APP_ROUTE"), "uploads");
    cr_assert_str_eq(param(resp, "HTTP_CE_ID"), "s-1", "binary mode by default");

    json_t *unrouted = e2e_line_for(&r, "o-2");
    e2e_assert_outcome(unrouted, "rejected", 0, 0);
    cr_assert(strstr(e2e_str(unrouted, "error"), "no route matches") != NULL, "%s",
              e2e_str(unrouted, "error"));
    e2e_stop_clean(orders);
    e2e_stop_clean(main_app);
}

/* ---- outcomes ----------------------------------------------------------------------------- */

Test(e2e_echo, status_500_is_retried_then_failed)
{
    e2e_proc *app = start_echo(1);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--param", "HTTP_X_ECHO_STATUS=500",
               "--attempts", "3", "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75, "stderr: %s", r.stderr_text);
    cr_assert_eq(r.failed, 1);
    json_t *line = e2e_line(&r, 0);
    e2e_assert_outcome(line, "failed", 500, 3);
    cr_assert_str_eq(e2e_str(line, "id"), E2E_ORDER_ID);
    cr_assert_not_null(strstr(e2e_str(line, "error"), "500"), "error: %s",
                       e2e_str(line, "error"));
    e2e_stop_clean(app);
}

Test(e2e_echo, status_404_is_rejected_at_once)
{
    e2e_proc *app = start_echo(1);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--param", "HTTP_X_ECHO_STATUS=404",
               "--attempts", "3", "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 65, "stderr: %s", r.stderr_text);
    cr_assert_eq(r.rejected, 1);
    e2e_assert_outcome(e2e_line(&r, 0), "rejected", 404, 1);
    e2e_stop_clean(app);
}

Test(e2e_echo, a_routes_outcome_table_overrides_the_rules)
{
    /* 409 (already have it) counts as delivered; 404 (not there yet) is
     * retried; 500 is rejected at once. */
    e2e_proc *app = start_echo(1);
    const char *statuses[][3] = {{"409", "delivered", "1"}, {"404", "failed", "3"},
                                 {"500", "rejected", "1"}};
    for (size_t i = 0; i < 3; i++) {
        e2e_run r;
        E2E_REPLAY(&r, "--app", echo_app(), "--param",
                   e2e_fmt("HTTP_X_ECHO_STATUS=%s", statuses[i][0]), "--outcome",
                   "409=delivered", "--outcome", "4xx=retry", "--outcome", "500=reject",
                   "--attempts", "3", "--retry-initial-ms", "10",
                   e2e_sample("order-created.json"));
        json_t *line = e2e_line(&r, 0);
        e2e_assert_outcome(line, statuses[i][1], atoi(statuses[i][0]),
                           atoi(statuses[i][2]));
        cr_assert_eq(r.exit_code, i == 0 ? 0 : i == 1 ? 75 : 65, "status %s: exit %d",
                     statuses[i][0], r.exit_code);
    }
    e2e_stop_clean(app);
}

Test(e2e_echo, app_stderr_is_kept_with_a_failure)
{
    e2e_proc *app = start_echo(1);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--param", "HTTP_X_ECHO_STATUS=422",
               "--param", "HTTP_X_ECHO_STDERR=order 1042 is not valid",
               e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 65, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    cr_assert_str_eq(e2e_str(line, "status"), "rejected");
    cr_assert_eq(e2e_int(line, "code"), 422);
    cr_assert_not_null(strstr(e2e_str(line, "app_stderr"), "order 1042 is not valid"),
                       "app_stderr: %s", e2e_str(line, "app_stderr"));
    e2e_stop_clean(app);
}

Test(e2e_echo, a_hanging_app_times_out)
{
    e2e_proc *app = start_echo(1);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--param", "HTTP_X_ECHO_SLEEP_MS=5000",
               "--timeout", "300", "--attempts", "2", "--retry-initial-ms", "10",
               e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    e2e_assert_outcome(line, "failed", 0, 2);
    const char *error = e2e_str(line, "error");
    cr_assert(strstr(error, "300 ms") != NULL, "error: %s", error);
    /* Two attempts of 300 ms each: a lower bound only. */
    cr_assert_geq(json_number_value(json_object_get(line, "ms")), 600.0);
    e2e_stop_clean(app);
}

Test(e2e_echo, no_app_is_unavailable)
{
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--attempts", "2", "--retry-initial-ms", "10",
               e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 69, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    e2e_assert_outcome(line, "failed", 0, 2);
    cr_assert_not_null(strstr(e2e_str(line, "error"), echo_sock()), "error: %s",
                       e2e_str(line, "error"));
}

/* An app that dies with the request in hand, is gone for a while (its
 * socket removed: connect fails), then comes back: the event is delivered
 * by a later attempt. The test itself plays the dying app, so that the
 * first attempt is known to have happened before the real app starts. */
Test(e2e_echo, app_that_dies_and_comes_back_gets_the_event)
{
    const char *sock = echo_sock();
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(lfd, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s",
                 strerror(errno));
    cr_assert_eq(listen(lfd, 8), 0);

    e2e_run r;
    /* Up to 1000 attempts 0-200 ms apart: minutes of retrying, so the
     * late start below is never too late, however slow the machine. */
    e2e_replay_start(&r, (const char *const[]){"--app", echo_app(), "--attempts", "1000",
                                               "--retry-initial-ms", "50",
                                               "--retry-max-ms", "200",
                                               e2e_sample("order-created.json"), NULL});
    /* The first attempt: take the request's first bytes and die. */
    struct pollfd pfd = {lfd, POLLIN, 0};
    int ready = 0;
    for (double until = run_now() + E2E_START_SECONDS; !ready && run_now() < until;) {
        ready = poll(&pfd, 1, 50) > 0;
        cr_assert(ready || e2e_replay_running(&r), "replay ended before connecting");
    }
    cr_assert(ready, "replay never connected");
    int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    cr_assert_geq(cfd, 0, "accept: %s", strerror(errno));
    char buf[8];
    struct pollfd cp = {cfd, POLLIN, 0};
    cr_assert_gt(poll(&cp, 1, (int)(E2E_START_SECONDS * 1000)), 0);
    cr_assert_gt(read(cfd, buf, sizeof buf), 0, "no request bytes");
    close(cfd);
    close(lfd);
    unlink(sock);

    /* Gone for a while: replay keeps trying (connect fails: ENOENT). */
    double gone_until = run_now() + 0.5;
    while (run_now() < gone_until) {
        cr_assert(e2e_replay_running(&r), "replay gave up while the app was away");
        usleep(10000);
    }
    e2e_proc *app = start_echo(1);
    e2e_replay_finish(&r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    assert_delivered(line, E2E_ORDER_ID);
    cr_assert_gt(e2e_int(line, "attempts"), 1);
    json_t *resp = e2e_response_json(line);
    cr_assert_eq(json_integer_value(json_object_get(resp, "pid")), app->pid);
    e2e_stop_clean(app);
}

/* ---- other connection modes ---------------------------------------------------------- */

static void assert_all_delivered(const e2e_run *r, int n)
{
    cr_assert_eq(r->exit_code, 0, "stderr: %s", r->stderr_text);
    cr_assert_eq(r->delivered, (size_t)n);
    for (int i = 0; i < n; i++) {
        json_t *line = e2e_line_for(r, e2e_fmt("c-%d", i));
        assert_delivered(line, e2e_fmt("c-%d", i));
        json_t *resp = e2e_response_json(line);
        cr_assert_str_eq(param(resp, "HTTP_CE_ID"), e2e_fmt("c-%d", i));
        assert_body(resp, e2e_fmt("n=%d", i), strlen(e2e_fmt("n=%d", i)));
    }
}

Test(e2e_echo, a_connection_per_request)
{
    e2e_proc *app = start_echo(1);
    e2e_run r;
    E2E_REPLAY(&r, "--app", echo_app(), "--no-keep-alive", e2e_write_events("c.ndjson", 30, "c-", "n="));
    assert_all_delivered(&r, 30);
    e2e_stop_clean(app);
}

/* Open the write end of a FIFO once its reader has opened it. */
static int open_fifo_writer(const char *path, e2e_run *reader)
{
    double until = run_now() + E2E_START_SECONDS;
    for (;;) {
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            return fd;
        cr_assert_eq(errno, ENXIO, "open %s: %s", path, strerror(errno));
        cr_assert(e2e_replay_running(reader), "cegate replay ended before reading");
        cr_assert_lt(run_now(), until, "cegate replay never opened %s", path);
        poll(NULL, 0, 10);
    }
}

Test(e2e_echo, an_idle_kept_connection_is_closed_so_the_app_serves_others)
{
    /* One libfcgi process serves one connection at a time: while a replay
     * keeps its connection open, nobody else gets an answer. A replay
     * whose input trickles in must let it go once idle. */
    start_echo(1);
    const char *fifo = e2e_path("events.fifo");
    cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
    e2e_run slow;
    e2e_replay_start(&slow, (const char *const[]){"--app", echo_app(), "--idle-timeout",
                                                  "200", "--ndjson", fifo, NULL});
    int fd = open_fifo_writer(fifo, &slow);
    const char line[] = "{\"specversion\":\"1.0\",\"id\":\"slow-1\",\"source\":\"/s\","
                        "\"type\":\"t\"}\n";
    cr_assert_eq(write(fd, line, sizeof line - 1), (ssize_t)(sizeof line - 1));
    /* Its outcome is printed as it happens, input still open. */
    double until = run_now() + E2E_RUN_SECONDS;
    for (;;) {
        char *out = run_slurp(slow.out, NULL);
        int done = out != NULL && strstr(out, "\"delivered\"") != NULL;
        free(out);
        if (done)
            break;
        cr_assert_lt(run_now(), until, "the first event's line never appeared");
        poll(NULL, 0, 20);
    }
    /* Another client, with a timeout far above the idle time. */
    e2e_run other;
    E2E_REPLAY(&other, "--app", echo_app(), "--timeout", "10000", "--attempts", "1",
               e2e_write_events("one.ndjson", 1, "other-", "n="));
    cr_assert_eq(other.exit_code, 0, "the app stayed pinned: %s", other.stderr_text);
    assert_delivered(e2e_line(&other, 0), "other-0");
    /* The slow replay reconnects for its next event. */
    const char line2[] = "{\"specversion\":\"1.0\",\"id\":\"slow-2\",\"source\":\"/s\","
                         "\"type\":\"t\"}\n";
    cr_assert_eq(write(fd, line2, sizeof line2 - 1), (ssize_t)(sizeof line2 - 1));
    close(fd);
    e2e_replay_finish(&slow);
    cr_assert_eq(slow.exit_code, 0, "stderr: %s", slow.stderr_text);
    cr_assert_eq(slow.delivered, 2);
}

Test(e2e_echo, loopback_tcp)
{
    const char *where = e2e_fmt("127.0.0.1:%d", e2e_free_loopback_port());
    e2e_proc *app = start_echo_at(where, 1);
    e2e_run r;
    E2E_REPLAY(&r, "--app", where, e2e_write_events("c.ndjson", 30, "c-", "n="));
    assert_all_delivered(&r, 30);
    E2E_REPLAY(&r, "--app", where, "--no-keep-alive", e2e_write_events("c.ndjson", 10, "c-", "n="));
    assert_all_delivered(&r, 10);
    e2e_stop_clean(app);
}

/* ---- extra params ---------------------------------------------------------------------- */

/* --param may add any CGI variable, but not one that belongs to the event
 * (HTTP_CE_*) or that an app may take for its outgoing proxy (httpoxy:
 * HTTP_PROXY; curl and others read http_proxy). CGI programs see params
 * as environment variables, whose names are case-sensitive, and many
 * tools and frameworks match these names without regard to case: the
 * reservation must hold in any case. Refused means exit 64 (usage), with
 * nothing delivered. */
Test(e2e_echo, reserved_param_names_are_refused_in_any_case)
{
    e2e_proc *app = start_echo(1);
    static const char *const names[] = {"HTTP_PROXY", "HTTP_CE_ID", "HTTP_CE_NEW",
                                        "http_proxy", "Http_Proxy", "http_ce_id",
                                        "Http_Ce_Type"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        e2e_run r;
        e2e_replay_start(&r, (const char *const[]){"--app", echo_app(), "--param",
                                                   e2e_fmt("%s=http://evil.example:3128",
                                                           names[i]),
                                                   e2e_sample("order-created.json"), NULL});
        /* A refusal happens before any input is read: no summary line is
         * required then, so this run is checked by hand. */
        e2e_replay_wait(&r);
        int status = r.wait_status;
        char *out = e2e_own(run_slurp(r.out, NULL));
        char *err = e2e_own(run_slurp(r.err, NULL));
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 64,
                  "--param %s=... was not refused (wait status %d); stdout: %.300s; "
                  "stderr: %s", names[i], status, out ? out : "", err ? err : "");
        cr_assert(out == NULL || out[0] == '\0', "output for a refused run: %s", out);
        cr_assert_not_null(strstr(err ? err : "", names[i]), "the error does not name %s: %s",
                           names[i], err ? err : "");
    }
    e2e_stop_clean(app);
}

/* CONTENT_LENGTH describes the body cegate sends: a --param cannot make it
 * lie (it is refused, exit 64, or has no effect). */
Test(e2e_echo, content_length_always_matches_the_body)
{
    e2e_proc *app = start_echo(1);
    static const char *const values[] = {"5", "999", "0"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        e2e_run r;
        e2e_replay_start(&r, (const char *const[]){"--app", echo_app(), "--param",
                                                   e2e_fmt("CONTENT_LENGTH=%s", values[i]),
                                                   e2e_sample("order-created.json"), NULL});
        if (e2e_replay_wait(&r) == 64)
            continue; /* refused: fine */
        e2e_replay_finish(&r);
        json_t *line = e2e_line(&r, 0);
        assert_delivered(line, E2E_ORDER_ID);
        json_t *resp = e2e_response_json(line);
        json_int_t length = json_integer_value(json_object_get(json_object_get(resp, "body"),
                                                               "length"));
        cr_assert_str_eq(param(resp, "CONTENT_LENGTH"), e2e_fmt("%lld", (long long)length),
                         "--param CONTENT_LENGTH=%s: the app was told %s bytes and got "
                         "%lld",
                         values[i], param(resp, "CONTENT_LENGTH"), (long long)length);
    }
    e2e_stop_clean(app);
}
