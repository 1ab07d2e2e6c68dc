/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_record.c - FastCGI records: request encoding and the resumable
 * parser of the app's answer (the codec; connections are fcgi_pool.c's).
 *
 * Facts this follows (../shared/reference/FASTCGI-AND-PERF.md §1):
 * - one request at a time per connection, request id 1, no multiplexing and
 *   no pipelining: libfcgi loses a second request, php-fpm drops it;
 * - a request goes out in one write: BEGIN_REQUEST, PARAMS records (a
 *   name-value pair never spans two of them, php-fpm parses each record on
 *   its own), an empty PARAMS, STDIN records, an empty STDIN;
 * - records carry at most 65528 content bytes, padded to a multiple of 8:
 *   php-fpm rejects contentLength + paddingLength > 65535;
 * - only END_REQUEST ends a response (php-fpm sends no empty STDOUT). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* libfcgi-dev's record structs and constants (the gateway's own headers
 * are found through -iquote only, so this is libfcgi's). */
#include <fastcgi.h>
#ifndef FCGI_VERSION_1
#error "the libfcgi-dev <fastcgi.h> was not found (install libfcgi-dev)"
#endif

#include "upstream/fcgi_record.h"

#define FCGI_REQUEST_ID 1
#define FCGI_MAX_HEADER_BYTES (64u * 1024)  /* the CGI header section */

_Static_assert(FCGI_MAX_CONTENT % 8 == 0, "records of FCGI_MAX_CONTENT need no padding");
_Static_assert(FCGI_MAX_CONTENT <= FCGI_MAX_LENGTH, "content fits the length field");
_Static_assert(sizeof(FCGI_Header) == FCGI_HEADER_LEN, "FCGI_Header is 8 bytes");

/* ---- name-value lengths ------------------------------------------------------- */

/* Lengths from 2^31 on cannot be encoded; the encoder never gets near them,
 * a pair being at most FCGI_MAX_CONTENT bytes. */
size_t fcgi_length_size(size_t length)
{
    return length < 128 ? 1 : 4;
}

size_t fcgi_length_write(unsigned char *out, size_t length)
{
    if (length < 128) {
        out[0] = (unsigned char)length;
        return 1;
    }
    out[0] = (unsigned char)(0x80 | ((length >> 24) & 0x7F));
    out[1] = (unsigned char)(length >> 16);
    out[2] = (unsigned char)(length >> 8);
    out[3] = (unsigned char)length;
    return 4;
}

/* ---- request encoding ---------------------------------------------------------- */

static size_t padding_for(size_t content)
{
    return (8 - content % 8) % 8;
}

/* Bytes of one encoded pair, or 0 when it cannot go in one record. */
static size_t pair_size(const upstream_param *p)
{
    if (p->name_length > FCGI_MAX_CONTENT || p->value_length > FCGI_MAX_CONTENT)
        return 0;
    size_t n = fcgi_length_size(p->name_length) +
               fcgi_length_size(p->value_length) + p->name_length +
               p->value_length;
    return n <= FCGI_MAX_CONTENT ? n : 0;
}

/* The params [first, *end) that go in one PARAMS record, and its content
 * length. Both passes (sizing and writing) group the params with this, so
 * they cannot disagree. */
static int params_record(const upstream_request *req, size_t first,
                         size_t *end, size_t *content, cegate_error *err)
{
    size_t total = 0, i = first;
    for (; i < req->param_count; i++) {
        size_t n = pair_size(&req->params[i]);
        if (n == 0)
            return cegate_error_set(err, CEGATE_ERR_LIMIT,
                                    req->params[i].name,
                                    "the parameter (%zu-byte name, %zu-byte "
                                    "value) does not fit in one FastCGI "
                                    "record of %u bytes",
                                    req->params[i].name_length,
                                    req->params[i].value_length,
                                    FCGI_MAX_CONTENT),
                   -1;
        if (n > FCGI_MAX_CONTENT - total)
            break;
        total += n;
    }
    *end = i;
    *content = total;
    return 0;
}

