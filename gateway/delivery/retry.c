/* SPDX-License-Identifier: Apache-2.0 */
/* retry.c - the retry policy (see retry.h). */
#include "config.h"

#include "delivery/retry.h"

attempt_result retry_classify(const route *r, int answered, int status,
                              cegate_error_code code)
{
    if (!answered) {
        switch (code) {
        case CEGATE_ERR_CONNECT:
        case CEGATE_ERR_UNAVAILABLE:
        case CEGATE_ERR_TIMEOUT:
        case CEGATE_ERR_IO:
        case CEGATE_ERR_NOMEM:
        case CEGATE_ERR_CANCELLED:
            return ATTEMPT_TRANSIENT;
        default:
            /* A protocol error or an oversized answer will not improve. */
            return ATTEMPT_PERMANENT;
        }
    }
    switch (route_status_outcome(r, status)) {
    case ROUTE_OUTCOME_DELIVERED: return ATTEMPT_DELIVERED;
    case ROUTE_OUTCOME_RETRY: return ATTEMPT_TRANSIENT;
    case ROUTE_OUTCOME_REJECT: return ATTEMPT_PERMANENT;
    case ROUTE_OUTCOME_DEFAULT: break;
    }
    if (status >= 200 && status < 300)
        return ATTEMPT_DELIVERED;
    if (status >= 500 || status == 408 || status == 429)
        return ATTEMPT_TRANSIENT;
    return ATTEMPT_PERMANENT;
}

/* The backoff window after attempt n: min(max_ms, initial_ms * 2^(n-1)). */
static long window_ms(const route_retry *policy, size_t n)
{
    long ceiling = policy->initial_ms;
    for (size_t i = 1; i < n && ceiling < policy->max_ms; i++)
        ceiling *= 2;
    return ceiling > policy->max_ms ? policy->max_ms : ceiling;
}

retry_decision retry_decide(const route_retry *policy,
                            const delivery_attempt *history, size_t count,
                            double jitter)
{
    retry_decision d = {RETRY_FAILED, 0};
    if (count == 0) {
        d.verdict = RETRY_AGAIN; /* nothing tried yet */
        return d;
    }
    const delivery_attempt *last = &history[count - 1];
    if (last->result == ATTEMPT_DELIVERED) {
        d.verdict = RETRY_DELIVERED;
        return d;
    }
    if (last->result == ATTEMPT_PERMANENT) {
        d.verdict = RETRY_REJECTED;
        return d;
    }
    /* A cancelled attempt is the run stopping: no point in another. */
    if (count >= (size_t)policy->attempts || last->error.code == CEGATE_ERR_CANCELLED)
        return d;
    d.verdict = RETRY_AGAIN;
    if (last->retry_after_ms >= 0) {
        d.wait_ms = last->retry_after_ms > policy->max_ms ? policy->max_ms
                                                          : last->retry_after_ms;
        return d;
    }
    long window = window_ms(policy, count);
    if (jitter < 0 || jitter >= 1)
        jitter = 0;
    d.wait_ms = window > 0 ? (int)(jitter * (double)(window + 1)) : 0;
    return d;
}
