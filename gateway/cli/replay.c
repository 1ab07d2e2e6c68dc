/* replay.c - `cegate replay`: normalize each input, route each event and
 * deliver it to the app; one JSON line per event on stdout. */
#define _GNU_SOURCE /* SCHED_BATCH */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/replay_options.h"
#include "core/text.h"
#include "deliver.h"

#define COMMAND "replay"
#define QUEUE_SIZE 256

/* ---- counting, output and progress ------------------------------------------- */

typedef struct run {
    pthread_mutex_t lock;
    const config *cfg;
    app **apps;          /* cfg->apps[i] opened, or NULL when unused */
    int show_response;
    int flush_each;      /* the input is a stream: each line as it comes */
    size_t delivered, failed, rejected, invalid, unavailable;
    double started;
    double last_progress;
    int progress; /* stderr is a terminal */
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void append_field(cegate_buffer *b, const char *name, const char *value)
{
    cegate_buffer_append_byte(b, ',', NULL, NULL);
    ce_append_json_string(b, name, strlen(name), NULL);
    cegate_buffer_append_byte(b, ':', NULL, NULL);
    ce_append_json_string(b, value, strlen(value), NULL);
}

static void error_text(const cegate_error *err, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s%s%s", err->origin[0] ? "adapter " : "",
             err->origin, err->origin[0] ? ": " : "", err->path,
             err->path[0] ? ": " : "");
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s", err->text);
}

static void progress(run *r, int force)
{
    double t = now_s();
    if (!r->progress || (!force && t - r->last_progress < 0.5))
        return;
    r->last_progress = t;
    size_t total = r->delivered + r->failed + r->rejected + r->invalid;
    fprintf(stderr, "\rcegate: replay: %zu events: %zu delivered, %zu failed, "
            "%zu rejected, %zu invalid (%.0f/s) ", total, r->delivered,
            r->failed, r->rejected, r->invalid,
            total / (t - r->started > 0 ? t - r->started : 1));
}

/* One line of output, built in `buf` (a worker's, reused for every event
 * it reports) and written whole under the lock. */
static void report_with(run *r, cegate_buffer *buf, const char *id,
                        const char *type, size_t line, const delivery_result *res)
{
    cegate_buffer_reset(buf);
    cegate_buffer_append_str(buf, "{\"status\":", NULL, NULL);
    const char *status = delivery_status_name(res->status);
    ce_append_json_string(buf, status, strlen(status), NULL);
    if (id != NULL) {
        append_field(buf, "id", id);
        append_field(buf, "type", type);
    }
    /* Numbers without printf, which costs more than the rest of the line. */
    if (line > 0) {
        cegate_buffer_append_str(buf, ",\"line\":", NULL, NULL);
        ce_append_integer(buf, (long long)line, NULL);
    }
    cegate_buffer_append_str(buf, ",\"code\":", NULL, NULL);
    ce_append_integer(buf, res->http_status, NULL);
    cegate_buffer_append_str(buf, ",\"attempts\":", NULL, NULL);
    ce_append_integer(buf, res->attempts, NULL);
    /* ms with three decimals: whole microseconds. */
    long long us = res->ms > 0 ? (long long)(res->ms * 1000 + 0.5) : 0;
    char fraction[4] = {(char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10),
                        (char)('0' + us % 10), '\0'};
    cegate_buffer_append_str(buf, ",\"ms\":", NULL, NULL);
    ce_append_integer(buf, us / 1000, NULL);
    cegate_buffer_append_byte(buf, '.', NULL, NULL);
    cegate_buffer_append_str(buf, fraction, NULL, NULL);
    if (r->show_response && res->body.length > 0 &&
        ce_check_utf8(res->body.data, res->body.length, NULL, NULL) == 0) {
        cegate_buffer_append_str(buf, ",\"response\":", NULL, NULL);
        ce_append_json_string(buf, res->body.data, res->body.length, NULL);
    }
    if (res->status != DELIVERY_DELIVERED) {
        char text[1024];
        error_text(&res->error, text, sizeof text);
        append_field(buf, "error", text);
        if (res->log.length > 0 && ce_check_utf8(res->log.data, res->log.length,
                                                 NULL, NULL) == 0) {
            cegate_buffer_append_str(buf, ",\"app_stderr\":", NULL, NULL);
            ce_append_json_string(buf, res->log.data, res->log.length, NULL);
        }
    }
    cegate_buffer_append_str(buf, "}\n", NULL, NULL);

    pthread_mutex_lock(&r->lock);
    fwrite(buf->data, 1, buf->length, stdout);
    if (r->flush_each)
        fflush(stdout);
    switch (res->status) {
    case DELIVERY_DELIVERED: r->delivered++; break;
    case DELIVERY_FAILED:
        r->failed++;
        if (res->error.code == CEGATE_ERR_UNAVAILABLE && res->http_status == 0)
            r->unavailable++;
        break;
    case DELIVERY_REJECTED: r->rejected++; break;
    case DELIVERY_INVALID: r->invalid++; break;
    }
    progress(r, 0);
    pthread_mutex_unlock(&r->lock);
    /* A line that carried a large response is not kept for the next. */
    if (buf->capacity > (1u << 16))
        cegate_buffer_free(buf);
}

