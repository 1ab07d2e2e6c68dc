/* SPDX-License-Identifier: Apache-2.0 */
/* test_e2e_cgi.c - cegate replay running a CGI program itself
 * (--app cgi:/abs/path): shell scripts written by the test. The program's
 * environment is exactly the params plus PATH; the body is its stdin; its
 * stdout is the CGI response. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

TestSuite(e2e_cgi, .init = e2e_setup, .fini = e2e_teardown);

Test(e2e_cgi, environment_and_body)
{
    const char *script = e2e_write_env_script("env.sh");
    e2e_run r;
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--route-path",
               "/o/{id}?tenant={tenant}", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    e2e_assert_outcome(line, "delivered", 200, 1);
    const char *body;
    json_t *env = e2e_parse_env_dump(e2e_str(line, "response"), &body);

    e2e_params want;
    e2e_standard_params(&want, "POST", "/o/A234-1234-1234?tenant=acme", "application/json",
                        strlen(E2E_ORDER_BODY));
    e2e_order_ce_params(&want);
    e2e_params_add(&want, "PATH", "/usr/bin:/bin");
    const char *ignore[] = {"PWD", NULL}; /* the shell's own */
    e2e_assert_params_exact(env, &want, ignore);
    cr_assert_str_eq(body, E2E_ORDER_BODY);
}

Test(e2e_cgi, s3_key_and_record_body)
{
    const char *script = e2e_write_env_script("env.sh");
    e2e_run r;
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), e2e_sample("s3-object-created.json"));
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    const char *body;
    json_t *env = e2e_parse_env_dump(e2e_str(e2e_line(&r, 0), "response"), &body);
    cr_assert_str_eq(json_string_value(json_object_get(env, "CEGATE_S3_KEY")),
                     "invoices/2026/November report(1).pdf");
    cr_assert_str_eq(json_string_value(json_object_get(env, "CONTENT_LENGTH")),
                     e2e_fmt("%zu", strlen(body)));
    json_t *got = e2e_own_json(json_loads(body, 0, NULL));
    json_t *notification =
        e2e_own_json(json_load_file(e2e_sample("s3-object-created.json"), 0, NULL));
    cr_assert(json_equal(got, json_array_get(json_object_get(notification, "Records"), 0)),
              "body: %s", body);
}

/* "Status: 503" is transient: the program is run again for each attempt
 * (it counts its runs in a file), then the event has failed. */
Test(e2e_cgi, status_503_is_retried_then_failed)
{
    const char *count = e2e_path("runs");
    const char *script = e2e_write_text(
        "busy.sh",
        e2e_fmt("#!/bin/sh\n"
                "echo run >> '%s'\n"
                "/usr/bin/head -c \"${CONTENT_LENGTH:-0}\" >/dev/null\n"
                "echo 'too busy' >&2\n"
                "printf 'Status: 503 Service Unavailable\\r\\nContent-Type: text/plain\\r\\n"
                "Retry-After: 0\\r\\n\\r\\nbusy\\n'\n",
                count),
        0755);
    e2e_run r;
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--attempts", "3",
               "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    e2e_assert_outcome(line, "failed", 503, 3);
    cr_assert_str_eq(e2e_str(line, "response"), "busy\n");
    cr_assert_not_null(strstr(e2e_str(line, "app_stderr"), "too busy"), "app_stderr: %s",
                       e2e_str(line, "app_stderr"));
    char *runs = e2e_own(run_slurp(count, NULL));
    cr_assert_str_eq(runs ? runs : "", "run\nrun\nrun\n");
}

Test(e2e_cgi, status_400_is_rejected_at_once)
{
    const char *script = e2e_write_text(
        "bad.sh",
        "#!/bin/sh\n"
        "printf 'Status: 400 Bad Request\\r\\nContent-Type: text/plain\\r\\n\\r\\nno\\n'\n",
        0755);
    e2e_run r;
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--attempts", "3",
               "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 65, "stderr: %s", r.stderr_text);
    e2e_assert_outcome(e2e_line(&r, 0), "rejected", 400, 1);
}

/* The outcome table: 2xx delivered; 408, 429 and 5xx transient (retried,
 * then failed); other statuses permanent (rejected at once). */
