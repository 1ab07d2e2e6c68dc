/* fastcgi.h - the FastCGI client: records, name-value encoding, a pool of
 * kept-alive connections to one app (unix or TCP socket).
 *
 * Policy (measured, see ../shared/reference/FASTCGI-AND-PERF.md §1.5-1.7):
 * one request at a time per connection with request id 1; never more
 * connections than the app has workers (configuration says how many); idle
 * connections closed after idle_timeout_ms; or a new connection per request.
 * Records carry at most 65528 content bytes and a name-value pair never
 * spans two PARAMS records. Only END_REQUEST ends a response. */
#ifndef CEGATE_GATEWAY_FASTCGI_H
#define CEGATE_GATEWAY_FASTCGI_H

#include <stddef.h>
#include <stdint.h>

#include "upstream.h"

#define FCGI_MAX_CONTENT 65528u /* multiple of 8: no padding needed */

/* Length of a FastCGI name or value length field: 1 byte below 128, else 4.
 * The one helper both the sizing and the writing pass use. */
size_t fcgi_length_size(size_t length);
/* Write that field at `out`; returns the bytes written (1 or 4). */
size_t fcgi_length_write(unsigned char *out, size_t length);

/* Encode the request (BEGIN_REQUEST, PARAMS..., empty PARAMS, STDIN...,
 * empty STDIN) into `out`, request id 1, keep-alive flag as given. */
int fcgi_encode_request(const upstream_request *req, int keep_conn,
                        cegate_buffer *out, cegate_error *err);

/* Resumable parser of the app's record stream for request id 1: STDOUT goes
 * through a CGI response parser, STDERR into resp->log, END_REQUEST ends it.
 * Feed bytes in any pieces. */
typedef struct fcgi_response_parser {
    cgi_response_parser cgi;
    upstream_response *resp;
    int state;                   /* private */
    unsigned char header[8];     /* private */
    size_t have;                 /* private */
    size_t content_left, padding_left; /* private */
    int type;                    /* private */
    unsigned char end_body[8];   /* private */
    int done;                    /* 1 once END_REQUEST was read */
    uint32_t app_status;         /* from END_REQUEST */
    int protocol_status;         /* from END_REQUEST */
} fcgi_response_parser;

void fcgi_response_parser_init(fcgi_response_parser *p, upstream_response *resp);
void fcgi_response_parser_free(fcgi_response_parser *p);
/* Returns 0, or -1 with CEGATE_ERR_PROTOCOL naming the field ("version",
 * "record type", "request id", "contentLength", "protocolStatus"; or the
 * CGI parser's "Status", "header", "headers") or CEGATE_ERR_UNAVAILABLE for
 * END_REQUEST protocolStatus OVERLOADED / CANT_MPX_CONN, or CEGATE_ERR_LIMIT
 * naming "body". Bytes after END_REQUEST are an error too, naming
 * "END_REQUEST" (we never pipeline). At END_REQUEST with protocolStatus 0
 * the CGI response must be complete. STDERR beyond resp->log's maximum is
 * dropped, never an error. */
int fcgi_response_parser_feed(fcgi_response_parser *p, const char *bytes,
                              size_t n, cegate_error *err);

typedef struct fcgi_config {
    const char *address;       /* "unix:/path/app.sock" or "HOST:PORT" */
    size_t max_connections;    /* pool size, >= 1: the app's worker count */
    int keep_alive;            /* 0: a new connection per request */
    int idle_timeout_ms;       /* close kept connections idle this long
                                  (0: never) */
    int connect_timeout_ms;    /* 0: no limit */
    int io_timeout_ms;         /* per read/write wait (0: no limit) */
    size_t max_response_bytes; /* body limit */
    size_t max_log_bytes;      /* stderr kept per request */
} fcgi_config;

void fcgi_config_default(fcgi_config *cfg, const char *address);

typedef struct fcgi_pool fcgi_pool;

/* Parses the address (errors name it); connects lazily. */
fcgi_pool *fcgi_pool_new(const fcgi_config *cfg, cegate_error *err);
void fcgi_pool_free(fcgi_pool *pool);

/* Send one request and read the whole response. Thread-safe: up to
 * max_connections callers proceed at once, others wait for a connection.
 * Returns 0 when a response was read (whatever its HTTP status), or -1:
 * CEGATE_ERR_UNAVAILABLE (refused, reset, closed mid-response, overloaded),
 * CEGATE_ERR_TIMEOUT, CEGATE_ERR_PROTOCOL, CEGATE_ERR_LIMIT. A kept
 * connection that fails before any byte of the response is retried once on
 * a fresh connection (the app may have closed it while idle). */
int fcgi_pool_request(fcgi_pool *pool, const upstream_request *req,
                      upstream_response *resp, cegate_error *err);

/* Close the kept connections idle for idle_timeout_ms or more. The pool
 * does this itself whenever a request takes a connection; a host that may
 * sit without requests for a while (and shares the app with others: an
 * idle kept connection pins an app worker) calls it from its own timer. */
void fcgi_pool_close_idle(fcgi_pool *pool);

#endif
