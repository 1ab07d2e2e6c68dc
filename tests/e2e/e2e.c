/* SPDX-License-Identifier: Apache-2.0 */
/* e2e.c - shared helpers for cegate's end-to-end tests (see e2e.h). */
#define _GNU_SOURCE
#include "config.h" /* PACKAGE_NAME, PACKAGE_VERSION: SERVER_SOFTWARE */

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../apps/echo/sha256.h"
#include "e2e.h"

#define MAX_PROCS 32

static char dir[64];
static char **owned;          /* memory freed at teardown */
static size_t owned_count, owned_cap;
static json_t *owned_json;    /* JSON values released at teardown */
static e2e_proc *procs[MAX_PROCS];
static size_t proc_count;
static pid_t replays[MAX_PROCS]; /* replay runs not yet reaped */
static size_t replay_count;
static int file_counter;

/* ---- small things ------------------------------------------------------------- */

void *e2e_own(void *p)
{
    if (p == NULL)
        return NULL;
    if (owned_count == owned_cap) {
        owned_cap = owned_cap ? owned_cap * 2 : 64;
        owned = realloc(owned, owned_cap * sizeof *owned);
        cr_assert_not_null(owned, "out of memory");
    }
    owned[owned_count++] = p;
    return p;
}

json_t *e2e_own_json(json_t *v)
{
    if (v != NULL) {
        if (owned_json == NULL)
            owned_json = json_array();
        cr_assert_not_null(owned_json, "out of memory");
        json_array_append_new(owned_json, v);
    }
    return v;
}

const char *e2e_dir(void) { return dir; }

const char *e2e_fmt(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *s = NULL;
    int n = vasprintf(&s, format, ap);
    va_end(ap);
    cr_assert_geq(n, 0, "out of memory");
    return e2e_own(s);
}

const char *e2e_path(const char *name) { return e2e_fmt("%s/%s", dir, name); }

const char *e2e_write(const char *name, const void *data, size_t n, mode_t mode)
{
    const char *path = e2e_path(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
    const char *p = data;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        cr_assert_gt(k, 0, "writing %s: %s", path, strerror(errno));
        p += k;
        n -= (size_t)k;
    }
    cr_assert_eq(fchmod(fd, mode), 0); /* whatever the umask */
    cr_assert_eq(close(fd), 0);
    return path;
}

const char *e2e_write_text(const char *name, const char *text, mode_t mode)
{
    return e2e_write(name, text, strlen(text), mode);
}

const char *e2e_find_program(const char *const *candidates)
{
    for (size_t i = 0; candidates[i] != NULL; i++) {
        const char *c = candidates[i];
        if (c[0] == '/') {
            if (access(c, X_OK) == 0)
                return c;
            continue;
        }
        const char *path = getenv("PATH");
        char *dirs = NULL;
        if (asprintf(&dirs, "%s:/usr/sbin:/sbin:/usr/bin:/bin",
                     path ? path : "") < 0)
            return NULL;
        char *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            if (*d == '\0')
                continue;
            const char *full = e2e_fmt("%s/%s", d, c);
            if (access(full, X_OK) == 0) {
                free(dirs);
                return full;
            }
        }
        free(dirs);
    }
    return NULL;
}

const char *e2e_sample(const char *name)
{
    return e2e_fmt("%s/samples/%s", run_need_env("CEGATE_TEST_DATA"), name);
}

const char *e2e_write_events(const char *name, int n, const char *id_prefix,
                             const char *data_prefix)
{
    char *ndjson = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&ndjson, &size);
    cr_assert_not_null(f, "out of memory");
    for (int i = 0; i < n; i++)
        fprintf(f, "{\"specversion\":\"1.0\",\"id\":\"%s%d\",\"source\":\"/e2e\","
                   "\"type\":\"e2e.event\",\"datacontenttype\":\"text/plain\","
                   "\"data\":\"%s%d\"}\n",
                id_prefix, i, data_prefix, i);
    cr_assert_eq(fclose(f), 0);
    e2e_own(ndjson);
    return e2e_write(name, ndjson, size, 0644);
}

