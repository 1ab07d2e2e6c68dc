/* SPDX-License-Identifier: Apache-2.0 */
/* route.h - routes: which events go where, and what request they become.
 *
 * Routes are an ordered list; the first whose every `match` entry holds
 * takes the event. A match value is an exact string, "prefix*", or a glob
 * (fnmatch). With no route configured every event takes the default route. */
#ifndef CEGATE_GATEWAY_ROUTE_H
#define CEGATE_GATEWAY_ROUTE_H

#include <stddef.h>

#include "cegate/event.h"
#include "cegate/format.h"

typedef struct route_match {
    char *attribute;
    char *pattern;
} route_match;

typedef struct route_param {
    char *name;
    char *value;
} route_param;

typedef struct route_retry {
    int attempts;       /* total tries, >= 1 */
    int initial_ms;     /* first backoff */
    int max_ms;         /* cap on one backoff */
} route_retry;

/* What an app's HTTP status means for an event, when a route says so
 * instead of the default rules (2xx delivered; 5xx, 408, 429 retried;
 * other statuses rejected). */
typedef enum route_outcome {
    ROUTE_OUTCOME_DEFAULT = 0,
    ROUTE_OUTCOME_DELIVERED,
    ROUTE_OUTCOME_RETRY,
    ROUTE_OUTCOME_REJECT
} route_outcome;

typedef struct route {
    char *name;                 /* for logs: "routes[2]" or its "name" */
    route_match *matches;
    size_t match_count;
    char *method;               /* default POST */
    char *path;                 /* template, default "/" */
    cegate_http_mode mode;      /* binary (default) or structured */
    route_param *params;        /* extra CGI params */
    size_t param_count;
    route_retry retry;
    unsigned char status_outcome[500];  /* route_outcome of statuses 100-599 */
    unsigned char class_outcome[5];     /* of 1xx..5xx, below exact ones */
} route;

/* Fill `r` with the defaults: POST /, binary mode, 5 attempts from 200 ms
 * up to 10 s. (The time an attempt may take is the app's timeout.) */
int route_init_default(route *r, cegate_error *err);
void route_free(route *r);

/* Does the event satisfy every match entry? */
int route_matches(const route *r, const cegate_event *ev);

/* Set one match entry / extra param / the path template, validating it.
 * Extra param names must be CGI meta-variable names and may not be
 * HTTP_PROXY or start with HTTP_CE_ (those belong to the event). */
int route_add_match(route *r, const char *attribute, const char *pattern,
                    cegate_error *err);
int route_add_param(route *r, const char *name, const char *value,
                    cegate_error *err);
int route_set_path(route *r, const char *template_, cegate_error *err);
int route_set_method(route *r, const char *method, cegate_error *err);

/* Set what a status ("404") or a class of statuses ("4xx") means on this
 * route: "delivered", "retry" or "reject". An exact status outranks its
 * class. Errors name the status. */
int route_set_outcome(route *r, const char *status, const char *outcome,
                      cegate_error *err);

/* The route's word on a status: ROUTE_OUTCOME_DEFAULT when it has none. */
route_outcome route_status_outcome(const route *r, int status);

/* Expand the path template for an event: "{name}" is the attribute's
 * string form, percent-encoded so that it can add no '/', '?', '#', '&',
 * CR, LF or dot segment; a value that is, holds or once percent-decodes
 * to a dot segment is an error naming the attribute. `{{` and `}}` are
 * literal braces. Appends the path (and the template's own query, if any)
 * to `out`. An attribute the template names but the event lacks is an
 * error naming it. */
int route_expand_path(const route *r, const cegate_event *ev,
                      cegate_buffer *out, cegate_error *err);

/* Non-zero when s[0..n) has a "." or ".." segment as it is or once
 * percent-decoded ("/a/%2e%2e/b", "/a%2F..%2Fb"); segments end at '/' or
 * '\\'. What goes into a path parameter must pass this. */
int route_has_dot_segment(const char *s, size_t n);

#endif
