/* upstream.c - the request handed to an app (CGI parameters and a body) and
 * the response read back (status, headers, body, stderr). Both transports,
 * FastCGI (fastcgi.c) and CGI (cgi.c), share these. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "upstream.h"

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

/* CGI meta-variable names: [A-Za-z0-9_]+ (RFC 3875 §4.1 allows a little
 * more, but every name we synthesize fits, and so does every HTTP_*). */
static int valid_param_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* A copy of n bytes plus a NUL in the request's blocks, or NULL. */
static char *copy_bytes(upstream_request *req, const char *s, size_t n)
{
    upstream_block *b = req->blocks;
    if (n >= SIZE_MAX - sizeof *b - BLOCK_BYTES)
        return NULL;
    if (b == NULL || b->size - b->used < n + 1) {
        size_t size = n + 1 > BLOCK_BYTES ? n + 1 : BLOCK_BYTES;
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
    if (n)
        memcpy(c, s, n);
    c[n] = '\0';
    b->used += n + 1;
    return c;
}

int upstream_request_add(upstream_request *req, const char *name,
                         const char *value, size_t value_length,
                         cegate_error *err)
{
    if (!valid_param_name(name))
        return cegate_error_set(err, CEGATE_ERR_NAME, name ? name : "",
                                "a parameter name must be [A-Za-z0-9_]+"),
               -1;
    if (value == NULL && value_length != 0)
        return cegate_error_set(err, CEGATE_ERR_USAGE, name,
                                "no value given"), -1;
    /* memchr scans a word at a time; the loop only runs to say where. */
    if (value_length > 0 && (memchr(value, '\0', value_length) != NULL ||
                             memchr(value, '\r', value_length) != NULL ||
                             memchr(value, '\n', value_length) != NULL)) {
        size_t i = 0;
        while (value[i] != '\0' && value[i] != '\r' && value[i] != '\n')
            i++;
        char c = value[i];
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
    size_t name_length = strlen(name);
    char *n = copy_bytes(req, name, name_length);
    char *v = n != NULL ? copy_bytes(req, value ? value : "", value_length) : NULL;
    if (n == NULL || v == NULL) {
        return cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory"),
               -1;
    }
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
