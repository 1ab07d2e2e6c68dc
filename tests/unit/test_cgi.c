/* SPDX-License-Identifier: Apache-2.0 */
/* test_cgi.c - cgi_run() against real programs: small /bin/sh CGI scripts
 * written into a fresh temporary directory by each test.
 *
 * Nothing here depends on machine speed: timeouts are generous upper bounds
 * ("ends within seconds"), and conditions are polled, never slept on. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/run.h"
#include "upstream/cgi.h"

static char dir[256]; /* short: paths built from it fit in PATH_MAX */

static void make_dir(void)
{
    run_make_dir(dir, sizeof dir, "/tmp/cegate-test-cgi-XXXXXX");
    char real[PATH_MAX];
    cr_assert_not_null(realpath(dir, real));
    cr_assert_lt(strlen(real), sizeof dir);
    memcpy(dir, real, strlen(real) + 1);
}

static void remove_dir(void)
{
    run_remove_tree(dir);
}

TestSuite(cgi, .init = make_dir, .fini = remove_dir, .timeout = 120);

/* ---- helpers ------------------------------------------------------------ */

/* Write "#!/bin/sh" + text to dir/name with the given mode; returns the
 * path (static storage per call site is not needed: each test keeps it). */
static char *script_mode(const char *name, const char *text, mode_t mode)
{
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fprintf(f, "#!/bin/sh\n%s\n", text);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

static char *script(const char *name, const char *text)
{
    return script_mode(name, text, 0755);
}

static void add(upstream_request *req, const char *name, const char *value)
{
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(upstream_request_add(req, name, value, strlen(value), &err), 0,
                 "upstream_request_add %s: %s", name, err.text);
}

typedef struct run_result {
    int rc;
    cegate_error err;
    upstream_response resp;
    double seconds;
} run_result;

static void run_cfg(const cgi_config *cfg, const upstream_request *req,
                    run_result *r)
{
    cegate_error_clear(&r->err);
    upstream_response_init(&r->resp, 64u * 1024 * 1024, 1024 * 1024);
    double t0 = run_now();
    r->rc = cgi_run(cfg, req, &r->resp, &r->err);
    r->seconds = run_now() - t0;
}

static void run(const char *program, const upstream_request *req, run_result *r)
{
    cgi_config cfg;
    cgi_config_default(&cfg, program);
    run_cfg(&cfg, req, r);
}

/* A test of one script: the program, the request and the result. */
typedef struct cgi_test {
    char *prog;
    upstream_request req;
    run_result r;
} cgi_test;

/* script(name, text), an empty request: add params, then cgi_test_run. */
static void cgi_test_start(cgi_test *t, const char *name, const char *text)
{
    t->prog = script(name, text);
    upstream_request_init(&t->req);
}

static void cgi_test_run(cgi_test *t)
{
    run(t->prog, &t->req, &t->r);
}

static void cgi_test_end(cgi_test *t)
{
    upstream_response_free(&t->r.resp);
    upstream_request_free(&t->req);
    free(t->prog);
}

static void assert_ok(const run_result *r)
{
    cr_assert_eq(r->rc, 0, "cgi_run failed: %s [%s] %s",
                 cegate_error_code_name(r->err.code), r->err.path, r->err.text);
}

/* No child of ours is left, zombie or alive. */
static void assert_no_children(void)
{
    int status;
    errno = 0;
    pid_t p = waitpid(-1, &status, WNOHANG);
    cr_assert(p == -1 && errno == ECHILD,
              "a child process was left behind (waitpid -> %d, %s)", (int)p,
              strerror(errno));
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Is the process gone (or a zombie: dead, waiting for its parent)? */
static int process_dead(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    size_t n;
    char *stat = run_slurp(path, &n);
    if (stat == NULL)
        return 1;
    char *paren = strrchr(stat, ')');
    int dead = paren == NULL || paren[1] == '\0' || paren[2] == 'Z' ||
               paren[2] == 'X';
    free(stat);
    return dead;
}

static char *make_body(size_t n)
{
    char *b = malloc(n);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        if (i < 256 * 16) {
            b[i] = (char)(i & 0xff); /* every byte value, in order */
        } else {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b[i] = (char)(x & 0xff);
        }
    }
    return b;
}

/* ---- configuration ------------------------------------------------------ */

Test(cgi, config_defaults)
{
    cgi_config cfg;
    cgi_config_default(&cfg, "/usr/lib/cgi-bin/app");
    cr_assert_str_eq(cfg.program, "/usr/lib/cgi-bin/app");
    cr_assert_null(cfg.working_dir);
    cr_assert_eq(cfg.timeout_ms, 30000);
    cr_assert_eq(cfg.max_response_bytes, (size_t)16 * 1024 * 1024);
    cr_assert_eq(cfg.max_log_bytes, (size_t)64 * 1024);
}

Test(cgi, relative_program_is_usage_error)
{
    upstream_request req;
    upstream_request_init(&req);
    run_result r;
    run("bin/app", &req, &r);
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.err.code, CEGATE_ERR_USAGE);
    cr_assert_str_eq(r.err.path, "program");
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
}

