/* SPDX-License-Identifier: Apache-2.0 */
/* test_apps.c - the sample FastCGI apps (apps/echo, apps/uploads) answer
 * real FastCGI requests.
 *
 * Each test starts its app ($CEGATE_ECHO_APP / $CEGATE_UPLOADS_APP) on a
 * unix socket in a fresh temporary directory (with -s PATH, with SOCK=PATH,
 * or spawn-fcgi style with the listening socket on fd 0), waits until the
 * socket accepts connections, sends requests with `cgi-fcgi -bind -connect`
 * (libfcgi-bin: its environment is the request's params, its stdin the
 * body), checks the answers, and stops the app with SIGTERM, expecting a
 * clean exit 0 (so a sanitizer report in the app fails the test). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/run.h"

static char dir[64];  /* short: the socket path must fit sun_path */
static char sock[100];
static pid_t app_pid = -1;
static int file_counter;

static const char SHA_EMPTY[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char SHA_ABC[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char SHA_448[] = /* "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" */
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char SHA_MILLION_A[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

/* ---- fixtures ---------------------------------------------------------------- */

static void setup(void)
{
    run_make_dir(dir, sizeof dir, "/tmp/cegate-test-apps-XXXXXX");
    snprintf(sock, sizeof sock, "%s/app.sock", dir);
    app_pid = -1;
}

static void teardown(void)
{
    if (app_pid > 0) { /* a failed test left its app running */
        kill(app_pid, SIGKILL);
        waitpid(app_pid, NULL, 0);
        app_pid = -1;
    }
    run_remove_tree(dir);
}

TestSuite(echo, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(uploads, .init = setup, .fini = teardown, .timeout = 120);

/* ---- processes ---------------------------------------------------------------- */

/* Wait for pid until `seconds` have passed; the wait status, or -1 (then
 * the process was killed). */
static int wait_for(pid_t pid, double seconds)
{
    double until = run_now() + seconds;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (run_now() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(2000);
    }
}

enum sock_mode { BY_ARG, BY_ENV, BY_FD0 };

static const char *app_path(const char *var)
{
    const char *p = run_need_env(var);
    cr_assert_eq(access(p, X_OK), 0, "%s=%s: %s", var, p, strerror(errno));
    return p;
}

static void require_cgi_fcgi(void)
{
    if (access("/usr/bin/cgi-fcgi", X_OK) != 0 && system("command -v cgi-fcgi >/dev/null 2>&1") != 0)
        cr_skip_test("cgi-fcgi is not installed (libfcgi-bin, scripts/install-deps)");
}

/* Start the app; returns once its socket accepts connections. */
static void start_app(const char *var, enum sock_mode mode, const char *const *extra)
{
    require_cgi_fcgi();
    const char *bin = app_path(var);
    char sock_env[300];
    snprintf(sock_env, sizeof sock_env, "SOCK=%s", sock);
    const char *extras[16];
    size_t n = 0;
    for (size_t i = 0; extra && extra[i] && n < 14; i++)
        extras[n++] = extra[i];
    if (mode == BY_ENV)
        extras[n++] = sock_env;
    extras[n] = NULL;
    static const char *const ours[] = {"SOCK", "THREADS", NULL};
    char **env = run_child_env(ours, extras);

    char out[300], err[300];
    snprintf(out, sizeof out, "%s/app.out", dir);
    snprintf(err, sizeof err, "%s/app.err", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int lfd = -1;
    if (mode == BY_FD0) {
        /* What spawn-fcgi does: bind and listen, hand the socket over as fd 0. */
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(lfd, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
        cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s", strerror(errno));
        cr_assert_eq(listen(lfd, 64), 0);
        posix_spawn_file_actions_adddup2(&fa, lfd, 0);
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    }
    char *argv_arg[] = {(char *)bin, "-s", sock, NULL};
    char *argv_plain[] = {(char *)bin, NULL};
    int e = posix_spawn(&app_pid, bin, &fa, NULL, mode == BY_ARG ? argv_arg : argv_plain, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (lfd >= 0)
        close(lfd);
    cr_assert_eq(e, 0, "cannot start %s: %s", bin, strerror(e));

    double until = run_now() + 30;
    while (!run_can_connect(sock)) {
        int status;
        if (waitpid(app_pid, &status, WNOHANG) == app_pid) {
            app_pid = -1;
            char *text = run_slurp(err, NULL);
            cr_assert_fail("%s exited at start (status %d): %s", bin, status,
                           text ? text : "");
        }
        cr_assert_lt(run_now(), until, "%s: socket %s never accepted a connection", bin, sock);
        usleep(5000);
    }
}

/* SIGTERM: the app must leave within seconds, exit 0, remove its socket,
 * and have nothing reported on stderr by the sanitizers. */
static void stop_app(int socket_is_ours)
{
    cr_assert_gt(app_pid, 0);
    kill(app_pid, SIGTERM);
    int status = wait_for(app_pid, 30);
    app_pid = -1;
    char err[300];
    snprintf(err, sizeof err, "%s/app.err", dir);
    char *text = run_slurp(err, NULL);
    cr_assert_neq(status, -1, "the app did not stop on SIGTERM");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the app ended with wait status %d; its stderr: %s", status, text ? text : "");
    cr_assert(text == NULL || (strstr(text, "Sanitizer") == NULL &&
                               strstr(text, "runtime error") == NULL),
              "sanitizer report from the app: %s", text);
    free(text);
    if (socket_is_ours)
        cr_assert_neq(access(sock, F_OK), 0, "the app left its socket %s behind", sock);
}

/* ---- FastCGI requests through cgi-fcgi ----------------------------------- */

typedef struct reply {
    int exit_status;
    int status;        /* from Status:, else 200 */
    char *raw;         /* cgi-fcgi's stdout: the CGI response */
    char *headers;     /* points into raw */
    char *body;        /* points into raw */
    char *err;         /* cgi-fcgi's stderr: the app's FastCGI stderr */
    json_t *json;      /* the body parsed, or NULL */
    double seconds;
} reply;

typedef struct pending {
    pid_t pid;
    char out[300], err[300];
    double started;
} pending;

/* Start `cgi-fcgi -bind -connect SOCK` with exactly `params` as its
 * environment and `body` on stdin. */
static void send_async(const char *const *params, const char *body, size_t body_len,
                       pending *p)
{
    int id = ++file_counter;
    char in[300];
    snprintf(in, sizeof in, "%s/req%d.in", dir, id);
    snprintf(p->out, sizeof p->out, "%s/req%d.out", dir, id);
    snprintf(p->err, sizeof p->err, "%s/req%d.err", dir, id);
    run_write_file(in, body ? body : "", body ? body_len : 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, p->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, p->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[] = {"cgi-fcgi", "-bind", "-connect", sock, NULL};
    p->started = run_now();
    int e = posix_spawnp(&p->pid, "cgi-fcgi", &fa, NULL, argv, (char **)params);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(e, 0, "cannot run cgi-fcgi: %s", strerror(e));
}

static void receive(pending *p, reply *r)
{
    memset(r, 0, sizeof *r);
    r->exit_status = wait_for(p->pid, 60);
    r->seconds = run_now() - p->started;
    cr_assert_neq(r->exit_status, -1, "cgi-fcgi did not finish");
    r->raw = run_slurp(p->out, NULL);
    r->err = run_slurp(p->err, NULL);
    cr_assert_not_null(r->raw);
    char *sep = strstr(r->raw, "\r\n\r\n");
    size_t skip = 4;
    if (sep == NULL) {
        sep = strstr(r->raw, "\n\n");
        skip = 2;
    }
    cr_assert_not_null(sep, "no header section in: %s (stderr: %s)", r->raw, r->err);
    *sep = '\0';
    r->headers = r->raw;
    r->body = sep + skip;
    r->status = 200;
    const char *st = strstr(r->headers, "Status: ");
    if (st != NULL)
        r->status = atoi(st + 8);
    r->json = json_loads(r->body, 0, NULL);
}

static void send_req(const char *const *params, const char *body, size_t body_len, reply *r)
{
    pending p;
    send_async(params, body, body_len, &p);
    receive(&p, r);
}

static void reply_free(reply *r)
{
    json_decref(r->json);
    free(r->raw);
    free(r->err);
}

static const char *jstr(json_t *obj, const char *path)
{
    /* "a.b.c" */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = obj;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && cur;
         part = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, part);
    return json_string_value(cur);
}

static json_t *jget(json_t *obj, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = obj;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && cur;
         part = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, part);
    return cur;
}

/* ---- echo ------------------------------------------------------------------- */

/* The app's stdout for `option` (--help or -h), which must exit 0. */
static run_output help_output(const char *var, const char *option)
{
    const char *bin = app_path(var);
    char *argv[] = {(char *)bin, (char *)option, NULL};
    run_output o = run_capture(argv, NULL, NULL, 0, NULL);
    cr_assert_eq(o.status, 0, "%s %s: exit %d; stderr: %s", bin, option, o.status,
                 o.err);
    return o;
}

Test(echo, help)
{
    run_output o = help_output("CEGATE_ECHO_APP", "--help");
    cr_assert_not_null(strstr(o.out, "usage: echo"));
    cr_assert_not_null(strstr(o.out, "--socket"));
    run_output_free(&o);
}

Test(echo, params_and_body)
{
    start_app("CEGATE_ECHO_APP", BY_ARG, NULL);
    const char *params[] = {"GATEWAY_INTERFACE=CGI/1.1",
                            "REQUEST_METHOD=POST",
                            "QUERY_STRING=",
                            "CONTENT_TYPE=text/plain",
                            "CONTENT_LENGTH=3",
                            "HTTP_CE_TYPE=com.example.thing.done",
                            "HTTP_CE_SUBJECT=caf\xc3\xa9 & more",
                            NULL};
    reply r;
    send_req(params, "abc", 3, &r);
    cr_assert_eq(r.exit_status, 0);
    cr_assert_eq(r.status, 200, "headers: %s", r.headers);
    cr_assert_not_null(strstr(r.headers, "Content-Type: application/json"));
    cr_assert_not_null(r.json, "not JSON: %s", r.body);

    json_t *got = json_object_get(r.json, "params");
    cr_assert(json_is_object(got));
    cr_assert_eq(json_object_size(got), 7, "params: %s", r.body);
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach(got, key, value) { /* the order they were sent in */
        char expect[256];
        snprintf(expect, sizeof expect, "%s=%s", key, json_string_value(value));
        cr_assert_str_eq(expect, params[i], "param %zu", i);
        i++;
    }
    cr_assert_eq(json_integer_value(jget(r.json, "body.length")), 3);
    cr_assert_str_eq(jstr(r.json, "body.sha256"), SHA_ABC);
    cr_assert_str_eq(jstr(r.json, "body.text"), "abc");
    cr_assert_eq(json_integer_value(json_object_get(r.json, "pid")), app_pid);
    reply_free(&r);
    stop_app(1);
}

Test(echo, sha256_vectors_and_text)
{
    start_app("CEGATE_ECHO_APP", BY_ARG, NULL);
    struct {
        const char *body;
        size_t len;
        const char *sha;
    } cases[] = {
        {"", 0, SHA_EMPTY},
        {"abc", 3, SHA_ABC},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, SHA_448},
    };
    for (size_t i = 0; i < 3; i++) {
        char cl[64];
        snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", cases[i].len);
        const char *params[] = {"REQUEST_METHOD=POST", cl, NULL};
        reply r;
        send_req(params, cases[i].body, cases[i].len, &r);
        cr_assert_not_null(r.json, "not JSON: %s", r.body);
        cr_assert_str_eq(jstr(r.json, "body.sha256"), cases[i].sha, "case %zu", i);
        cr_assert_eq(json_integer_value(jget(r.json, "body.length")), (json_int_t)cases[i].len);
        cr_assert_str_eq(jstr(r.json, "body.text"), cases[i].body);
        reply_free(&r);
    }

    /* A million 'a': hashed across many reads; too long for "text". */
    size_t n = 1000000;
    char *million = malloc(n);
    memset(million, 'a', n);
    const char *big[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=1000000", NULL};
    reply r;
    send_req(big, million, n, &r);
    cr_assert_not_null(r.json);
    cr_assert_str_eq(jstr(r.json, "body.sha256"), SHA_MILLION_A);
    cr_assert_eq(json_integer_value(jget(r.json, "body.length")), 1000000);
    cr_assert_null(jget(r.json, "body.text"));
    reply_free(&r);
    free(million);

    /* 4096 bytes of text is shown, 4097 is not; bytes that are not UTF-8 never. */
    char *text = malloc(4097);
    memset(text, 'x', 4097);
    const char *p4096[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=4096", NULL};
    send_req(p4096, text, 4096, &r);
    cr_assert_eq(strlen(jstr(r.json, "body.text")), 4096);
    reply_free(&r);
    const char *p4097[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=4097", NULL};
    send_req(p4097, text, 4097, &r);
    cr_assert_null(jget(r.json, "body.text"));
    reply_free(&r);
    free(text);
    const char *pbin[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=4", NULL};
    send_req(pbin, "a\xff\xfe" "b", 4, &r);
    cr_assert_not_null(r.json);
    cr_assert_null(jget(r.json, "body.text"));
    cr_assert_eq(json_integer_value(jget(r.json, "body.length")), 4);
    reply_free(&r);
    stop_app(1);
}

Test(echo, param_bytes_that_are_not_utf8)
{
    start_app("CEGATE_ECHO_APP", BY_ARG, NULL);
    const char *params[] = {"REQUEST_METHOD=GET", "HTTP_X_BYTES=a\xff" "b", NULL};
    reply r;
    send_req(params, NULL, 0, &r);
    cr_assert_not_null(r.json, "not JSON: %s", r.body);
    cr_assert_str_eq(jstr(r.json, "params.HTTP_X_BYTES"), "a\xef\xbf\xbd" "b");
    reply_free(&r);
    stop_app(1);
}

Test(echo, status_sleep_and_stderr_on_demand)
{
    start_app("CEGATE_ECHO_APP", BY_ARG, NULL);
    const char *st[] = {"REQUEST_METHOD=POST", "HTTP_X_ECHO_STATUS=503", NULL};
    reply r;
    send_req(st, NULL, 0, &r);
    cr_assert_eq(r.status, 503, "headers: %s", r.headers);
    cr_assert_not_null(strstr(r.headers, "Status: 503 Service Unavailable"));
    cr_assert_not_null(r.json);
    reply_free(&r);

    const char *err[] = {"REQUEST_METHOD=POST", "HTTP_X_ECHO_STDERR=something went wrong", NULL};
    send_req(err, NULL, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.err, "something went wrong"), "stderr: %s", r.err);
    reply_free(&r);

    const char *slp[] = {"REQUEST_METHOD=POST", "HTTP_X_ECHO_SLEEP_MS=300", NULL};
    send_req(slp, NULL, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_geq(r.seconds, 0.29, "answered after %.3f s", r.seconds);
    reply_free(&r);
    stop_app(1);
}

Test(echo, sock_env_and_threads)
{
    const char *extra[] = {"THREADS=4", NULL};
    start_app("CEGATE_ECHO_APP", BY_ENV, extra);
    pending p[8];
    char ids[8][64];
    for (int i = 0; i < 8; i++) {
        snprintf(ids[i], sizeof ids[i], "HTTP_X_ID=request-%d", i);
        const char *params[] = {"REQUEST_METHOD=POST", "HTTP_X_ECHO_SLEEP_MS=200", ids[i], NULL};
        send_async(params, NULL, 0, &p[i]);
    }
    for (int i = 0; i < 8; i++) {
        reply r;
        receive(&p[i], &r);
        cr_assert_eq(r.status, 200);
        cr_assert_not_null(r.json, "not JSON: %s", r.body);
        cr_assert_str_eq(jstr(r.json, "params.HTTP_X_ID"), ids[i] + strlen("HTTP_X_ID="));
        cr_assert_eq(json_integer_value(json_object_get(r.json, "pid")), app_pid);
        reply_free(&r);
    }
    stop_app(1);
}

Test(echo, listening_socket_on_fd0)
{
    start_app("CEGATE_ECHO_APP", BY_FD0, NULL);
    const char *params[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=5", NULL};
    reply r;
    send_req(params, "hello", 5, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(jstr(r.json, "body.text"), "hello");
    reply_free(&r);
    stop_app(0); /* not its socket: it may stay */
}

/* ---- uploads ---------------------------------------------------------------- */

static const char S3_RECORD[] =
    "{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"eu-west-1\","
    "\"eventTime\":\"2026-11-23T10:00:00.000Z\",\"eventName\":\"ObjectCreated:Put\","
    "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"bucket\":{\"name\":\"photos\","
    "\"arn\":\"arn:aws:s3:::photos\"},\"object\":{\"key\":\"my+file%2Bx.txt\","
    "\"size\":1024,\"eTag\":\"d41d8cd98f00b204e9800998ecf8427e\","
    "\"sequencer\":\"0A1B2C3D4E5F678901\"}}}";

static void post_event(const char *type, const char *id, const char *body, reply *r)
{
    char cl[64], t[256], i[256];
    snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", strlen(body));
    snprintf(t, sizeof t, "HTTP_CE_TYPE=%s", type);
    snprintf(i, sizeof i, "HTTP_CE_ID=%s", id);
    const char *params[] = {"GATEWAY_INTERFACE=CGI/1.1",
                            "REQUEST_METHOD=POST",
                            "QUERY_STRING=",
                            "CONTENT_TYPE=application/json",
                            cl,
                            "HTTP_CE_SPECVERSION=1.0",
                            "HTTP_CE_SOURCE=arn:aws:s3:::photos",
                            t,
                            id ? i : NULL,
                            NULL};
    send_req(params, body, strlen(body), r);
}

static void get_list(reply *r)
{
    const char *params[] = {"REQUEST_METHOD=GET", "QUERY_STRING=", NULL};
    send_req(params, NULL, 0, r);
    cr_assert_eq(r->status, 200);
    cr_assert(json_is_array(r->json), "not an array: %s", r->body);
}

Test(uploads, help)
{
    run_output o = help_output("CEGATE_UPLOADS_APP", "-h");
    cr_assert_not_null(strstr(o.out, "usage: uploads"));
    run_output_free(&o);
}

Test(uploads, records_an_upload_and_lists_it)
{
    char logfile[300], log_env[320];
    snprintf(logfile, sizeof logfile, "%s/uploads.jsonl", dir);
    snprintf(log_env, sizeof log_env, "UPLOADS_LOG=%s", logfile);
    const char *extra[] = {log_env, NULL};
    start_app("CEGATE_UPLOADS_APP", BY_ARG, extra);

    reply r;
    get_list(&r);
    cr_assert_eq(json_array_size(r.json), 0);
    reply_free(&r);

    post_event("com.amazonaws.s3.ObjectCreated:Put", "evt-1", S3_RECORD, &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_not_null(r.json, "not JSON: %s", r.body);
    cr_assert_str_eq(jstr(r.json, "recorded.key"), "my file+x.txt");
    cr_assert_str_eq(jstr(r.json, "recorded.bucket"), "photos");
    cr_assert_str_eq(jstr(r.json, "recorded.id"), "evt-1");
    cr_assert_str_eq(jstr(r.json, "recorded.eTag"), "d41d8cd98f00b204e9800998ecf8427e");
    cr_assert_eq(json_integer_value(jget(r.json, "recorded.size")), 1024);
    json_t *recorded = json_incref(json_object_get(r.json, "recorded"));
    reply_free(&r);

    get_list(&r);
    cr_assert_eq(json_array_size(r.json), 1, "%s", r.body);
    cr_assert(json_equal(json_array_get(r.json, 0), recorded), "%s", r.body);
    cr_assert_str_eq(jstr(json_array_get(r.json, 0), "key"), "my file+x.txt");
    reply_free(&r);

    /* The log holds the same record, one JSON line. */
    char *lines = run_slurp(logfile, NULL);
    cr_assert_not_null(lines, "no %s", logfile);
    char *nl = strchr(lines, '\n');
    cr_assert(nl != NULL && nl[1] == '\0', "log: %s", lines);
    json_t *line = json_loads(lines, JSON_DISABLE_EOF_CHECK, NULL);
    cr_assert(json_equal(line, recorded), "log: %s", lines);
    json_decref(line);
    json_decref(recorded);
    free(lines);
    stop_app(1);
}

Test(uploads, other_event_types_are_ignored)
{
    start_app("CEGATE_UPLOADS_APP", BY_ARG, NULL);
    reply r;
    post_event("com.amazonaws.s3.ObjectRemoved:Delete", "evt-2", S3_RECORD, &r);
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "ignored"), "com.amazonaws.s3.ObjectRemoved:Delete");
    reply_free(&r);
    get_list(&r);
    cr_assert_eq(json_array_size(r.json), 0);
    reply_free(&r);
    stop_app(1);
}

Test(uploads, malformed_events_name_the_field)
{
    start_app("CEGATE_UPLOADS_APP", BY_ARG, NULL);
    const char *created = "com.amazonaws.s3.ObjectCreated:Put";
    struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"{\"s3\":", "body"},
        {"[1,2]", "body"},
        {"{\"eventName\":\"x\"}", "s3"},
        {"{\"s3\":{\"bucket\":{},\"object\":{\"key\":\"k\"}}}", "s3.bucket.name"},
        {"{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{}}}", "s3.object.key"},
        {"{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"bad%zz\"}}}", "s3.object.key"},
        {"{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k%\"}}}", "s3.object.key"},
        {"{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"nul%00\"}}}", "s3.object.key"},
        {"{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\",\"size\":\"big\"}}}",
         "s3.object.size"},
        {"{\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\",\"eTag\":5}}}",
         "s3.object.eTag"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reply r;
        post_event(created, "evt-bad", cases[i].body, &r);
        cr_assert_eq(r.status, 400, "case %zu: %s", i, r.body);
        cr_assert_not_null(r.json, "case %zu: not JSON: %s", i, r.body);
        cr_assert_str_eq(jstr(r.json, "field"), cases[i].field, "case %zu: %s", i, r.body);
        cr_assert_not_null(jstr(r.json, "error"));
        reply_free(&r);
    }
    /* An S3 event without an id. */
    reply r;
    post_event(created, NULL, S3_RECORD, &r);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(jstr(r.json, "field"), "ce-id");
    reply_free(&r);
    /* Nothing of that was recorded. */
    get_list(&r);
    cr_assert_eq(json_array_size(r.json), 0, "%s", r.body);
    reply_free(&r);
    stop_app(1);
}

Test(uploads, structured_mode_event)
{
    start_app("CEGATE_UPLOADS_APP", BY_ENV, NULL);
    char body[2048];
    snprintf(body, sizeof body,
             "{\"specversion\":\"1.0\",\"id\":\"evt-s\",\"source\":\"arn:aws:s3:::photos\","
             "\"type\":\"com.amazonaws.s3.ObjectCreated:Copy\",\"data\":%s}",
             S3_RECORD);
    char cl[64];
    snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", strlen(body));
    const char *params[] = {"REQUEST_METHOD=POST",
                            "CONTENT_TYPE=application/cloudevents+json; charset=utf-8", cl,
                            NULL};
    reply r;
    send_req(params, body, strlen(body), &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(jstr(r.json, "recorded.id"), "evt-s");
    cr_assert_str_eq(jstr(r.json, "recorded.key"), "my file+x.txt");
    reply_free(&r);
    stop_app(1);
}

Test(uploads, other_methods_are_refused)
{
    start_app("CEGATE_UPLOADS_APP", BY_FD0, NULL);
    const char *params[] = {"REQUEST_METHOD=DELETE", NULL};
    reply r;
    send_req(params, NULL, 0, &r);
    cr_assert_eq(r.status, 405);
    cr_assert_not_null(strstr(r.headers, "Allow: GET, POST"));
    reply_free(&r);
    stop_app(0);
}
