/* SPDX-License-Identifier: Apache-2.0 */
/* engine.c - the delivery engine (see engine.h).
 *
 * Each app has a queue: a ring of filled slots for its workers and a stack
 * of empty ones for producers. A slot holds one event's request, built by
 * the producer, and is recycled, so in a long run building a request
 * allocates almost nothing, and no allocation made by one thread is freed
 * by another (which glibc's allocator serves slowly, under a lock). */
#define _GNU_SOURCE /* SCHED_BATCH */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delivery/attempt.h"
#include "delivery/engine.h"
#include "delivery/retry.h"

#define QUEUE_SIZE 256          /* events waiting per app */
#define MAX_THREADS 1024        /* workers in all */
#define POLL_INTERRUPT_MS 100   /* how often waits look at *interrupted */

typedef struct slot {
    const config_route *route;
    delivery_completion done;
    void *ctx;
    uint64_t tag;
    delivery_request dr;
    cegate_buffer names;    /* "id\0type\0" */
} slot;

typedef struct queue {
    struct engine *engine;
    app *app;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, room, idle; /* CLOCK_MONOTONIC */
    slot *slots;            /* all of them */
    size_t slot_count;
    slot **ring;            /* slot_count entries: filled, in order */
    size_t head, count;
    slot **free;            /* slot_count entries: empty */
    size_t free_count;
    size_t busy;            /* slots held by workers or producers */
    int stopping;
    int producer_waiting;   /* a producer sleeps until the ring is half empty */
    pthread_t *threads;
    size_t thread_count;
} queue;

typedef struct janitor {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop, started;
    int period_ms;
} janitor;

struct engine {
    const config *cfg;
    queue *queues;          /* cfg->app_count; .app NULL when no route uses it */
    int cancel_pipe[2];     /* readable once the drain deadline has passed */
    janitor idle;
    int stopped;
};

const char *delivery_status_name(delivery_status s)
{
    switch (s) {
    case DELIVERY_DELIVERED: return "delivered";
    case DELIVERY_FAILED: return "failed";
    case DELIVERY_REJECTED: return "rejected";
    case DELIVERY_INVALID: return "invalid";
    case DELIVERY_SKIPPED: return "skipped";
    }
    return "unknown";
}

/* ---- time ------------------------------------------------------------------- */

static struct timespec monotonic_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static int cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
                     pthread_cond_init(c, &ca) == 0
                 ? 0
                 : -1;
    pthread_condattr_destroy(&ca);
    return rc;
}

/* ---- outcomes ----------------------------------------------------------------- */

static void names_of(const slot *sl, const char **id, const char **type)
{
    *id = sl->names.data != NULL ? sl->names.data : "";
    *type = sl->names.data != NULL ? *id + strlen(*id) + 1 : "";
}

void delivery_complete_now(delivery_completion done, void *ctx, uint64_t tag,
                           const char *id, const char *type,
                           const config_route *picked, delivery_status status,
                           const cegate_error *why)
{
    delivery_outcome o;
    memset(&o, 0, sizeof o);
    o.status = status;
    o.id = id != NULL ? id : "";
    o.type = type != NULL ? type : "";
    o.tag = tag;
    o.route = picked != NULL ? picked->route.name : NULL;
    cegate_error_copy(&o.error, why);
    done(&o, ctx);
}

/* ---- workers ------------------------------------------------------------------ */

/* What a worker keeps from event to event. */
typedef struct worker_state {
    queue *q;
    delivery_attempt *history;
    size_t history_capacity;
    upstream_response resp;
    unsigned seed;
} worker_state;

/* Hand back a slot (a worker's or a producer's) and wake who waits for it. */
static void put_back_locked(queue *q, slot *sl)
{
    q->free[q->free_count++] = sl;
    q->busy--;
    /* Wake a producer that waits for room only once half the ring is free:
     * waking it for every slot would cost two context switches an event
     * while the app is the bottleneck. */
    if (q->producer_waiting && q->count <= QUEUE_SIZE / 2) {
        q->producer_waiting = 0;
        pthread_cond_broadcast(&q->room);
    }
    if (q->busy == 0 && q->count == 0)
        pthread_cond_broadcast(&q->idle);
}

/* Hand back the slot just delivered (NULL at first) and take the next
 * filled one, or NULL once the queue stops. */