/* ---- responses ---------------------------------------------------------- */

Test(cgi, status_headers_and_body)
{
    cgi_test t;
    cgi_test_start(&t, "status.cgi",
                   "printf 'Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n"
                   "X-Test: yes\\r\\n\\r\\nnot here'");
    add(&t.req, "REQUEST_METHOD", "POST");
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_eq(t.r.resp.status, 404);
    cr_assert_str_eq(upstream_response_header(&t.r.resp, "x-test"), "yes");
    cr_assert_str_eq(upstream_response_header(&t.r.resp, "Content-Type"), "text/plain");
    cr_assert_eq(t.r.resp.body.length, 8);
    cr_assert_str_eq(t.r.resp.body.data, "not here");
    cr_assert_eq(t.r.resp.log.length, 0);
    assert_no_children();
    cgi_test_end(&t);
}

Test(cgi, bare_lf_headers_and_default_status)
{
    cgi_test t;
    cgi_test_start(&t, "lf.cgi", "printf 'Content-Type: application/json\\n\\n{\"a\":1}'");
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_eq(t.r.resp.status, 200);
    cr_assert_str_eq(upstream_response_header(&t.r.resp, "content-type"), "application/json");
    cr_assert_str_eq(t.r.resp.body.data, "{\"a\":1}");
    cgi_test_end(&t);
}

Test(cgi, exit_status_does_not_matter_after_a_response)
{
    cgi_test t;
    cgi_test_start(&t, "exit7.cgi", "printf 'Status: 202 Accepted\\n\\nqueued'; exit 7");
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_eq(t.r.resp.status, 202);
    cr_assert_str_eq(t.r.resp.body.data, "queued");
    assert_no_children();
    cgi_test_end(&t);
}

/* ---- environment -------------------------------------------------------- */

Test(cgi, environment_is_exactly_the_params_plus_path)
{
    setenv("CEGATE_TEST_SECRET", "must-not-leak", 1);
    cgi_test t;
    cgi_test_start(&t, "env.cgi",
                   "printf 'Content-Type: text/plain\\n\\n'\n"
                   "tr '\\000' '\\n' < /proc/$$/environ");
    add(&t.req, "GATEWAY_INTERFACE", "CGI/1.1");
    add(&t.req, "REQUEST_METHOD", "POST");
    add(&t.req, "QUERY_STRING", "");
    add(&t.req, "SCRIPT_NAME", "/uploads/my file");
    add(&t.req, "HTTP_CE_TYPE", "com.example.object.created");
    add(&t.req, "HTTP_CE_SUBJECT", "caf\xc3\xa9 = 1 & $HOME `id`");
    add(&t.req, "CEGATE_S3_KEY", "my file+x.txt");
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_str_eq(t.r.resp.body.data,
                     "GATEWAY_INTERFACE=CGI/1.1\n"
                     "REQUEST_METHOD=POST\n"
                     "QUERY_STRING=\n"
                     "SCRIPT_NAME=/uploads/my file\n"
                     "HTTP_CE_TYPE=com.example.object.created\n"
                     "HTTP_CE_SUBJECT=caf\xc3\xa9 = 1 & $HOME `id`\n"
                     "CEGATE_S3_KEY=my file+x.txt\n"
                     "PATH=/usr/bin:/bin\n");
    cgi_test_end(&t);
}

