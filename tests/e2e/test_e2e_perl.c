/* SPDX-License-Identifier: Apache-2.0 */
/* test_e2e_perl.c - cegate replay into a Perl FastCGI app (libfcgi-perl's
 * FCGI module) written by the test: it answers with its request
 * environment and the body it read. Skipped when perl or its FCGI module
 * is missing. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"

TestSuite(e2e_perl, .init = e2e_setup, .fini = e2e_teardown);

static const char APP_PL[] =
    "use strict;\n"
    "use warnings;\n"
    "use FCGI;\n"
    "my ($path) = @ARGV;\n"
    "my $socket = FCGI::OpenSocket($path, 5) or die \"cannot listen on $path: $!\\n\";\n"
    "my %env;\n"
    "my $request = FCGI::Request(\\*STDIN, \\*STDOUT, \\*STDERR, \\%env, $socket);\n"
    "while ($request->Accept() >= 0) {\n"
    "    my $want = $env{CONTENT_LENGTH} || 0;\n"
    "    my $body = '';\n"
    "    while (length($body) < $want) {\n"
    "        my $n = read(STDIN, $body, $want - length($body), length($body));\n"
    "        last unless $n;\n"
    "    }\n"
    "    print \"Status: 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n\";\n"
    "    print \"$_=$env{$_}\\n\" for sort keys %env;\n"
    "    print \"--body--\\n\", $body;\n"
    "}\n"
    "FCGI::CloseSocket($socket);\n";

typedef struct perl_app {
    e2e_proc *proc;
    const char *app;
} perl_app;

static void start_perl(perl_app *p)
{
    const char *names[] = {"perl", NULL};
    const char *perl = e2e_find_program(names);
    if (perl == NULL)
        cr_skip_test("perl is not installed");
    if (system(e2e_fmt("'%s' -MFCGI -e 1 >/dev/null 2>&1", perl)) != 0)
        cr_skip_test("Perl's FCGI module is not installed (libfcgi-perl)");
    const char *script = e2e_write_text("app.pl", APP_PL, 0644);
    const char *sock = e2e_path("perl.sock");
    const char *argv[] = {perl, script, sock, NULL};
    p->proc = e2e_start("perl", argv, NULL, sock);
    p->app = e2e_fmt("unix:%s", sock);
}

static void stop_perl(perl_app *p)
{
    int status = e2e_stop(p->proc);
    char *err = e2e_own(run_slurp(p->proc->err, NULL));
    /* Perl's default SIGTERM action ends it; anything else is a problem. */
    cr_assert(status >= 0 && (WIFEXITED(status) ? WEXITSTATUS(status) == 0
                                                : WTERMSIG(status) == SIGTERM),
              "the Perl app ended with wait status %d; its stderr:\n%s", status,
              err ? err : "");
}

Test(e2e_perl, perl_fcgi_app_gets_the_event)
{
    perl_app p;
    start_perl(&p);
    /* A body of 300 000 bytes: several FastCGI STDIN records. */
    enum { SIZE = 300000 };
    char *data = e2e_own(malloc(SIZE + 1));
    cr_assert_not_null(data);
    for (size_t i = 0; i < SIZE; i++)
        data[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + i / 1000) % 36];
    data[SIZE] = '\0';
    const char *input = e2e_write_text(
        "event.json",
        e2e_fmt("{\"specversion\":\"1.0\",\"id\":\"perl-1\",\"source\":\"/e2e\","
                "\"type\":\"e2e.perl\",\"subject\":\"na\xc3\xafve subject\","
                "\"datacontenttype\":\"text/plain\",\"data\":\"%s\"}",
                data),
        0644);
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, input);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.stderr_text);
    json_t *line = e2e_line(&r, 0);
    cr_assert_str_eq(e2e_str(line, "status"), "delivered");
    cr_assert_eq(e2e_int(line, "code"), 200);
    const char *body;
    json_t *env = e2e_parse_env_dump(e2e_str(line, "response"), &body);

    /* The app's environment is exactly the params, and the FCGI_ROLE the
     * FCGI module adds itself. */
    e2e_params want;
    e2e_standard_params(&want, "POST", "/", "text/plain", SIZE);
    e2e_params_add(&want, "HTTP_CE_SPECVERSION", "1.0");
    e2e_params_add(&want, "HTTP_CE_ID", "perl-1");
    e2e_params_add(&want, "HTTP_CE_SOURCE", "/e2e");
    e2e_params_add(&want, "HTTP_CE_TYPE", "e2e.perl");
    e2e_params_add(&want, "HTTP_CE_SUBJECT", "na%C3%AFve%20subject");
    const char *ignore[] = {"FCGI_ROLE", NULL};
    e2e_assert_params_exact(env, &want, ignore);
    cr_assert_str_eq(json_string_value(json_object_get(env, "FCGI_ROLE")), "RESPONDER");
    cr_assert_eq(strlen(body), SIZE);
    cr_assert(strcmp(body, data) == 0, "the body differs");
    stop_perl(&p);
}

Test(e2e_perl, keeps_serving_a_kept_connection)
{
    perl_app p;
    start_perl(&p);
    enum { N = 25 };
    const char *input = e2e_write_events("many.ndjson", N, "p-", "n=");
    e2e_run r;
    E2E_REPLAY(&r, "--app", p.app, input);
    e2e_assert_delivered(&r, N);
    for (size_t i = 0; i < N; i++) {
        json_t *line = e2e_line_for(&r, e2e_fmt("p-%zu", i));
        const char *body;
        json_t *env = e2e_parse_env_dump(e2e_str(line, "response"), &body);
        cr_assert_str_eq(json_string_value(json_object_get(env, "HTTP_CE_ID")),
                         e2e_fmt("p-%zu", i));
        cr_assert_str_eq(body, e2e_fmt("n=%zu", i));
    }
    stop_perl(&p);
}