void e2e_sha256_hex(const void *data, size_t n, char hex[65])
{
    sha256_ctx ctx;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256_init(&ctx);
    sha256_update(&ctx, data, n);
    sha256_final(&ctx, digest);
    sha256_hex(digest, hex);
}

/* ---- setup and teardown -------------------------------------------------------- */

void e2e_setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cegate-e2e-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    /* Orphaned children of the servers we start (php-fpm's and fcgiwrap's
     * workers) become ours, so that the teardown reaps them all. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    proc_count = 0;
    replay_count = 0;
    file_counter = 0;
}

/* Kill a process group and reap it, whatever it is doing. */
static void kill_group(pid_t pgid)
{
    kill(-pgid, SIGKILL);
    double until = run_now() + E2E_STOP_SECONDS;
    while (run_now() < until) {
        pid_t r = waitpid(-pgid, NULL, WNOHANG);
        if (r < 0 && errno == ECHILD)
            break;
        if (r <= 0)
            run_nap_ms(5);
    }
}

void e2e_teardown(void)
{
    for (size_t i = 0; i < replay_count; i++)
        if (replays[i] > 0)
            kill_group(replays[i]);
    for (size_t i = 0; i < proc_count; i++)
        if (procs[i]->running) {
            procs[i]->running = 0;
            kill_group(procs[i]->pid);
        }
    /* Anything else the subreaper inherited. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    run_remove_tree(dir);
    json_decref(owned_json);
    owned_json = NULL;
    for (size_t i = 0; i < owned_count; i++)
        free(owned[i]);
    free(owned);
    owned = NULL;
    owned_count = owned_cap = 0;
    proc_count = replay_count = 0;
}

/* ---- processes -------------------------------------------------------------------- */

/* posix_spawn in a new process group, default signal handling, stdin
 * /dev/null, stdout and stderr to files. */
static pid_t spawn(const char *const *argv, const char *const *extra,
                   const char *out, const char *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGUSR1);
    sigaddset(&defaults, SIGUSR2);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    static const char *const ours[] = {"SOCK", "THREADS", NULL};
    char **env = run_child_env(ours, extra);
    pid_t pid = -1;
    int e = posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, env);
    free(env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    cr_assert_eq(e, 0, "cannot start %s: %s", argv[0], strerror(e));
    return pid;
}

int e2e_free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = 0,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0, "bind: %s",
                 strerror(errno));
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

void e2e_wait_socket(const char *socket_path, e2e_proc *p, double seconds)
{
    double until = run_now() + seconds;
    while (!run_can_connect(socket_path)) {
        if (p != NULL && p->running) {
            int status;
            if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
                p->running = 0;
                p->status = status;
                char *text = run_slurp(p->err, NULL);
                const char *t = e2e_fmt("%s", text ? text : "");
                free(text);
                cr_assert_fail("%s exited at start (wait status %d) before %s "
                               "accepted a connection; its stderr:\n%s",
                               p->name, status, socket_path, t);
            }
        }
        cr_assert_lt(run_now(), until, "%s: %s accepted no connection within "
                     "%.0f s", p ? p->name : "socket", socket_path, seconds);
        run_nap_ms(5);
    }
}

e2e_proc *e2e_start(const char *name, const char *const *argv,
                    const char *const *env_extra, const char *socket_path)
{
    cr_assert_lt(proc_count, MAX_PROCS);
    e2e_proc *p = e2e_own(calloc(1, sizeof *p));
    cr_assert_not_null(p, "out of memory");
    snprintf(p->name, sizeof p->name, "%s", name);
    int id = ++file_counter;
    p->out = e2e_fmt("%s/%s-%d.out", dir, name, id);
    p->err = e2e_fmt("%s/%s-%d.err", dir, name, id);
    p->pid = spawn(argv, env_extra, p->out, p->err);
    p->running = 1;
    procs[proc_count++] = p;
    if (socket_path != NULL)
        e2e_wait_socket(socket_path, p, E2E_START_SECONDS);
    return p;
}

