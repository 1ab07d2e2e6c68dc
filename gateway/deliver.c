/* deliver.c - delivering events to an app, with retries (see deliver.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "deliver.h"

#define MAX_LOG_BYTES (64u << 10)
#define MAX_RESPONSE_BYTES (16u << 20)

struct app {
    char *address;
    fcgi_pool *pool;   /* FastCGI apps */
    cgi_config cgi;    /* CGI programs (cgi.program non-NULL) */
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

app *app_open(const char *address, const app_options *o, cegate_error *err)
{
    app *a = cegate_malloc(sizeof *a);
    if (a == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "--app", "out of memory"),
               NULL;
    memset(a, 0, sizeof *a);
    a->options = *o;
    a->address = ce_strndup(address, strlen(address));
    if (a->address == NULL)
        goto nomem;
    if (strncmp(address, "cgi:", 4) == 0) {
        const char *program = address + 4;
        if (program[0] != '/') {
            cegate_error_set(err, CEGATE_ERR_USAGE, "--app",
                             "cgi: needs an absolute program path, as in "
                             "cgi:/usr/lib/cgi-bin/app");
            goto fail;
        }
        a->program = ce_strndup(program, strlen(program));
        if (a->program == NULL)
            goto nomem;
        cgi_config_default(&a->cgi, a->program);
        a->cgi.timeout_ms = o->timeout_ms;
        a->cgi.max_response_bytes = MAX_RESPONSE_BYTES;
        a->cgi.max_log_bytes = MAX_LOG_BYTES;
        return a;
    }
    fcgi_config cfg;
    fcgi_config_default(&cfg, address);
    cfg.max_connections = o->workers ? o->workers : 1;
    cfg.keep_alive = o->keep_alive;
    cfg.idle_timeout_ms = o->idle_timeout_ms;
    cfg.connect_timeout_ms = o->connect_timeout_ms;
    cfg.io_timeout_ms = o->timeout_ms;
    cfg.max_response_bytes = MAX_RESPONSE_BYTES;
    cfg.max_log_bytes = MAX_LOG_BYTES;
    a->pool = fcgi_pool_new(&cfg, err);
    if (a->pool == NULL) {
        cegate_error_prefix_path(err, "--app");
        goto fail;
    }
    return a;
nomem:
    cegate_error_set(err, CEGATE_ERR_NOMEM, "--app", "out of memory");
fail:
    app_close(a);
    return NULL;
}

void app_close(app *a)
{
    if (a == NULL)
        return;
    if (a->pool != NULL)
        fcgi_pool_free(a->pool);
    cegate_free(a->program);
    cegate_free(a->address);
    cegate_free(a);
}

const char *app_address(const app *a) { return a->address; }

void app_close_idle(app *a)
{
    if (a != NULL && a->pool != NULL)
        fcgi_pool_close_idle(a->pool);
}

int app_idle_timeout_ms(const app *a)
{
    return a->pool != NULL && a->options.keep_alive ? a->options.idle_timeout_ms : 0;
}

const char *delivery_status_name(delivery_status s)
{
    switch (s) {
    case DELIVERY_DELIVERED: return "delivered";
    case DELIVERY_FAILED: return "failed";
    case DELIVERY_REJECTED: return "rejected";
    case DELIVERY_INVALID: return "invalid";
    }
    return "unknown";
}

void delivery_result_init(delivery_result *res)
{
    memset(res, 0, sizeof *res);
    cegate_buffer_init(&res->log, MAX_LOG_BYTES);
    cegate_buffer_init(&res->body, MAX_RESPONSE_BYTES);
}