static unsigned char *put_header(unsigned char *o, int type, size_t content,
                                 size_t padding)
{
    FCGI_Header *h = (FCGI_Header *)o;
    h->version = FCGI_VERSION_1;
    h->type = (unsigned char)type;
    h->requestIdB1 = (unsigned char)(FCGI_REQUEST_ID >> 8);
    h->requestIdB0 = (unsigned char)(FCGI_REQUEST_ID & 0xFF);
    h->contentLengthB1 = (unsigned char)(content >> 8);
    h->contentLengthB0 = (unsigned char)(content & 0xFF);
    h->paddingLength = (unsigned char)padding;
    h->reserved = 0;
    return o + FCGI_HEADER_LEN;
}

/* Room for `extra` more bytes (and the NUL) in `out`, without copying
 * through cegate_buffer_append: the encoder writes in place. */
static int reserve(cegate_buffer *out, size_t extra, cegate_error *err)
{
    if (extra > out->max || out->length > out->max - extra)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, "request",
                                "the encoded request (%zu bytes) exceeds the "
                                "limit of %zu bytes", extra, out->max),
               -1;
    size_t need = out->length + extra;
    if (need < out->capacity)
        return 0;
    if (need == SIZE_MAX)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "request",
                                "out of memory"), -1;
    size_t cap = need + 1;
    if (cap < 4096)
        cap = 4096;
    char *p = cegate_malloc(cap);
    if (p == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "request",
                                "out of memory for a %zu-byte request", need),
               -1;
    if (out->length)
        memcpy(p, out->data, out->length);
    p[out->length] = '\0';
    cegate_free(out->data);
    out->data = p;
    out->capacity = cap;
    return 0;
}

int fcgi_encode_request(const upstream_request *req, int keep_conn,
                        cegate_buffer *out, cegate_error *err)
{
    if (req == NULL || out == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "fcgi_encode_request needs a request and a "
                                "buffer"), -1;
    if (req->body_length > 0 && req->body == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "body",
                                "a body length without a body"), -1;

    /* Sizing pass. */
    size_t total = 2 * FCGI_HEADER_LEN; /* BEGIN_REQUEST */
    for (size_t i = 0, end, content; i < req->param_count; i = end) {
        if (params_record(req, i, &end, &content, err) < 0)
            return -1;
        total += FCGI_HEADER_LEN + content + padding_for(content);
    }
    total += FCGI_HEADER_LEN; /* empty PARAMS */
    size_t full = req->body_length / FCGI_MAX_CONTENT;
    size_t rest = req->body_length % FCGI_MAX_CONTENT;
    if (full > (SIZE_MAX / 2) / (FCGI_HEADER_LEN + FCGI_MAX_CONTENT))
        return cegate_error_set(err, CEGATE_ERR_LIMIT, "body",
                                "the body is too large"), -1;
    total += full * (FCGI_HEADER_LEN + FCGI_MAX_CONTENT);
    if (rest)
        total += FCGI_HEADER_LEN + rest + padding_for(rest);
    total += FCGI_HEADER_LEN; /* empty STDIN */

    if (reserve(out, total, err) < 0)
        return -1;

    /* Writing pass. */
    unsigned char *start = (unsigned char *)out->data + out->length, *o = start;
    o = put_header(o, FCGI_BEGIN_REQUEST, sizeof(FCGI_BeginRequestBody), 0);
    FCGI_BeginRequestBody *b = (FCGI_BeginRequestBody *)o;
    memset(b, 0, sizeof *b);
    b->roleB1 = (unsigned char)(FCGI_RESPONDER >> 8);
    b->roleB0 = (unsigned char)(FCGI_RESPONDER & 0xFF);
    b->flags = keep_conn ? FCGI_KEEP_CONN : 0;
    o += sizeof *b;
    for (size_t i = 0, end, content; i < req->param_count; i = end) {
        if (params_record(req, i, &end, &content, err) < 0)
            return -1;
        size_t pad = padding_for(content);
        o = put_header(o, FCGI_PARAMS, content, pad);
        for (size_t k = i; k < end; k++) {
            const upstream_param *p = &req->params[k];
            o += fcgi_length_write(o, p->name_length);
            o += fcgi_length_write(o, p->value_length);
            memcpy(o, p->name, p->name_length);
            o += p->name_length;
            if (p->value_length)
                memcpy(o, p->value, p->value_length);
            o += p->value_length;
        }
        memset(o, 0, pad);
        o += pad;
    }
    o = put_header(o, FCGI_PARAMS, 0, 0);
    for (size_t off = 0; off < req->body_length;) {
        size_t n = req->body_length - off;
        if (n > FCGI_MAX_CONTENT)
            n = FCGI_MAX_CONTENT;
        size_t pad = padding_for(n);
        o = put_header(o, FCGI_STDIN, n, pad);
        memcpy(o, req->body + off, n);
        o += n;
        memset(o, 0, pad);
        o += pad;
        off += n;
    }
    o = put_header(o, FCGI_STDIN, 0, 0);

    if ((size_t)(o - start) != total)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "request",
                                "internal error: %zu bytes written, %zu "
                                "sized", (size_t)(o - start), total),
               -1;
    out->length += total;
    out->data[out->length] = '\0';
    return 0;
}

