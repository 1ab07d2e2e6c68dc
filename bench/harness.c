/* SPDX-License-Identifier: Apache-2.0 */
/* harness.c - workloads and side-by-side timing for the benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define ROUNDS 5

void *bench_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    return p;
}

void workload_add(workload *w, const char *bytes, size_t length)
{
    if (w->count == w->capacity) {
        size_t cap = w->capacity ? 2 * w->capacity : 16;
        char **m = bench_xmalloc(cap * sizeof *m);
        size_t *l = bench_xmalloc(cap * sizeof *l);
        if (w->count) {
            memcpy(m, w->messages, w->count * sizeof *m);
            memcpy(l, w->lengths, w->count * sizeof *l);
        }
        free(w->messages);
        free(w->lengths);
        w->messages = m;
        w->lengths = l;
        w->capacity = cap;
    }
    char *copy = bench_xmalloc(length + 1);
    memcpy(copy, bytes, length);
    copy[length] = '\0';
    w->messages[w->count] = copy;
    w->lengths[w->count] = length;
    w->bytes += length;
    w->count++;
}

/* Messages are compact, with reals written as producers usually write them
 * (4.95, not 4.9500000000000002). */
void workload_add_json(workload *w, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (text == NULL) {
        fprintf(stderr, "bench: %s: cannot serialize a message\n", w->name);
        exit(1);
    }
    workload_add(w, text, strlen(text));
    free(text);
}

void workload_free(workload *w)
{
    for (size_t i = 0; i < w->count; i++)
        free(w->messages[i]);
    free(w->messages);
    free(w->lengths);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Passes over the workload per second, for `seconds`. */
static double timed(bench_side side, const workload *w, double seconds)
{
    size_t passes = 0;
    double start = now(), elapsed;
    do {
        side(w);
        passes++;
        elapsed = now() - start;
    } while (elapsed < seconds);
    return (double)passes / elapsed;
}

/* One timed slice of a side, with its context in place. */
static double timed_with(bench_side side, workload *w, void *context,
                         double seconds)
{
    w->context = context;
    return timed(side, w, seconds);
}

void bench_compare_with(workload *w, bench_side ours, void *ours_context,
                        const char *ours_name, bench_side reference,
                        void *reference_context, const char *reference_name,
                        double target)
{
    double per_side = 1.0;
    const char *env = getenv("CEGATE_BENCH_SECONDS");
    if (env != NULL && atof(env) > 0)
        per_side = atof(env);
    double slice = per_side / ROUNDS, best_o = 0, best_r = 0;

    w->context = ours_context;
    w->events = ours(w); /* every message must work before timing */
    (void)timed_with(ours, w, ours_context, 0.05);
    (void)timed_with(reference, w, reference_context, 0.05);
    for (int r = 0; r < ROUNDS; r++) {
        double o, ref;
        if (r % 2 == 0) {
            o = timed_with(ours, w, ours_context, slice);
            ref = timed_with(reference, w, reference_context, slice);
        } else {
            ref = timed_with(reference, w, reference_context, slice);
            o = timed_with(ours, w, ours_context, slice);
        }
        best_o = o > best_o ? o : best_o;
        best_r = ref > best_r ? ref : best_r;
    }
    w->context = ours_context;
    double n = (double)w->count, bytes = (double)w->bytes / 1e6;
    double ratio = best_o / best_r;
    printf("\nworkload: %s (%zu message%s of %.0f bytes on average, %zu "
           "event%s per pass)\n", w->name, w->count, w->count == 1 ? "" : "s",
           (double)w->bytes / n, w->events, w->events == 1 ? "" : "s");
    printf("  %-24s %14s %14s %10s\n", "side", "messages/s", "events/s", "MB/s");
    printf("  %-24s %14.0f %14.0f %10.2f\n", ours_name, best_o * n,
           best_o * (double)w->events, best_o * bytes);
    printf("  %-24s %14.0f %14s %10.2f\n", reference_name, best_r * n, "-",
           best_r * bytes);
    if (target > 0)
        printf("ratio %.2fx %s (target >= %.2fx)%s\n", ratio, reference_name,
               target, ratio >= target ? "" : "  BELOW TARGET");
    else
        printf("ratio %.2fx %s\n", ratio, reference_name);
    fflush(stdout);
}

void bench_compare(workload *w, bench_side ours, const char *ours_name,
                   bench_side reference, const char *reference_name,
                   double target)
{
    bench_compare_with(w, ours, w->context, ours_name, reference, w->context,
                       reference_name, target);
}
