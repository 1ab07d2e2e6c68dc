/* SPDX-License-Identifier: Apache-2.0 */
/* test_request.c - an event and its route become the request an app sees
 * (gateway/upstream/request.c): the CGI/1.1 params a web server sends,
 * the attributes as HTTP_CE_* valued as the HTTP binding's ce- headers
 * (percent-encoded), the data as the body; structured mode; a front
 * controller's SCRIPT_FILENAME, SCRIPT_NAME and PATH_INFO; the route's
 * extra params (never HTTP_PROXY, HTTP_CE_* or CONTENT_LENGTH); the
 * decoded S3 key; and no path param with a dot segment. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cegate/cegate.h"
#include "route.h"
#include "upstream/request.h"

#include "helpers.h"

#define N(arr) (sizeof(arr) / sizeof *(arr))

/* ---- helpers ------------------------------------------------------------- */

/* One event from its JSON format (the core tests' helper). */
static cegate_event *event_of(const char *json)
{
    return json_decode_one(json, strlen(json), NULL);
}

static route new_route(void)
{
    route r;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_init_default(&r, &err), 0, "%s", err.text);
    return r;
}

/* A request built and what it was built from, freed by done(). */
typedef struct built {
    upstream_request req;
    cegate_http_message msg;
    cegate_error err;
    int rc;
} built;

static void build(built *b, const cegate_event *ev, const route *r,
                  const request_settings *s)
{
    request_settings defaults;
    if (s == NULL) {
        request_settings_default(&defaults);
        s = &defaults;
    }
    upstream_request_init(&b->req);
    cegate_http_message_init(&b->msg, 1u << 20);
    cegate_error_clear(&b->err);
    b->rc = request_build(ev, r, s, &b->req, &b->msg, &b->err);
}

static void build_ok(built *b, const cegate_event *ev, const route *r,
                     const request_settings *s)
{
    build(b, ev, r, s);
    cr_assert_eq(b->rc, 0, "%s: %s", b->err.path, b->err.text);
}

static void done(built *b)
{
    upstream_request_free(&b->req);
    cegate_http_message_free(&b->msg);
}

static const char *param(const built *b, const char *name)
{
    const char *v = upstream_request_get(&b->req, name);
    cr_assert_not_null(v, "no param %s", name);
    return v;
}

static void expect_param(const built *b, const char *name, const char *want)
{
    cr_assert_str_eq(param(b, name), want, "%s", name);
}

/* Is there a param of this name in any case? */
static int has_param_any_case(const built *b, const char *name)
{
    for (size_t i = 0; i < b->req.param_count; i++)
        if (strcasecmp(b->req.params[i].name, name) == 0)
            return 1;
    return 0;
}

static size_t count_prefix(const built *b, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < b->req.param_count; i++)
        n += strncmp(b->req.params[i].name, prefix, strlen(prefix)) == 0;
    return n;
}

#define EVENT                                                                 \
    "{\"specversion\":\"1.0\",\"id\":\"o-1\",\"source\":\"/shop\","        \
    "\"type\":\"com.example.order.created\",\"subject\":\"Euro \\u20ac\","   \
    "\"time\":\"2026-01-02T03:04:05Z\",\"tenant\":\"a\\\"b%c\","              \
    "\"datacontenttype\":\"application/json\",\"data\":{\"n\":1}}"

/* ---- binary mode ---------------------------------------------------------- */

Test(binary, the_cgi_params_a_web_server_sends)
{
    cegate_event *ev = event_of(EVENT);
    route r = new_route();
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "GATEWAY_INTERFACE", "CGI/1.1");
    expect_param(&b, "SERVER_PROTOCOL", "HTTP/1.1");
    cr_assert_not_null(strstr(param(&b, "SERVER_SOFTWARE"), "/"));
    expect_param(&b, "SERVER_NAME", "localhost");
    expect_param(&b, "SERVER_PORT", "80");
    expect_param(&b, "HTTP_HOST", "localhost");
    expect_param(&b, "REMOTE_ADDR", "127.0.0.1");
    expect_param(&b, "REQUEST_METHOD", "POST");
    expect_param(&b, "REQUEST_URI", "/");
    expect_param(&b, "DOCUMENT_URI", "/");
    expect_param(&b, "SCRIPT_NAME", "/");
    expect_param(&b, "PATH_INFO", "");
    expect_param(&b, "QUERY_STRING", "");
    expect_param(&b, "REDIRECT_STATUS", "200");
    expect_param(&b, "CONTENT_TYPE", "application/json");
    expect_param(&b, "CONTENT_LENGTH", "7");
    cr_assert_eq(b.req.body_length, 7);
    cr_assert_arr_eq(b.req.body, "{\"n\":1}", 7, "the data is the body");
    /* No script: no SCRIPT_FILENAME nor DOCUMENT_ROOT. */
    cr_assert_null(upstream_request_get(&b.req, "SCRIPT_FILENAME"));
    cr_assert_null(upstream_request_get(&b.req, "DOCUMENT_ROOT"));
    cr_assert_not(has_param_any_case(&b, "HTTP_PROXY"));
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