Test(cgi, repeated_param_first_wins_and_path_param_overrides)
{
    cgi_test t;
    cgi_test_start(&t, "env2.cgi",
                   "printf 'Content-Type: text/plain\\n\\n'\n"
                   "tr '\\000' '\\n' < /proc/$$/environ");
    add(&t.req, "HTTP_X_MULTI", "a");
    add(&t.req, "PATH", "/bin");
    add(&t.req, "HTTP_X_MULTI", "b");
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_str_eq(t.r.resp.body.data, "HTTP_X_MULTI=a\nPATH=/bin\n");
    cgi_test_end(&t);
}

Test(cgi, working_directory_default_and_configured)
{
    char *prog = script("pwd.cgi", "printf 'Content-Type: text/plain\\n\\n'; pwd -P");
    upstream_request req;
    upstream_request_init(&req);
    run_result r;
    run(prog, &req, &r);
    assert_ok(&r);
    char expect[PATH_MAX + 2];
    snprintf(expect, sizeof expect, "%s\n", dir);
    cr_assert_str_eq(r.resp.body.data, expect);
    upstream_response_free(&r.resp);

    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s/work", dir);
    cr_assert_eq(mkdir(other, 0755), 0);
    cgi_config cfg;
    cgi_config_default(&cfg, prog);
    cfg.working_dir = other;
    run_cfg(&cfg, &req, &r);
    assert_ok(&r);
    snprintf(expect, sizeof expect, "%s\n", other);
    cr_assert_str_eq(r.resp.body.data, expect);
    upstream_response_free(&r.resp);

    /* A working directory that does not exist: the program cannot start. */
    snprintf(other, sizeof other, "%s/missing", dir);
    run_cfg(&cfg, &req, &r);
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.err.code, CEGATE_ERR_UNAVAILABLE);
    cr_assert_str_eq(r.err.path, "program");
    upstream_response_free(&r.resp);
    assert_no_children();
    upstream_request_free(&req);
    free(prog);
}

Test(cgi, clean_signal_state_and_descriptors_in_the_program)
{
    /* Whatever the gateway ignores or blocks, the program starts clean, and
     * a descriptor we left inheritable does not reach it. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    cr_assert(leak > 2);
    char fdnum[16];
    snprintf(fdnum, sizeof fdnum, "%d", leak);

    /* Shell builtins only: a forked grep would read the shell's mask while
     * dash blocks everything around its fork. */
    cgi_test t;
    cgi_test_start(&t, "sig.cgi",
                   "printf 'Content-Type: text/plain\\n\\n'\n"
                   "while read -r name value; do\n"
                   "  case $name in SigBlk:|SigIgn:) echo \"$name $value\";; esac\n"
                   "done < /proc/$$/status\n"
                   "if [ -e /proc/$$/fd/$LEAK_FD ]; then echo leaked; fi");
    add(&t.req, "LEAK_FD", fdnum);
    cgi_test_run(&t);
    assert_ok(&t.r);
    unsigned long long blocked = 1, ignored = 1;
    char extra[16] = "";
    cr_assert_eq(sscanf(t.r.resp.body.data, "SigBlk: %llx SigIgn: %llx %15s",
                        &blocked, &ignored, extra), 2,
                 "body: %s", t.r.resp.body.data);
    cr_assert_eq(blocked, 0, "signals blocked in the program: %llx", blocked);
    /* glibc's posix_spawn sets its own internal signals 32 and 33 (thread
     * cancellation, setxid), which have handlers in any threaded parent,
     * to SIG_IGN in the child; no spawn attribute can change that, and no
     * program uses them. Everything else must be at its default. */
    cr_assert_eq(ignored & ~0x180000000ULL, 0,
                 "signals ignored in the program: %llx", ignored);
    close(leak);
    cgi_test_end(&t);
}

/* ---- the body on stdin -------------------------------------------------- */

