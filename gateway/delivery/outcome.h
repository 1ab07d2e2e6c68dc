/* SPDX-License-Identifier: Apache-2.0 */
/* outcome.h - what the delivery engine reports of an event: every attempt
 * it made (a record each) and the verdict. The spool and dead letters store
 * it as is; ingresses act on it (an outcome line, an HTTP status, a Kafka
 * commit). */
#ifndef CEGATE_DELIVERY_OUTCOME_H
#define CEGATE_DELIVERY_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "cegate/buffer.h"
#include "cegate/error.h"

typedef enum delivery_status {
    DELIVERY_DELIVERED = 0,
    DELIVERY_FAILED,     /* transient until the attempts ran out, or cut by
                            a shutdown */
    DELIVERY_REJECTED,   /* permanent: the app refused it, or no route */
    DELIVERY_INVALID,    /* no request can carry it (or the input was bad) */
    DELIVERY_SKIPPED     /* never attempted: the run stopped first */
} delivery_status;

const char *delivery_status_name(delivery_status s);

/* How one attempt ended. */
typedef enum attempt_result {
    ATTEMPT_DELIVERED = 0,
    ATTEMPT_TRANSIENT,   /* may succeed later: retry */
    ATTEMPT_PERMANENT    /* will not improve */
} attempt_result;

#define DELIVERY_EXCERPT_BYTES 512

typedef struct delivery_attempt {
    int64_t started_ms;     /* wall clock, ms since the epoch */
    double duration_ms;
    attempt_result result;
    int app_status;         /* the app's HTTP status, 0 when none came */
    int retry_after_ms;     /* the app's Retry-After, -1 when none */
    cegate_error error;     /* CEGATE_OK when delivered */
    /* The first bytes of the app's stderr and answer body (raw bytes, not
     * NUL-terminated; may end inside a UTF-8 sequence). */
    size_t stderr_length, response_length;
    char stderr_excerpt[DELIVERY_EXCERPT_BYTES];
    char response_excerpt[DELIVERY_EXCERPT_BYTES];
} delivery_attempt;

typedef struct delivery_outcome {
    delivery_status status;
    const char *id;          /* the event's, "" when there was none */
    const char *type;
    uint64_t tag;            /* the ingress's, as given to engine_submit */
    const char *route;       /* the route's name, NULL when none took it */
    const delivery_attempt *attempts;  /* in order */
    size_t attempt_count;
    int http_status;         /* of the last attempt, 0 when none */
    double ms;               /* from the first attempt's start to the verdict */
    cegate_error error;      /* why, when not delivered */
    const cegate_buffer *log;  /* the last attempt's stderr, whole (bounded) */
    const cegate_buffer *body; /* its answer body, when the engine keeps them */
} delivery_outcome;

#endif
