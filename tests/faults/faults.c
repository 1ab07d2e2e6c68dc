/* SPDX-License-Identifier: Apache-2.0 */
/* faults.c - what the fault tests share (see faults.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

/* SAN_CFLAGS of the build: non-empty under ASan/UBSan, and TSAN_CFLAGS:
 * non-empty under ThreadSanitizer (see Makefile.am). */
#ifndef FAULTS_SAN_CFLAGS
#define FAULTS_SAN_CFLAGS ""
#endif
#ifndef FAULTS_TSAN_CFLAGS
#define FAULTS_TSAN_CFLAGS ""
#endif

extern char **environ;

static char dir[64];
static char **owned; /* memory and JSON freed at teardown, so that a failed */
static size_t owned_count, owned_cap; /* assertion leaks nothing */
static json_t *owned_json;
static pid_t peer_pid; /* also its process group; 0 when none runs */

/* ---- small things ------------------------------------------------------------- */

void *faults_own(void *p)
{
    if (owned_count == owned_cap) {
        owned_cap = owned_cap ? owned_cap * 2 : 64;
        owned = realloc(owned, owned_cap * sizeof *owned);
        cr_assert_not_null(owned, "out of memory");
    }
    owned[owned_count++] = p;
    return p;
}

static json_t *own_json(json_t *v)
{
    if (owned_json == NULL)
        owned_json = json_array();
    cr_assert_not_null(owned_json, "out of memory");
    json_array_append_new(owned_json, v);
    return v;
}

/* A line as text, for assertion messages. */
static const char *dump(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    return s != NULL ? faults_own(s) : "(unprintable)";
}

const char *faults_path(const char *name)
{
    return faults_own(run_asprintf("%s/%s", dir, name));
}

/* How much slower and bigger an instrumented cegate is: ThreadSanitizer
 * runs large inputs several times slower, and its shadow memory grows with
 * the heap. */
static int slowdown(void)
{
    if (FAULTS_TSAN_CFLAGS[0] != '\0')
        return 4;
    return FAULTS_SAN_CFLAGS[0] != '\0' ? 2 : 1;
}

double faults_margin(void) { return slowdown() * FAULTS_MARGIN; }

long faults_rss_bound_kib(long mib) { return (slowdown() > 1 ? 3 * mib : mib) * 1024; }

/* ---- setup and teardown ---------------------------------------------------------- */

void faults_setup(void)
{
    run_make_dir(dir, sizeof dir, "/tmp/cegate-faults-XXXXXX");
    owned_count = 0;
    peer_pid = 0;
}

/* SIGTERM to the peer's group, SIGKILL if it is still there after 10 s;
 * the peer's connection children die with it (and are in its group). */
static void stop_peer(void)
{
    if (peer_pid <= 0)
        return;
    kill(-peer_pid, SIGTERM);
    double until = run_now() + 10.0;
    while (waitpid(peer_pid, NULL, WNOHANG) == 0) {
        if (run_now() > until) {
            kill(-peer_pid, SIGKILL);
            waitpid(peer_pid, NULL, 0);
            break;
        }
        run_nap_ms(5);
    }
    kill(-peer_pid, SIGKILL); /* any connection child left behind */
    peer_pid = 0;
}

void faults_teardown(void)
{
    stop_peer();
    run_remove_tree(dir);
    for (size_t i = 0; i < owned_count; i++)
        free(owned[i]);
    free(owned);
    owned = NULL;
    owned_count = owned_cap = 0;
    json_decref(owned_json);
    owned_json = NULL;
}

/* ---- the peer ---------------------------------------------------------------------- */