Test(cgi, body_delivered_byte_exact)
{
    size_t n = 1024 * 1024;
    char *body = make_body(n);
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/body.bin", dir);
    cgi_test t;
    cgi_test_start(&t, "store.cgi",
                   "cat > \"$OUT_FILE\"\n"
                   "printf 'Status: 201 Created\\nContent-Type: text/plain\\n\\nstored'");
    add(&t.req, "REQUEST_METHOD", "POST");
    add(&t.req, "CONTENT_LENGTH", "1048576");
    add(&t.req, "OUT_FILE", out);
    t.req.body = body;
    t.req.body_length = n;
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_eq(t.r.resp.status, 201);
    size_t got_len;
    char *got = run_slurp(out, &got_len);
    cr_assert_not_null(got);
    cr_assert_eq(got_len, n);
    cr_assert(memcmp(got, body, n) == 0, "the body arrived changed");
    free(got);
    cgi_test_end(&t);
    free(body);
}

Test(cgi, body_echoed_through_the_response)
{
    size_t n = 1024 * 1024;
    char *body = make_body(n);
    cgi_test t;
    cgi_test_start(&t, "cat.cgi",
                   "printf 'Content-Type: application/octet-stream\\n\\n'\nexec cat");
    t.req.body = body;
    t.req.body_length = n;
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_eq(t.r.resp.body.length, n);
    cr_assert(memcmp(t.r.resp.body.data, body, n) == 0, "the echoed body differs");
    cgi_test_end(&t);
    free(body);
}

Test(cgi, program_not_reading_stdin_does_not_deadlock)
{
    signal(SIGPIPE, SIG_DFL); /* an unblocked SIGPIPE would end this test */
    size_t n = 10u * 1024 * 1024;
    char *body = make_body(n);
    char *prog = script("noread.cgi", "printf 'Status: 200 OK\\nContent-Type: text/plain\\n\\nearly'");
    upstream_request req;
    upstream_request_init(&req);
    add(&req, "CONTENT_LENGTH", "10485760");
    req.body = body;
    req.body_length = n;
    run_result r;
    run(prog, &req, &r);
    assert_ok(&r);
    cr_assert_str_eq(r.resp.body.data, "early");
    cr_assert_lt(r.seconds, 20.0);
    sigset_t pending;
    sigpending(&pending);
    cr_assert(!sigismember(&pending, SIGPIPE), "a SIGPIPE was left pending");
    assert_no_children();
    upstream_response_free(&r.resp);

    /* Reads nothing for a while, then answers: our writes wait, no hang. */
    char *slow = script("slowread.cgi",
                        "sleep 0.2; printf 'Content-Type: text/plain\\n\\nlate'");
    run(slow, &req, &r);
    assert_ok(&r);
    cr_assert_str_eq(r.resp.body.data, "late");
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
    free(prog);
    free(slow);
    free(body);
}

Test(cgi, program_writing_before_reading_does_not_deadlock)
{
    size_t n = 10u * 1024 * 1024;
    char *body = make_body(n);
    /* 2 MiB of response before it reads any of the 10 MiB body. */
    cgi_test t;
    cgi_test_start(&t, "writefirst.cgi",
                   "printf 'Content-Type: application/octet-stream\\n\\n'\n"
                   "head -c 2097152 /dev/zero\n"
                   "cat > /dev/null");
    t.req.body = body;
    t.req.body_length = n;
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_eq(t.r.resp.body.length, 2097152);
    cgi_test_end(&t);
    free(body);
}

/* ---- stderr -------------------------------------------------------------- */

Test(cgi, stderr_kept_in_the_log)
{
    cgi_test t;
    cgi_test_start(&t, "log.cgi",
                   "echo 'first line' >&2\n"
                   "printf 'Content-Type: text/plain\\n\\nok'\n"
                   "echo 'after the response' >&2");
    cgi_test_run(&t);
    assert_ok(&t.r);
    cr_assert_str_eq(t.r.resp.body.data, "ok");
    cr_assert_str_eq(t.r.resp.log.data, "first line\nafter the response\n");
    cgi_test_end(&t);
}