Test(binary, attributes_as_percent_encoded_http_ce_params)
{
    cegate_event *ev = event_of(EVENT);
    route r = new_route();
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "HTTP_CE_SPECVERSION", "1.0");
    expect_param(&b, "HTTP_CE_ID", "o-1");
    expect_param(&b, "HTTP_CE_SOURCE", "/shop");
    expect_param(&b, "HTTP_CE_TYPE", "com.example.order.created");
    expect_param(&b, "HTTP_CE_TIME", "2026-01-02T03:04:05Z");
    /* Space, '"', '%' and non-ASCII as %XY of the UTF-8 bytes. */
    expect_param(&b, "HTTP_CE_SUBJECT", "Euro%20%E2%82%AC");
    expect_param(&b, "HTTP_CE_TENANT", "a%22b%25c");
    /* datacontenttype is the binding's Content-Type, not a ce- header. */
    cr_assert_null(upstream_request_get(&b.req, "HTTP_CE_DATACONTENTTYPE"));
    cr_assert_eq(count_prefix(&b, "HTTP_CE_"), 7);
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

Test(binary, an_attribute_named_proxy_is_no_http_proxy)
{
    cegate_event *ev = event_of("{\"specversion\":\"1.0\",\"id\":\"1\","
                                "\"source\":\"/s\",\"type\":\"t\","
                                "\"proxy\":\"http://evil:3128\"}");
    route r = new_route();
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "HTTP_CE_PROXY", "http://evil:3128");
    cr_assert_not(has_param_any_case(&b, "HTTP_PROXY"));
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

Test(binary, text_and_no_data)
{
    cegate_event *ev = event_of("{\"specversion\":\"1.0\",\"id\":\"1\","
                                "\"source\":\"/s\",\"type\":\"t\","
                                "\"datacontenttype\":\"text/plain\","
                                "\"data\":\"hello\"}");
    route r = new_route();
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "CONTENT_TYPE", "text/plain");
    expect_param(&b, "CONTENT_LENGTH", "5");
    cr_assert_arr_eq(b.req.body, "hello", 5);
    done(&b);
    cegate_event_free(ev);

    ev = event_of("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                  "\"type\":\"t\"}");
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "CONTENT_LENGTH", "0");
    cr_assert_eq(b.req.body_length, 0);
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

/* ---- the route ----------------------------------------------------------- */

Test(route, method_path_and_query)
{
    cegate_event *ev = event_of(EVENT);
    route r = new_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_set_method(&r, "PUT", &err), 0);
    cr_assert_eq(route_set_path(&r, "/orders/{id}/{subject}?v=2", &err), 0);
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "REQUEST_METHOD", "PUT");
    expect_param(&b, "REQUEST_URI", "/orders/o-1/Euro%20%E2%82%AC?v=2");
    expect_param(&b, "DOCUMENT_URI", "/orders/o-1/Euro%20%E2%82%AC");
    expect_param(&b, "SCRIPT_NAME", "/orders/o-1/Euro%20%E2%82%AC");
    expect_param(&b, "QUERY_STRING", "v=2");
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

Test(route, a_refused_path_value_builds_no_request)
{
    cegate_event *ev = event_of("{\"specversion\":\"1.0\",\"id\":\"1\","
                                "\"source\":\"/s\",\"type\":\"t\","
                                "\"subject\":\"..%2F..%2Fetc\"}");
    route r = new_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_set_path(&r, "/hooks/{subject}", &err), 0);
    built b;
    build(&b, ev, &r, NULL);
    cr_assert_eq(b.rc, -1);
    cr_assert_eq(b.err.code, CEGATE_ERR_VALUE);
    cr_assert_str_eq(b.err.path, "subject");
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