static slot *next_slot(queue *q, slot *done)
{
    pthread_mutex_lock(&q->lock);
    if (done != NULL)
        put_back_locked(q, done);
    while (q->count == 0 && !q->stopping)
        pthread_cond_wait(&q->not_empty, &q->lock);
    slot *sl = NULL;
    if (q->count > 0 && !q->stopping) {
        sl = q->ring[q->head];
        q->head = (q->head + 1) % q->slot_count;
        q->count--;
        q->busy++;
    }
    pthread_mutex_unlock(&q->lock);
    return sl;
}

/* Sleep between attempts; returns 0, or -1 when the engine stops first. */
static int wait_between(queue *q, int ms)
{
    struct timespec until = monotonic_in(ms);
    pthread_mutex_lock(&q->lock);
    int rc = 0;
    while (!q->stopping)
        if (pthread_cond_timedwait(&q->room, &q->lock, &until) == ETIMEDOUT)
            break;
    if (q->stopping)
        rc = -1;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

static delivery_attempt *history_slot(worker_state *w, size_t n)
{
    if (n < w->history_capacity)
        return &w->history[n];
    size_t cap = w->history_capacity ? w->history_capacity * 2 : 4;
    delivery_attempt *h = realloc(w->history, cap * sizeof *h);
    if (h == NULL)
        return NULL;
    w->history = h;
    w->history_capacity = cap;
    return &w->history[n];
}

/* Every attempt the policy allows, then the completion. */
static void deliver_slot(worker_state *w, slot *sl)
{
    const route *r = &sl->route->route;
    delivery_outcome o;
    memset(&o, 0, sizeof o);
    names_of(sl, &o.id, &o.type);
    o.tag = sl->tag;
    o.route = r->name;
    o.log = &w->resp.log;
    o.body = &w->resp.body;
    size_t n = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        delivery_attempt *rec = history_slot(w, n);
        if (rec == NULL) {
            o.status = DELIVERY_FAILED;
            cegate_error_set(&o.error, CEGATE_ERR_NOMEM, NULL,
                             "out of memory for attempt %zu's record", n + 1);
            break;
        }
        delivery_attempt_make(w->q->app, r, &sl->dr, &w->resp, rec);
        n++;
        double jitter = (double)rand_r(&w->seed) / ((double)RAND_MAX + 1);
        retry_decision d = retry_decide(&r->retry, w->history, n, jitter);
        if (d.verdict == RETRY_AGAIN && wait_between(w->q, d.wait_ms) == 0)
            continue;
        o.status = d.verdict == RETRY_DELIVERED  ? DELIVERY_DELIVERED
                   : d.verdict == RETRY_REJECTED ? DELIVERY_REJECTED
                                                 : DELIVERY_FAILED;
        if (d.verdict == RETRY_AGAIN) /* the engine stopped in the wait */
            cegate_error_set(&o.error, CEGATE_ERR_CANCELLED, rec->error.path,
                             "the run stopped before attempt %zu (attempt "
                             "%zu: %s)", n + 1, n, rec->error.text);
        else
            cegate_error_copy(&o.error, &rec->error);
        o.http_status = rec->app_status;
        break;
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    o.ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    o.attempts = w->history;
    o.attempt_count = n;
    sl->done(&o, sl->ctx);
}

/* Workers run as SCHED_BATCH: a worker woken by the app's answer then does
 * not preempt the app before it has gone back to read its next request.
 * With as many busy processes as cores, that preemption cost the app a
 * context switch more an event, and replay a tenth of its throughput
 * (measured with bench_replay at N=2 on 2 cores). Producers keep the
 * normal policy. Unprivileged; if refused, nothing changes. */
static void run_as_batch(void)
{
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
}

static void *worker_main(void *arg)
{
    run_as_batch();
    worker_state w;
    memset(&w, 0, sizeof w);
    w.q = arg;
    w.seed = (unsigned)(uintptr_t)&w ^ (unsigned)time(NULL);
    upstream_response_init(&w.resp, APP_MAX_RESPONSE_BYTES, APP_MAX_LOG_BYTES);
    slot *sl = NULL;
    while ((sl = next_slot(w.q, sl)) != NULL)
        deliver_slot(&w, sl);
    upstream_response_free(&w.resp);
    free(w.history);
    return NULL;
}

/* ---- queues ------------------------------------------------------------------- */

static int queue_init(queue *q, engine *e, app *a, cegate_error *err)
{
    q->engine = e;
    q->slot_count = QUEUE_SIZE + app_get_options(a)->workers + 1;
    q->slots = calloc(q->slot_count, sizeof *q->slots);
    q->ring = calloc(q->slot_count, sizeof *q->ring);
    q->free = calloc(q->slot_count, sizeof *q->free);
    q->threads = calloc(app_get_options(a)->workers, sizeof *q->threads);
    if (q->slots == NULL || q->ring == NULL || q->free == NULL || q->threads == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL,
                                "out of memory for the queue of %s",
                                app_address(a)), -1;
    for (size_t i = 0; i < q->slot_count; i++) {
        delivery_request_init(&q->slots[i].dr);
        cegate_buffer_init(&q->slots[i].names, (size_t)-1);
        q->free[q->free_count++] = &q->slots[q->slot_count - 1 - i];
    }
    if (pthread_mutex_init(&q->lock, NULL) != 0 || cond_init_monotonic(&q->not_empty) < 0 ||
        cond_init_monotonic(&q->room) < 0 || cond_init_monotonic(&q->idle) < 0)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL,
                                "cannot create the queue's locks"), -1;
    q->app = a; /* from here on queue_free tears it all down */
    return 0;
}

