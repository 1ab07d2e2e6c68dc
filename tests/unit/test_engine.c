/* SPDX-License-Identifier: Apache-2.0 */
/* test_engine.c - the delivery engine driven directly, as an ingress does:
 * every submitted event gets exactly one completion with its attempts, a
 * full queue is refused at once, and a stop reports what was queued as
 * skipped and cuts what was in flight at the drain deadline. The app is a
 * CGI script in a temporary directory. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/run.h"
#include "delivery/engine.h"

typedef struct tally {
    pthread_mutex_t lock;
    size_t by_status[5];
    size_t calls;
    size_t attempts;
    int cancelled;        /* in-flight ones cut at the drain deadline */
    int records_ok;       /* every attempt record has a start and a duration */
} tally;

static void count_outcome(const delivery_outcome *o, void *ctx)
{
    tally *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->calls++;
    t->by_status[o->status]++;
    t->attempts += o->attempt_count;
    if (o->status == DELIVERY_FAILED && o->error.code == CEGATE_ERR_CANCELLED)
        t->cancelled++;
    for (size_t i = 0; i < o->attempt_count; i++)
        if (o->attempts[i].started_ms <= 0 || o->attempts[i].duration_ms < 0)
            t->records_ok = 0;
    pthread_mutex_unlock(&t->lock);
}

static char dir[64];

/* A CGI program that sleeps `seconds` (0: none) and answers `status`. */
static char *make_script(int seconds, int status)
{
    run_make_dir(dir, sizeof dir, "/tmp/cegate-engine-XXXXXX");
    char *path = run_asprintf("%s/app.sh", dir);
    char *text = run_asprintf("#!/bin/sh\n%s\nprintf 'Status: %d\\r\\n\\r\\nok'\n",
                              seconds ? run_asprintf("sleep %d", seconds) : "",
                              status);
    run_write_file(path, text, strlen(text));
    chmod(path, 0755);
    free(text);
    return path;
}

static void make_config(config *c, const char *program, size_t workers,
                        int attempts)
{
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(config_init(c, &err), 0, "%s", err.text);
    char *address = run_asprintf("cgi:%s", program);
    cr_assert_eq(config_app_set(&c->apps[0], &c->apps[0].address, address, &err), 0);
    free(address);
    c->apps[0].options.workers = workers;
    c->apps[0].options.timeout_ms = 20000;
    route r;
    cr_assert_eq(route_init_default(&r, &err), 0);
    r.retry.attempts = attempts;
    r.retry.initial_ms = 1;
    r.retry.max_ms = 2;
    cr_assert_eq(config_add_route(c, &r, 0, &err), 0, "%s", err.text);
}

static cegate_event *make_event(int i)
{
    cegate_event *ev = cegate_event_new();
    char id[32];
    snprintf(id, sizeof id, "e%d", i);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set_string(ev, "specversion", "1.0", strlen("1.0"), 0, &err), 0);
    cr_assert_eq(cegate_event_set_string(ev, "id", id, strlen(id), 0, &err), 0);
    cr_assert_eq(cegate_event_set_string(ev, "source", "/test", strlen("/test"), 0, &err), 0);
    cr_assert_eq(cegate_event_set_string(ev, "type", "t", strlen("t"), 0, &err), 0);
    return ev;
}

static void tally_init(tally *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->records_ok = 1;
}

Test(engine, every_event_gets_one_completion_with_its_attempts)
{
    char *program = make_script(0, 503);
    config c;
    make_config(&c, program, 2, 3);
    cegate_error err;
    cegate_error_clear(&err);
    engine *e = engine_new(&c, &err);
    cr_assert_not_null(e, "%s", err.text);
    tally t;
    tally_init(&t);
    for (int i = 0; i < 6; i++) {
        cegate_event *ev = make_event(i);
        cr_assert_eq(engine_submit(e, ev, &c.routes[0], count_outcome, &t, (uint64_t)i, &err), 0,
                     "%s", err.text);
        cegate_event_free(ev);
    }
    /* And one no route takes: rejected at once, never dropped. */
    cegate_event *ev = make_event(99);
    cr_assert_eq(engine_submit(e, ev, NULL, count_outcome, &t, 99, &err), 0);
    cegate_event_free(ev);
    cr_assert_eq(engine_drain(e, NULL), 0);
    engine_free(e);
    cr_assert_eq(t.calls, 7);
    cr_assert_eq(t.by_status[DELIVERY_FAILED], 6, "503 is retried, then failed");
    cr_assert_eq(t.by_status[DELIVERY_REJECTED], 1);
    cr_assert_eq(t.attempts, 6 * 3, "three attempts each");
    cr_assert(t.records_ok);
    config_free(&c);
    free(program);
    run_remove_tree(dir);
}

