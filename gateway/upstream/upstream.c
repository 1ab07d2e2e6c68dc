/* SPDX-License-Identifier: Apache-2.0 */
/* upstream.c - the request handed to an app (CGI parameters and a body) and
 * the response read back (status, headers, body, stderr). Both transports,
 * FastCGI (fastcgi.c) and CGI (cgi.c), share these. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "upstream/upstream.h"

/* ---- request ------------------------------------------------------------------ */

#define BLOCK_BYTES 4096

struct upstream_block {
    upstream_block *next;
    size_t used, size;
    char bytes[];
};

void upstream_request_init(upstream_request *req)
{
    req->params = NULL;
    req->param_count = 0;
    req->param_capacity = 0;
    req->blocks = NULL;
    req->body = NULL;
    req->body_length = 0;
}

void upstream_request_free(upstream_request *req)
{
    while (req->blocks != NULL) {
        upstream_block *next = req->blocks->next;
        cegate_free(req->blocks);
        req->blocks = next;
    }
    cegate_free(req->params);
    upstream_request_init(req);
}

void upstream_request_reset(upstream_request *req)
{
    /* The first block is a standard one unless a large value took the
     * only block; only a standard one is kept. */
    upstream_block *keep = req->blocks;
    if (keep != NULL && keep->size != BLOCK_BYTES)
        keep = NULL;
    upstream_block *b = req->blocks;
    while (b != NULL) {
        upstream_block *next = b->next;
        if (b != keep)
            cegate_free(b);
        b = next;
    }
    if (keep != NULL) {
        keep->next = NULL;
        keep->used = 0;
    }
    req->blocks = keep;
    req->param_count = 0;
    req->body = NULL;
    req->body_length = 0;
}

/* What each byte may be: a request is built param by param for every
 * event, so these checks are a table look-up a byte. */
enum { NAME_BYTE = 1, VALUE_FORBIDDEN = 2 };
static const unsigned char byte_class[256] = {
    [0] = VALUE_FORBIDDEN, ['\r'] = VALUE_FORBIDDEN, ['\n'] = VALUE_FORBIDDEN,
    ['0' ... '9'] = NAME_BYTE, ['A' ... 'Z'] = NAME_BYTE, ['a' ... 'z'] = NAME_BYTE,
    ['_'] = NAME_BYTE,
};

/* The length of a CGI meta-variable name, [A-Za-z0-9_]+ (RFC 3875 §4.1
 * allows a little more, but every name we synthesize fits, and so does
 * every HTTP_*), or 0 when it is not one. */
static size_t param_name_length(const char *name)
{
    if (name == NULL)
        return 0;
    size_t n = 0;
    while (byte_class[(unsigned char)name[n]] & NAME_BYTE)
        n++;
    return name[n] == '\0' ? n : 0;
}

/* Room for n bytes in the request's blocks, or NULL. */
static char *reserve_bytes(upstream_request *req, size_t n)
{
    upstream_block *b = req->blocks;
    if (n >= SIZE_MAX - sizeof *b - BLOCK_BYTES)
        return NULL;
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > BLOCK_BYTES ? n : BLOCK_BYTES;
        b = cegate_malloc(sizeof *b + size);
        if (b == NULL)
            return NULL;
        b->used = 0;
        b->size = size;
        /* A block taken whole by one large value goes behind the current
         * one, which keeps its room for the small params to come. */
        if (req->blocks != NULL && size > BLOCK_BYTES) {
            b->next = req->blocks->next;
            req->blocks->next = b;
        } else {
            b->next = req->blocks;
            req->blocks = b;
        }
    }
    char *c = b->bytes + b->used;
    b->used += n;
    return c;
}

int upstream_request_add(upstream_request *req, const char *name,
                         const char *value, size_t value_length,
                         cegate_error *err)
{
    size_t name_length = param_name_length(name);
    if (name_length == 0)
        return cegate_error_set(err, CEGATE_ERR_NAME, name ? name : "",
                                "a parameter name must be [A-Za-z0-9_]+"),
               -1;
    return upstream_request_add_known(req, name, name_length, value,
                                      value_length, err);
}