/* ---- response parsing ---------------------------------------------------------- */

enum {
    FR_HEADER = 0, /* reading a record header */
    FR_CONTENT,
    FR_PADDING,
    FR_DONE,       /* END_REQUEST read */
    FR_FAILED
};

void fcgi_response_parser_init(fcgi_response_parser *p, upstream_response *resp)
{
    memset(p, 0, sizeof *p);
    cgi_response_parser_init(&p->cgi, resp, FCGI_MAX_HEADER_BYTES);
    p->resp = resp;
    p->state = FR_HEADER;
}

void fcgi_response_parser_free(fcgi_response_parser *p)
{
    cgi_response_parser_free(&p->cgi);
}

static const char *type_name(int type)
{
    switch (type) {
    case FCGI_BEGIN_REQUEST: return " (BEGIN_REQUEST)";
    case FCGI_ABORT_REQUEST: return " (ABORT_REQUEST)";
    case FCGI_PARAMS: return " (PARAMS)";
    case FCGI_STDIN: return " (STDIN)";
    case FCGI_DATA: return " (DATA)";
    case FCGI_GET_VALUES: return " (GET_VALUES)";
    case FCGI_GET_VALUES_RESULT: return " (GET_VALUES_RESULT)";
    case FCGI_UNKNOWN_TYPE: return " (UNKNOWN_TYPE: the app did not understand a record we sent)";
    default: return "";
    }
}

static int parser_fail(fcgi_response_parser *p)
{
    p->state = FR_FAILED;
    return -1;
}

/* A record header is complete: check it, and set up for its content. */
static int start_record(fcgi_response_parser *p, cegate_error *err)
{
    const FCGI_Header *h = (const FCGI_Header *)p->header;
    if (h->version != FCGI_VERSION_1)
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "version",
                                "the app sent a record of FastCGI version %u "
                                "(only 1 exists)", h->version),
               parser_fail(p);
    p->type = h->type;
    if (p->type != FCGI_STDOUT && p->type != FCGI_STDERR &&
        p->type != FCGI_END_REQUEST)
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "record type",
                                "the app sent unexpected FastCGI record type "
                                "%d%s", p->type, type_name(p->type)),
               parser_fail(p);
    unsigned id = (unsigned)h->requestIdB1 << 8 | h->requestIdB0;
    if (id != FCGI_REQUEST_ID)
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "request id",
                                "the app sent a record for request id %u "
                                "(we only use 1)", id),
               parser_fail(p);
    p->content_left = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
    p->padding_left = h->paddingLength;
    if (p->type == FCGI_END_REQUEST &&
        p->content_left != sizeof(FCGI_EndRequestBody))
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "contentLength",
                                "the app sent an END_REQUEST record of "
                                "contentLength %zu (it must be 8)",
                                p->content_left),
               parser_fail(p);
    p->state = FR_CONTENT;
    return 0;
}

