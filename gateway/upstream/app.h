/* SPDX-License-Identifier: Apache-2.0 */
/* app.h - one app as the delivery engine sees it: a FastCGI pool or a CGI
 * program behind one address, the request an event becomes for it, and one
 * exchange with it under a wall-clock deadline. */
#ifndef CEGATE_UPSTREAM_APP_H
#define CEGATE_UPSTREAM_APP_H

#include <stdint.h>

#include "route.h"
#include "upstream/cgi.h"
#include "upstream/fcgi_pool.h"
#include "upstream/request.h"

#define APP_MAX_LOG_BYTES (64u << 10)       /* the app's stderr kept per attempt */
#define APP_MAX_RESPONSE_BYTES (16u << 20)  /* the app's answer */

typedef struct app_options {
    size_t workers;          /* the app's worker processes: connections kept
                                and events in flight */
    int keep_alive;          /* 0: a new connection per request */
    int idle_timeout_ms;
    int connect_timeout_ms;
    int timeout_ms;          /* one attempt: connect + write + read */
    request_settings request;
} app_options;

void app_options_default(app_options *o);

typedef struct app app;

/* ADDR: unix:/path/app.sock | HOST:PORT | cgi:/path/to/program.
 * Errors name "--app". `cancel_fd`: a descriptor that becomes readable when
 * every running attempt must stop (app_cancel), or -1. */
app *app_open(const char *address, const app_options *o, int cancel_fd,
              cegate_error *err);
void app_close(app *a);
const char *app_address(const app *a);
const app_options *app_get_options(const app *a);
/* Close the kept connections idle for idle_timeout_ms: for a caller's
 * timer, while no request comes to do it (an idle connection pins an app
 * worker). Thread-safe. */
void app_close_idle(app *a);
/* How often that is worth doing: idle_timeout_ms for a FastCGI app that
 * keeps connections, else 0 (nothing to close). */
int app_idle_timeout_ms(const app *a);
/* Make every running exchange end now with CEGATE_ERR_CANCELLED (a
 * shutdown's drain deadline has passed). The caller has made cancel_fd
 * readable already, which stops CGI programs. Thread-safe. */
void app_cancel(app *a);

/* The request an event becomes for an app along a route: it owns every
 * byte it needs (the event may be freed once it is built), and is sent as
 * often as the attempts need. */
typedef struct delivery_request {
    upstream_request req;
    cegate_http_message msg; /* the HTTP encoding; req.body points into it */
} delivery_request;

void delivery_request_init(delivery_request *dr);
/* Build into `dr` (initialized, or built before: building again reuses its
 * allocations). 0, or -1 with err naming the attribute or the route's path
 * (the event is then invalid: no request can carry it). */
int delivery_request_build(app *a, const route *r, const cegate_event *ev,
                           delivery_request *dr, cegate_error *err);
void delivery_request_free(delivery_request *dr);

/* One exchange: send the request, read the whole answer into `resp`
 * (initialized by upstream_response_init), all by `deadline_ms` (monotonic
 * clock, ms). 0 when a complete answer came (whatever its status), or -1:
 * CEGATE_ERR_CONNECT, CEGATE_ERR_UNAVAILABLE, CEGATE_ERR_TIMEOUT,
 * CEGATE_ERR_PROTOCOL, CEGATE_ERR_LIMIT, CEGATE_ERR_CANCELLED. */
int app_exchange(app *a, const upstream_request *req, upstream_response *resp,
                 int64_t deadline_ms, cegate_error *err);

/* The monotonic clock in ms, the one every deadline is on. */
int64_t app_now_ms(void);

#endif
