/* SPDX-License-Identifier: Apache-2.0 */
/* test_response.c - the CGI response parser (gateway/response.c) and the
 * upstream request/response helpers (gateway/upstream.c).
 *
 * The parser is resumable, so most tests run each input three ways (whole,
 * cut in two at every point, byte by byte) and require the same outcome:
 * same error (code, path, text), status, headers and body. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/upstream.h"

/* ---- running the parser ---------------------------------------------------------- */

typedef struct outcome {
    char *text;     /* everything observable, serialized */
    size_t length;
    int rc;
    cegate_error err;
    int status;
} outcome;

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        *buf = realloc(*buf, c);
        cr_assert_not_null(*buf);
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

__attribute__((format(printf, 4, 5)))
static void appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *tmp = NULL;
    int n = vasprintf(&tmp, fmt, ap);
    va_end(ap);
    cr_assert_geq(n, 0);
    append(buf, len, cap, tmp, (size_t)n);
    free(tmp);
}

/* Feed `in` in pieces: cut[] holds the piece sizes (0-terminated); the last
 * piece takes the rest. Stops at the first error, then finishes. */
static outcome run_pieces(const char *in, size_t n, const size_t *cuts,
                          size_t max_header, size_t max_body)
{
    outcome o;
    memset(&o, 0, sizeof o);
    upstream_response resp;
    upstream_response_init(&resp, max_body, 1024);
    cgi_response_parser p;
    cgi_response_parser_init(&p, &resp, max_header);
    cegate_error_clear(&o.err);
    size_t off = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && off < n; i++) {
        size_t piece = cuts && cuts[i] ? cuts[i] : n - off;
        if (piece > n - off)
            piece = n - off;
        rc = cgi_response_parser_feed(&p, in + off, piece, &o.err);
        off += piece;
    }
    if (rc == 0)
        rc = cgi_response_parser_finish(&p, &o.err);
    o.rc = rc;
    o.status = resp.status;
    size_t len = 0, cap = 0;
    char *t = NULL;
    appendf(&t, &len, &cap, "rc=%d code=%s path=%s text=%s\nstatus=%d\n", rc,
            cegate_error_code_name(o.err.code), o.err.path, o.err.text,
            resp.status);
    for (size_t i = 0; i < resp.header_count; i++)
        appendf(&t, &len, &cap, "[%s]=[%s]\n", resp.header_names[i],
                resp.header_values[i]);
    appendf(&t, &len, &cap, "body %zu:", resp.body.length);
    if (resp.body.length)
        append(&t, &len, &cap, resp.body.data, resp.body.length);
    o.text = t;
    o.length = len;
    cgi_response_parser_free(&p);
    upstream_response_free(&resp);
    return o;
}

static outcome run_whole(const char *in, size_t n, size_t max_header,
                         size_t max_body)
{
    return run_pieces(in, n, NULL, max_header, max_body);
}

static void same(const outcome *a, const outcome *b, const char *how)
{
    cr_assert(a->length == b->length && memcmp(a->text, b->text, a->length) == 0,
              "%s differs:\n--- whole\n%s\n--- %s\n%s", how, a->text, how,
              b->text);
}

/* The outcome of feeding it whole, after checking that every two-piece
 * split and byte-by-byte feeding agree. */
static outcome run_all_ways(const char *in, size_t n, size_t max_header,
                            size_t max_body)
{
    outcome whole = run_whole(in, n, max_header, max_body);
    for (size_t cut = 0; cut <= n; cut++) {
        size_t cuts[3] = {cut, n - cut, 0};
        if (cut == 0) {
            cuts[0] = n;
            cuts[1] = 0;
        }
        outcome o = run_pieces(in, n, cuts, max_header, max_body);
        char how[64];
        snprintf(how, sizeof how, "split at %zu", cut);
        same(&whole, &o, how);
        free(o.text);
    }
    size_t *ones = malloc((n + 1) * sizeof *ones);
    for (size_t i = 0; i < n; i++)
        ones[i] = 1;
    ones[n] = 0;
    outcome b = run_pieces(in, n, n ? ones : NULL, max_header, max_body);
    same(&whole, &b, "byte by byte");
    free(b.text);
    /* Pieces of 3, 7, 2, 5, ... */
    static const size_t pattern[] = {3, 7, 2, 5, 11, 1, 13};
    for (size_t i = 0; i < n; i++)
        ones[i] = pattern[i % 7];
    ones[n] = 0;
    outcome c = run_pieces(in, n, n ? ones : NULL, max_header, max_body);
    same(&whole, &c, "uneven pieces");
    free(c.text);
    free(ones);
    return whole;
}