/* A whole record (content and padding) has been read. */
static int end_record(fcgi_response_parser *p, cegate_error *err)
{
    if (p->type != FCGI_END_REQUEST) {
        p->state = FR_HEADER;
        return 0;
    }
    const FCGI_EndRequestBody *e = (const FCGI_EndRequestBody *)p->end_body;
    p->app_status = (uint32_t)e->appStatusB3 << 24 |
                    (uint32_t)e->appStatusB2 << 16 |
                    (uint32_t)e->appStatusB1 << 8 | e->appStatusB0;
    p->protocol_status = e->protocolStatus;
    p->done = 1;
    p->state = FR_DONE;
    switch (p->protocol_status) {
    case FCGI_REQUEST_COMPLETE:
        if (cgi_response_parser_finish(&p->cgi, err) < 0)
            return parser_fail(p);
        return 0;
    case FCGI_CANT_MPX_CONN:
        return cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "protocolStatus",
                                "the app refused the request: END_REQUEST "
                                "protocolStatus 1 (CANT_MPX_CONN)"),
               parser_fail(p);
    case FCGI_OVERLOADED:
        return cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "protocolStatus",
                                "the app is overloaded: END_REQUEST "
                                "protocolStatus 2 (OVERLOADED)"),
               parser_fail(p);
    case FCGI_UNKNOWN_ROLE:
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "protocolStatus",
                                "the app does not play the responder role: "
                                "END_REQUEST protocolStatus 3 (UNKNOWN_ROLE)"),
               parser_fail(p);
    default:
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "protocolStatus",
                                "the app ended the request with unknown "
                                "protocolStatus %d", p->protocol_status),
               parser_fail(p);
    }
}

/* STDERR content: kept while the log has room, the rest dropped. */
static void keep_log(upstream_response *resp, const char *s, size_t n)
{
    cegate_buffer *log = &resp->log;
    size_t room = log->length < log->max ? log->max - log->length : 0;
    if (n > room)
        n = room;
    if (n > 0)
        cegate_buffer_append(log, s, n, "log", NULL);
}

int fcgi_response_parser_feed(fcgi_response_parser *p, const char *bytes,
                              size_t n, cegate_error *err)
{
    size_t i = 0;
    while (i < n) {
        size_t k;
        switch (p->state) {
        case FR_HEADER:
            k = FCGI_HEADER_LEN - p->have;
            if (k > n - i)
                k = n - i;
            memcpy(p->header + p->have, bytes + i, k);
            p->have += k;
            i += k;
            if (p->have < FCGI_HEADER_LEN)
                break;
            p->have = 0;
            if (start_record(p, err) < 0)
                return -1;
            if (p->content_left == 0) {
                p->state = FR_PADDING;
                if (p->padding_left == 0 && end_record(p, err) < 0)
                    return -1;
            }
            break;
        case FR_CONTENT:
            k = p->content_left < n - i ? p->content_left : n - i;
            if (p->type == FCGI_STDOUT) {
                if (cgi_response_parser_feed(&p->cgi, bytes + i, k, err) < 0)
                    return parser_fail(p);
            } else if (p->type == FCGI_STDERR) {
                keep_log(p->resp, bytes + i, k);
            } else { /* END_REQUEST: its 8-byte body */
                memcpy(p->end_body + (sizeof p->end_body - p->content_left),
                       bytes + i, k);
            }
            p->content_left -= k;
            i += k;
            if (p->content_left == 0) {
                p->state = FR_PADDING;
                if (p->padding_left == 0 && end_record(p, err) < 0)
                    return -1;
            }
            break;
        case FR_PADDING:
            k = p->padding_left < n - i ? p->padding_left : n - i;
            p->padding_left -= k;
            i += k;
            if (p->padding_left == 0 && end_record(p, err) < 0)
                return -1;
            break;
        case FR_DONE:
            p->trailing = 1;
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "END_REQUEST",
                             "the app sent more data after END_REQUEST");
            return parser_fail(p);
        default:
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "response",
                             "the response was already found malformed");
            return -1;
        }
    }
    return 0;
}