int upstream_request_add_known(upstream_request *req, const char *name,
                               size_t name_length, const char *value,
                               size_t value_length, cegate_error *err)
{
    if (value == NULL && value_length != 0)
        return cegate_error_set(err, CEGATE_ERR_USAGE, name,
                                "no value given"), -1;
    for (size_t i = 0; i < value_length; i++) {
        char c = value[i];
        if (byte_class[(unsigned char)c] & VALUE_FORBIDDEN)
            return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                    "a parameter value may not hold %s (byte %zu)",
                                    c == '\0' ? "NUL" : c == '\r' ? "CR" : "LF", i),
                   -1;
    }
    if (req->param_count == req->param_capacity) {
        size_t cap = req->param_capacity ? req->param_capacity * 2 : 32;
        if (cap > SIZE_MAX / sizeof *req->params)
            return cegate_error_set(err, CEGATE_ERR_NOMEM, name,
                                    "too many parameters"), -1;
        upstream_param *p = cegate_malloc(cap * sizeof *p);
        if (p == NULL)
            return cegate_error_set(err, CEGATE_ERR_NOMEM, name,
                                    "out of memory"), -1;
        if (req->param_count)
            memcpy(p, req->params, req->param_count * sizeof *p);
        cegate_free(req->params);
        req->params = p;
        req->param_capacity = cap;
    }
    /* Name and value side by side, each NUL-terminated. */
    if (name_length > SIZE_MAX / 2 || value_length > SIZE_MAX / 2)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory"), -1;
    char *n = reserve_bytes(req, name_length + value_length + 2);
    if (n == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory"), -1;
    memcpy(n, name, name_length);
    n[name_length] = '\0';
    char *v = n + name_length + 1;
    if (value_length)
        memcpy(v, value, value_length);
    v[value_length] = '\0';
    upstream_param *p = &req->params[req->param_count++];
    p->name = n;
    p->value = v;
    p->name_length = name_length;
    p->value_length = value_length;
    return 0;
}

const char *upstream_request_get(const upstream_request *req, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < req->param_count; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

/* ---- response ----------------------------------------------------------------- */

void upstream_response_init(upstream_response *resp, size_t max_body,
                            size_t max_log)
{
    resp->status = 0;
    resp->header_names = NULL;
    resp->header_values = NULL;
    resp->header_count = 0;
    resp->header_capacity = 0;
    cegate_buffer_init(&resp->body, max_body);
    cegate_buffer_init(&resp->log, max_log);
}

void upstream_response_free(upstream_response *resp)
{
    /* A header's value lives in its name's block, and the values array in
     * the names' one (response.c). */
    for (size_t i = 0; i < resp->header_count; i++)
        cegate_free(resp->header_names[i]);
    cegate_free(resp->header_names);
    resp->header_names = NULL;
    resp->header_values = NULL;
    resp->header_count = 0;
    resp->header_capacity = 0;
    resp->status = 0;
    cegate_buffer_free(&resp->body);
    cegate_buffer_free(&resp->log);
}

/* What a reused response keeps of its buffers: a small answer's room,
 * never the memory of one large answer for the rest of a run. */
#define KEEP_RESPONSE_BYTES (64u << 10)

static void reset_buffer(cegate_buffer *b)
{
    if (b->capacity > KEEP_RESPONSE_BYTES)
        cegate_buffer_free(b);
    else
        cegate_buffer_reset(b);
}

void upstream_response_reset(upstream_response *resp)
{
    for (size_t i = 0; i < resp->header_count; i++)
        cegate_free(resp->header_names[i]);
    resp->header_count = 0;
    resp->status = 0;
    reset_buffer(&resp->body);
    reset_buffer(&resp->log);
}

const char *upstream_response_header(const upstream_response *resp,
                                     const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < resp->header_count; i++)
        if (strcasecmp(resp->header_names[i], name) == 0)
            return resp->header_values[i];
    return NULL;
}