Test(cgi, stderr_is_bounded_and_never_fails_the_request)
{
    char *prog = script("biglog.cgi",
                        "head -c 1048576 /dev/zero | tr '\\000' x >&2\n"
                        "printf 'Content-Type: text/plain\\n\\nok'");
    upstream_request req;
    upstream_request_init(&req);
    cgi_config cfg;
    cgi_config_default(&cfg, prog);
    cfg.max_log_bytes = 1000;
    run_result r;
    run_cfg(&cfg, &req, &r);
    assert_ok(&r);
    cr_assert_str_eq(r.resp.body.data, "ok");
    cr_assert_eq(r.resp.log.length, 1000);
    cr_assert_eq(r.resp.log.data[999], 'x');
    upstream_response_free(&r.resp);

    /* The response's own log maximum counts too. */
    cgi_config_default(&cfg, prog);
    cegate_error_clear(&r.err);
    upstream_response_init(&r.resp, 1024, 10);
    r.rc = cgi_run(&cfg, &req, &r.resp, &r.err);
    assert_ok(&r);
    cr_assert_eq(r.resp.log.length, 10);
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
    free(prog);
}

/* ---- failures ------------------------------------------------------------ */

Test(cgi, program_that_cannot_run_is_unavailable)
{
    char *plain = script_mode("plain.cgi", "echo never", 0644);
    char missing[PATH_MAX];
    snprintf(missing, sizeof missing, "%s/missing.cgi", dir);
    upstream_request req;
    upstream_request_init(&req);
    const char *progs[] = {plain, missing, dir /* a directory */};
    for (size_t i = 0; i < 3; i++) {
        run_result r;
        run(progs[i], &req, &r);
        cr_assert_eq(r.rc, -1, "%s ran", progs[i]);
        cr_assert_eq(r.err.code, CEGATE_ERR_UNAVAILABLE, "%s: %s", progs[i],
                     cegate_error_code_name(r.err.code));
        cr_assert_str_eq(r.err.path, "program");
        upstream_response_free(&r.resp);
    }
    assert_no_children();
    upstream_request_free(&req);
    free(plain);
}

Test(cgi, exit_without_output_reports_the_status)
{
    cgi_test t;
    cgi_test_start(&t, "exit3.cgi", "exit 3");
    cgi_test_run(&t);
    cr_assert_eq(t.r.rc, -1);
    cr_assert(t.r.err.code == CEGATE_ERR_UNAVAILABLE || t.r.err.code == CEGATE_ERR_PROTOCOL,
              "code %s", cegate_error_code_name(t.r.err.code));
    cr_assert_not_null(strstr(t.r.err.text, "status 3"), "text: %s", t.r.err.text);
    assert_no_children();
    cgi_test_end(&t);
}

Test(cgi, exit_inside_the_headers_reports_the_status)
{
    cgi_test t;
    cgi_test_start(&t, "partial.cgi",
                   "echo 'partial headers' >&2\n"
                   "printf 'Content-Type: text/plain\\n'; exit 4");
    cgi_test_run(&t);
    cr_assert_eq(t.r.rc, -1);
    cr_assert(t.r.err.code == CEGATE_ERR_UNAVAILABLE || t.r.err.code == CEGATE_ERR_PROTOCOL,
              "code %s", cegate_error_code_name(t.r.err.code));
    cr_assert_not_null(strstr(t.r.err.text, "status 4"), "text: %s", t.r.err.text);
    cr_assert_str_eq(t.r.resp.log.data, "partial headers\n");
    cgi_test_end(&t);
}

Test(cgi, timeout_stops_the_program_and_reaps_it)
{
    char pidfile[PATH_MAX];
    snprintf(pidfile, sizeof pidfile, "%s/child.pid", dir);
    char *prog = script("hang.cgi",
                        "sleep 1000 &\n"
                        "echo $! > \"$PID_FILE\"\n"
                        "wait");
    upstream_request req;
    upstream_request_init(&req);
    add(&req, "PID_FILE", pidfile);
    cgi_config cfg;
    cgi_config_default(&cfg, prog);
    cfg.timeout_ms = 300;
    run_result r;
    run_cfg(&cfg, &req, &r);
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.err.code, CEGATE_ERR_TIMEOUT, "code %s: %s",
                 cegate_error_code_name(r.err.code), r.err.text);
    cr_assert_lt(r.seconds, 10.0, "took %.1f s", r.seconds);
    assert_no_children();
    /* What the program started went down with it (same process group). */
    size_t n;
    char *text = run_slurp(pidfile, &n);
    cr_assert_not_null(text);
    pid_t child = (pid_t)atoi(text);
    free(text);
    cr_assert_gt(child, 1);
    double until = run_now() + 10;
    while (!process_dead(child) && run_now() < until)
        usleep(10000);
    cr_assert(process_dead(child), "the program's child %d survived", (int)child);
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
    free(prog);
}