Test(e2e_cgi, outcome_table)
{
    const char *script = e2e_write_text(
        "status.sh",
        "#!/bin/sh\n"
        "/usr/bin/head -c \"${CONTENT_LENGTH:-0}\" >/dev/null\n"
        "printf 'Status: %s\\r\\nContent-Type: text/plain\\r\\n\\r\\n' \"$HTTP_X_STATUS\"\n",
        0755);
    static const struct {
        int code;
        const char *status;
        int attempts;
        int exit_code;
    } cases[] = {
        {200, "delivered", 1, 0}, {201, "delivered", 1, 0}, {202, "delivered", 1, 0},
        {204, "delivered", 1, 0}, {299, "delivered", 1, 0}, {301, "rejected", 1, 65},
        {304, "rejected", 1, 65}, {400, "rejected", 1, 65}, {404, "rejected", 1, 65},
        {409, "rejected", 1, 65}, {422, "rejected", 1, 65}, {408, "failed", 2, 75},
        {429, "failed", 2, 75},   {500, "failed", 2, 75},   {502, "failed", 2, 75},
        {503, "failed", 2, 75},   {504, "failed", 2, 75},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        e2e_run r;
        E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--param",
                   e2e_fmt("HTTP_X_STATUS=%d", cases[i].code), "--attempts", "2",
                   "--retry-initial-ms", "1", e2e_sample("order-created.json"));
        e2e_assert_outcome(e2e_line(&r, 0), cases[i].status, cases[i].code,
                           cases[i].attempts);
        cr_assert_eq(r.exit_code, cases[i].exit_code, "status %d: exit %d", cases[i].code,
                     r.exit_code);
    }
}

/* Retry-After (seconds) sets the wait before the next attempt, capped by
 * --retry-max-ms. */
Test(e2e_cgi, retry_after_is_honoured_and_capped)
{
    const char *script = e2e_write_text(
        "later.sh",
        "#!/bin/sh\n"
        "printf 'Status: 503\\r\\nRetry-After: %s\\r\\n\\r\\n' \"$HTTP_X_AFTER\"\n",
        0755);
    e2e_run r;
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--param", "HTTP_X_AFTER=1",
               "--attempts", "2", "--retry-initial-ms", "1", "--retry-max-ms", "30000",
               e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75);
    json_t *line = e2e_line(&r, 0);
    cr_assert_eq(e2e_int(line, "attempts"), 2);
    cr_assert_geq(json_number_value(json_object_get(line, "ms")), 1000.0,
                  "Retry-After: 1 was not waited for");

    /* An hour, capped to 100 ms: done long before the hour. */
    double start = run_now();
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--param", "HTTP_X_AFTER=3600",
               "--attempts", "2", "--retry-initial-ms", "1", "--retry-max-ms", "100",
               e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75);
    cr_assert_eq(e2e_int(e2e_line(&r, 0), "attempts"), 2);
    cr_assert_lt(run_now() - start, E2E_RUN_SECONDS);
}

/* A program that does not answer in time is stopped, with the processes
 * it started (here a background sleep that keeps stdout open). The 2 s
 * timeout only has to outlast the shell starting its child. */
Test(e2e_cgi, hanging_program_is_stopped_with_its_children)
{
    const char *pidfile = e2e_path("child.pid");
    const char *script = e2e_write_text(
        "hang.sh",
        e2e_fmt("#!/bin/sh\n"
                "/bin/sleep 300 &\n"
                "echo $! > '%s'\n"
                "wait\n",
                pidfile),
        0755);
    e2e_run r;
    E2E_REPLAY(&r, "--app", e2e_fmt("cgi:%s", script), "--timeout", "2000", "--attempts",
               "1", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    cr_assert_str_eq(e2e_str(line, "status"), "failed");
    cr_assert_eq(e2e_int(line, "code"), 0);
    cr_assert_not_null(strstr(e2e_str(line, "error"), "2000 ms"), "error: %s",
                       e2e_str(line, "error"));

    char *text = e2e_own(run_slurp(pidfile, NULL));
    cr_assert_not_null(text, "the script did not start its child");
    pid_t child = (pid_t)atoi(text);
    cr_assert_gt(child, 1);
    /* Gone (this test process is a subreaper: it may have to reap it). */
    double until = run_now() + E2E_STOP_SECONDS;
    for (;;) {
        if (waitpid(child, NULL, WNOHANG) == child)
            break;
        if (kill(child, 0) < 0 && errno == ESRCH)
            break;
        if (run_now() > until) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
            cr_assert_fail("the CGI program's child %d outlived the timeout", (int)child);
        }
        usleep(10000);
    }
}