int e2e_stop(e2e_proc *p)
{
    if (!p->running)
        return p->status;
    p->running = 0;
    p->status = -1;
    kill(-p->pid, SIGTERM);
    double until = run_now() + E2E_STOP_SECONDS;
    int killed = 0;
    for (;;) {
        int status;
        pid_t r = waitpid(-p->pid, &status, WNOHANG);
        if (r == p->pid)
            p->status = status;
        if (r < 0 && errno == ECHILD)
            break; /* the whole group is gone and reaped */
        if (r > 0)
            continue;
        if (!killed && run_now() > until) {
            kill(-p->pid, SIGKILL);
            killed = 1;
            until = run_now() + E2E_STOP_SECONDS;
        } else if (killed && run_now() > until) {
            break;
        }
        run_nap_ms(5);
    }
    if (killed && p->status != -1 && WIFSIGNALED(p->status) &&
        WTERMSIG(p->status) == SIGKILL)
        p->status = -2; /* it had to be killed */
    return p->status;
}

void e2e_stop_clean(e2e_proc *p)
{
    int status = e2e_stop(p);
    char *text = run_slurp(p->err, NULL);
    const char *t = e2e_fmt("%s", text ? text : "");
    free(text);
    cr_assert(status >= 0, "%s did not stop on SIGTERM within %.0f s", p->name,
              E2E_STOP_SECONDS);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s ended with wait status %d; its stderr:\n%s", p->name, status, t);
    cr_assert(strstr(t, "Sanitizer") == NULL && strstr(t, "runtime error") == NULL,
              "sanitizer report from %s:\n%s", p->name, t);
}

/* ---- cegate replay -------------------------------------------------------------- */

void e2e_replay_start(e2e_run *r, const char *const *args)
{
    memset(r, 0, sizeof *r);
    const char *bin = run_need_env("CEGATE_BIN");
    cr_assert_eq(access(bin, X_OK), 0, "CEGATE_BIN=%s: %s", bin, strerror(errno));
    size_t n = 0;
    while (args[n])
        n++;
    const char **argv = e2e_own(calloc(n + 4, sizeof *argv));
    cr_assert_not_null(argv, "out of memory");
    argv[0] = bin;
    argv[1] = "replay";
    argv[2] = "--show-response";
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = args[i];
    argv[3 + n] = NULL;
    int id = ++file_counter;
    r->out = e2e_fmt("%s/replay-%d.out", dir, id);
    r->err = e2e_fmt("%s/replay-%d.err", dir, id);
    r->pid = spawn(argv, NULL, r->out, r->err);
    cr_assert_lt(replay_count, MAX_PROCS);
    replays[replay_count++] = r->pid;
}

static void forget_replay(pid_t pid)
{
    for (size_t i = 0; i < replay_count; i++)
        if (replays[i] == pid)
            replays[i] = 0;
}

int e2e_replay_running(e2e_run *r)
{
    if (r->pid <= 0)
        return 0;
    int status;
    pid_t got = waitpid(r->pid, &status, WNOHANG);
    if (got == r->pid) {
        r->wait_status = status;
        forget_replay(r->pid);
        r->pid = -r->pid; /* reaped */
        return 0;
    }
    return 1;
}

static size_t count_status(json_t *lines, const char *status)
{
    size_t n = 0, i;
    json_t *line;
    json_array_foreach(lines, i, line)
        if (strcmp(e2e_str(line, "status"), status) == 0)
            n++;
    return n;
}

int e2e_replay_wait(e2e_run *r)
{
    double until = run_now() + E2E_RUN_SECONDS;
    while (e2e_replay_running(r)) {
        if (run_now() > until) {
            kill_group(r->pid);
            forget_replay(r->pid);
            cr_assert_fail("cegate replay did not finish within %.0f s",
                           E2E_RUN_SECONDS);
        }
        run_nap_ms(2);
    }
    r->exit_code = WIFEXITED(r->wait_status) ? WEXITSTATUS(r->wait_status) : -1;
    return r->exit_code;
}