Test(cgi, timeout_escalates_to_sigkill)
{
    char pidfile[PATH_MAX];
    snprintf(pidfile, sizeof pidfile, "%s/child.pid", dir);
    /* Ignores SIGTERM (and so does its child, which inherits that). */
    char *prog = script("stubborn.cgi",
                        "trap '' TERM\n"
                        "sleep 1000 &\n"
                        "echo $! > \"$PID_FILE\"\n"
                        "while :; do wait; done");
    upstream_request req;
    upstream_request_init(&req);
    add(&req, "PID_FILE", pidfile);
    cgi_config cfg;
    cgi_config_default(&cfg, prog);
    cfg.timeout_ms = 300;
    run_result r;
    run_cfg(&cfg, &req, &r);
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.err.code, CEGATE_ERR_TIMEOUT);
    cr_assert_not_null(strstr(r.err.text, "SIGKILL"), "text: %s", r.err.text);
    cr_assert_lt(r.seconds, 15.0, "took %.1f s", r.seconds);
    assert_no_children();
    size_t n;
    char *text = run_slurp(pidfile, &n);
    cr_assert_not_null(text);
    pid_t child = (pid_t)atoi(text);
    free(text);
    double until = run_now() + 10;
    while (!process_dead(child) && run_now() < until)
        usleep(10000);
    cr_assert(process_dead(child), "the program's child %d survived", (int)child);
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
    free(prog);
}

Test(cgi, program_lingering_after_a_complete_response)
{
    /* Closes its output, then stays: the response stands, and the program
     * is still stopped and reaped. */
    char *prog = script("linger.cgi",
                        "printf 'Content-Type: text/plain\\n\\ndone'\n"
                        "exec >&- 2>&-\n"
                        "sleep 1000");
    upstream_request req;
    upstream_request_init(&req);
    cgi_config cfg;
    cgi_config_default(&cfg, prog);
    cfg.timeout_ms = 300;
    run_result r;
    run_cfg(&cfg, &req, &r);
    assert_ok(&r);
    cr_assert_str_eq(r.resp.body.data, "done");
    cr_assert_lt(r.seconds, 15.0);
    assert_no_children();
    upstream_response_free(&r.resp);

    /* Closes stdout only; stderr stays open past the deadline. */
    char *held = script("stderr-held.cgi",
                        "printf 'Content-Type: text/plain\\n\\ndone too'\n"
                        "exec >&-\n"
                        "echo 'still here' >&2\n"
                        "sleep 1000");
    cgi_config_default(&cfg, held);
    cfg.timeout_ms = 300;
    run_cfg(&cfg, &req, &r);
    assert_ok(&r);
    cr_assert_str_eq(r.resp.body.data, "done too");
    cr_assert_str_eq(r.resp.log.data, "still here\n");
    cr_assert_lt(r.seconds, 15.0);
    assert_no_children();
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
    free(prog);
    free(held);
}