#define BIG (1u << 20)

static outcome parse(const char *s)
{
    return run_all_ways(s, strlen(s), 64 * 1024, BIG);
}

static outcome parse_n(const char *s, size_t n)
{
    return run_all_ways(s, n, 64 * 1024, BIG);
}

static void expect_error(const char *input, cegate_error_code code,
                         const char *path, const char *text_part)
{
    outcome o = parse(input);
    cr_assert_eq(o.rc, -1, "accepted: %s", input);
    cr_assert_eq(o.err.code, code, "%s: code %s (%s)", input,
                 cegate_error_code_name(o.err.code), o.err.text);
    cr_assert_str_eq(o.err.path, path, "%s: path %s", input, o.err.path);
    if (text_part)
        cr_assert_not_null(strstr(o.err.text, text_part), "%s: text %s", input,
                           o.err.text);
    free(o.text);
}

/* The input is accepted (every way it is fed) with this status. */
static void expect_status(const char *input, int status)
{
    outcome o = parse(input);
    cr_assert_eq(o.rc, 0, "%s: %s", input, o.err.text);
    cr_assert_eq(o.status, status, "%s", o.text);
    free(o.text);
}

/* A full parse into a response the test inspects. */
static int parse_into(const char *s, upstream_response *resp, cegate_error *err)
{
    cgi_response_parser p;
    cgi_response_parser_init(&p, resp, 64 * 1024);
    int rc = cgi_response_parser_feed(&p, s, strlen(s), err);
    if (rc == 0)
        rc = cgi_response_parser_finish(&p, err);
    cgi_response_parser_free(&p);
    return rc;
}

/* ---- status -------------------------------------------------------------------------- */

Test(cgi_response, status_line_and_reason)
{
    expect_status("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope", 404);
    expect_status("Status: 201\n\n", 201);
    expect_status("status:\t503\tSlow Down\n\n", 503);
    expect_status("STATUS:   100  \n\n", 100);
    expect_status("Status: 599 x\n\n", 599);
}

Test(cgi_response, default_status_is_200)
{
    expect_status("Content-Type: application/json\n\n{}", 200);
    expect_status("\n", 200);
}

Test(cgi_response, location_without_status_is_302)
{
    expect_status("Location: https://example.com/x\r\n\r\n", 302);
    expect_status("location: /local\n\n", 302);
    expect_status("Location: /y\nStatus: 201 Created\n\n", 201);
    expect_status("Status: 301\nLocation: /y\n\n", 301);
}