static void report(run *r, const char *id, const char *type, size_t line,
                   const delivery_result *res)
{
    cegate_buffer b;
    cegate_buffer_init(&b, 1 << 20);
    report_with(r, &b, id, type, line, res);
    cegate_buffer_free(&b);
}

static void report_invalid_input(run *r, size_t line, const cegate_error *err)
{
    delivery_result res;
    delivery_result_init(&res);
    res.status = DELIVERY_INVALID;
    res.error = *err;
    report(r, NULL, NULL, line, &res);
    delivery_result_free(&res);
}

/* ---- workers ------------------------------------------------------------------ */

/* An event on its way to the app: its request built, and what its outcome
 * line names. The reader fills a slot and frees the event at once; a
 * worker sends the request, reports and hands the slot back. Slots are
 * recycled, so in a long run building a request allocates almost nothing,
 * and no allocation made by one thread is freed by another (which glibc's
 * allocator serves slowly, under a lock). */
typedef struct slot {
    app *app;
    const route *route;
    size_t line;            /* NDJSON input line, 0 for a single message */
    delivery_request dr;
    cegate_buffer names;    /* "id\0type\0" */
} slot;

/* Filled slots wait in a ring for the workers; empty ones on a stack for
 * the reader. There are enough slots for a full ring, one per worker and
 * one the reader fills, so neither side ever waits for the other's
 * bookkeeping, only for work or for room. */
typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    slot *slots;            /* all of them */
    size_t slot_count;
    slot *items[QUEUE_SIZE];
    size_t head, count;
    slot **free;            /* slot_count entries */
    size_t free_count;
    int closed;
    int reader_waiting; /* the reader sleeps until the queue is half empty */
} queue;

typedef struct pool {
    run *run;
    queue q;
    pthread_t *threads;
    size_t thread_count;
} pool;

static void deliver_slot(run *r, slot *sl, cegate_buffer *line)
{
    delivery_result res;
    delivery_result_init(&res);
    res.keep_body = r->show_response;
    deliver_request(sl->app, sl->route, &sl->dr, &res);
    const char *id = sl->names.data;
    report_with(r, line, id, id + strlen(id) + 1, sl->line, &res);
    delivery_result_free(&res);
}

/* Hand back the slot just delivered (NULL at first) and take the next
 * filled one, or NULL once the queue is closed and empty. */
static slot *next_slot(pool *p, slot *done)
{
    queue *q = &p->q;
    pthread_mutex_lock(&q->lock);
    if (done != NULL) {
        q->free[q->free_count++] = done;
        /* Wake a reader that waits for room only once half the queue is
         * free: waking it for every slot would cost two context switches
         * an event while the app is the bottleneck. */
        if (q->reader_waiting && q->count <= QUEUE_SIZE / 2) {
            q->reader_waiting = 0;
            pthread_cond_signal(&q->not_full);
        }
    }
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->lock);
    slot *sl = NULL;
    if (q->count > 0) {
        sl = q->items[q->head];
        q->head = (q->head + 1) % QUEUE_SIZE;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return sl;
}

/* The workers run as SCHED_BATCH: a worker woken by the app's answer
 * then does not preempt the app before it has gone back to read its next
 * request. With as many busy processes as cores, that preemption cost the
 * app a context switch more an event, and the run a tenth of its
 * throughput (measured with bench_replay at N=2 on 2 cores). The reader
 * keeps the normal policy: it feeds the pipeline, and when it lags behind
 * the workers and the app wait (as batch it did, now and then, measured).
 * Unprivileged; if refused, nothing changes. */
static void run_as_batch(void)
{
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
}

static void *worker(void *arg)
{
    run_as_batch();
    pool *p = arg;
    slot *sl = NULL;
    cegate_buffer line; /* the outcome line, reused */
    cegate_buffer_init(&line, 1 << 20);
    while ((sl = next_slot(p, sl)) != NULL)
        deliver_slot(p->run, sl, &line);
    cegate_buffer_free(&line);
    return NULL;
}