Test(engine, a_full_queue_is_refused_at_once_and_stop_keeps_the_count)
{
    char *program = make_script(30, 200);
    config c;
    make_config(&c, program, 1, 1);
    cegate_error err;
    cegate_error_clear(&err);
    engine *e = engine_new(&c, &err);
    cr_assert_not_null(e, "%s", err.text);
    tally t;
    tally_init(&t);
    double t0 = run_now();
    size_t taken = 0;
    for (int i = 0; i < 1000; i++) {
        cegate_event *ev = make_event(i);
        cegate_error_clear(&err);
        int rc = engine_submit(e, ev, &c.routes[0], count_outcome, &t, (uint64_t)i, &err);
        cegate_event_free(ev);
        if (rc < 0) {
            cr_assert_eq(err.code, CEGATE_ERR_LIMIT, "%s", err.text);
            cr_assert_str_eq(err.path, "queue");
            break;
        }
        taken++;
    }
    cr_assert(taken > 1 && taken < 1000, "taken %zu", taken);
    cr_assert_lt(run_now() - t0, 5.0, "refused at once, not after a wait");
    /* One is in flight (the script sleeps 30 s), the rest queued: the stop
     * skips those and cuts that one at the 200 ms drain deadline. */
    run_nap_ms(300);
    double t1 = run_now();
    engine_stop(e, 200);
    cr_assert_lt(run_now() - t1, 5.0, "the drain deadline holds");
    engine_free(e);
    cr_assert_eq(t.calls, taken, "one completion per event taken");
    cr_assert_eq(t.by_status[DELIVERY_SKIPPED], taken - 1);
    cr_assert_eq(t.cancelled, 1);
    config_free(&c);
    free(program);
    run_remove_tree(dir);
}

/* Per-app queues: a slow app's backlog holds up no other app's events. */
typedef struct by_app {
    pthread_mutex_t lock;
    size_t fast_done;
    double fast_last;   /* when the last fast event completed */
    size_t slow_done;
} by_app;

static void count_by_app(const delivery_outcome *o, void *ctx)
{
    by_app *b = ctx;
    pthread_mutex_lock(&b->lock);
    if (strcmp(o->route, "fast") == 0) {
        b->fast_done++;
        b->fast_last = run_now();
    } else {
        b->slow_done++;
    }
    pthread_mutex_unlock(&b->lock);
}

Test(engine, a_slow_app_does_not_hold_up_another)
{
    char *slow = make_script(2, 200);
    char *fast = run_asprintf("%s/fast.sh", dir);
    const char *text = "#!/bin/sh\nprintf 'Status: 200\\r\\n\\r\\nok'\n";
    run_write_file(fast, text, strlen(text));
    chmod(fast, 0755);
    char *json = run_asprintf(
        "{\"app\": \"cgi:%s\", \"apps\": {\"fast\": \"cgi:%s\"},"
        " \"routes\": [{\"name\": \"fast\", \"match\": {\"source\": \"/fast\"},"
        " \"app\": \"fast\"}, {\"name\": \"slow\"}]}", slow, fast);
    config c;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(config_init(&c, &err), 0);
    cr_assert_eq(config_load_text(&c, json, strlen(json), &err), 0, "%s", err.text);
    engine *e = engine_new(&c, &err);
    cr_assert_not_null(e, "%s", err.text);
    by_app b;
    memset(&b, 0, sizeof b);
    pthread_mutex_init(&b.lock, NULL);
    double t0 = run_now();
    /* Two events for the slow app first (2 s each, one at a time), then
     * five for the fast one, which are done long before the slow ones. */
    for (int i = 0; i < 7; i++) {
        cegate_event *ev = make_event(i);
        if (i >= 2)
            cr_assert_eq(cegate_event_set_string(ev, "source", "/fast", 5, 0, &err), 0);
        cr_assert_eq(engine_submit(e, ev, config_pick(&c, ev), count_by_app, &b,
                                   (uint64_t)i, &err), 0, "%s", err.text);
        cegate_event_free(ev);
    }
    cr_assert_eq(engine_drain(e, NULL), 0);
    engine_free(e);
    cr_assert_eq(b.fast_done, 5);
    cr_assert_eq(b.slow_done, 2);
    cr_assert_lt(b.fast_last - t0, 1.8,
                 "the fast app's events waited %.1f s behind the slow app's",
                 b.fast_last - t0);
    config_free(&c);
    free(json);
    free(fast);
    free(slow);
    run_remove_tree(dir);
}
