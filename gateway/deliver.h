/* deliver.h - one app (FastCGI pool or CGI program) and the delivery of an
 * event to it: request synthesis, attempts with capped exponential backoff
 * and full jitter, and the outcome rules of DESIGN.md:
 *   2xx                                  delivered
 *   5xx, 408, 429 (Retry-After honoured), timeouts, refused or reset
 *   connections, FastCGI OVERLOADED       transient: retried, then failed
 *   other statuses (4xx, 3xx, 1xx)        permanent: failed at once
 * A route may say otherwise for a status or a class (route_set_outcome). */
#ifndef CEGATE_GATEWAY_DELIVER_H
#define CEGATE_GATEWAY_DELIVER_H

#include "upstream/cgi.h"
#include "upstream/fcgi_pool.h"
#include "upstream/request.h"
#include "route.h"

typedef struct app_options {
    size_t workers;          /* FastCGI pool size: the app's worker count */
    int keep_alive;          /* 0: a new connection per request */
    int idle_timeout_ms;
    int connect_timeout_ms;
    int timeout_ms;          /* per attempt (FastCGI I/O wait, CGI run) */
    request_settings request;
} app_options;

void app_options_default(app_options *o);

typedef struct app app;

/* ADDR: unix:/path/app.sock | HOST:PORT | cgi:/path/to/program.
 * Errors name "--app". */
app *app_open(const char *address, const app_options *o, cegate_error *err);
void app_close(app *a);
const char *app_address(const app *a);
/* Close the kept connections idle for idle_timeout_ms: for a caller's
 * timer, while no request comes to do it (an idle connection pins an app
 * worker). Thread-safe. */
void app_close_idle(app *a);
/* How often that is worth doing: idle_timeout_ms for a FastCGI app that
 * keeps connections, else 0 (nothing to close). */
int app_idle_timeout_ms(const app *a);

typedef enum delivery_status {
    DELIVERY_DELIVERED = 0,
    DELIVERY_FAILED,     /* transient until the attempts ran out */
    DELIVERY_REJECTED,   /* permanent: the app refused it */
    DELIVERY_INVALID     /* the request could not be built */
} delivery_status;

const char *delivery_status_name(delivery_status s);

typedef struct delivery_result {
    delivery_status status;
    int attempts;
    int http_status;       /* last HTTP status seen, 0 if none */
    double ms;             /* wall time, all attempts and waits */
    cegate_error error;    /* the last attempt's error, if it failed */
    cegate_buffer log;     /* the app's stderr for the last attempt */
    int keep_body;         /* set before delivering to keep the answer: */
    cegate_buffer body;    /* the app's response body, last attempt */
} delivery_result;

void delivery_result_init(delivery_result *res);
void delivery_result_free(delivery_result *res);

/* Deliver one event along its route. Thread-safe for one app. */
void deliver_event(app *a, const route *r, const cegate_event *ev,
                   delivery_result *res);

/* The same in two steps, for a caller that builds requests in one thread
 * and sends them from others: the request owns every byte it needs (the
 * event may be freed once it is built), and is sent as often as the
 * attempts need. */
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
/* The attempts: res->ms counts them and the waits between them. */
void deliver_request(app *a, const route *r, const delivery_request *dr,
                     delivery_result *res);

#endif
