/* SPDX-License-Identifier: Apache-2.0 */
/* test_retry.c - the retry policy: how an attempt is classified and what
 * follows it, as pure functions of the route and the attempts so far. */
#include <criterion/criterion.h>
#include <string.h>

#include "delivery/retry.h"

static route make_route(void)
{
    route r;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_init_default(&r, &err), 0, "%s", err.text);
    return r;
}

static delivery_attempt answered(attempt_result result, int status)
{
    delivery_attempt a;
    memset(&a, 0, sizeof a);
    a.result = result;
    a.app_status = status;
    a.retry_after_ms = -1;
    return a;
}

Test(classify, statuses_by_default)
{
    route r = make_route();
    cr_assert_eq(retry_classify(&r, 1, 200, CEGATE_OK), ATTEMPT_DELIVERED);
    cr_assert_eq(retry_classify(&r, 1, 204, CEGATE_OK), ATTEMPT_DELIVERED);
    cr_assert_eq(retry_classify(&r, 1, 299, CEGATE_OK), ATTEMPT_DELIVERED);
    cr_assert_eq(retry_classify(&r, 1, 500, CEGATE_OK), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 1, 503, CEGATE_OK), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 1, 408, CEGATE_OK), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 1, 429, CEGATE_OK), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 1, 404, CEGATE_OK), ATTEMPT_PERMANENT);
    cr_assert_eq(retry_classify(&r, 1, 400, CEGATE_OK), ATTEMPT_PERMANENT);
    cr_assert_eq(retry_classify(&r, 1, 302, CEGATE_OK), ATTEMPT_PERMANENT);
    cr_assert_eq(retry_classify(&r, 1, 101, CEGATE_OK), ATTEMPT_PERMANENT);
    route_free(&r);
}

Test(classify, failures_without_an_answer)
{
    route r = make_route();
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_CONNECT), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_UNAVAILABLE), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_TIMEOUT), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_IO), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_CANCELLED), ATTEMPT_TRANSIENT);
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_PROTOCOL), ATTEMPT_PERMANENT);
    cr_assert_eq(retry_classify(&r, 0, 0, CEGATE_ERR_LIMIT), ATTEMPT_PERMANENT);
    /* The status of an exchange that failed does not count. */
    cr_assert_eq(retry_classify(&r, 0, 200, CEGATE_ERR_PROTOCOL), ATTEMPT_PERMANENT);
    route_free(&r);
}

Test(classify, the_route_says_otherwise)
{
    route r = make_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_set_outcome(&r, "409", "delivered", &err), 0, "%s", err.text);
    cr_assert_eq(route_set_outcome(&r, "4xx", "retry", &err), 0, "%s", err.text);
    cr_assert_eq(route_set_outcome(&r, "503", "reject", &err), 0, "%s", err.text);
    cr_assert_eq(retry_classify(&r, 1, 409, CEGATE_OK), ATTEMPT_DELIVERED);
    cr_assert_eq(retry_classify(&r, 1, 404, CEGATE_OK), ATTEMPT_TRANSIENT, "the class");
    cr_assert_eq(retry_classify(&r, 1, 503, CEGATE_OK), ATTEMPT_PERMANENT);
    cr_assert_eq(retry_classify(&r, 1, 500, CEGATE_OK), ATTEMPT_TRANSIENT, "default");
    route_free(&r);
}

Test(decide, delivered_and_rejected_end_it)
{
    route_retry p = {5, 200, 10000};
    delivery_attempt h[2] = {answered(ATTEMPT_TRANSIENT, 503),
                             answered(ATTEMPT_DELIVERED, 200)};
    cr_assert_eq(retry_decide(&p, h, 2, 0.5).verdict, RETRY_DELIVERED);
    h[1] = answered(ATTEMPT_PERMANENT, 404);
    cr_assert_eq(retry_decide(&p, h, 2, 0.5).verdict, RETRY_REJECTED);
}

Test(decide, transient_until_the_attempts_run_out)
{
    route_retry p = {3, 200, 10000};
    delivery_attempt h[3] = {answered(ATTEMPT_TRANSIENT, 503),
                             answered(ATTEMPT_TRANSIENT, 503),
                             answered(ATTEMPT_TRANSIENT, 503)};
    cr_assert_eq(retry_decide(&p, h, 1, 0).verdict, RETRY_AGAIN);
    cr_assert_eq(retry_decide(&p, h, 2, 0).verdict, RETRY_AGAIN);
    cr_assert_eq(retry_decide(&p, h, 3, 0).verdict, RETRY_FAILED);
    route_retry once = {1, 200, 10000};
    cr_assert_eq(retry_decide(&once, h, 1, 0).verdict, RETRY_FAILED);
}

Test(decide, backoff_doubles_up_to_the_cap_with_full_jitter)
{
    route_retry p = {100, 200, 1000};
    delivery_attempt h[8];
    for (int i = 0; i < 8; i++)
        h[i] = answered(ATTEMPT_TRANSIENT, 0);
    /* The jitter's top end shows the window: 200, 400, 800, then 1000. */
    const int window[] = {200, 400, 800, 1000, 1000};
    for (int n = 1; n <= 5; n++) {
        retry_decision top = retry_decide(&p, h, (size_t)n, 0.999999);
        retry_decision bottom = retry_decide(&p, h, (size_t)n, 0);
        cr_assert_eq(top.verdict, RETRY_AGAIN);
        cr_assert_eq(top.wait_ms, window[n - 1], "after %d: %d", n, top.wait_ms);
        cr_assert_eq(bottom.wait_ms, 0);
        int mid = retry_decide(&p, h, (size_t)n, 0.5).wait_ms;
        cr_assert(mid > 0 && mid < window[n - 1], "after %d: %d", n, mid);
    }
    /* A jitter out of [0, 1) is taken as 0, never as a longer wait. */
    cr_assert_eq(retry_decide(&p, h, 1, 7.0).wait_ms, 0);
    route_retry none = {5, 0, 0};
    cr_assert_eq(retry_decide(&none, h, 2, 0.9).wait_ms, 0);
}

Test(decide, retry_after_replaces_the_backoff_capped)
{
    route_retry p = {5, 200, 3000};
    delivery_attempt h[1] = {answered(ATTEMPT_TRANSIENT, 429)};
    h[0].retry_after_ms = 2000;
    retry_decision d = retry_decide(&p, h, 1, 0.9);
    cr_assert_eq(d.verdict, RETRY_AGAIN);
    cr_assert_eq(d.wait_ms, 2000);
    h[0].retry_after_ms = 60000;
    cr_assert_eq(retry_decide(&p, h, 1, 0.9).wait_ms, 3000, "capped at max_ms");
}

Test(decide, a_cancelled_attempt_is_not_retried)
{
    route_retry p = {5, 200, 3000};
    delivery_attempt h[1] = {answered(ATTEMPT_TRANSIENT, 0)};
    h[0].error.code = CEGATE_ERR_CANCELLED;
    cr_assert_eq(retry_decide(&p, h, 1, 0.5).verdict, RETRY_FAILED);
}
