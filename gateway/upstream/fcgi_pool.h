/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_pool.h - a pool of kept-alive FastCGI connections to one app (unix
 * or TCP socket), and the exchange of one request on one of them.
 *
 * Policy (measured, see ../shared/reference/FASTCGI-AND-PERF.md §1.5-1.7):
 * one request at a time per connection with request id 1; never more
 * connections than the app has workers (configuration says how many); idle
 * connections closed after idle_timeout_ms; or a new connection per request. */
#ifndef CEGATE_UPSTREAM_FCGI_POOL_H
#define CEGATE_UPSTREAM_FCGI_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "upstream/fcgi_record.h"

typedef struct fcgi_config {
    const char *address;       /* "unix:/path/app.sock" or "HOST:PORT" */
    size_t max_connections;    /* pool size, >= 1: the app's worker count */
    int keep_alive;            /* 0: a new connection per request */
    int idle_timeout_ms;       /* close kept connections idle this long
                                  (0: never) */
    int connect_timeout_ms;    /* 0: no limit */
    int io_timeout_ms;         /* fcgi_pool_request's deadline, and the
                                  longest one recv() may block */
    size_t max_response_bytes; /* body limit */
    size_t max_log_bytes;      /* stderr kept per request */
} fcgi_config;

void fcgi_config_default(fcgi_config *cfg, const char *address);

typedef struct fcgi_pool fcgi_pool;

/* Parses the address (errors name it); connects lazily. */
fcgi_pool *fcgi_pool_new(const fcgi_config *cfg, cegate_error *err);
void fcgi_pool_free(fcgi_pool *pool);

/* Send one request and read the whole response, all by `deadline_ms`
 * (CLOCK_MONOTONIC, ms): waiting for a free connection, connecting (also
 * bounded by connect_timeout_ms), writing and reading. Thread-safe: up to
 * max_connections callers proceed at once, others wait for a connection.
 * A kept connection is used only when nothing is pending on it; any byte
 * or EOF waiting there closes it and the request goes on a new one.
 * Returns 0 when a response was read (whatever its HTTP status), or -1:
 * CEGATE_ERR_CONNECT (refused, no socket, connect timeout),
 * CEGATE_ERR_UNAVAILABLE (reset, closed mid-response, overloaded),
 * CEGATE_ERR_TIMEOUT (the deadline passed; the connection is closed),
 * CEGATE_ERR_PROTOCOL, CEGATE_ERR_LIMIT, CEGATE_ERR_CANCELLED. A kept
 * connection that fails before any byte of the response is retried once
 * on a fresh connection (the app may have closed it while idle). */
int fcgi_pool_exchange(fcgi_pool *pool, const upstream_request *req,
                       upstream_response *resp, int64_t deadline_ms,
                       cegate_error *err);
/* The same with the deadline io_timeout_ms from now. */
int fcgi_pool_request(fcgi_pool *pool, const upstream_request *req,
                      upstream_response *resp, cegate_error *err);

/* End every exchange in progress now, and any later one at once, with
 * CEGATE_ERR_CANCELLED: a shutdown's drain deadline has passed. */
void fcgi_pool_cancel(fcgi_pool *pool);

/* Close the kept connections idle for idle_timeout_ms or more. The pool
 * does this itself whenever a request takes a connection; a host that may
 * sit without requests for a while (and shares the app with others: an
 * idle kept connection pins an app worker) calls it from its own timer. */
void fcgi_pool_close_idle(fcgi_pool *pool);

#endif