void e2e_replay_finish(e2e_run *r)
{
    e2e_replay_wait(r);
    size_t out_length = 0;
    r->stdout_text = e2e_own(run_slurp(r->out, &out_length));
    r->stderr_text = e2e_own(run_slurp(r->err, NULL));
    cr_assert_not_null(r->stdout_text);
    cr_assert_not_null(r->stderr_text);
    const char *err = r->stderr_text;
    cr_assert(WIFEXITED(r->wait_status), "cegate replay died (wait status %d):\n%s",
              r->wait_status, err);
    cr_assert(strstr(err, "Sanitizer") == NULL && strstr(err, "runtime error") == NULL,
              "sanitizer report from cegate replay:\n%s", err);

    /* The summary line. */
    const char *summary = NULL;
    for (const char *s = err; (s = strstr(s, "cegate: replay: ")) != NULL; s++)
        if (strstr(s, " events: ") != NULL)
            summary = s;
    cr_assert_not_null(summary, "no summary line on stderr:\n%s", err);
    int got = sscanf(summary, "cegate: replay: %zu events: %zu delivered, %zu "
                              "failed, %zu rejected, %zu invalid",
                     &r->total, &r->delivered, &r->failed, &r->rejected, &r->invalid);
    cr_assert_eq(got, 5, "unexpected summary line: %s", summary);
    cr_assert_eq(r->total, r->delivered + r->failed + r->rejected + r->invalid,
                 "the summary does not add up: %.200s", summary);

    /* One JSON object per line, each line whole. */
    r->lines = e2e_own_json(json_array());
    cr_assert(out_length == 0 || r->stdout_text[out_length - 1] == '\n',
              "stdout does not end with a newline: %.300s", r->stdout_text);
    size_t number = 0;
    for (char *line = r->stdout_text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        number++;
        json_error_t jerr;
        json_t *v = json_loadb(line, len, 0, &jerr);
        cr_assert(json_is_object(v), "stdout line %zu is not a JSON object (%s): %.*s",
                  number, jerr.text, (int)(len > 500 ? 500 : len), line);
        json_array_append_new(r->lines, v);
        line += len + (nl ? 1 : 0);
    }
    cr_assert_eq(json_array_size(r->lines), r->total,
                 "%zu JSON lines for %zu events (summary: %.200s)",
                 json_array_size(r->lines), r->total, summary);
    cr_assert_eq(count_status(r->lines, "delivered"), r->delivered, "delivered lines");
    cr_assert_eq(count_status(r->lines, "failed"), r->failed, "failed lines");
    cr_assert_eq(count_status(r->lines, "rejected"), r->rejected, "rejected lines");
    cr_assert_eq(count_status(r->lines, "invalid"), r->invalid, "invalid lines");
}

void e2e_replay(e2e_run *r, const char *const *args)
{
    e2e_replay_start(r, args);
    e2e_replay_finish(r);
}

json_t *e2e_line(const e2e_run *r, size_t i)
{
    json_t *line = json_array_get(r->lines, i);
    cr_assert_not_null(line, "no output line %zu (of %zu); stderr:\n%s", i,
                       json_array_size(r->lines), r->stderr_text);
    return line;
}

json_t *e2e_line_for(const e2e_run *r, const char *id)
{
    json_t *found = NULL, *line;
    size_t i;
    json_array_foreach(r->lines, i, line)
        if (strcmp(e2e_str(line, "id"), id) == 0) {
            cr_assert_null(found, "two output lines for event %s", id);
            found = line;
        }
    cr_assert_not_null(found, "no output line for event %s; stdout:\n%.3000s", id,
                       r->stdout_text);
    return found;
}

json_t *e2e_line_for_input(const e2e_run *r, size_t number)
{
    json_t *found = NULL, *line;
    size_t i;
    json_array_foreach(r->lines, i, line)
        if (json_integer_value(json_object_get(line, "line")) == (json_int_t)number) {
            cr_assert_null(found, "two output lines for input line %zu", number);
            found = line;
        }
    cr_assert_not_null(found, "no output line for input line %zu; stdout:\n%.3000s",
                       number, r->stdout_text);
    return found;
}

