/* SPDX-License-Identifier: Apache-2.0 */
/* attempt.c - one attempt (see attempt.h). */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery/attempt.h"
#include "delivery/retry.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double precise_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Retry-After in seconds (the HTTP-date form is not used by apps behind a
 * gateway; it is treated as absent). */
static int retry_after_ms(const upstream_response *resp)
{
    const char *v = upstream_response_header(resp, "Retry-After");
    if (v == NULL)
        return -1;
    char *end;
    long s = strtol(v, &end, 10);
    if (end == v || s < 0 || s > 86400)
        return -1;
    return (int)(s * 1000);
}

static size_t excerpt(char *to, const cegate_buffer *from)
{
    size_t n = from->length < DELIVERY_EXCERPT_BYTES ? from->length
                                                     : DELIVERY_EXCERPT_BYTES;
    if (n > 0)
        memcpy(to, from->data, n);
    return n;
}

void delivery_attempt_make(app *a, const route *r, const delivery_request *dr,
                           upstream_response *resp, delivery_attempt *rec)
{
    memset(rec, 0, offsetof(delivery_attempt, stderr_excerpt));
    rec->retry_after_ms = -1;
    rec->started_ms = wall_ms();
    double start = precise_ms();
    upstream_response_reset(resp);
    int64_t deadline = app_now_ms() + app_get_options(a)->timeout_ms;
    int answered = app_exchange(a, &dr->req, resp, deadline, &rec->error) == 0;
    rec->duration_ms = precise_ms() - start;
    rec->app_status = answered ? resp->status : 0;
    rec->result = retry_classify(r, answered, resp->status, rec->error.code);
    if (answered && rec->result != ATTEMPT_DELIVERED) {
        int transient = rec->result == ATTEMPT_TRANSIENT;
        cegate_error_set(&rec->error,
                         transient ? CEGATE_ERR_APP_TRANSIENT : CEGATE_ERR_APP_REJECTED,
                         "status", "the app answered %d", resp->status);
        if (transient)
            rec->retry_after_ms = retry_after_ms(resp);
    }
    rec->stderr_length = excerpt(rec->stderr_excerpt, &resp->log);
    rec->response_length = excerpt(rec->response_excerpt, &resp->body);
}
