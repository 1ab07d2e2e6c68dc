/* SPDX-License-Identifier: Apache-2.0 */
/* test_e2e_fcgiwrap.c - cegate replay into fcgiwrap running a /bin/sh CGI
 * script written by the test, which prints its environment and the body.
 * fcgiwrap needs SCRIPT_FILENAME (--script) naming an executable. Skipped
 * when fcgiwrap is not installed. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

TestSuite(e2e_fcgiwrap, .init = e2e_setup, .fini = e2e_teardown);

typedef struct wrap {
    e2e_proc *proc;
    const char *app;
    const char *script;
} wrap;

static void start_fcgiwrap(wrap *w, const char *workers)
{
    const char *names[] = {"fcgiwrap", NULL};
    const char *bin = e2e_find_program(names);
    if (bin == NULL)
        cr_skip_test("fcgiwrap is not installed");
    const char *sock = e2e_path("cgi.sock");
    w->script = e2e_write_env_script("env.sh");
    /* -c prefork count, -f the script's stderr as FastCGI stderr. Its
     * workers are children in its process group: e2e_stop ends them all.
     * fcgiwrap hands the script its own environment too, so it gets an
     * empty one (and PATH), through env -i (which execs it: same pid). */
    const char *env_names[] = {"env", NULL};
    const char *env = e2e_find_program(env_names);
    cr_assert_not_null(env, "no env(1)");
    const char *argv[] = {env, "-i", "PATH=/usr/bin:/bin", bin, "-c", workers, "-f",
                          "-s", e2e_fmt("unix:%s", sock), NULL};
    w->proc = e2e_start("fcgiwrap", argv, NULL, sock);
    w->app = e2e_fmt("unix:%s", sock);
}

static void stop_fcgiwrap(wrap *w)
{
    cr_assert_geq(e2e_stop(w->proc), 0, "fcgiwrap did not stop on SIGTERM");
}

Test(e2e_fcgiwrap, shell_cgi_gets_the_event)
{
    wrap w;
    start_fcgiwrap(&w, "1");
    e2e_run r;
    E2E_REPLAY(&r, "--app", w.app, "--script", w.script, "--route-path",
               "/orders/{subject}", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    cr_assert_str_eq(e2e_str(line, "status"), "delivered");
    cr_assert_eq(e2e_int(line, "code"), 200);
    const char *text = e2e_str(line, "response");
    const char *body;
    json_t *env = e2e_parse_env_dump(text, &body);

    /* The script's environment is exactly the params, apart from what
     * fcgiwrap (its PATH, FCGI_ROLE) and the shell (PWD) add. */
    e2e_params want;
    e2e_standard_params(&want, "POST", "/orders/orders%2F1042", "application/json",
                        strlen(E2E_ORDER_BODY));
    e2e_script_params(&want, w.script, "/orders/orders%2F1042");
    e2e_order_ce_params(&want);
    const char *ignore[] = {"PWD", "PATH", "FCGI_ROLE", NULL};
    e2e_assert_params_exact(env, &want, ignore);
    cr_assert_str_eq(body, E2E_ORDER_BODY);
    stop_fcgiwrap(&w);
}

Test(e2e_fcgiwrap, structured_mode_body)
{
    wrap w;
    start_fcgiwrap(&w, "1");
    const char *input = e2e_sample("order-created.json");
    e2e_run r;
    E2E_REPLAY(&r, "--app", w.app, "--script", w.script, "--mode", "structured", input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    const char *body;
    json_t *env = e2e_parse_env_dump(e2e_str(e2e_line(&r, 0), "response"), &body);
    cr_assert_null(json_object_get(env, "HTTP_CE_ID"));
    cr_assert_str_eq(json_string_value(json_object_get(env, "CONTENT_LENGTH")),
                     e2e_fmt("%zu", strlen(body)));
    json_t *got = e2e_own_json(json_loads(body, 0, NULL));
    json_t *event = e2e_own_json(json_load_file(input, 0, NULL));
    cr_assert(json_equal(got, event), "body: %s", body);
    stop_fcgiwrap(&w);
}

Test(e2e_fcgiwrap, two_prefork_workers)
{
    wrap w;
    start_fcgiwrap(&w, "2");
    enum { N = 20 };
    const char *input = e2e_write_events("many.ndjson", N, "w-", "payload ");
    e2e_run r;
    E2E_REPLAY(&r, "--app", w.app, "--script", w.script, "--workers", "2", input);
    e2e_assert_delivered(&r, N);
    for (size_t i = 0; i < N; i++) {
        json_t *line = e2e_line(&r, i);
        const char *body;
        json_t *env = e2e_parse_env_dump(e2e_str(line, "response"), &body);
        const char *id = e2e_str(line, "id");
        cr_assert_str_eq(json_string_value(json_object_get(env, "HTTP_CE_ID")), id);
        cr_assert_str_eq(body, e2e_fmt("payload %s", id + 2));
    }
    stop_fcgiwrap(&w);
}
