/* SPDX-License-Identifier: Apache-2.0 */
/* test_e2e_phpfpm.c - cegate replay into php-fpm: a pool written by the
 * test (static, 2 children, on a unix socket in the test's directory) and
 * a PHP script that answers JSON of $_SERVER and php://input. php-fpm needs
 * SCRIPT_FILENAME (--script). Skipped when php-fpm is not installed. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

TestSuite(e2e_phpfpm, .init = e2e_setup, .fini = e2e_teardown);

static const char DUMP_PHP[] =
    "<?php\n"
    "// The request as PHP sees it; HTTP_X_STATUS picks the answer's status.\n"
    "if (isset($_SERVER['HTTP_X_STATUS']))\n"
    "    http_response_code((int)$_SERVER['HTTP_X_STATUS']);\n"
    "header('Content-Type: application/json');\n"
    "echo json_encode(['server' => $_SERVER,\n"
    "                  'body' => file_get_contents('php://input')],\n"
    "                 JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE |\n"
    "                 JSON_INVALID_UTF8_SUBSTITUTE);\n";

static const char *find_php_fpm(void)
{
    glob_t g;
    const char *found = NULL;
    if (glob("/usr/sbin/php-fpm*", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && found == NULL; i++)
            if (access(g.gl_pathv[i], X_OK) == 0)
                found = e2e_fmt("%s", g.gl_pathv[i]);
        globfree(&g);
    }
    if (found == NULL) {
        const char *names[] = {"php-fpm", "php-fpm8.2", "php-fpm8.3", "php-fpm8.1", NULL};
        found = e2e_find_program(names);
    }
    return found;
}

typedef struct php {
    e2e_proc *proc;
    const char *app;    /* unix:... */
    const char *script; /* dump.php */
} php;

/* `pool` adds lines to the pool's section (NULL: none). */
static void start_php(php *p, const char *pool)
{
    const char *fpm = find_php_fpm();
    if (fpm == NULL)
        cr_skip_test("php-fpm is not installed (php-fpm8.2 / php8.2-fpm)");
    const char *sock = e2e_path("php.sock");
    const char *conf = e2e_write_text(
        "fpm.conf",
        e2e_fmt("[global]\n"
                "pid = %1$s/php-fpm.pid\n"
                "error_log = %1$s/php-fpm.log\n"
                "daemonize = no\n"
                "log_level = notice\n"
                "[e2e]\n"
                "listen = %2$s\n"
                "listen.mode = 0666\n"
                "pm = static\n"
                "pm.max_children = 2\n"
                "clear_env = no\n"
                "catch_workers_output = yes\n"
                "decorate_workers_output = no\n"
                "%3$s",
                e2e_dir(), sock, pool ? pool : ""),
        0644);
    p->script = e2e_write_text("dump.php", DUMP_PHP, 0644);
    /* -F foreground, -n no php.ini, -y this pool, -p prefix; as root
     * php-fpm refuses to run its pool without -R. */
    const char *argv_root[] = {fpm, "-F", "-n", "-R", "-y", conf, "-p", e2e_dir(), NULL};
    const char *argv_user[] = {fpm, "-F", "-n", "-y", conf, "-p", e2e_dir(), NULL};
    p->proc = e2e_start("php-fpm", geteuid() == 0 ? argv_root : argv_user, NULL, sock);
    p->app = e2e_fmt("unix:%s", sock);
}

static void stop_php(php *p)
{
    int status = e2e_stop(p->proc);
    char *log = e2e_own(run_slurp(e2e_path("php-fpm.log"), NULL));
    cr_assert_geq(status, 0, "php-fpm did not stop on SIGTERM; its log:\n%s",
                  log ? log : "");
}

static const char *server(json_t *resp, const char *name)
{
    const char *v = json_string_value(json_object_get(json_object_get(resp, "server"), name));
    cr_assert_not_null(v, "$_SERVER['%s'] is not set", name);
    return v;
}

Test(e2e_phpfpm, binary_mode)
{
    php p;
    start_php(&p, NULL);
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, "--script", p.script, "--route-path", "/orders/{id}",
               e2e_sample("order-created.json"));
    e2e_assert_delivered(&r, 1);
    json_t *line = e2e_line(&r, 0);
    cr_assert_eq(e2e_int(line, "code"), 200);
    json_t *resp = e2e_response_json(line);
    cr_assert_str_eq(server(resp, "REQUEST_METHOD"), "POST");
    cr_assert_str_eq(server(resp, "SCRIPT_FILENAME"), p.script);
    cr_assert_str_eq(server(resp, "DOCUMENT_ROOT"), e2e_dir());
    cr_assert_str_eq(server(resp, "SCRIPT_NAME"), "/dump.php");
    cr_assert_str_eq(server(resp, "PATH_INFO"), "/orders/A234-1234-1234");
    cr_assert_str_eq(server(resp, "REQUEST_URI"), "/orders/A234-1234-1234");
    cr_assert_str_eq(server(resp, "QUERY_STRING"), "");
    cr_assert_str_eq(server(resp, "HTTP_CE_ID"), E2E_ORDER_ID);
    cr_assert_str_eq(server(resp, "HTTP_CE_TYPE"), "com.example.order.created");
    cr_assert_str_eq(server(resp, "HTTP_CE_SOURCE"), "https://shop.example.com/orders");
    cr_assert_str_eq(server(resp, "HTTP_CE_SUBJECT"), "orders/1042");
    cr_assert_str_eq(server(resp, "HTTP_CE_TENANT"), "acme");
    cr_assert_str_eq(server(resp, "CONTENT_TYPE"), "application/json");
    cr_assert_str_eq(server(resp, "CONTENT_LENGTH"), e2e_fmt("%zu", strlen(E2E_ORDER_BODY)));
    cr_assert_null(json_object_get(json_object_get(resp, "server"), "HTTP_PROXY"));
    cr_assert_str_eq(e2e_str(resp, "body"), E2E_ORDER_BODY);
    stop_php(&p);
}

