/* SPDX-License-Identifier: Apache-2.0 */
/* replay.c - `cegate replay`: the file ingress driving the delivery
 * engine, one JSON line per event on stdout, a summary on stderr.
 *
 * Everything about delivering lives in delivery/ and reading in ingress/;
 * this is the wiring, the printing and the exit status. */
#include "config.h"

#include <errno.h>
#include <limits.h> /* PIPE_BUF */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/replay_options.h"
#include "core/text.h"
#include "delivery/engine.h"
#include "ingress/file.h"

#define COMMAND "replay"

/* ---- signals ------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) { stop_signal = sig; }

/* SIGINT and SIGTERM stop reading; no SA_RESTART, so a read waiting for
 * input returns at once. The engine's threads block them. */
static void catch_stop_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

/* ---- output ------------------------------------------------------------------- */

typedef struct run {
    pthread_mutex_t lock;      /* the counts, the progress line */
    pthread_rwlock_t output;   /* lines up to PIPE_BUF shared, longer ones alone */
    int show_response;
    size_t delivered, failed, rejected, invalid, skipped, unreachable;
    double started, last_progress;
    int progress;        /* stderr is a terminal */
    int write_errno;     /* the first failed write to stdout, 0 if none */
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(run *r, int force)
{
    double t = now_s();
    if (!r->progress || (!force && t - r->last_progress < 0.5))
        return;
    r->last_progress = t;
    size_t total = r->delivered + r->failed + r->rejected + r->invalid + r->skipped;
    fprintf(stderr, "\rcegate: replay: %zu events: %zu delivered, %zu failed, "
            "%zu rejected, %zu invalid (%.0f/s) ", total, r->delivered,
            r->failed, r->rejected, r->invalid,
            total / (t - r->started > 0 ? t - r->started : 1));
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

/* The outcome line of one event. Numbers without printf, which costs more
 * than the rest of the line. */
static void format_line(const run *r, const delivery_outcome *o, cegate_buffer *buf)
{
    cegate_buffer_append_str(buf, "{\"status\":", NULL, NULL);
    const char *status = delivery_status_name(o->status);
    ce_append_json_string(buf, status, strlen(status), NULL);
    if (o->id[0] != '\0') {
        append_field(buf, "id", o->id);
        append_field(buf, "type", o->type);
    }
    if (o->tag > 0) {
        cegate_buffer_append_str(buf, ",\"line\":", NULL, NULL);
        ce_append_integer(buf, (long long)o->tag, NULL);
    }
    cegate_buffer_append_str(buf, ",\"code\":", NULL, NULL);
    ce_append_integer(buf, o->http_status, NULL);
    cegate_buffer_append_str(buf, ",\"attempts\":", NULL, NULL);
    ce_append_integer(buf, (long long)o->attempt_count, NULL);
    /* ms with three decimals: whole microseconds. */
    long long us = o->ms > 0 ? (long long)(o->ms * 1000 + 0.5) : 0;
    char fraction[4] = {(char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10),
                        (char)('0' + us % 10), '\0'};
    cegate_buffer_append_str(buf, ",\"ms\":", NULL, NULL);
    ce_append_integer(buf, us / 1000, NULL);
    cegate_buffer_append_byte(buf, '.', NULL, NULL);
    cegate_buffer_append_str(buf, fraction, NULL, NULL);
    if (r->show_response && o->body != NULL && o->body->length > 0) {
        cegate_buffer_append_str(buf, ",\"response\":", NULL, NULL);
        ce_append_json_bytes(buf, o->body->data, o->body->length, NULL);
    }
    if (o->status != DELIVERY_DELIVERED) {
        char text[1024];
        error_text(&o->error, text, sizeof text);
        append_field(buf, "error", text);
        append_field(buf, "error_code", cegate_error_code_name(o->error.code));
        if (o->log != NULL && o->log->length > 0) {
            cegate_buffer_append_str(buf, ",\"app_stderr\":", NULL, NULL);
            ce_append_json_bytes(buf, o->log->data, o->log->length, NULL);
        }
    }
    cegate_buffer_append_str(buf, "}\n", NULL, NULL);
}

/* One write(2) a line, as the event completes: a crash loses at most the
 * lines of the events still in flight. Workers write at once, not in
 * turns (holding a lock over a system call made them queue on it): a
 * write of up to PIPE_BUF bytes is never interleaved with another on a
 * pipe, nor on a file (the kernel serializes the file position), so those
 * share the lock and only a longer line (one with a large response) takes
 * it alone. Returns 0 or an errno. */
static int write_line(run *r, const char *s, size_t n)
{
    int e = 0;
    if (n <= PIPE_BUF)
        pthread_rwlock_rdlock(&r->output);
    else
        pthread_rwlock_wrlock(&r->output);
    while (n > 0) {
        ssize_t k = write(STDOUT_FILENO, s, n);
        if (k > 0) {
            s += k;
            n -= (size_t)k;
        } else if (k < 0 && errno != EINTR) {
            e = errno;
            break;
        }
    }
    pthread_rwlock_unlock(&r->output);
    return e;
}

static void count(run *r, const delivery_outcome *o)
{
    switch (o->status) {
    case DELIVERY_DELIVERED: r->delivered++; break;
    case DELIVERY_FAILED:
        r->failed++;
        if (o->error.code == CEGATE_ERR_CONNECT)
            r->unreachable++;
        break;
    case DELIVERY_REJECTED: r->rejected++; break;
    case DELIVERY_INVALID: r->invalid++; break;
    case DELIVERY_SKIPPED: r->skipped++; break;
    }
}

/* The completion of every event: its line, then the counts. */
static void report(const delivery_outcome *o, void *ctx)
{
    run *r = ctx;
    cegate_buffer buf;
    cegate_buffer_init(&buf, (size_t)-1);
    cegate_buffer_reserve(&buf, 256, NULL, NULL);
    format_line(r, o, &buf);
    int e = write_line(r, buf.data, buf.length);
    pthread_mutex_lock(&r->lock);
    if (e != 0 && r->write_errno == 0)
        r->write_errno = e;
    count(r, o);
    progress(r, 0);
    pthread_mutex_unlock(&r->lock);
    cegate_buffer_free(&buf);
}

/* ---- the run ------------------------------------------------------------------ */

static void summary(run *r, const file_ingress_result *in)
{
    if (r->progress)
        fputc('\n', stderr);
    size_t total = r->delivered + r->failed + r->rejected + r->invalid + r->skipped;
    fprintf(stderr, "cegate: replay: %zu events: %zu delivered, %zu failed, "
            "%zu rejected, %zu invalid, %zu skipped in %.2f s\n", total,
            r->delivered, r->failed, r->rejected, r->invalid, r->skipped,
            now_s() - r->started);
    if (in->interrupted)
        fprintf(stderr, "cegate: replay: stopped by %s after input line %zu\n",
                stop_signal == SIGINT ? "SIGINT" : "SIGTERM", in->lines_read);
}

/* The worst outcome decides: output lost, the app's absence, failures,
 * then bad input. */
static int exit_status(const run *r, const file_ingress_result *in)
{
    if (r->write_errno != 0)
        return EX_IOERR;
    if (in->read_errno != 0)
        return EX_IOERR;
    if (r->unreachable > 0)
        return EX_UNAVAILABLE;
    if (r->failed > 0 || r->skipped > 0 || in->interrupted)
        return EX_TEMPFAIL;
    if (r->rejected > 0 || r->invalid > 0)
        return EX_DATAERR;
    return 0;
}

static int replay(const replay_settings *s, registry *reg, size_t max_bytes)
{
    cegate_error err;
    cegate_error_clear(&err);
    file_input in;
    if (file_input_open(&in, s->input_path, max_bytes, &err) < 0) {
        cli_report(COMMAND, NULL, &err);
        return in.read_errno == ENOENT || in.read_errno == EACCES ? EX_NOINPUT
                                                                : EX_IOERR;
    }
    engine *e = engine_new(&s->cfg, &err);
    if (e == NULL) {
        cli_report(COMMAND, NULL, &err);
        file_input_close(&in);
        return err.code == CEGATE_ERR_NOMEM ? EX_OSERR : EX_USAGE;
    }
    run r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.lock, NULL);
    pthread_rwlock_init(&r.output, NULL);
    r.show_response = s->show_response;
    r.started = now_s();
    r.progress = isatty(STDERR_FILENO);

    struct sigaction old_int, old_term;
    catch_stop_signals(&old_int, &old_term);
    file_ingress fi = {
        .reg = reg,
        .headers = s->input.headers,
        .header_count = s->input.header_count,
        .path = s->input.path,
        .ndjson = s->ndjson,
        .cfg = &s->cfg,
        .engine = e,
        .done = report,
        .ctx = &r,
        .interrupted = &stop_signal,
    };
    file_ingress_result res;
    file_ingress_run(&fi, &in, &res);
    if (engine_drain(e, &stop_signal) < 0)
        res.interrupted = 1;
    engine_stop(e, s->drain_timeout_ms);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    engine_free(e);

    if (res.read_errno != 0)
        cli_error(COMMAND, "reading %s failed: %s", in.name, strerror(res.read_errno));
    if (r.write_errno != 0)
        cli_error(COMMAND, "standard output: %s (outcome lines were lost)",
                  strerror(r.write_errno));
    summary(&r, &res);
    int rc = exit_status(&r, &res);
    pthread_mutex_destroy(&r.lock);
    pthread_rwlock_destroy(&r.output);
    file_input_close(&in);
    return rc;
}

int cli_replay(int argc, char **argv)
{
    replay_settings s;
    int rc = replay_settings_load(argc, argv, &s);
    if (rc != 0) {
        replay_settings_free(&s);
        return rc < 0 ? 0 : rc;
    }
    cegate_options options;
    cegate_options_init(&options);
    registry *reg = NULL;
    rc = cli_open_registry(COMMAND, &s.input, &options, &reg);
    if (rc == 0)
        rc = replay(&s, reg, options.limits.max_input_bytes);
    registry_free(reg);
    replay_settings_free(&s);
    return rc;
}
