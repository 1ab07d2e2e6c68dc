/* SPDX-License-Identifier: Apache-2.0 */
/* harness.h - what the benchmarks share: a workload of messages and a
 * side-by-side timing of two ways of processing it (ours against a
 * reference measured in the same run). */
#ifndef CEGATE_BENCH_HARNESS_H
#define CEGATE_BENCH_HARNESS_H

#include <stddef.h>

#include <jansson.h>

typedef struct workload {
    const char *name;
    char **messages;
    size_t *lengths;
    size_t count;
    size_t capacity;
    size_t bytes;    /* of all messages */
    size_t events;   /* events one pass of "ours" yields (set by it) */
    void *context;   /* for the sides, e.g. an adapter registry */
} workload;

/* One side: process every message once; returns the events it produced
 * (the reference returns the message count). Exits on failure. */
typedef size_t (*bench_side)(const workload *w);

void *bench_xmalloc(size_t n);
/* Add a copy of bytes / the compact JSON text of a value. */
void workload_add(workload *w, const char *bytes, size_t length);
void workload_add_json(workload *w, const json_t *value);
void workload_free(workload *w);

/* Time both sides in interleaved rounds (CEGATE_BENCH_SECONDS per side,
 * default 1), best round each; print messages/s, events/s, MB/s and
 * ours/reference, with the target. */
void bench_compare(workload *w, bench_side ours, const char *ours_name,
                   bench_side reference, const char *reference_name,
                   double target);
/* The same, each side running with its own w->context; a target of 0
 * prints the ratio without judging it. */
void bench_compare_with(workload *w, bench_side ours, void *ours_context,
                        const char *ours_name, bench_side reference,
                        void *reference_context, const char *reference_name,
                        double target);

#endif