const char *faults_peer(const char *mode, const char *const *args)
{
    cr_assert_eq(peer_pid, 0, "one peer per test");
    const char *peer = run_need_env("CEGATE_FCGI_PEER");
    const char *sock = faults_path("app.sock");
    const char *argv[32] = {peer, "--socket", sock, "--mode", mode};
    size_t n = 5;
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        cr_assert_lt(n, sizeof argv / sizeof argv[0] - 1, "too many peer arguments");
        argv[n++] = args[i];
    }
    argv[n] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, faults_path("peer.log"),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0); /* its own group: stopped as one */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    int rc = posix_spawn(&peer_pid, peer, &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    cr_assert_eq(rc, 0, "cannot run %s: %s", peer, strerror(rc));

    double until = run_now() + 30.0;
    while (!run_can_connect(sock)) {
        int status;
        if (waitpid(peer_pid, &status, WNOHANG) == peer_pid) {
            peer_pid = 0;
            cr_assert_fail("the peer exited before listening: %s", faults_peer_log());
        }
        cr_assert_lt(run_now(), until, "the peer does not listen on %s", sock);
        run_nap_ms(5);
    }
    return faults_own(run_asprintf("unix:%s", sock));
}

const char *faults_peer_log(void)
{
    char *log = run_slurp(faults_path("peer.log"), NULL);
    return log != NULL ? faults_own(log) : "(no log)";
}

run_gate faults_peer_logged(const char *text)
{
    return (run_gate){.file = faults_path("peer.log"), .text = text};
}

const char *faults_write_padded(const char *name, const char *prefix, size_t fill,
                                const char *suffix)
{
    const char *path = faults_path(name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    fputs(prefix, f);
    for (size_t left = fill; left > 0;) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        cr_assert_eq(fwrite(chunk, 1, k, f), k, "writing %s: %s", path, strerror(errno));
        left -= k;
    }
    fputs(suffix, f);
    cr_assert_eq(fclose(f), 0, "writing %s: %s", path, strerror(errno));
    return path;
}

/* ---- running replay ------------------------------------------------------------------ */

run_watch_spec faults_stdin_text(const char *text)
{
    run_piece *piece = faults_own(calloc(1, sizeof *piece));
    cr_assert_not_null(piece, "out of memory");
    piece->data = text;
    piece->len = strlen(text);
    return (run_watch_spec){.pieces = piece, .piece_count = 1};
}

/* Each line of stdout as a JSON object. */
static json_t *parse_lines(const char *out)
{
    json_t *lines = own_json(json_array());
    for (const char *p = out; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        json_error_t e;
        json_t *v = json_loadb(p, len, 0, &e);
        cr_assert(v != NULL && json_is_object(v),
                  "stdout line %zu is not a JSON object (%s): %.*s",
                  json_array_size(lines) + 1, v != NULL ? "not an object" : e.text,
                  (int)(len > 500 ? 500 : len), p);
        json_array_append_new(lines, v);
        p += len + (nl != NULL);
    }
    return lines;
}