const char *e2e_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

json_int_t e2e_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_integer(v), "no integer \"%s\" in the line", key);
    return json_integer_value(v);
}

json_t *e2e_response_json(json_t *line)
{
    const char *text = json_string_value(json_object_get(line, "response"));
    char *dump = json_dumps(line, JSON_COMPACT);
    const char *shown = e2e_fmt("%.2000s", dump ? dump : "?");
    free(dump);
    cr_assert_not_null(text, "no \"response\" in the line: %s", shown);
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    cr_assert_not_null(v, "the response is not JSON (%s): %s", jerr.text, shown);
    return e2e_own_json(v);
}

void e2e_assert_delivered(const e2e_run *r, size_t n)
{
    cr_assert_eq(r->exit_code, 0, "stderr: %s", r->stderr_text);
    cr_assert_eq(r->delivered, n, "%zu of %zu events delivered; stderr: %s",
                 r->delivered, n, r->stderr_text);
}

void e2e_assert_outcome(json_t *line, const char *status, json_int_t code,
                        json_int_t attempts)
{
    const char *got = e2e_str(line, "status");
    json_int_t got_code = json_integer_value(json_object_get(line, "code"));
    cr_assert_str_eq(got, status, "status %s, want %s (code %lld, error: %s)", got,
                     status, (long long)got_code, e2e_str(line, "error"));
    cr_assert_eq(e2e_int(line, "code"), code, "%s: code %lld, want %lld", status,
                 (long long)got_code, (long long)code);
    cr_assert_eq(e2e_int(line, "attempts"), attempts, "%s, code %lld: %lld attempts, want %lld",
                 status, (long long)code, (long long)e2e_int(line, "attempts"),
                 (long long)attempts);
}

/* ---- params ----------------------------------------------------------------------- */

void e2e_params_add(e2e_params *ps, const char *name, const char *value)
{
    cr_assert_lt(ps->count, E2E_MAX_PARAMS);
    ps->p[ps->count++] = (e2e_param){name, value};
}

void e2e_order_ce_params(e2e_params *ps)
{
    e2e_params_add(ps, "HTTP_CE_SPECVERSION", "1.0");
    e2e_params_add(ps, "HTTP_CE_ID", E2E_ORDER_ID);
    e2e_params_add(ps, "HTTP_CE_SOURCE", "https://shop.example.com/orders");
    e2e_params_add(ps, "HTTP_CE_TYPE", "com.example.order.created");
    e2e_params_add(ps, "HTTP_CE_SUBJECT", "orders/1042");
    e2e_params_add(ps, "HTTP_CE_TIME", "2026-11-23T09:30:00Z");
    e2e_params_add(ps, "HTTP_CE_TENANT", "acme");
}

void e2e_standard_params(e2e_params *ps, const char *method,
                         const char *request_uri, const char *content_type,
                         size_t content_length)
{
    memset(ps, 0, sizeof *ps);
    snprintf(ps->length, sizeof ps->length, "%zu", content_length);
    const char *q = strchr(request_uri, '?');
    const char *path = q ? e2e_fmt("%.*s", (int)(q - request_uri), request_uri)
                         : request_uri;
    e2e_params_add(ps, "QUERY_STRING", q ? q + 1 : "");
    e2e_params_add(ps, "REQUEST_METHOD", method);
    if (content_type != NULL)
        e2e_params_add(ps, "CONTENT_TYPE", content_type);
    e2e_params_add(ps, "CONTENT_LENGTH", ps->length);
    e2e_params_add(ps, "SCRIPT_NAME", path);
    e2e_params_add(ps, "REQUEST_URI", request_uri);
    e2e_params_add(ps, "DOCUMENT_URI", path);
    e2e_params_add(ps, "SERVER_PROTOCOL", "HTTP/1.1");
    e2e_params_add(ps, "REQUEST_SCHEME", "http");
    e2e_params_add(ps, "GATEWAY_INTERFACE", "CGI/1.1");
    e2e_params_add(ps, "SERVER_SOFTWARE", PACKAGE_NAME "/" PACKAGE_VERSION);
    e2e_params_add(ps, "REMOTE_ADDR", "127.0.0.1");
    e2e_params_add(ps, "REMOTE_PORT", "0");
    e2e_params_add(ps, "SERVER_ADDR", "127.0.0.1");
    e2e_params_add(ps, "SERVER_PORT", "80");
    e2e_params_add(ps, "SERVER_NAME", "localhost");
    e2e_params_add(ps, "REDIRECT_STATUS", "200");
    e2e_params_add(ps, "PATH_INFO", "");
    e2e_params_add(ps, "HTTP_HOST", "localhost");
}

