/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_fcgi_response.c - the FastCGI response parser (gateway/fastcgi.c) on
 * an untrusted app's byte stream, and the CGI response parser
 * (gateway/response.c) on the raw input.
 *
 * Property: the parsers are resumable, so feeding the input whole, in two
 * pieces cut at a data-dependent point, and byte by byte must give the same
 * outcome: return code, error (code, path, text), done, appStatus,
 * protocolStatus, status, headers, body and log. abort() otherwise. The
 * sanitizers catch the rest (overreads, leaks, UB).
 *
 * libFuzzer: ./configure CC=clang --enable-fuzz && make tests/fuzz/fuzz_fcgi_response
 *            tests/fuzz/fuzz_fcgi_response corpus-copy/
 * Without libFuzzer, tests/fuzz/replay_fcgi_response replays the corpus
 * (tests/fuzz/corpus/fcgi_response) in make check. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/fcgi_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits, so that the body, log and header limits are reached. */
#define BODY_MAX 4096
#define LOG_MAX 256

typedef struct run {
    upstream_response resp;
    cegate_error err;
    int rc;
    int done;
    uint32_t app_status;
    int protocol_status;
} run;

/* Feed data in pieces of `step` bytes (0: whole), after a first piece of
 * `first` bytes; stop at the first error. */
static void fcgi_feed(run *r, const uint8_t *data, size_t size, size_t first,
                      size_t step)
{
    upstream_response_init(&r->resp, BODY_MAX, LOG_MAX);
    cegate_error_clear(&r->err);
    fcgi_response_parser p;
    fcgi_response_parser_init(&p, &r->resp);
    size_t off = 0;
    int rc = 0;
    while (rc == 0 && off < size) {
        size_t n = size - off;
        if (off == 0 && first > 0 && first < n)
            n = first;
        else if (off > 0 && step > 0 && step < n)
            n = step;
        rc = fcgi_response_parser_feed(&p, (const char *)data + off, n, &r->err);
        off += n;
    }
    r->rc = rc;
    r->done = p.done;
    r->app_status = p.app_status;
    r->protocol_status = p.protocol_status;
    fcgi_response_parser_free(&p);
}

static void cgi_feed(run *r, const uint8_t *data, size_t size, size_t first,
                     size_t step, size_t max_header)
{
    upstream_response_init(&r->resp, BODY_MAX, LOG_MAX);
    cegate_error_clear(&r->err);
    cgi_response_parser p;
    cgi_response_parser_init(&p, &r->resp, max_header);
    size_t off = 0;
    int rc = 0;
    while (rc == 0 && off < size) {
        size_t n = size - off;
        if (off == 0 && first > 0 && first < n)
            n = first;
        else if (off > 0 && step > 0 && step < n)
            n = step;
        rc = cgi_response_parser_feed(&p, (const char *)data + off, n, &r->err);
        off += n;
    }
    if (rc == 0)
        rc = cgi_response_parser_finish(&p, &r->err);
    r->rc = rc;
    r->done = 0;
    r->app_status = 0;
    r->protocol_status = 0;
    cgi_response_parser_free(&p);
}

static int same_buffer(const cegate_buffer *a, const cegate_buffer *b)
{
    return a->length == b->length &&
           (a->length == 0 || memcmp(a->data, b->data, a->length) == 0);
}

static void check_same(const run *a, const run *b, const char *what)
{
    int same = a->rc == b->rc && a->err.code == b->err.code &&
               strcmp(a->err.path, b->err.path) == 0 &&
               strcmp(a->err.text, b->err.text) == 0 && a->done == b->done &&
               a->app_status == b->app_status &&
               a->protocol_status == b->protocol_status &&
               a->resp.status == b->resp.status &&
               a->resp.header_count == b->resp.header_count &&
               same_buffer(&a->resp.body, &b->resp.body) &&
               same_buffer(&a->resp.log, &b->resp.log);
    for (size_t i = 0; same && i < a->resp.header_count; i++)
        same = strcmp(a->resp.header_names[i], b->resp.header_names[i]) == 0 &&
               strcmp(a->resp.header_values[i], b->resp.header_values[i]) == 0;
    if (!same) {
        fprintf(stderr,
                "fuzz_fcgi_response: %s differs from whole input:\n"
                "  whole: rc=%d code=%d path=%s text=%s done=%d status=%d "
                "headers=%zu body=%zu log=%zu\n"
                "  other: rc=%d code=%d path=%s text=%s done=%d status=%d "
                "headers=%zu body=%zu log=%zu\n",
                what, a->rc, a->err.code, a->err.path, a->err.text, a->done,
                a->resp.status, a->resp.header_count, a->resp.body.length,
                a->resp.log.length, b->rc, b->err.code, b->err.path,
                b->err.text, b->done, b->resp.status, b->resp.header_count,
                b->resp.body.length, b->resp.log.length);
        abort();
    }
    /* Whatever happened, the parser never goes past its limits. */
    if (b->resp.body.length > BODY_MAX || b->resp.log.length > LOG_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A cut point that depends on the data, not only on its size. */
    size_t cut = 0;
    if (size > 0) {
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < size && i < 16; i++)
            h = (h ^ data[i]) * 16777619u;
        cut = h % (size + 1);
    }

    run whole, split, bytes;
    fcgi_feed(&whole, data, size, 0, 0);
    fcgi_feed(&split, data, size, cut, 0);
    check_same(&whole, &split, "FastCGI, split in two");
    upstream_response_free(&split.resp);
    fcgi_feed(&bytes, data, size, 1, 1);
    check_same(&whole, &bytes, "FastCGI, byte by byte");
    upstream_response_free(&bytes.resp);
    upstream_response_free(&whole.resp);

    /* The same bytes as a CGI response, with a small header limit. */
    size_t max_header = 16 + (size > 0 ? data[size - 1] : 0);
    cgi_feed(&whole, data, size, 0, 0, max_header);
    cgi_feed(&split, data, size, cut, 0, max_header);
    check_same(&whole, &split, "CGI, split in two");
    upstream_response_free(&split.resp);
    cgi_feed(&bytes, data, size, 1, 1, max_header);
    check_same(&whole, &bytes, "CGI, byte by byte");
    upstream_response_free(&bytes.resp);
    upstream_response_free(&whole.resp);
    return 0;
}