void faults_replay(faults_run *run, run_watch_spec spec, const char *app, double bound,
                   const char *const *args)
{
    const char *argv[64] = {run_need_env("CEGATE_BIN"), "replay", "--app", app};
    size_t n = 4;
    for (size_t i = 0; args[i] != NULL; i++) {
        cr_assert_lt(n, sizeof argv / sizeof argv[0] - 1, "too many replay arguments");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    spec.argv = (char *const *)argv;
    spec.kill_after_s = bound + FAULTS_HARD_LIMIT;
    memset(run, 0, sizeof *run);
    run->bound = bound;
    run->signalled = spec.signal != 0;
    run_watched(&spec, &run->r);
    faults_own(run->r.out);
    faults_own(run->r.err);
    run->lines = spec.stdout_file != NULL ? own_json(json_array()) : parse_lines(run->r.out);
}

/* ---- assertions ---------------------------------------------------------------------- */

void faults_assert_exit(const faults_run *run, int code)
{
    cr_assert_eq(run->r.status, code, "exit status %d, expected %d; stderr: %.2000s",
                 run->r.status, code, run->r.err);
}

void faults_assert_ended(const faults_run *run)
{
    cr_assert(!run->r.killed,
              "still running after %.1f s (bound %.1f s): killed%s; stdout: %.1000s; "
              "stderr: %.1000s; peer: %.1000s",
              run->r.seconds, run->bound,
              run->signalled ? (run->r.signalled_at < 0 ? " (its signal never sent: its gate "
                                                          "stayed shut)"
                                                        : " (it was signalled)")
                             : "",
              run->r.out, run->r.err, faults_peer_log());
    cr_assert_leq(run->r.seconds, run->bound,
                  "took %.2f s, more than its bound of %.2f s (deadline + margin)",
                  run->r.seconds, run->bound);
}

void faults_assert_ended_after_signal(const faults_run *run, double seconds)
{
    faults_assert_ended(run);
    cr_assert_geq(run->r.signalled_at, 0, "it ended before it was signalled; stderr: %.1000s",
                  run->r.err);
    double after = run->r.seconds - run->r.signalled_at;
    cr_assert_leq(after, seconds,
                  "ended %.2f s after the signal, more than its bound of %.2f s "
                  "(deadline + margin)", after, seconds);
}

void faults_assert_rss_below(const faults_run *run, long mib)
{
    long bound = faults_rss_bound_kib(mib);
    cr_assert_lt(run->r.max_rss_kib, bound, "peak RSS %ld KiB, bound %ld KiB",
                 run->r.max_rss_kib, bound);
}

size_t faults_count(const faults_run *run) { return json_array_size(run->lines); }

json_t *faults_line(const faults_run *run, size_t i)
{
    json_t *line = json_array_get(run->lines, i);
    cr_assert_not_null(line, "no outcome line %zu (of %zu); stdout: %.1000s; stderr: %.1000s",
                       i + 1, faults_count(run), run->r.out, run->r.err);
    return line;
}

json_t *faults_only_line(const faults_run *run)
{
    cr_assert_eq(faults_count(run), 1,
                 "%zu outcome lines, expected 1; stdout: %.1000s; stderr: %.1000s",
                 faults_count(run), run->r.out, run->r.err);
    return faults_line(run, 0);
}

/* The one line whose `key` is the string `s`, or (s NULL) the integer `n`. */
static json_t *line_where(const faults_run *run, const char *key, const char *s, long n)
{
    json_t *found = NULL, *line;
    size_t i, matches = 0;
    json_array_foreach(run->lines, i, line) {
        if (s != NULL ? strcmp(faults_str(line, key), s) == 0 : faults_int(line, key) == n) {
            found = line;
            matches++;
        }
    }
    cr_assert_eq(matches, 1, "%zu outcome lines with %s %s%ld, expected 1; stdout: %.1500s",
                 matches, key, s != NULL ? s : "", s != NULL ? 0L : n, run->r.out);
    return found;
}

json_t *faults_line_for_id(const faults_run *run, const char *id)
{
    return line_where(run, "id", id, 0);
}

json_t *faults_line_for_input(const faults_run *run, long number)
{
    return line_where(run, "line", NULL, number);
}

const char *faults_str(json_t *line, const char *key)
{
    const char *s = json_string_value(json_object_get(line, key));
    return s != NULL ? s : "";
}

long faults_int(json_t *line, const char *key)
{
    json_t *v = json_object_get(line, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

void faults_assert_outcome(json_t *line, const char *status, const char *error_code)
{
    const char *text = dump(line);
    cr_assert_str_eq(faults_str(line, "status"), status, "status: %s", text);
    int is_invalid = strcmp(status, "invalid") == 0;
    cr_assert(is_invalid || json_is_string(json_object_get(line, "id")), "no id: %s", text);
    cr_assert(is_invalid || json_is_string(json_object_get(line, "type")), "no type: %s",
              text);
    cr_assert(json_is_integer(json_object_get(line, "code")), "no code: %s", text);
    cr_assert(json_is_integer(json_object_get(line, "attempts")), "no attempts: %s", text);
    cr_assert(json_is_number(json_object_get(line, "ms")), "no ms: %s", text);
    if (strcmp(status, "delivered") == 0)
        return;
    cr_assert(faults_str(line, "error")[0] != '\0', "no error: %s", text);
    cr_assert(faults_str(line, "error_code")[0] != '\0', "no error_code: %s", text);
    if (error_code != NULL)
        cr_assert_str_eq(faults_str(line, "error_code"), error_code, "error_code: %s", text);
}