Test(cgi, huge_response_is_a_limit_error)
{
    char *prog = script("huge.cgi",
                        "printf 'Content-Type: application/octet-stream\\n\\n'\n"
                        "head -c 20971520 /dev/zero");
    upstream_request req;
    upstream_request_init(&req);
    run_result r;
    run(prog, &req, &r); /* default: 16 MiB */
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.err.code, CEGATE_ERR_LIMIT, "code %s: %s",
                 cegate_error_code_name(r.err.code), r.err.text);
    cr_assert_lt(r.seconds, 30.0);
    assert_no_children();
    upstream_response_free(&r.resp);

    /* A smaller configured limit applies even to a roomier response. */
    char *mid = script("mid.cgi",
                       "printf 'Content-Type: text/plain\\n\\n'\n"
                       "head -c 5000 /dev/zero");
    cgi_config cfg;
    cgi_config_default(&cfg, mid);
    cfg.max_response_bytes = 4096;
    run_cfg(&cfg, &req, &r);
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.err.code, CEGATE_ERR_LIMIT);
    cr_assert_eq(r.resp.body.max, (size_t)64 * 1024 * 1024,
                 "the response's own maximum was not restored");
    upstream_response_free(&r.resp);
    cfg.max_response_bytes = 5000;
    run_cfg(&cfg, &req, &r);
    assert_ok(&r);
    cr_assert_eq(r.resp.body.length, 5000);
    upstream_response_free(&r.resp);
    upstream_request_free(&req);
    free(prog);
    free(mid);
}

/* ---- resources and threads ---------------------------------------------- */

Test(cgi, no_descriptor_leak_over_many_runs)
{
    char *ok = script("ok.cgi", "printf 'Content-Type: text/plain\\n\\nok'");
    char *fail = script("fail.cgi", "exit 1");
    char *plain = script_mode("plain.cgi", "exit 0", 0644);
    char *big = script("big.cgi",
                       "printf 'Content-Type: text/plain\\n\\n'; head -c 100000 /dev/zero");
    char body[3000];
    memset(body, 'b', sizeof body);
    upstream_request req;
    upstream_request_init(&req);
    add(&req, "REQUEST_METHOD", "POST");
    req.body = body;
    req.body_length = sizeof body;
    int before = count_fds();
    for (int i = 0; i < 200; i++) {
        run_result r;
        run(ok, &req, &r);
        assert_ok(&r);
        upstream_response_free(&r.resp);
    }
    for (int i = 0; i < 10; i++) {
        run_result r;
        run(i % 2 ? fail : plain, &req, &r);
        cr_assert_eq(r.rc, -1);
        upstream_response_free(&r.resp);
    }
    cgi_config cfg;
    cgi_config_default(&cfg, big);
    cfg.max_response_bytes = 1000;
    run_result r;
    run_cfg(&cfg, &req, &r);
    cr_assert_eq(r.err.code, CEGATE_ERR_LIMIT);
    upstream_response_free(&r.resp);
    cr_assert_eq(count_fds(), before, "descriptors leaked");
    assert_no_children();
    upstream_request_free(&req);
    free(ok);
    free(fail);
    free(plain);
    free(big);
}

typedef struct thread_job {
    const char *program;
    int index;
    int failures;
} thread_job;

static void *thread_runs(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 25; i++) {
        char value[64];
        snprintf(value, sizeof value, "thread-%d-run-%d", job->index, i);
        upstream_request req;
        upstream_request_init(&req);
        cegate_error err;
        cegate_error_clear(&err);
        upstream_request_add(&req, "HTTP_X_ID", value, strlen(value), &err);
        req.body = value;
        req.body_length = strlen(value);
        cgi_config cfg;
        cgi_config_default(&cfg, job->program);
        upstream_response resp;
        upstream_response_init(&resp, 4096, 4096);
        char expect[160];
        snprintf(expect, sizeof expect, "%s|%s", value, value);
        if (cgi_run(&cfg, &req, &resp, &err) != 0 || resp.body.data == NULL ||
            strcmp(resp.body.data, expect) != 0)
            job->failures++;
        upstream_response_free(&resp);
        upstream_request_free(&req);
    }
    return NULL;
}

Test(cgi, concurrent_runs_from_threads)
{
    char *prog = script("thread.cgi",
                        "printf 'Content-Type: text/plain\\n\\n%s|' \"$HTTP_X_ID\"\nexec cat");
    pthread_t t[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){.program = prog, .index = i, .failures = 0};
        cr_assert_eq(pthread_create(&t[i], NULL, thread_runs, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(jobs[i].failures, 0, "thread %d: %d failed runs", i,
                     jobs[i].failures);
    }
    assert_no_children();
    free(prog);
}
