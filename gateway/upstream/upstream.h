/* SPDX-License-Identifier: Apache-2.0 */
/* upstream.h - what the gateway hands to an app and gets back, whatever the
 * transport (FastCGI over a unix or TCP socket, or a CGI program).
 *
 * A request is the CGI/1.1 parameters (name/value pairs, in order) plus the
 * body; a response is the CGI response the app wrote (status, headers,
 * body) plus whatever it wrote to stderr for this request. */
#ifndef CEGATE_GATEWAY_UPSTREAM_H
#define CEGATE_GATEWAY_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cegate/buffer.h"
#include "cegate/error.h"

/* ---- request ------------------------------------------------------------------ */

typedef struct upstream_param {
    char *name;   /* the request's, NUL-terminated, never empty */
    char *value;  /* the request's, NUL-terminated (no NUL inside) */
    size_t name_length;
    size_t value_length;
} upstream_param;

/* The params' bytes live in a few large blocks, not two allocations a
 * param: a request is built and freed for every event. */
typedef struct upstream_block upstream_block;

typedef struct upstream_request {
    upstream_param *params;
    size_t param_count;
    size_t param_capacity;
    upstream_block *blocks;  /* private: the params' names and values */
    const char *body;    /* borrowed */
    size_t body_length;
} upstream_request;

void upstream_request_init(upstream_request *req);
void upstream_request_free(upstream_request *req);
/* Empty it for the next request, keeping its params array and a block:
 * a caller building one request after another allocates nothing. */
void upstream_request_reset(upstream_request *req);
/* Append a copy of name=value. Names are checked: [A-Za-z0-9_]+ (CGI
 * meta-variable syntax); values may not hold NUL, CR or LF. Returns 0 or -1
 * with err naming the parameter. */
int upstream_request_add(upstream_request *req, const char *name,
                         const char *value, size_t value_length,
                         cegate_error *err);
/* The same for a name the caller made of [A-Za-z0-9_] itself (a literal,
 * or HTTP_CE_ and an attribute name), given with its length: it is not
 * checked again. The value is. */
int upstream_request_add_known(upstream_request *req, const char *name,
                               size_t name_length, const char *value,
                               size_t value_length, cegate_error *err);
/* The value of a parameter, or NULL. */
const char *upstream_request_get(const upstream_request *req, const char *name);

/* ---- response ----------------------------------------------------------------- */

typedef struct upstream_response {
    int status;            /* from "Status:", 302 for a bare Location, else 200 */
    char **header_names;   /* owned, in order, as the app wrote them */
    char **header_values;  /* each inside its name's allocation */
    size_t header_count;
    size_t header_capacity; /* private */
    cegate_buffer body;    /* bounded by its max */
    cegate_buffer log;     /* the app's stderr for this request (bounded) */
} upstream_response;

void upstream_response_init(upstream_response *resp, size_t max_body,
                            size_t max_log);
void upstream_response_free(upstream_response *resp);
/* Empty it for the next answer (the maxima stay). */
void upstream_response_reset(upstream_response *resp);
/* A header's value (case-insensitive name), or NULL. */
const char *upstream_response_header(const upstream_response *resp,
                                     const char *name);

/* ---- CGI response parsing (response.c) --------------------------------------- */

/* Resumable parser of a CGI response (RFC 3875 §6): header lines ending in
 * LF or CRLF, a blank line, then the body. Feed it the bytes in any pieces;
 * the result does not depend on where the input is split. */
typedef struct cgi_response_parser {
    upstream_response *resp;
    int state;            /* private */
    cegate_buffer line;   /* private: the header line being read */
    size_t header_bytes;  /* private */
    size_t max_header_bytes;
} cgi_response_parser;

void cgi_response_parser_init(cgi_response_parser *p, upstream_response *resp,
                              size_t max_header_bytes);
void cgi_response_parser_free(cgi_response_parser *p);
/* Returns 0, or -1 with CEGATE_ERR_PROTOCOL (a malformed header line or
 * Status, naming it) or CEGATE_ERR_LIMIT. */
int cgi_response_parser_feed(cgi_response_parser *p, const char *bytes,
                             size_t n, cegate_error *err);
/* End of input: a response that never finished its headers is an error. */
int cgi_response_parser_finish(cgi_response_parser *p, cegate_error *err);

#endif
