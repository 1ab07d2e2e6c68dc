/* SPDX-License-Identifier: Apache-2.0 */
/* retry.h - the retry policy: pure functions of the route and the attempts
 * so far, so that every ingress (replay, the spool, Lambda, Kafka) decides
 * the same way and the rules are tested without an app.
 *
 * Defaults (DESIGN.md), each status overridable per route (route_set_outcome):
 *   2xx                                         delivered
 *   5xx, 408, 429 (Retry-After honoured), timeouts, failed connects, resets,
 *   FastCGI OVERLOADED / CANT_MPX_CONN           transient: retried
 *   other statuses, protocol errors, limits     permanent: rejected at once
 * Retries wait a capped exponential backoff with full jitter. */
#ifndef CEGATE_DELIVERY_RETRY_H
#define CEGATE_DELIVERY_RETRY_H

#include "delivery/outcome.h"
#include "route.h"

/* How an exchange ended: answered with `status` (answered != 0), or failed
 * with `code`. */
attempt_result retry_classify(const route *r, int answered, int status,
                              cegate_error_code code);

typedef enum retry_verdict {
    RETRY_DELIVERED = 0,
    RETRY_AGAIN,        /* after wait_ms */
    RETRY_FAILED,       /* transient, but the attempts ran out */
    RETRY_REJECTED      /* permanent */
} retry_verdict;

typedef struct retry_decision {
    retry_verdict verdict;
    int wait_ms;        /* RETRY_AGAIN only */
} retry_decision;

/* What to do after `count` (>= 1) attempts. `jitter` in [0, 1) picks the
 * wait inside the backoff's window: [0, min(max_ms, initial_ms * 2^(n-1))];
 * an app's Retry-After replaces it (capped at max_ms). */
retry_decision retry_decide(const route_retry *policy,
                            const delivery_attempt *history, size_t count,
                            double jitter);

#endif