void e2e_params_set(e2e_params *ps, const char *name, const char *value)
{
    for (size_t i = 0; i < ps->count; i++)
        if (strcmp(ps->p[i].name, name) == 0) {
            ps->p[i].value = value;
            return;
        }
    e2e_params_add(ps, name, value);
}

void e2e_script_params(e2e_params *ps, const char *script_filename,
                       const char *request_uri)
{
    const char *slash = strrchr(script_filename, '/');
    const char *q = strchr(request_uri, '?');
    e2e_params_set(ps, "SCRIPT_NAME", e2e_fmt("/%s", slash + 1));
    e2e_params_set(ps, "PATH_INFO",
                   q ? e2e_fmt("%.*s", (int)(q - request_uri), request_uri)
                     : request_uri);
    e2e_params_set(ps, "DOCUMENT_ROOT",
                   e2e_fmt("%.*s", (int)(slash - script_filename), script_filename));
    e2e_params_set(ps, "SCRIPT_FILENAME", script_filename);
}

static int listed(const char *name, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

void e2e_assert_params_exact(json_t *got, const e2e_params *expected,
                             const char *const *ignore)
{
    cr_assert(json_is_object(got), "no params object");
    char *dump = json_dumps(got, JSON_COMPACT);
    const char *all = e2e_fmt("%.6000s", dump ? dump : "?");
    free(dump);
    for (size_t i = 0; i < expected->count; i++) {
        const e2e_param *e = &expected->p[i];
        json_t *v = json_object_get(got, e->name);
        cr_assert_not_null(v, "param %s is missing; got: %s", e->name, all);
        const char *s = json_string_value(v);
        cr_assert_not_null(s, "param %s is not a string", e->name);
        cr_assert_str_eq(s, e->value, "param %s: got \"%.300s\", expected \"%.300s\"",
                         e->name, s, e->value);
    }
    const char *key;
    json_t *v;
    json_object_foreach(got, key, v) {
        if (listed(key, ignore))
            continue;
        int known = 0;
        for (size_t i = 0; i < expected->count && !known; i++)
            known = strcmp(expected->p[i].name, key) == 0;
        cr_assert(known, "unexpected param %s=\"%.300s\"; got: %s", key,
                  json_string_value(v) ? json_string_value(v) : "?", all);
    }
}

const char *e2e_write_env_script(const char *name)
{
    return e2e_write_text(name,
                          "#!/bin/sh\n"
                          "# A CGI script: its environment, then the body.\n"
                          "printf 'Status: 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n'\n"
                          "/usr/bin/env\n"
                          "echo --body--\n"
                          "exec /usr/bin/head -c \"${CONTENT_LENGTH:-0}\"\n",
                          0755);
}

json_t *e2e_parse_env_dump(const char *text, const char **body)
{
    json_t *env = e2e_own_json(json_object());
    const char *p = text;
    *body = NULL;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == 8 && strncmp(p, "--body--", 8) == 0) {
            *body = nl ? nl + 1 : p + len;
            break;
        }
        const char *eq = memchr(p, '=', len);
        if (eq != NULL) {
            char *name = strndup(p, (size_t)(eq - p));
            json_object_set_new(env, name, json_stringn(eq + 1, len - (size_t)(eq - p) - 1));
            free(name);
        }
        p += len + (nl ? 1 : 0);
    }
    cr_assert_not_null(*body, "no --body-- line in the app's answer:\n%.3000s", text);
    return env;
}