Test(route, extra_params_added_or_overriding)
{
    cegate_event *ev = event_of(EVENT);
    route r = new_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_add_param(&r, "APP_ENV", "prod", &err), 0, "%s", err.text);
    cr_assert_eq(route_add_param(&r, "SERVER_NAME", "hooks.example", &err), 0);
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "APP_ENV", "prod");
    expect_param(&b, "SERVER_NAME", "hooks.example");
    size_t names = 0;
    for (size_t i = 0; i < b.req.param_count; i++)
        names += strcmp(b.req.params[i].name, "SERVER_NAME") == 0;
    cr_assert_eq(names, 1, "an override replaces, it does not add");
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

Test(route, reserved_params_refused_in_any_case)
{
    static const char *const reserved[] = {
        "HTTP_PROXY", "http_proxy", "Http_Proxy", "CONTENT_LENGTH",
        "content_length", "HTTP_CE_ID", "http_ce_type", "HTTP_CE_",
        "Http_Ce_Anything",
    };
    for (size_t i = 0; i < N(reserved); i++) {
        route r = new_route();
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(route_add_param(&r, reserved[i], "x", &err), -1, "%s",
                     reserved[i]);
        cr_assert_eq(err.code, CEGATE_ERR_NAME, "%s", reserved[i]);
        cr_assert_str_eq(err.path, reserved[i]);
        cr_assert_eq(r.param_count, 0);
        route_free(&r);
    }
    route r = new_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_add_param(&r, "HTTP_CEX", "x", &err), 0,
                 "only HTTP_CE_ is reserved: %s", err.text);
    cr_assert_eq(route_add_param(&r, "BAD-NAME", "x", &err), -1);
    cegate_error_clear(&err);
    cr_assert_eq(route_add_param(&r, "X", "a\r\nb", &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_VALUE);
    route_free(&r);
}

Test(route, no_path_param_with_a_dot_segment)
{
    /* Whatever sets them: a route param, or the script's name. */
    static const char *const names[] = {"REQUEST_URI", "PATH_INFO",
                                        "DOCUMENT_URI", "SCRIPT_NAME"};
    static const char *const values[] = {"/a/../b", "/a/%2e%2e/b", "/a%2F..",
                                         "/."};
    cegate_event *ev = event_of(EVENT);
    for (size_t i = 0; i < N(names); i++)
        for (size_t k = 0; k < N(values); k++) {
            route r = new_route();
            cegate_error err;
            cegate_error_clear(&err);
            cr_assert_eq(route_add_param(&r, names[i], values[k], &err), 0);
            built b;
            build(&b, ev, &r, NULL);
            cr_assert_eq(b.rc, -1, "%s=%s", names[i], values[k]);
            cr_assert_eq(b.err.code, CEGATE_ERR_VALUE);
            cr_assert_str_eq(b.err.path, names[i]);
            done(&b);
            route_free(&r);
        }
    route r = new_route();
    request_settings s;
    request_settings_default(&s);
    s.script_filename = "/srv/..";
    built b;
    build(&b, ev, &r, &s);
    cr_assert_eq(b.rc, -1);
    cr_assert_str_eq(b.err.path, "SCRIPT_NAME");
    done(&b);
    /* A query is no path. */
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_set_path(&r, "/a?x=/../", &err), 0);
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "QUERY_STRING", "x=/../");
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

/* ---- a front controller (--script) --------------------------------------- */

Test(script, script_filename_and_path_info)
{
    cegate_event *ev = event_of(EVENT);
    route r = new_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_set_path(&r, "/hooks/{id}?q=1", &err), 0);
    request_settings s;
    request_settings_default(&s);
    s.script_filename = "/srv/app/public/index.php";
    built b;
    build_ok(&b, ev, &r, &s);
    expect_param(&b, "SCRIPT_FILENAME", "/srv/app/public/index.php");
    expect_param(&b, "DOCUMENT_ROOT", "/srv/app/public");
    expect_param(&b, "SCRIPT_NAME", "/index.php");
    expect_param(&b, "PATH_INFO", "/hooks/o-1");
    expect_param(&b, "REQUEST_URI", "/hooks/o-1?q=1");
    expect_param(&b, "DOCUMENT_URI", "/hooks/o-1");
    expect_param(&b, "QUERY_STRING", "q=1");
    done(&b);

    s.document_root = "/srv/app";
    s.server_name = "events.local";
    s.server_port = "8080";
    build_ok(&b, ev, &r, &s);
    expect_param(&b, "DOCUMENT_ROOT", "/srv/app");
    expect_param(&b, "SERVER_NAME", "events.local");
    expect_param(&b, "HTTP_HOST", "events.local");
    expect_param(&b, "SERVER_PORT", "8080");
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