/* Start the queue's workers with the async signals blocked, so that a
 * SIGINT or SIGTERM goes to the ingress's thread, which acts on it. */
static int queue_start(queue *q, size_t workers, cegate_error *err)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < workers; i++) {
        if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0)
            break;
        q->thread_count++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (q->thread_count == 0)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL,
                                "cannot start a worker thread for %s",
                                app_address(q->app)), -1;
    return 0;
}

static void queue_join(queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->room);
    pthread_mutex_unlock(&q->lock);
    for (size_t i = 0; i < q->thread_count; i++)
        pthread_join(q->threads[i], NULL);
    q->thread_count = 0;
}

static void queue_free(queue *q)
{
    if (q->slots != NULL)
        for (size_t i = 0; i < q->slot_count; i++) {
            delivery_request_free(&q->slots[i].dr);
            cegate_buffer_free(&q->slots[i].names);
        }
    free(q->slots);
    free(q->ring);
    free(q->free);
    free(q->threads);
    if (q->app != NULL) {
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->not_empty);
        pthread_cond_destroy(&q->room);
        pthread_cond_destroy(&q->idle);
        app_close(q->app);
    }
}

/* ---- idle connections ------------------------------------------------------------ */

/* While the input is slow (a pipe that events trickle into), kept
 * connections would sit idle and pin the app's workers: a timer thread
 * closes them once they have been idle for the app's idle_timeout_ms. */
static void *janitor_main(void *arg)
{
    engine *e = arg;
    janitor *j = &e->idle;
    pthread_mutex_lock(&j->lock);
    while (!j->stop) {
        struct timespec until = monotonic_in(j->period_ms);
        pthread_cond_timedwait(&j->wake, &j->lock, &until);
        if (j->stop)
            break;
        for (size_t i = 0; i < e->cfg->app_count; i++)
            app_close_idle(e->queues[i].app);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static void janitor_start(engine *e)
{
    janitor *j = &e->idle;
    /* Check at half the shortest idle time: a connection is closed at most
     * 1.5 times its idle_timeout_ms after its last request. */
    for (size_t i = 0; i < e->cfg->app_count; i++) {
        int t = e->queues[i].app != NULL ? app_idle_timeout_ms(e->queues[i].app) : 0;
        if (t > 0 && (j->period_ms == 0 || t / 2 < j->period_ms))
            j->period_ms = t / 2 > 0 ? t / 2 : 1;
    }
    if (j->period_ms == 0)
        return; /* nothing kept open */
    if (pthread_mutex_init(&j->lock, NULL) != 0)
        return;
    if (cond_init_monotonic(&j->wake) < 0) {
        pthread_mutex_destroy(&j->lock);
        return;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    j->started = pthread_create(&j->thread, NULL, janitor_main, e) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!j->started) {
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->wake);
    }
}

static void janitor_stop(janitor *j)
{
    if (!j->started)
        return;
    pthread_mutex_lock(&j->lock);
    j->stop = 1;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->wake);
    j->started = 0;
}

/* ---- the engine ------------------------------------------------------------------ */

static int app_used(const config *cfg, size_t k)
{
    for (size_t i = 0; i < cfg->route_count; i++)
        if (cfg->routes[i].app == k)
            return 1;
    return 0;
}

/* Open app k of the configuration, naming it as the file does. */
static app *open_app(engine *e, size_t k, cegate_error *err)
{
    const config_app *ca = &e->cfg->apps[k];
    app *a = app_open(ca->address, &ca->options, e->cancel_pipe[0], err);
    if (a == NULL && k > 0) {
        char where[CEGATE_ERROR_PATH_LENGTH];
        snprintf(where, sizeof where, "apps.%s.address", ca->name);
        cegate_error_set_path(err, where);
    }
    return a;
}