void delivery_result_free(delivery_result *res)
{
    cegate_buffer_free(&res->log);
    cegate_buffer_free(&res->body);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

typedef enum { ATTEMPT_OK, ATTEMPT_TRANSIENT, ATTEMPT_PERMANENT } attempt_outcome;

/* Retry-After in seconds (the HTTP-date form is not used by apps behind a
 * gateway; it is treated as absent). */
static int retry_after_ms(const upstream_response *resp)
{
    const char *v = upstream_response_header(resp, "Retry-After");
    if (v == NULL)
        return -1;
    char *end;
    long s = strtol(v, &end, 10);
    if (end == v || s < 0 || s > 86400)
        return -1;
    return (int)(s * 1000);
}

static attempt_outcome classify(int rc, const cegate_error *err,
                                const upstream_response *resp, const route *r)
{
    if (rc < 0) {
        switch (err->code) {
        case CEGATE_ERR_UNAVAILABLE:
        case CEGATE_ERR_TIMEOUT:
        case CEGATE_ERR_IO:
        case CEGATE_ERR_NOMEM:
            return ATTEMPT_TRANSIENT;
        default:
            /* A protocol error or an oversized answer will not improve. */
            return ATTEMPT_PERMANENT;
        }
    }
    int s = resp->status;
    switch (route_status_outcome(r, s)) {
    case ROUTE_OUTCOME_DELIVERED: return ATTEMPT_OK;
    case ROUTE_OUTCOME_RETRY: return ATTEMPT_TRANSIENT;
    case ROUTE_OUTCOME_REJECT: return ATTEMPT_PERMANENT;
    case ROUTE_OUTCOME_DEFAULT: break;
    }
    if (s >= 200 && s < 300)
        return ATTEMPT_OK;
    if (s >= 500 || s == 408 || s == 429)
        return ATTEMPT_TRANSIENT;
    return ATTEMPT_PERMANENT;
}

/* Capped exponential backoff with full jitter: a random wait in
 * [0, min(cap, initial * 2^(attempt-1))]. */
static int backoff_ms(const route_retry *retry, int attempt, unsigned *seed)
{
    long ceiling = retry->initial_ms;
    for (int i = 1; i < attempt && ceiling < retry->max_ms; i++)
        ceiling *= 2;
    if (ceiling > retry->max_ms)
        ceiling = retry->max_ms;
    if (ceiling <= 0)
        return 0;
    return (int)(rand_r(seed) % (ceiling + 1));
}

static int send_once(app *a, const upstream_request *req,
                     upstream_response *resp, cegate_error *err)
{
    if (a->pool != NULL)
        return fcgi_pool_request(a->pool, req, resp, err);
    return cgi_run(&a->cgi, req, resp, err);
}

void delivery_request_init(delivery_request *dr)
{
    upstream_request_init(&dr->req);
    cegate_http_message_init(&dr->msg, MAX_RESPONSE_BYTES * 2);
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

void deliver_request(app *a, const route *r, const delivery_request *dr,
                     delivery_result *res)
{
    double start = now_ms();
    unsigned seed = (unsigned)((uintptr_t)res ^ (unsigned)(start * 1000));
    for (int attempt = 1;; attempt++) {
        upstream_response resp;
        upstream_response_init(&resp, MAX_RESPONSE_BYTES, MAX_LOG_BYTES);
        cegate_error_clear(&res->error);
        int rc = send_once(a, &dr->req, &resp, &res->error);
        attempt_outcome o = classify(rc, &res->error, &resp, r);
        res->attempts = attempt;
        res->http_status = rc == 0 ? resp.status : 0;
        cegate_buffer_reset(&res->log);
        if (resp.log.length)
            cegate_buffer_append(&res->log, resp.log.data, resp.log.length,
                                 "log", NULL);
        cegate_buffer_reset(&res->body);
        if (res->keep_body && resp.body.length)
            cegate_buffer_append(&res->body, resp.body.data, resp.body.length,
                                 "body", NULL);
        if (o != ATTEMPT_OK && rc == 0)
            cegate_error_set(&res->error,
                             o == ATTEMPT_TRANSIENT ? CEGATE_ERR_UNAVAILABLE
                                                    : CEGATE_ERR_VALUE,
                             "status", "the app answered %d", resp.status);
        int wait = (o == ATTEMPT_TRANSIENT && rc == 0) ? retry_after_ms(&resp)
                                                       : -1;
        upstream_response_free(&resp);
        if (o == ATTEMPT_OK) {
            res->status = DELIVERY_DELIVERED;
            cegate_error_clear(&res->error);
            break;
        }
        if (o == ATTEMPT_PERMANENT) {
            res->status = DELIVERY_REJECTED;
            break;
        }
        if (attempt >= r->retry.attempts) {
            res->status = DELIVERY_FAILED;
            break;
        }
        if (wait < 0)
            wait = backoff_ms(&r->retry, attempt, &seed);
        else if (wait > r->retry.max_ms)
            wait = r->retry.max_ms;
        sleep_ms(wait);
    }
    res->ms = now_ms() - start;
}

void deliver_event(app *a, const route *r, const cegate_event *ev,
                   delivery_result *res)
{
    double start = now_ms();
    delivery_request dr;
    delivery_request_init(&dr);
    cegate_error_clear(&res->error);
    if (delivery_request_build(a, r, ev, &dr, &res->error) < 0)
        res->status = DELIVERY_INVALID;
    else
        deliver_request(a, r, &dr, res);
    res->ms = now_ms() - start; /* the request's building included */
    delivery_request_free(&dr);
}