/* An empty slot for the reader to fill; waits while the queue is full.
 * Even with one worker the reader runs in its own thread: it reads,
 * normalizes and builds the next requests while the worker waits for the
 * app's answer. */
static slot *take_slot(pool *p)
{
    queue *q = &p->q;
    pthread_mutex_lock(&q->lock);
    /* With the ring not full a slot is always free (see queue). */
    while (q->count == QUEUE_SIZE) {
        q->reader_waiting = 1;
        pthread_cond_wait(&q->not_full, &q->lock);
    }
    slot *sl = q->free[--q->free_count];
    pthread_mutex_unlock(&q->lock);
    return sl;
}

/* Give a slot back unused (its event was reported at once). */
static void return_slot(pool *p, slot *sl)
{
    pthread_mutex_lock(&p->q.lock);
    p->q.free[p->q.free_count++] = sl;
    pthread_mutex_unlock(&p->q.lock);
}

static void submit(pool *p, slot *sl)
{
    queue *q = &p->q;
    pthread_mutex_lock(&q->lock);
    q->items[(q->head + q->count) % QUEUE_SIZE] = sl;
    /* Wake a worker only when they may all be waiting: it was empty, or
     * when more work piles up than one worker is taking. */
    if (q->count++ == 0 || q->count == QUEUE_SIZE / 2)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static void slots_free(queue *q)
{
    for (size_t i = 0; i < q->slot_count; i++) {
        delivery_request_free(&q->slots[i].dr);
        cegate_buffer_free(&q->slots[i].names);
    }
    free(q->slots);
    free(q->free);
}

static int pool_start(pool *p, run *r, size_t workers)
{
    memset(p, 0, sizeof *p);
    p->run = r;
    if (workers < 1)
        workers = 1;
    queue *q = &p->q;
    q->slot_count = QUEUE_SIZE + workers + 1;
    q->slots = calloc(q->slot_count, sizeof *q->slots);
    q->free = calloc(q->slot_count, sizeof *q->free);
    p->threads = calloc(workers, sizeof *p->threads);
    if (q->slots == NULL || q->free == NULL || p->threads == NULL) {
        free(p->threads);
        free(q->slots);
        free(q->free);
        return -1;
    }
    for (size_t i = 0; i < q->slot_count; i++) {
        delivery_request_init(&q->slots[i].dr);
        cegate_buffer_init(&q->slots[i].names, (size_t)-1);
        q->free[q->free_count++] = &q->slots[q->slot_count - 1 - i];
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    for (size_t i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->thread_count++;
    }
    return p->thread_count ? 0 : -1;
}

static void pool_stop(pool *p)
{
    pthread_mutex_lock(&p->q.lock);
    p->q.closed = 1;
    pthread_cond_broadcast(&p->q.not_empty);
    pthread_mutex_unlock(&p->q.lock);
    for (size_t i = 0; i < p->thread_count; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    slots_free(&p->q);
    pthread_mutex_destroy(&p->q.lock);
    pthread_cond_destroy(&p->q.not_empty);
    pthread_cond_destroy(&p->q.not_full);
}

/* ---- idle connections ----------------------------------------------------------- */

/* While the input is slow (a pipe that events trickle into), kept
 * connections would sit idle and pin the app's workers: a timer thread
 * closes them once they have been idle for the app's idle_timeout_ms. */
typedef struct janitor {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop, started;
    app **apps;
    size_t app_count;
    int period_ms;
} janitor;

static void *janitor_main(void *arg)
{
    janitor *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!j->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += j->period_ms / 1000;
        until.tv_nsec += (long)(j->period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->wake, &j->lock, &until);
        if (j->stop)
            break;
        for (size_t i = 0; i < j->app_count; i++)
            app_close_idle(j->apps[i]);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static void janitor_start(janitor *j, app **apps, size_t app_count)
{
    memset(j, 0, sizeof *j);
    j->apps = apps;
    j->app_count = app_count;
    /* Check at half the shortest idle time: a connection is closed at most
     * 1.5 times its idle_timeout_ms after its last request. */
    for (size_t i = 0; i < app_count; i++) {
        int t = apps[i] != NULL ? app_idle_timeout_ms(apps[i]) : 0;
        if (t > 0 && (j->period_ms == 0 || t / 2 < j->period_ms))
            j->period_ms = t / 2 > 0 ? t / 2 : 1;
    }
    if (j->period_ms == 0)
        return; /* nothing kept open */
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->wake, NULL);
    j->started = pthread_create(&j->thread, NULL, janitor_main, j) == 0;
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
}

/* ---- input -------------------------------------------------------------------- */

/* Route one event and build its request: submitted to the workers, or
 * reported at once when no route takes it or no request can carry it. */
static void prepare(run *r, pool *p, const cegate_event *ev, size_t line)
{
    const char *id = cegate_event_get_string(ev, "id");
    const char *type = cegate_event_get_string(ev, "type");
    delivery_result res;
    delivery_result_init(&res);
    const config_route *picked = config_pick(r->cfg, ev);
    if (picked == NULL) {
        /* Nothing is dropped silently: an event no route takes is reported
         * as rejected, and the run exits 65. */
        res.status = DELIVERY_REJECTED;
        cegate_error_set(&res.error, CEGATE_ERR_VALUE, NULL,
                         "no route matches the event (%zu routes tried)",
                         r->cfg->route_count);
        report(r, id, type, line, &res);
        delivery_result_free(&res);
        return;
    }
    slot *sl = take_slot(p);
    sl->app = r->apps[picked->app];
    sl->route = &picked->route;
    sl->line = line;
    cegate_buffer_reset(&sl->names);
    if (cegate_buffer_append(&sl->names, id, strlen(id) + 1, "id", &res.error) < 0 ||
        cegate_buffer_append(&sl->names, type, strlen(type) + 1, "type",
                             &res.error) < 0) {
        res.status = DELIVERY_FAILED;
        report(r, id, type, line, &res);
        return_slot(p, sl);
    } else if (delivery_request_build(sl->app, sl->route, ev, &sl->dr,
                                      &res.error) < 0) {
        res.status = DELIVERY_INVALID;
        report(r, id, type, line, &res);
        return_slot(p, sl);
    } else {
        submit(p, sl);
    }
    delivery_result_free(&res);
}

/* Normalize one payload and submit its events; a bad payload is reported
 * as an invalid line and the run goes on. */
static void handle_payload(registry *reg, const replay_settings *s, pool *p,
                           const char *body, size_t length, size_t line)
{
    cegate_event_list events;
    cegate_event_list_init(&events);
    cegate_error err;
    cegate_error_clear(&err);
    if (registry_normalize(reg, s->input.headers, s->input.header_count, body,
                           length, s->input.path, &events, &err) < 0) {
        report_invalid_input(p->run, line, &err);
        return;
    }
    for (size_t i = 0; i < events.count; i++)
        prepare(p->run, p, events.events[i], line);
    cegate_event_list_free(&events);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* A whole JSON document on one line means NDJSON. */
static int is_json_line(const char *line, size_t n)
{
    json_t *v = json_loadb(line, n, JSON_DECODE_ANY, NULL);
    int yes = v != NULL && (json_is_object(v) || json_is_array(v));
    json_decref(v);
    return yes;
}

static int read_and_replay(registry *reg, const replay_settings *s, pool *p,
                           const char *path, size_t max_bytes)
{
    FILE *f;
    int opened = cli_open_input(COMMAND, path, &f);
    if (opened != 0)
        return opened;
    int from_stdin = f == stdin;
    /* Events trickling in from a pipe: their outcomes are shown as they
     * come rather than when a buffer fills (a file is read at full speed,
     * where a write per line would cost). */
    struct stat st;
    p->run->flush_each = fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode);
    /* A file is read, and the outcomes written, in large pieces: stdio's
     * 4 KiB would be a system call every dozen events. (glibc ignores the
     * size unless given the buffer.) One input per run, so static. */
    static char input_buffer[1 << 16], output_buffer[1 << 16];
    if (!p->run->flush_each) {
        setvbuf(f, input_buffer, _IOFBF, sizeof input_buffer);
        setvbuf(stdout, output_buffer, _IOFBF, sizeof output_buffer);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    int ndjson = s->ndjson ||
                 (s->input.header_count == 0 && n > 0 && is_json_line(line, (size_t)n));
    int rc = 0;
    if (ndjson) {
        for (size_t number = 1; n >= 0; number++, n = getline(&line, &cap, f)) {
            if (is_blank(line, (size_t)n))
                continue;
            if ((size_t)n > max_bytes) {
                cegate_error err;
                cegate_error_clear(&err);
                cegate_error_set(&err, CEGATE_ERR_LIMIT, NULL,
                                 "line of %zd bytes exceeds max_input_bytes",
                                 n);
                report_invalid_input(p->run, number, &err);
                continue;
            }
            handle_payload(reg, s, p, line, (size_t)n, number);
        }
    } else {
        cegate_buffer all;
        cegate_buffer_init(&all, max_bytes);
        cegate_error err;
        cegate_error_clear(&err);
        int bad = n > 0 && cegate_buffer_append(&all, line, (size_t)n, "input",
                                                &err) < 0;
        char chunk[65536];
        size_t got;
        while (!bad && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
            bad = cegate_buffer_append(&all, chunk, got, "input", &err) < 0;
        if (bad)
            report_invalid_input(p->run, 0, &err);
        else
            handle_payload(reg, s, p, all.data ? all.data : "", all.length, 0);
        cegate_buffer_free(&all);
    }
    if (ferror(f)) {
        cli_error(COMMAND, "reading %s failed", from_stdin ? "standard input" : path);
        rc = EX_IOERR;
    }
    free(line);
    if (!from_stdin)
        fclose(f);
    return rc;
}

/* Open every app a route uses. Returns 0 or a sysexits code. */
static int open_apps(const config *cfg, app **apps)
{
    for (size_t i = 0; i < cfg->route_count; i++) {
        size_t k = cfg->routes[i].app;
        if (apps[k] != NULL)
            continue;
        cegate_error err;
        cegate_error_clear(&err);
        apps[k] = app_open(cfg->apps[k].address, &cfg->apps[k].options, &err);
        if (apps[k] == NULL) {
            if (k > 0) {
                /* Name the app as the file does, not as "--app". */
                char where[CEGATE_ERROR_PATH_LENGTH];
                snprintf(where, sizeof where, "apps.%s.address", cfg->apps[k].name);
                err.path[0] = '\0';
                cegate_error_prefix_path(&err, where);
            }
            cli_report(COMMAND, NULL, &err);
            return EX_USAGE;
        }
    }
    return 0;
}

/* Threads: as many as the apps' connections together, so that each app
 * can be kept as busy as it has workers. */
static size_t worker_threads(const config *cfg)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->app_count; i++) {
        int used = 0;
        for (size_t k = 0; k < cfg->route_count; k++)
            used |= cfg->routes[k].app == i;
        if (used)
            n += cfg->apps[i].options.workers;
    }
    return n > 1024 ? 1024 : n;
}

int cli_replay(int argc, char **argv)
{
    replay_settings s;
    int rc = replay_settings_load(argc, argv, &s);
    if (rc != 0) {
        replay_settings_free(&s);
        return rc < 0 ? 0 : rc;
    }
    const char *input = s.input_path;

    cegate_options options;
    cegate_options_init(&options);
    registry *reg = NULL;
    app **apps = calloc(s.cfg.app_count, sizeof *apps);
    if (apps == NULL) {
        cli_error(COMMAND, "out of memory");
        rc = EX_OSERR;
    }
    if (rc == 0)
        rc = cli_open_registry(COMMAND, &s.input, &options, &reg);
    if (rc == 0)
        rc = open_apps(&s.cfg, apps);
    if (rc != 0)
        goto done;

    run r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.lock, NULL);
    r.cfg = &s.cfg;
    r.apps = apps;
    r.show_response = s.show_response;
    r.started = now_s();
    r.progress = isatty(STDERR_FILENO);
    pool p;
    janitor idle;
    janitor_start(&idle, apps, s.cfg.app_count);
    size_t threads = worker_threads(&s.cfg);
    if (pool_start(&p, &r, threads) < 0) {
        cli_error(COMMAND, "cannot start %zu worker threads", threads);
        rc = EX_OSERR;
    } else {
        rc = read_and_replay(reg, &s, &p, input, options.limits.max_input_bytes);
        pool_stop(&p);
    }
    janitor_stop(&idle);
    fflush(stdout);
    if (r.progress)
        fputc('\n', stderr);
    size_t total = r.delivered + r.failed + r.rejected + r.invalid;
    double seconds = now_s() - r.started;
    fprintf(stderr, "cegate: replay: %zu events: %zu delivered, %zu failed, "
            "%zu rejected, %zu invalid in %.2f s\n", total, r.delivered,
            r.failed, r.rejected, r.invalid, seconds);
    if (rc == 0) {
        /* The worst outcome decides: the app's absence first. */
        if (r.unavailable > 0)
            rc = EX_UNAVAILABLE;
        else if (r.failed > 0)
            rc = EX_TEMPFAIL;
        else if (r.rejected > 0 || r.invalid > 0)
            rc = EX_DATAERR;
    }
    pthread_mutex_destroy(&r.lock);
done:
    if (apps != NULL)
        for (size_t i = 0; i < s.cfg.app_count; i++)
            if (apps[i] != NULL)
                app_close(apps[i]);
    free(apps);
    registry_free(reg);
    replay_settings_free(&s);
    return rc;
}