Test(e2e_phpfpm, structured_mode)
{
    php p;
    start_php(&p, NULL);
    const char *input = e2e_sample("order-created.json");
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, "--script", p.script, "--mode", "structured", input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *resp = e2e_response_json(e2e_line(&r, 0));
    cr_assert_str_eq(server(resp, "REQUEST_METHOD"), "POST");
    cr_assert_str_eq(server(resp, "SCRIPT_FILENAME"), p.script);
    cr_assert_str_eq(server(resp, "DOCUMENT_ROOT"), e2e_dir());
    const char *ct = server(resp, "CONTENT_TYPE");
    cr_assert(strncmp(ct, "application/cloudevents+json", 28) == 0 &&
                  (ct[28] == '\0' || ct[28] == ';'),
              "CONTENT_TYPE %s", ct);
    cr_assert_null(json_object_get(json_object_get(resp, "server"), "HTTP_CE_ID"),
                   "structured mode sends no ce- headers");
    const char *body = e2e_str(resp, "body");
    cr_assert_str_eq(server(resp, "CONTENT_LENGTH"), e2e_fmt("%zu", strlen(body)));
    json_t *got = e2e_own_json(json_loads(body, 0, NULL));
    json_t *event = e2e_own_json(json_load_file(input, 0, NULL));
    cr_assert_not_null(event);
    cr_assert(json_equal(got, event), "body: %s", body);
    stop_php(&p);
}

Test(e2e_phpfpm, two_children_two_workers)
{
    php p;
    start_php(&p, NULL);
    enum { N = 40 };
    const char *input = e2e_write_events("many.ndjson", N, "php-", "body ");
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, "--script", p.script, "--workers", "2", input);
    e2e_assert_delivered(&r, N);
    for (size_t i = 0; i < N; i++) {
        json_t *line = e2e_line(&r, i);
        json_t *resp = e2e_response_json(line);
        const char *id = e2e_str(line, "id");
        cr_assert_str_eq(server(resp, "HTTP_CE_ID"), id);
        cr_assert_str_eq(e2e_str(resp, "body"), e2e_fmt("body %s", id + strlen("php-")));
    }
    stop_php(&p);
}

Test(e2e_phpfpm, status_codes_from_php)
{
    php p;
    start_php(&p, NULL);
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, "--script", p.script, "--param", "HTTP_X_STATUS=503",
               "--attempts", "2", "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 75, "stderr: %s", r.stderr_text);
    e2e_assert_outcome(e2e_line(&r, 0), "failed", 503, 2);

    E2E_REPLAY(&r, "--app", p.app, "--script", p.script, "--param", "HTTP_X_STATUS=409",
               "--attempts", "2", "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 65, "stderr: %s", r.stderr_text);
    e2e_assert_outcome(e2e_line(&r, 0), "rejected", 409, 1);
    stop_php(&p);
}

/* A SCRIPT_FILENAME that does not exist: php-fpm's "Primary script
 * unknown", a 404, is a permanent failure. */
Test(e2e_phpfpm, unknown_script_is_rejected)
{
    php p;
    start_php(&p, NULL);
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, "--script", e2e_path("missing.php"),
               "--attempts", "3", "--retry-initial-ms", "10", e2e_sample("order-created.json"));
    cr_assert_eq(r.exit_code, 65, "stderr: %s", r.stderr_text);
    e2e_assert_outcome(e2e_line(&r, 0), "rejected", 404, 1);
    stop_php(&p);
}

/* Children that exit after each request (pm.max_requests = 1) leave the
 * connection cegate keeps dead: that is not the app failing, and every
 * event still goes through on its first attempt. */
Test(e2e_phpfpm, recycled_children_do_not_cost_attempts)
{
    php p;
    start_php(&p, "pm.max_requests = 1\n");
    enum { N = 12 };
    const char *input = e2e_write_events("recycled.ndjson", N, "r-", "body ");
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, "--script", p.script, "--attempts", "1", input);
    e2e_assert_delivered(&r, N);
    for (size_t i = 0; i < N; i++) {
        json_t *line = e2e_line_for(&r, e2e_fmt("r-%zu", i));
        cr_assert_eq(e2e_int(line, "attempts"), 1);
        json_t *resp = e2e_response_json(line);
        cr_assert_str_eq(server(resp, "HTTP_CE_ID"), e2e_fmt("r-%zu", i));
        cr_assert_str_eq(e2e_str(resp, "body"), e2e_fmt("body %zu", i));
    }
    stop_php(&p);
}