engine *engine_new(const config *cfg, cegate_error *err)
{
    engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"), NULL;
    e->cfg = cfg;
    e->cancel_pipe[0] = e->cancel_pipe[1] = -1;
    e->queues = calloc(cfg->app_count ? cfg->app_count : 1, sizeof *e->queues);
    if (e->queues == NULL || pipe2(e->cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory or descriptors");
        engine_free(e);
        return NULL;
    }
    size_t threads = 0;
    for (size_t k = 0; k < cfg->app_count; k++) {
        if (!app_used(cfg, k))
            continue;
        size_t workers = cfg->apps[k].options.workers ? cfg->apps[k].options.workers : 1;
        if (threads + workers > MAX_THREADS) {
            cegate_error_set(err, CEGATE_ERR_LIMIT, "workers",
                             "the apps' workers come to more than %d in all",
                             MAX_THREADS);
            engine_free(e);
            return NULL;
        }
        threads += workers;
        app *a = open_app(e, k, err);
        if (a == NULL || queue_init(&e->queues[k], e, a, err) < 0) {
            if (a != NULL && e->queues[k].app == NULL)
                app_close(a);
            engine_free(e);
            return NULL;
        }
    }
    for (size_t k = 0; k < cfg->app_count; k++)
        if (e->queues[k].app != NULL &&
            queue_start(&e->queues[k], app_get_options(e->queues[k].app)->workers,
                        err) < 0) {
            engine_free(e);
            return NULL;
        }
    janitor_start(e);
    return e;
}

/* An empty slot of the queue, or NULL with err saying why not. */
static slot *take_slot(queue *q, cegate_error *err)
{
    pthread_mutex_lock(&q->lock);
    slot *sl = NULL;
    if (q->stopping)
        cegate_error_set(err, CEGATE_ERR_CANCELLED, NULL,
                         "the engine is stopping: no new events");
    else if (q->count >= QUEUE_SIZE || q->free_count == 0)
        cegate_error_set(err, CEGATE_ERR_LIMIT, "queue",
                         "the queue of %s is full (%d events)",
                         app_address(q->app), QUEUE_SIZE);
    else {
        sl = q->free[--q->free_count];
        q->busy++;
    }
    pthread_mutex_unlock(&q->lock);
    return sl;
}

static void push(queue *q, slot *sl)
{
    pthread_mutex_lock(&q->lock);
    q->ring[(q->head + q->count) % q->slot_count] = sl;
    q->busy--;
    /* Wake a worker only when they may all be waiting: it was empty, or
     * when more work piles up than one worker is taking. */
    if (q->count++ == 0 || q->count == QUEUE_SIZE / 2)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static void give_back(queue *q, slot *sl)
{
    pthread_mutex_lock(&q->lock);
    put_back_locked(q, sl);
    pthread_mutex_unlock(&q->lock);
}

int engine_submit(engine *e, const cegate_event *ev, const config_route *picked,
                  delivery_completion done, void *ctx, uint64_t tag,
                  cegate_error *err)
{
    const char *id = cegate_event_get_string(ev, "id");
    const char *type = cegate_event_get_string(ev, "type");
    if (picked == NULL) {
        /* Nothing is dropped silently: an event no route takes is
         * reported as rejected. */
        cegate_error why;
        cegate_error_clear(&why);
        cegate_error_set(&why, CEGATE_ERR_VALUE, NULL,
                         "no route matches the event (%zu routes tried)",
                         e->cfg->route_count);
        delivery_complete_now(done, ctx, tag, id, type, NULL, DELIVERY_REJECTED, &why);
        return 0;
    }
    queue *q = &e->queues[picked->app];
    slot *sl = take_slot(q, err);
    if (sl == NULL)
        return -1;
    sl->route = picked;
    sl->done = done;
    sl->ctx = ctx;
    sl->tag = tag;
    cegate_error why;
    cegate_error_clear(&why);
    cegate_buffer_reset(&sl->names);
    if (cegate_buffer_append(&sl->names, id, strlen(id) + 1, "id", &why) < 0 ||
        cegate_buffer_append(&sl->names, type, strlen(type) + 1, "type", &why) < 0 ||
        delivery_request_build(q->app, &picked->route, ev, &sl->dr, &why) < 0) {
        give_back(q, sl);
        delivery_complete_now(done, ctx, tag, id, type, picked,
                         why.code == CEGATE_ERR_NOMEM ? DELIVERY_FAILED
                                                      : DELIVERY_INVALID,
                         &why);
        return 0;
    }
    push(q, sl);
    return 0;
}

int engine_wait_room(engine *e, const config_route *picked,
                     const volatile sig_atomic_t *interrupted)
{
    queue *q = &e->queues[picked->app];
    pthread_mutex_lock(&q->lock);
    while (!q->stopping && (q->count > QUEUE_SIZE / 2 || q->free_count == 0) &&
           !(interrupted != NULL && *interrupted)) {
        q->producer_waiting = 1;
        struct timespec until = monotonic_in(POLL_INTERRUPT_MS);
        pthread_cond_timedwait(&q->room, &q->lock, &until);
    }
    int rc = q->stopping || (interrupted != NULL && *interrupted) ? -1 : 0;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

/* Wait until queue q is idle, until the monotonic `deadline_ms` (-1: no
 * limit) or *interrupted. Returns 1 when idle. */
static int wait_idle(queue *q, int64_t deadline_ms,
                     const volatile sig_atomic_t *interrupted)
{
    pthread_mutex_lock(&q->lock);
    while (q->busy > 0 || q->count > 0) {
        if (interrupted != NULL && *interrupted)
            break;
        int64_t step = POLL_INTERRUPT_MS;
        if (deadline_ms >= 0) {
            int64_t left = deadline_ms - app_now_ms();
            if (left <= 0)
                break;
            if (left < step)
                step = left;
        }
        struct timespec until = monotonic_in(step);
        pthread_cond_timedwait(&q->idle, &q->lock, &until);
    }
    int idle = q->busy == 0 && q->count == 0;
    pthread_mutex_unlock(&q->lock);
    return idle;
}

int engine_drain(engine *e, const volatile sig_atomic_t *interrupted)
{
    for (size_t k = 0; k < e->cfg->app_count; k++)
        if (e->queues[k].app != NULL && !wait_idle(&e->queues[k], -1, interrupted))
            return -1;
    return 0;
}

/* Take every queued slot out of q (under its lock) and report each as
 * skipped: the run stopped before it was attempted. */
static void skip_queued(queue *q)
{
    cegate_error why;
    cegate_error_clear(&why);
    cegate_error_set(&why, CEGATE_ERR_CANCELLED, NULL,
                     "not attempted: the run stopped first");
    for (;;) {
        pthread_mutex_lock(&q->lock);
        q->stopping = 1;
        pthread_cond_broadcast(&q->not_empty);
        pthread_cond_broadcast(&q->room);
        slot *sl = NULL;
        if (q->count > 0) {
            sl = q->ring[q->head];
            q->head = (q->head + 1) % q->slot_count;
            q->count--;
            q->busy++;
        }
        pthread_mutex_unlock(&q->lock);
        if (sl == NULL)
            return;
        const char *id, *type;
        names_of(sl, &id, &type);
        delivery_complete_now(sl->done, sl->ctx, sl->tag, id, type, sl->route,
                         DELIVERY_SKIPPED, &why);
        give_back(q, sl);
    }
}

void engine_stop(engine *e, int drain_timeout_ms)
{
    if (e->stopped)
        return;
    e->stopped = 1;
    for (size_t k = 0; k < e->cfg->app_count; k++)
        if (e->queues[k].app != NULL)
            skip_queued(&e->queues[k]);
    int64_t deadline = app_now_ms() + (drain_timeout_ms > 0 ? drain_timeout_ms : 0);
    int all_idle = 1;
    for (size_t k = 0; k < e->cfg->app_count; k++)
        if (e->queues[k].app != NULL && !wait_idle(&e->queues[k], deadline, NULL))
            all_idle = 0;
    if (!all_idle) {
        /* The drain deadline passed: what is still in flight is cut. */
        char byte = 1;
        if (write(e->cancel_pipe[1], &byte, 1) < 0) {
            /* Full or closed: readable either way, or nothing to stop. */
        }
        for (size_t k = 0; k < e->cfg->app_count; k++)
            app_cancel(e->queues[k].app);
    }
    for (size_t k = 0; k < e->cfg->app_count; k++)
        if (e->queues[k].app != NULL)
            queue_join(&e->queues[k]);
    janitor_stop(&e->idle);
}

void engine_free(engine *e)
{
    if (e == NULL)
        return;
    if (e->queues != NULL) {
        engine_stop(e, 0);
        for (size_t k = 0; k < e->cfg->app_count; k++)
            queue_free(&e->queues[k]);
        free(e->queues);
    }
    for (int i = 0; i < 2; i++)
        if (e->cancel_pipe[i] >= 0)
            close(e->cancel_pipe[i]);
    free(e);
}