/* ---- structured mode ------------------------------------------------------ */

Test(structured, the_whole_event_as_the_body)
{
    cegate_event *ev = event_of(EVENT);
    route r = new_route();
    r.mode = CEGATE_HTTP_STRUCTURED;
    built b;
    build_ok(&b, ev, &r, NULL);
    cr_assert_eq(strncmp(param(&b, "CONTENT_TYPE"), "application/cloudevents+json",
                         28), 0, "%s", param(&b, "CONTENT_TYPE"));
    cr_assert_eq(count_prefix(&b, "HTTP_CE_"), 0, "no HTTP_CE_* in structured mode");
    char length[24];
    snprintf(length, sizeof length, "%zu", b.req.body_length);
    expect_param(&b, "CONTENT_LENGTH", length);
    json_error_t jerr;
    json_t *body = json_loadb(b.req.body, b.req.body_length, 0, &jerr);
    cr_assert_not_null(body, "the body is not JSON: %s", jerr.text);
    json_t *want = json_loads(EVENT, 0, NULL);
    cr_assert(json_equal(body, want), "body %.*s", (int)b.req.body_length,
              b.req.body);
    json_decref(body);
    json_decref(want);
    done(&b);
    route_free(&r);
    cegate_event_free(ev);
}

/* ---- CEGATE_S3_KEY ------------------------------------------------------- */

static cegate_event *s3_event(const char *type, const char *key)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"aws:s3.r.b\","
             "\"type\":\"%s\",\"subject\":\"%s\"}", type, key);
    return event_of(json);
}

Test(s3_key, decoded_for_s3_events_only)
{
    route r = new_route();
    cegate_event *ev = s3_event("com.amazonaws.s3.ObjectCreated:Put",
                                "invoices/November+report%281%29.pdf");
    built b;
    build_ok(&b, ev, &r, NULL);
    expect_param(&b, "CEGATE_S3_KEY", "invoices/November report(1).pdf");
    expect_param(&b, "HTTP_CE_SUBJECT", "invoices/November+report%25281%2529.pdf");
    done(&b);
    cegate_event_free(ev);

    ev = s3_event("com.example.upload", "a+b");
    build_ok(&b, ev, &r, NULL);
    cr_assert_null(upstream_request_get(&b.req, "CEGATE_S3_KEY"));
    done(&b);
    cegate_event_free(ev);

    /* A key that decodes to a control character is not passed decoded. */
    ev = s3_event("com.amazonaws.s3.ObjectCreated:Put", "a%0Ab");
    build_ok(&b, ev, &r, NULL);
    cr_assert_null(upstream_request_get(&b.req, "CEGATE_S3_KEY"));
    done(&b);
    cegate_event_free(ev);
    route_free(&r);
}

Test(s3_key, decoding)
{
    static const struct {
        const char *key, *decoded; /* NULL: refused */
    } cases[] = {
        {"plain", "plain"},
        {"a+b", "a b"},
        {"a%2Bb", "a+b"},
        {"%E2%82%AC", "\xe2\x82\xac"},
        {"100%", "100%"},
        {"%zz", "%zz"},
        {"%41%42", "AB"},
        {"a%00b", NULL},
        {"%0D%0A", NULL},
        {"%FF", NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        cegate_buffer out;
        cegate_buffer_init(&out, 1024);
        int rc = request_decode_s3_key(cases[i].key, &out);
        if (cases[i].decoded == NULL) {
            cr_assert_eq(rc, -1, "%s", cases[i].key);
            cr_assert_eq(out.length, 0, "%s: nothing left behind", cases[i].key);
        } else {
            cr_assert_eq(rc, 0, "%s", cases[i].key);
            cr_assert_str_eq(out.data, cases[i].decoded, "%s", cases[i].key);
        }
        cegate_buffer_free(&out);
    }
}
