/* SPDX-License-Identifier: Apache-2.0 */
/* config_file.h - the configuration file (`-c CONFIG`): the apps and the routes.
 *
 * One JSON object; every key has a default, so no file is needed:
 *
 *   {
 *     "app": "unix:/run/app.sock"  or  { "address": ..., <app settings> },
 *     "apps": { "NAME": <app>, ... },
 *     "routes": [
 *       { "name": "uploads",
 *         "match": { "type": "com.amazonaws.s3.ObjectCreated:*" },
 *         "request": { "method": "POST", "path": "/uploads/{subject}",
 *                      "mode": "binary", "params": { "APP_ENV": "prod" } },
 *         "app": "NAME",
 *         "retry": { "attempts": 5, "initial_ms": 200, "max_ms": 10000 },
 *         "outcomes": { "409": "delivered", "4xx": "retry" } }
 *     ],
 *     "drain_timeout_ms": 5000
 *   }
 *
 * The settings (the keys of an app, of "request" and "retry",
 * "outcomes", "drain_timeout_ms") are declared with their ranges and
 * defaults in options.c, which the command-line flags share; the file's
 * shape around them ("apps", "routes", a route's "name", "match" and
 * "app") is read here.
 *
 * <app settings>: script, document_root, workers, keep_alive,
 * idle_timeout_ms, connect_timeout_ms, timeout_ms. "app" is the default
 * app, which routes without an "app" use. Routes are tried in order; the
 * first whose every match entry holds takes the event (an exact value,
 * "prefix*", or an fnmatch glob). With no routes, every event takes the
 * default route: POST /, binary mode, 5 attempts from 200 ms up to 10 s.
 *
 * Unknown keys are errors (a misspelt key must not be ignored silently),
 * as are keys of features not built yet ("dead_letter"). Errors name the
 * key as a path, e.g. routes[1].request.mode; a file that is not JSON
 * gives its line and column. */
#ifndef CEGATE_GATEWAY_CONFIG_FILE_H
#define CEGATE_GATEWAY_CONFIG_FILE_H

#include <stddef.h>

#include "upstream/app.h"
#include "route.h"

typedef struct config_app {
    char *name;             /* "app" for the default one */
    char *address;          /* NULL until set (by the file or --app) */
    char *script_filename;  /* owned; options.request points at these */
    char *document_root;
    app_options options;
} config_app;

typedef struct config_route {
    route route;
    size_t app;             /* index into config.apps */
} config_route;

typedef struct config {
    config_app *apps;       /* apps[0]: the default app */
    size_t app_count;
    config_route *routes;   /* in order; none: the default route */
    size_t route_count;
    int drain_timeout_ms;   /* after SIGINT/SIGTERM, in-flight attempts get this long */
} config;

/* The built-in defaults: a default app without an address, no routes. */
int config_init(config *c, cegate_error *err);
void config_free(config *c);

/* Read a configuration file (or text, `name` naming it in errors) into a
 * config made by config_init. Returns 0, or -1 with err's path naming
 * the key (and line/column for a file that is not JSON). */
int config_load_file(config *c, const char *path, cegate_error *err);
int config_load_text(config *c, const char *text, size_t length,
                     cegate_error *err);

/* Set a string of an app (copied); for the command line's overrides. */
int config_app_set(config_app *a, char **field, const char *value,
                   cegate_error *err);

/* Append a route (taken over: `r` is emptied) for app index `app`. */
int config_add_route(config *c, route *r, size_t app, cegate_error *err);

/* The first route the event satisfies, or NULL when none does. */
const config_route *config_pick(const config *c, const cegate_event *ev);

#endif
