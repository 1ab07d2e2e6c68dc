/* SPDX-License-Identifier: Apache-2.0 */
/* engine.h - the delivery engine, one for every ingress: per-app bounded
 * queues, as many workers per app as the app has worker processes, the
 * attempts and the retry policy, and one completion callback per event
 * with its outcome record.
 *
 *   ingress ── engine_submit(event, route, completion, ctx, tag) ──▶ app's queue
 *                                                    workers ─▶ attempts ─▶ app
 *   ingress ◀── completion(outcome: attempts, verdict) ───────────────┘
 *
 * A full queue is reported to the caller at once (it then waits with
 * engine_wait_room, pauses its source, or answers 503). engine_stop stops
 * taking events, reports the queued ones as skipped, lets the attempts in
 * flight finish up to a drain deadline and cancels what is left. */
#ifndef CEGATE_DELIVERY_ENGINE_H
#define CEGATE_DELIVERY_ENGINE_H

#include <signal.h>
#include <stdint.h>

#include "config_file.h"
#include "delivery/outcome.h"

typedef struct engine engine;

/* Called once per submitted event, from a worker thread (or from the
 * submitting thread for an event decided at once: no route, no request
 * can carry it). The outcome and everything it points to are valid during
 * the call only. Several completions may run at once. */
typedef void (*delivery_completion)(const delivery_outcome *o, void *ctx);

/* Open every app a route of `cfg` uses and start its workers. `cfg` must
 * outlive the engine. Errors name the app ("--app" or "apps.NAME.address"). */
engine *engine_new(const config *cfg, cegate_error *err);

/* Hand over an event along `route` (NULL: no route takes it, which is
 * reported as rejected). The request is built now, so the event may be
 * freed on return. Returns 0 (the completion will be or was called), or -1
 * without calling it: CEGATE_ERR_LIMIT when the app's queue is full,
 * CEGATE_ERR_CANCELLED once the engine is stopping. Thread-safe. */
int engine_submit(engine *e, const cegate_event *ev, const config_route *picked,
                  delivery_completion done, void *ctx, uint64_t tag,
                  cegate_error *err);

/* Wait until the queue `route` leads to has room again (half of it free,
 * so a waiting producer is not woken for every event). Returns 0, or -1
 * when the engine is stopping or *interrupted became non-zero (a signal
 * handler's flag, looked at every 100 ms; may be NULL). */
int engine_wait_room(engine *e, const config_route *picked,
                     const volatile sig_atomic_t *interrupted);

/* Wait until every event submitted so far has had its completion. Returns
 * 0, or -1 when *interrupted became non-zero first (as above). */
int engine_drain(engine *e, const volatile sig_atomic_t *interrupted);

/* Report an outcome decided without an attempt (no route, no request,
 * bad input, skipped) the way the engine reports the others. */
void delivery_complete_now(delivery_completion done, void *ctx, uint64_t tag,
                           const char *id, const char *type,
                           const config_route *picked, delivery_status status,
                           const cegate_error *why);

/* Stop: refuse new events, report the queued ones as skipped, wait for
 * the attempts in flight for up to drain_timeout_ms, then cancel them (each
 * ends failed, CEGATE_ERR_CANCELLED) and join the workers. Every submitted
 * event has had its completion when it returns. Call once. */
void engine_stop(engine *e, int drain_timeout_ms);

/* Stop (with no drain wait if not stopped yet) and free. */
void engine_free(engine *e);

#endif
