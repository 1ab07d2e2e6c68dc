/* SPDX-License-Identifier: Apache-2.0 */
/* app.c - one app behind one address: a FastCGI pool or a CGI program
 * (see app.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "upstream/app.h"

struct app {
    char *address;
    fcgi_pool *pool;   /* FastCGI apps */
    cgi_config cgi;    /* CGI programs (program non-NULL) */
    char *program;
    app_options options;
};

void app_options_default(app_options *o)
{
    o->workers = 1;
    o->keep_alive = 1;
    o->idle_timeout_ms = 2000;
    o->connect_timeout_ms = 2000;
    o->timeout_ms = 30000;
    request_settings_default(&o->request);
}

int64_t app_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_cgi(app *a, const char *program, int cancel_fd,
                    cegate_error *err)
{
    if (program[0] != '/')
        return cegate_error_set(err, CEGATE_ERR_USAGE, "--app",
                                "cgi: needs an absolute program path, as in "
                                "cgi:/usr/lib/cgi-bin/app"), -1;
    a->program = ce_strndup(program, strlen(program));
    if (a->program == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "--app", "out of memory"), -1;
    cgi_config_default(&a->cgi, a->program);
    a->cgi.timeout_ms = a->options.timeout_ms;
    a->cgi.max_response_bytes = APP_MAX_RESPONSE_BYTES;
    a->cgi.max_log_bytes = APP_MAX_LOG_BYTES;
    a->cgi.cancel_fd = cancel_fd;
    return 0;
}

static int open_fastcgi(app *a, const char *address, cegate_error *err)
{
    const app_options *o = &a->options;
    fcgi_config cfg;
    fcgi_config_default(&cfg, address);
    cfg.max_connections = o->workers ? o->workers : 1;
    cfg.keep_alive = o->keep_alive;
    cfg.idle_timeout_ms = o->idle_timeout_ms;
    cfg.connect_timeout_ms = o->connect_timeout_ms;
    cfg.io_timeout_ms = o->timeout_ms;
    cfg.max_response_bytes = APP_MAX_RESPONSE_BYTES;
    cfg.max_log_bytes = APP_MAX_LOG_BYTES;
    a->pool = fcgi_pool_new(&cfg, err);
    if (a->pool == NULL) {
        cegate_error_prefix_path(err, "--app");
        return -1;
    }
    return 0;
}

app *app_open(const char *address, const app_options *o, int cancel_fd,
              cegate_error *err)
{
    app *a = cegate_malloc(sizeof *a);
    if (a == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "--app", "out of memory"),
               NULL;
    memset(a, 0, sizeof *a);
    a->options = *o;
    a->address = ce_strndup(address, strlen(address));
    int rc = -1;
    if (a->address == NULL)
        cegate_error_set(err, CEGATE_ERR_NOMEM, "--app", "out of memory");
    else if (strncmp(address, "cgi:", 4) == 0)
        rc = open_cgi(a, address + 4, cancel_fd, err);
    else
        rc = open_fastcgi(a, address, err);
    if (rc < 0) {
        app_close(a);
        return NULL;
    }
    return a;
}

void app_close(app *a)
{
    if (a == NULL)
        return;
    fcgi_pool_free(a->pool);
    cegate_free(a->program);
    cegate_free(a->address);
    cegate_free(a);
}

const char *app_address(const app *a) { return a->address; }

const app_options *app_get_options(const app *a) { return &a->options; }

void app_close_idle(app *a)
{
    if (a != NULL && a->pool != NULL)
        fcgi_pool_close_idle(a->pool);
}

int app_idle_timeout_ms(const app *a)
{
    return a->pool != NULL && a->options.keep_alive ? a->options.idle_timeout_ms : 0;
}

void app_cancel(app *a)
{
    if (a != NULL && a->pool != NULL)
        fcgi_pool_cancel(a->pool);
}

int app_exchange(app *a, const upstream_request *req, upstream_response *resp,
                 int64_t deadline_ms, cegate_error *err)
{
    if (a->pool != NULL)
        return fcgi_pool_exchange(a->pool, req, resp, deadline_ms, err);
    /* The CGI runner counts its own timeout from the program's start:
     * what is left of the deadline. */
    cgi_config cfg = a->cgi;
    int64_t left = deadline_ms - app_now_ms();
    if (left <= 0)
        return cegate_error_set(err, CEGATE_ERR_TIMEOUT, "program",
                                "the deadline passed before the program "
                                "could be started"), -1;
    cfg.timeout_ms = left > a->options.timeout_ms ? a->options.timeout_ms : (int)left;
    return cgi_run(&cfg, req, resp, err);
}

void delivery_request_init(delivery_request *dr)
{
    upstream_request_init(&dr->req);
    cegate_http_message_init(&dr->msg, APP_MAX_RESPONSE_BYTES * 2);
}

/* What a reused request keeps of its body's buffer: enough for the small
 * events most are, never the memory of one large event for the rest of a
 * run (a replay keeps a few hundred requests). */
#define KEEP_BODY_BYTES (64u << 10)

int delivery_request_build(app *a, const route *r, const cegate_event *ev,
                           delivery_request *dr, cegate_error *err)
{
    if (dr->msg.body.capacity > KEEP_BODY_BYTES)
        cegate_buffer_free(&dr->msg.body);
    upstream_request_reset(&dr->req);
    cegate_http_message_reset(&dr->msg);
    return request_build(ev, r, &a->options.request, &dr->req, &dr->msg, err);
}

void delivery_request_free(delivery_request *dr)
{
    cegate_http_message_free(&dr->msg);
    upstream_request_free(&dr->req);
}