Test(cgi_response, invalid_status_names_status)
{
    const char *bad[] = {
        "Status: 99 Low\n\n",   "Status: 600 High\n\n", "Status: 099\n\n",
        "Status: abc\n\n",      "Status: 2000\n\n",     "Status: 20\n\n",
        "Status:\n\n",          "Status: 200OK\n\n",    "Status: -20\n\n",
        "Status: 2 00\n\n",     "Status: +200\n\n",     "Status: ２００\n\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_error(bad[i], CEGATE_ERR_PROTOCOL, "Status", "Status");
    expect_error("Status: 200\nStatus: 404\n\n", CEGATE_ERR_PROTOCOL, "Status",
                 "twice");
}

/* ---- header lines ------------------------------------------------------------------ */

Test(cgi_response, lf_crlf_and_mixed_line_ends)
{
    const char *forms[] = {
        "A: 1\nB: 2\n\nbody",
        "A: 1\r\nB: 2\r\n\r\nbody",
        "A: 1\r\nB: 2\n\r\nbody",
        "A: 1\nB: 2\r\n\nbody",
    };
    outcome first = parse(forms[0]);
    cr_assert_eq(first.rc, 0);
    for (size_t i = 1; i < 4; i++) {
        outcome o = parse(forms[i]);
        same(&first, &o, forms[i]);
        free(o.text);
    }
    cr_assert_not_null(strstr(first.text, "[A]=[1]\n[B]=[2]\n"), "%s", first.text);
    cr_assert_not_null(strstr(first.text, "body 4:body"), "%s", first.text);
    free(first.text);
}

Test(cgi_response, headers_in_order_as_written)
{
    upstream_response resp;
    upstream_response_init(&resp, BIG, 1024);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(parse_into("Content-type: text/html\r\nX-Multi: a\r\n"
                            "X-Multi: b\r\nX-Empty:\r\nX-Spaces:   v  w \t\r\n"
                            "X-Tok!#$%&'*+-.^_`|~: ok\r\n\r\n<p>",
                            &resp, &err),
                 0, "%s", err.text);
    cr_assert_eq(resp.header_count, 6);
    cr_assert_str_eq(resp.header_names[0], "Content-type");
    cr_assert_str_eq(resp.header_values[0], "text/html");
    cr_assert_str_eq(upstream_response_header(&resp, "CONTENT-TYPE"), "text/html");
    cr_assert_str_eq(upstream_response_header(&resp, "x-multi"), "a");
    cr_assert_str_eq(resp.header_values[2], "b");
    cr_assert_str_eq(upstream_response_header(&resp, "X-Empty"), "");
    cr_assert_str_eq(upstream_response_header(&resp, "X-Spaces"), "v  w");
    cr_assert_str_eq(upstream_response_header(&resp, "x-tok!#$%&'*+-.^_`|~"), "ok");
    cr_assert_null(upstream_response_header(&resp, "Missing"));
    cr_assert_eq(resp.body.length, 3);
    cr_assert_str_eq(resp.body.data, "<p>");
    upstream_response_free(&resp);
}

Test(cgi_response, header_names_must_be_tokens)
{
    expect_error("Bad Name: x\n\n", CEGATE_ERR_PROTOCOL, "header", "not a token");
    expect_error("(x): y\n\n", CEGATE_ERR_PROTOCOL, "header", "not a token");
    expect_error("X\"Q: y\n\n", CEGATE_ERR_PROTOCOL, "header", "not a token");
    expect_error("A\xc3\xa9: y\n\n", CEGATE_ERR_PROTOCOL, "header", "not a token");
    expect_error(": y\n\n", CEGATE_ERR_PROTOCOL, "header", "empty name");
    expect_error("X-Ok: 1\nNoColonHere\n\n", CEGATE_ERR_PROTOCOL, "header",
                 "without a colon");
    expect_error("HTTP/1.1 200 OK\r\n\r\n", CEGATE_ERR_PROTOCOL, "header",
                 "without a colon");
    expect_error("HTTP/1.1: 200 OK\r\n\r\n", CEGATE_ERR_PROTOCOL, "header",
                 "not a token");
}

Test(cgi_response, continuation_lines_rejected)
{
    expect_error("X-A: 1\n  folded\n\n", CEGATE_ERR_PROTOCOL, "header",
                 "continuation");
    expect_error("X-A: 1\r\n\tfolded\r\n\r\n", CEGATE_ERR_PROTOCOL, "header",
                 "continuation");
    expect_error(" X-A: 1\n\n", CEGATE_ERR_PROTOCOL, "header", "continuation");
}

Test(cgi_response, control_characters_in_values_rejected)
{
    expect_error("X-A: a\rb\n\n", CEGATE_ERR_PROTOCOL, "header", "0x0D");
    static const char nul[] = "X-A: a\0b\n\n";
    outcome o = parse_n(nul, sizeof nul - 1);
    cr_assert_eq(o.rc, -1);
    cr_assert_str_eq(o.err.path, "header");
    free(o.text);
    expect_error("X-A: a\x7f\n\n", CEGATE_ERR_PROTOCOL, "header", "0x7F");
    expect_error("X-A: a\x01\n\n", CEGATE_ERR_PROTOCOL, "header", "0x01");
    /* A tab and bytes from 0x80 are fine. */
    outcome ok = parse("X-A: a\tb \xc3\xa9\n\n");
    cr_assert_eq(ok.rc, 0, "%s", ok.text);
    free(ok.text);
}

Test(cgi_response, error_quotes_are_bounded)
{
    char line[2048];
    memset(line, 'x', 1500);
    memcpy(line + 1500, "\n\n", 3);
    outcome o = parse(line);
    cr_assert_eq(o.rc, -1);
    cr_assert_lt(strlen(o.err.text), 200, "%s", o.err.text);
    cr_assert_not_null(strstr(o.err.text, "..."));
    free(o.text);
}

/* ---- end of input ---------------------------------------------------------------------- */

Test(cgi_response, incomplete_header_section)
{
    expect_error("", CEGATE_ERR_PROTOCOL, "headers", "empty");
    expect_error("Content-Type: text/plain\n", CEGATE_ERR_PROTOCOL, "headers",
                 "ended inside");
    expect_error("Content-Type: text/pl", CEGATE_ERR_PROTOCOL, "headers",
                 "ended inside");
    expect_error("Content-Type: text/plain\r\n\r", CEGATE_ERR_PROTOCOL,
                 "headers", "ended inside");
}

Test(cgi_response, body_holds_anything)
{
    static const char in[] = "X: y\n\nline\n\nStatus: 500\r\n\0binary\xff";
    outcome o = parse_n(in, sizeof in - 1);
    cr_assert_eq(o.rc, 0);
    cr_assert_eq(o.status, 200);
    const char *b = strstr(o.text, "body ");
    cr_assert_not_null(b);
    static const char want[] = "body 27:line\n\nStatus: 500\r\n\0binary\xff";
    cr_assert(memcmp(b, want, sizeof want - 1) == 0);
    cr_assert_eq((size_t)(b - o.text) + sizeof want - 1, o.length);
    free(o.text);
}

/* ---- limits ---------------------------------------------------------------------------- */

Test(cgi_response, header_section_limit)
{
    /* "X: 1234\n" is 8 bytes; 7 of them plus the blank line make 57. */
    char in[256] = "";
    for (int i = 0; i < 7; i++)
        strcat(in, "X: 1234\n");
    strcat(in, "\nbody");
    outcome o = run_all_ways(in, strlen(in), 57, BIG);
    cr_assert_eq(o.rc, 0, "%s", o.text);
    free(o.text);
    o = run_all_ways(in, strlen(in), 56, BIG);
    cr_assert_eq(o.rc, -1);
    cr_assert_eq(o.err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(o.err.path, "headers");
    free(o.text);
    /* A single unterminated line over the limit trips it too. */
    char line[300];
    memset(line, 'a', 299);
    line[299] = '\0';
    o = run_all_ways(line, 299, 100, BIG);
    cr_assert_eq(o.err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(o.err.path, "headers");
    free(o.text);
    /* With CRLF: 7 * 9 + 2 = 65. */
    char crlf[256] = "";
    for (int i = 0; i < 7; i++)
        strcat(crlf, "X: 1234\r\n");
    strcat(crlf, "\r\n");
    o = run_all_ways(crlf, strlen(crlf), 65, BIG);
    cr_assert_eq(o.rc, 0, "%s", o.text);
    free(o.text);
    o = run_all_ways(crlf, strlen(crlf), 64, BIG);
    cr_assert_eq(o.err.code, CEGATE_ERR_LIMIT);
    free(o.text);
}

Test(cgi_response, body_limit_keeps_what_fits)
{
    const char *in = "X: y\n\n0123456789";
    outcome o = run_all_ways(in, strlen(in), 1024, 10);
    cr_assert_eq(o.rc, 0, "%s", o.text);
    free(o.text);
    const char *over = "X: y\n\n0123456789A";
    o = run_all_ways(over, strlen(over), 1024, 10);
    cr_assert_eq(o.rc, -1);
    cr_assert_eq(o.err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(o.err.path, "body");
    cr_assert_not_null(strstr(o.text, "body 10:0123456789"), "%s", o.text);
    free(o.text);
    o = run_all_ways(over, strlen(over), 1024, 0);
    cr_assert_eq(o.err.code, CEGATE_ERR_LIMIT);
    free(o.text);
}

Test(cgi_response, a_failed_parser_stays_failed)
{
    upstream_response resp;
    upstream_response_init(&resp, BIG, 1024);
    cgi_response_parser p;
    cgi_response_parser_init(&p, &resp, 1024);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cgi_response_parser_feed(&p, "bad line\n", 9, &err), -1);
    cegate_error_clear(&err);
    cr_assert_eq(cgi_response_parser_feed(&p, "\n", 1, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_PROTOCOL);
    cegate_error_clear(&err);
    cr_assert_eq(cgi_response_parser_finish(&p, &err), -1);
    cgi_response_parser_free(&p);
    upstream_response_free(&resp);
}

Test(cgi_response, a_long_line_in_many_pieces)
{
    size_t n = 40000;
    char *in = malloc(n + 16);
    memcpy(in, "X-Long: ", 8);
    memset(in + 8, 'v', n);
    memcpy(in + 8 + n, "\n\nB", 3);
    size_t total = n + 11;
    outcome whole = run_whole(in, total, 64 * 1024, BIG);
    cr_assert_eq(whole.rc, 0, "%s", whole.err.text);
    size_t *ones = malloc((total + 1) * sizeof *ones);
    for (size_t i = 0; i < total; i++)
        ones[i] = 1;
    ones[total] = 0;
    outcome b = run_pieces(in, total, ones, 64 * 1024, BIG);
    same(&whole, &b, "byte by byte");
    free(b.text);
    free(whole.text);
    free(ones);
    free(in);
}

/* ---- upstream helpers ------------------------------------------------------------------ */

Test(upstream, request_params)
{
    upstream_request req;
    upstream_request_init(&req);
    cegate_error err;
    cegate_error_clear(&err);
    for (int i = 0; i < 100; i++) {
        char name[32], value[32];
        snprintf(name, sizeof name, "P_%d", i);
        snprintf(value, sizeof value, "v%d", i);
        cr_assert_eq(upstream_request_add(&req, name, value, strlen(value), &err), 0);
    }
    cr_assert_eq(upstream_request_add(&req, "EMPTY", "", 0, &err), 0);
    cr_assert_eq(upstream_request_add(&req, "P_1", "again", 5, &err), 0);
    cr_assert_eq(req.param_count, 102);
    cr_assert_str_eq(upstream_request_get(&req, "P_1"), "v1");
    cr_assert_str_eq(upstream_request_get(&req, "P_99"), "v99");
    cr_assert_str_eq(upstream_request_get(&req, "EMPTY"), "");
    cr_assert_null(upstream_request_get(&req, "p_1"));
    cr_assert_eq(req.params[5].name_length, 3);
    cr_assert_eq(req.params[5].value_length, 2);
    /* Values are copied with their length, not up to a NUL. */
    cr_assert_eq(upstream_request_add(&req, "PART", "abcdef", 3, &err), 0);
    cr_assert_str_eq(upstream_request_get(&req, "PART"), "abc");
    upstream_request_free(&req);
    cr_assert_eq(req.param_count, 0);
}

Test(upstream, request_param_checks)
{
    upstream_request req;
    upstream_request_init(&req);
    const char *names[] = {"", "HTTP-X", "A B", "A=B", "\xc3\xa9", "X.Y"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(upstream_request_add(&req, names[i], "v", 1, &err), -1,
                     "%s", names[i]);
        cr_assert_eq(err.code, CEGATE_ERR_NAME);
    }
    const char *values[] = {"a\nb", "a\rb", "a\0b"};
    for (size_t i = 0; i < 3; i++) {
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(upstream_request_add(&req, "HTTP_X", values[i], 3, &err), -1);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE);
        cr_assert_str_eq(err.path, "HTTP_X");
    }
    cr_assert_eq(req.param_count, 0);
    upstream_request_free(&req);
}

Test(upstream, response_free_and_reuse)
{
    upstream_response resp;
    upstream_response_init(&resp, 100, 100);
    cegate_error err;
    cegate_error_clear(&err);
    char many[8192] = "";
    for (int i = 0; i < 200; i++) {
        char line[32];
        snprintf(line, sizeof line, "H%d: %d\n", i, i);
        strcat(many, line);
    }
    strcat(many, "\nok");
    cr_assert_eq(parse_into(many, &resp, &err), 0, "%s", err.text);
    cr_assert_eq(resp.header_count, 200);
    cr_assert_str_eq(upstream_response_header(&resp, "h199"), "199");
    upstream_response_free(&resp);
    cr_assert_eq(resp.header_count, 0);
    cr_assert_eq(resp.body.length, 0);
    cr_assert_eq(resp.body.max, 100);
    cr_assert_eq(parse_into("Status: 202\n\nagain", &resp, &err), 0);
    cr_assert_eq(resp.status, 202);
    upstream_response_free(&resp);
}
