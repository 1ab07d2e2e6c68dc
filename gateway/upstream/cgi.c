/* SPDX-License-Identifier: Apache-2.0 */
/* cgi.c - running a CGI program for one request (RFC 3875).
 *
 * The program is started with posix_spawn (no shell): argv = {program},
 * the environment is exactly the request's params plus PATH, the working
 * directory is configured or the program's own directory, and it runs in a
 * process group of its own so that a timeout stops everything it started.
 *
 * One poll() loop writes the body to its stdin and reads its stdout and
 * stderr at the same time, all three non-blocking on our side: a program
 * that never reads its stdin, or writes a large response before reading,
 * cannot deadlock us. stdout goes through the resumable CGI response
 * parser, stderr into resp->log (bounded: what does not fit is dropped, it
 * never fails the request).
 *
 * Thread-safe: no global state, and no process-wide signal disposition is
 * touched. SIGPIPE (writing to a program that closed its stdin) is blocked
 * in the calling thread while the program runs and consumed if we raised
 * it; the program itself starts with an empty signal mask and every signal
 * at its default action, whatever cegate ignores or blocks.
 *
 * Needs posix_spawn_file_actions_addchdir_np: glibc >= 2.29, musl >=
 * 1.1.24, FreeBSD >= 13.1, macOS >= 10.15. Where glibc >= 2.34 offers
 * posix_spawn_file_actions_addclosefrom_np, descriptors another part of the
 * process left inheritable are closed in the program as well. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "upstream/cgi.h"

#if defined(__GLIBC__) && !(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#error "cgi.c needs posix_spawn_file_actions_addchdir_np (glibc 2.29 or later)"
#endif
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define CGI_HAVE_CLOSEFROM 1
#endif

#define CGI_DEFAULT_TIMEOUT_MS 30000
#define CGI_DEFAULT_MAX_RESPONSE (16u * 1024 * 1024)
#define CGI_DEFAULT_MAX_LOG (64u * 1024)
#define CGI_MAX_HEADER_BYTES (64u * 1024) /* the response's header section */
#define CGI_KILL_GRACE_MS 1000            /* SIGTERM, then SIGKILL this later */
#define CGI_CHUNK (64u * 1024)            /* one read; one write at most 1 MiB */
#define CGI_WRITE_MAX (1024u * 1024)
#define CGI_PATH "PATH=/usr/bin:/bin"

void cgi_config_default(cgi_config *cfg, const char *program)
{
    cfg->program = program;
    cfg->working_dir = NULL;
    cfg->timeout_ms = CGI_DEFAULT_TIMEOUT_MS;
    cfg->max_response_bytes = CGI_DEFAULT_MAX_RESPONSE;
    cfg->max_log_bytes = CGI_DEFAULT_MAX_LOG;
    cfg->cancel_fd = -1;
}

/* ---- small helpers ------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Keep our descriptors away from 0-2, so that the dup2 actions in the child
 * never have source == target (which would keep FD_CLOEXEC on it) nor
 * overwrite a pipe end another action still needs. */
static int move_above_stdio(int *fd)
{
    if (*fd > 2)
        return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return -1;
    close(*fd);
    *fd = moved;
    return 0;
}

static int make_pipe(int fds[2])
{
    fds[0] = fds[1] = -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    if (move_above_stdio(&fds[0]) < 0 || move_above_stdio(&fds[1]) < 0) {
        int saved = errno;
        close_fd(&fds[0]);
        close_fd(&fds[1]);
        errno = saved;
        return -1;
    }
    return 0;
}

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static const char *error_text(int e, char *buf, size_t size)
{
    /* GNU strerror_r: returns the message, maybe not in buf. */
    return strerror_r(e, buf, size);
}

static void describe_status(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "ended with wait status %d", status);
}

static int valid_name(const upstream_param *p)
{
    if (p->name == NULL || p->name_length == 0 ||
        strlen(p->name) != p->name_length)
        return 0;
    for (size_t i = 0; i < p->name_length; i++) {
        unsigned char c = (unsigned char)p->name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* The program's environment: each param once (the first of repeated names
 * wins, as FCGX_GetParam does), then PATH unless a param sets it. One
 * allocation holds the pointer array and the strings. */
static char **build_env(const upstream_request *req, cegate_error *err)
{
    size_t count = 0, bytes = 0;
    int have_path = 0;
    for (size_t i = 0; i < req->param_count; i++) {
        const upstream_param *p = &req->params[i];
        if (!valid_name(p))
            return cegate_error_set(err, CEGATE_ERR_USAGE, "params",
                                    "parameter %zu has an invalid name", i),
                   NULL;
        if (p->value == NULL || strlen(p->value) != p->value_length)
            return cegate_error_set(err, CEGATE_ERR_USAGE, p->name,
                                    "parameter value holds a NUL byte"),
                   NULL;
        if (p->name_length > SIZE_MAX / 4 || p->value_length > SIZE_MAX / 4)
            return cegate_error_set(err, CEGATE_ERR_LIMIT, p->name,
                                    "parameter too large"),
                   NULL;
        if (strcmp(p->name, "PATH") == 0)
            have_path = 1;
        count++;
        bytes += p->name_length + p->value_length + 2;
    }
    if (!have_path) {
        count++;
        bytes += sizeof CGI_PATH;
    }
    size_t array = (count + 1) * sizeof(char *);
    char **env = cegate_malloc(array + bytes);
    if (env == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "params",
                                "out of memory building the environment"),
               NULL;
    char *s = (char *)env + array;
    size_t n = 0;
    for (size_t i = 0; i < req->param_count; i++) {
        const upstream_param *p = &req->params[i];
        int repeated = 0;
        for (size_t j = 0; j < i && !repeated; j++)
            repeated = strcmp(req->params[j].name, p->name) == 0;
        if (repeated)
            continue;
        env[n++] = s;
        memcpy(s, p->name, p->name_length);
        s += p->name_length;
        *s++ = '=';
        memcpy(s, p->value, p->value_length);
        s += p->value_length;
        *s++ = '\0';
    }
    if (!have_path) {
        env[n++] = s;
        memcpy(s, CGI_PATH, sizeof CGI_PATH);
    }
    env[n] = NULL;
    return env;
}

/* The program's directory ("/" for "/prog"). */
static char *program_dir(const char *program)
{
    const char *slash = strrchr(program, '/');
    size_t n = slash == program ? 1 : (size_t)(slash - program);
    char *dir = cegate_malloc(n + 1);
    if (dir != NULL) {
        memcpy(dir, program, n);
        dir[n] = '\0';
    }
    return dir;
}

/* ---- the child process --------------------------------------------------- */

/* Has the program exited? Leaves it a zombie (WNOWAIT), so its pid, and
 * with it the process group id, cannot be reused while we still signal the
 * group. Waits until `deadline` (monotonic ms) with growing naps. */
static int wait_exited(pid_t pid, int64_t deadline)
{
    long nap_us = 100;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
        if (r == 0 && si.si_pid != 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* ECHILD: someone else reaped it; nothing to wait for */
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        if (nap_us / 1000 > left)
            nap_us = (long)left * 1000;
        struct timespec ts = {nap_us / 1000000, (nap_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        if (nap_us < 20000)
            nap_us *= 2;
    }
}

/* Reap the program; the wait status, or -1 when it was reaped elsewhere. */
static int reap(pid_t pid)
{
    int status;
    for (;;) {
        if (waitpid(pid, &status, 0) == pid)
            return status;
        if (errno != EINTR)
            return -1;
    }
}

/* Stop the program and everything in its process group: SIGTERM, SIGKILL
 * after the grace time (or at once for stragglers once the program itself
 * is gone), then reap it. Returns the wait status; *killed says whether
 * SIGKILL was needed for the program itself. */
static int stop_group(pid_t pid, int *killed)
{
    *killed = 0;
    kill(-pid, SIGTERM);
    kill(-pid, SIGCONT); /* a stopped program must see its SIGTERM */
    if (!wait_exited(pid, now_ms() + CGI_KILL_GRACE_MS))
        *killed = 1;
    kill(-pid, SIGKILL); /* the program, or what it left behind */
    return reap(pid);
}

/* ---- running it ---------------------------------------------------------- */

typedef struct cgi_run_state {
    const cgi_config *cfg;
    const upstream_request *req;
    upstream_response *resp;
    cgi_response_parser parser;
    int parser_ready;
    char *chunk;
    size_t written;     /* body bytes delivered to stdin */
    size_t out_bytes;   /* bytes read from stdout */
    size_t out_limit;
    size_t log_limit;
    cegate_error local; /* the first failure while running */
} cgi_run_state;

/* stdin is writable (or its reader is gone): write what fits. Returns 1
 * when stdin is finished with (all written, or the program closed it). */
static int feed_stdin(cgi_run_state *st, int fd)
{
    const upstream_request *req = st->req;
    while (st->written < req->body_length) {
        size_t n = req->body_length - st->written;
        if (n > CGI_WRITE_MAX)
            n = CGI_WRITE_MAX;
        ssize_t w = write(fd, req->body + st->written, n);
        if (w > 0) {
            st->written += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return 0;
        /* EPIPE and the like: the program wants no more of the body. Not an
         * error by itself; what it wrote on stdout decides. */
        return 1;
    }
    return 1;
}

/* stdout is readable: one read into the parser. Returns 1 at EOF, 0 to go
 * on, -1 on a failure recorded in st->local. */
static int drain_stdout(cgi_run_state *st, int fd)
{
    ssize_t r = read(fd, st->chunk, CGI_CHUNK);
    if (r == 0)
        return 1;
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        char eb[128];
        cegate_error_set(&st->local, CEGATE_ERR_IO, "program",
                         "reading the program's stdout: %s",
                         error_text(errno, eb, sizeof eb));
        return -1;
    }
    if ((size_t)r > st->out_limit - st->out_bytes) {
        cegate_error_set(&st->local, CEGATE_ERR_LIMIT, "response",
                         "the program's response exceeds %zu bytes",
                         st->cfg->max_response_bytes);
        return -1;
    }
    st->out_bytes += (size_t)r;
    if (cgi_response_parser_feed(&st->parser, st->chunk, (size_t)r,
                                 &st->local) < 0) {
        if (st->local.code == CEGATE_OK)
            cegate_error_set(&st->local, CEGATE_ERR_PROTOCOL, "response",
                             "malformed CGI response");
        return -1;
    }
    return 0;
}

/* stderr is readable: keep what fits in the log, drop the rest. */
static int drain_stderr(cgi_run_state *st, int fd)
{
    ssize_t r = read(fd, st->chunk, CGI_CHUNK);
    if (r == 0)
        return 1;
    if (r < 0)
        return (errno == EAGAIN || errno == EINTR) ? 0 : 1;
    cegate_buffer *log = &st->resp->log;
    size_t room = log->length < st->log_limit ? st->log_limit - log->length : 0;
    size_t keep = (size_t)r < room ? (size_t)r : room;
    if (keep > 0)
        cegate_buffer_append(log, st->chunk, keep, "log", NULL);
    return 0;
}

int cgi_run(const cgi_config *cfg, const upstream_request *req,
            upstream_response *resp, cegate_error *err)
{
    if (cfg == NULL || req == NULL || resp == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "cgi_run needs a configuration, a request and a response"),
               -1;
    if (cfg->program == NULL || cfg->program[0] != '/')
        return cegate_error_set(err, CEGATE_ERR_USAGE, "program",
                                "the CGI program must be an absolute path"),
               -1;
    if (cfg->timeout_ms <= 0)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "timeout_ms",
                                "the CGI timeout must be positive"),
               -1;
    if (req->body == NULL && req->body_length > 0)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "body",
                                "body length without a body"),
               -1;

    cgi_run_state st;
    memset(&st, 0, sizeof st);
    st.cfg = cfg;
    st.req = req;
    st.resp = resp;
    st.log_limit = cfg->max_log_bytes < resp->log.max ? cfg->max_log_bytes
                                                       : resp->log.max;
    /* Headers are bounded by the parser, the body by the configuration (and
     * by resp->body's own maximum); this is the backstop on the whole. */
    st.out_limit = cfg->max_response_bytes > SIZE_MAX - CGI_MAX_HEADER_BYTES
                       ? SIZE_MAX
                       : cfg->max_response_bytes + CGI_MAX_HEADER_BYTES;
    size_t saved_body_max = resp->body.max;
    if (cfg->max_response_bytes < resp->body.max)
        resp->body.max = cfg->max_response_bytes;

    int rc = -1;
    char **env = NULL;
    char *dir = NULL;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
    int fa_ready = 0, attr_ready = 0, mask_saved = 0, sigpipe_was_pending = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t old_mask, pipe_set, pending, none, all;
    pid_t pid = -1;
    char eb[128];
    int e;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&none);
    sigfillset(&all);

    env = build_env(req, err);
    if (env == NULL)
        goto done;
    dir = cfg->working_dir != NULL ? NULL : program_dir(cfg->program);
    if (cfg->working_dir == NULL && dir == NULL) {
        cegate_error_set(err, CEGATE_ERR_NOMEM, "working_dir", "out of memory");
        goto done;
    }
    st.chunk = cegate_malloc(CGI_CHUNK);
    if (st.chunk == NULL) {
        cegate_error_set(err, CEGATE_ERR_NOMEM, "program", "out of memory");
        goto done;
    }
    if (make_pipe(in) < 0 || make_pipe(out) < 0 || make_pipe(errp) < 0 ||
        set_nonblocking(in[1]) < 0 || set_nonblocking(out[0]) < 0 ||
        set_nonblocking(errp[0]) < 0) {
        cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "program",
                         "cannot create pipes for the program: %s",
                         error_text(errno, eb, sizeof eb));
        goto done;
    }

    e = posix_spawn_file_actions_init(&fa);
    if (e == 0) {
        fa_ready = 1;
        e = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    }
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    if (e == 0)
        e = posix_spawn_file_actions_addchdir_np(
            &fa, cfg->working_dir != NULL ? cfg->working_dir : dir);
#ifdef CGI_HAVE_CLOSEFROM
    if (e == 0)
        e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    if (e == 0) {
        e = posix_spawnattr_init(&attr);
        attr_ready = e == 0;
    }
    if (e == 0)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF |
                                                POSIX_SPAWN_SETPGROUP);
    if (e == 0)
        e = posix_spawnattr_setsigmask(&attr, &none);
    if (e == 0)
        e = posix_spawnattr_setsigdefault(&attr, &all);
    if (e == 0)
        e = posix_spawnattr_setpgroup(&attr, 0);
    if (e != 0) {
        cegate_error_set(err, e == ENOMEM ? CEGATE_ERR_NOMEM : CEGATE_ERR_UNAVAILABLE,
                         "program", "cannot prepare to start the program: %s",
                         error_text(e, eb, sizeof eb));
        goto done;
    }

    /* SIGPIPE from writing to a program that closed its stdin must not end
     * cegate: block it in this thread only, and consume it afterwards if we
     * raised it (a SIGPIPE pending before we started is left alone). */
    if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) == 0) {
        mask_saved = 1;
        sigemptyset(&pending);
        sigpending(&pending);
        sigpipe_was_pending = sigismember(&pending, SIGPIPE);
    }

    char *argv[] = {(char *)cfg->program, NULL};
    e = posix_spawn(&pid, cfg->program, &fa, &attr, argv, env);
    if (e != 0) {
        pid = -1;
        cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "program",
                         "cannot run %s in %s: %s", cfg->program,
                         cfg->working_dir != NULL ? cfg->working_dir : dir,
                         error_text(e, eb, sizeof eb));
        goto done;
    }
    int64_t deadline = now_ms() + cfg->timeout_ms;
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&errp[1]);

    cgi_response_parser_init(&st.parser, resp, CGI_MAX_HEADER_BYTES);
    st.parser_ready = 1;
    if (req->body_length == 0)
        close_fd(&in[1]);

    int failed = 0, timed_out = 0, cancelled = 0;
    while (out[0] >= 0 || errp[0] >= 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            /* Only stdout decides: a response read to its end stands even
             * if something still holds stderr open. */
            timed_out = out[0] >= 0;
            break;
        }
        struct pollfd pfd[4];
        int n = 0, i_in = -1, i_out = -1, i_err = -1, i_cancel = -1;
        if (cfg->cancel_fd >= 0) {
            i_cancel = n;
            pfd[n++] = (struct pollfd){.fd = cfg->cancel_fd, .events = POLLIN};
        }
        if (in[1] >= 0) {
            i_in = n;
            pfd[n++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
        }
        if (out[0] >= 0) {
            i_out = n;
            pfd[n++] = (struct pollfd){.fd = out[0], .events = POLLIN};
        }
        if (errp[0] >= 0) {
            i_err = n;
            pfd[n++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
        }
        int k = poll(pfd, (nfds_t)n, left > INT_MAX ? INT_MAX : (int)left);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            cegate_error_set(&st.local, CEGATE_ERR_IO, "program",
                             "waiting for the program: %s",
                             error_text(errno, eb, sizeof eb));
            failed = 1;
            break;
        }
        if (k == 0)
            continue;
        if (i_cancel >= 0 && pfd[i_cancel].revents != 0) {
            cancelled = out[0] >= 0;
            break;
        }
        if (i_in >= 0 && pfd[i_in].revents != 0 && feed_stdin(&st, in[1]))
            close_fd(&in[1]);
        if (i_out >= 0 && pfd[i_out].revents != 0) {
            int r = drain_stdout(&st, out[0]);
            if (r < 0) {
                failed = 1;
                break;
            }
            if (r > 0)
                close_fd(&out[0]);
        }
        if (i_err >= 0 && pfd[i_err].revents != 0 && drain_stderr(&st, errp[0]))
            close_fd(&errp[0]);
    }
    /* Whatever happened, the program gets EOF on stdin now. */
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&errp[0]);

    int status, killed = 0;
    if (failed || timed_out || cancelled) {
        status = stop_group(pid, &killed);
    } else {
        /* Output complete. A program that closed its output but lingers is
         * stopped at the deadline (at least a grace period from now). */
        int64_t until = deadline;
        if (until < now_ms() + CGI_KILL_GRACE_MS)
            until = now_ms() + CGI_KILL_GRACE_MS;
        if (wait_exited(pid, until))
            status = reap(pid);
        else
            status = stop_group(pid, &killed);
    }
    pid = -1;

    char how[64];
    if (status == -1)
        snprintf(how, sizeof how, "ended (status unknown)");
    else
        describe_status(status, how, sizeof how);

    if (cancelled) {
        cegate_error_set(err, CEGATE_ERR_CANCELLED, "program",
                         "cancelled by the shutdown's drain deadline; stopped "
                         "with SIGTERM%s", killed ? " and SIGKILL" : "");
        goto done;
    }
    if (timed_out) {
        cegate_error_set(err, CEGATE_ERR_TIMEOUT, "program",
                         "no complete response within %d ms; stopped with "
                         "SIGTERM%s",
                         cfg->timeout_ms, killed ? " and SIGKILL" : "");
        goto done;
    }
    if (failed) {
        cegate_error_set(err, st.local.code,
                         st.local.path[0] ? st.local.path : NULL, "%s",
                         st.local.text);
        goto done;
    }
    cegate_error fin;
    cegate_error_clear(&fin);
    if (cgi_response_parser_finish(&st.parser, &fin) < 0) {
        if (st.out_bytes == 0)
            cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "program",
                             "the program %s without writing a response", how);
        else
            cegate_error_set(err,
                             fin.code != CEGATE_OK ? fin.code : CEGATE_ERR_PROTOCOL,
                             fin.path[0] ? fin.path : "response",
                             "%s (the program %s)",
                             fin.text[0] ? fin.text : "incomplete CGI response",
                             how);
        goto done;
    }
    rc = 0;

done:
    if (pid > 0) { /* only reached on unexpected paths: never leave it */
        int killed_late;
        stop_group(pid, &killed_late);
    }
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    if (mask_saved) {
        sigemptyset(&pending);
        if (!sigpipe_was_pending && sigpending(&pending) == 0 &&
            sigismember(&pending, SIGPIPE)) {
            struct timespec zero = {0, 0};
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                ;
        }
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    }
    if (st.parser_ready)
        cgi_response_parser_free(&st.parser);
    if (attr_ready)
        posix_spawnattr_destroy(&attr);
    if (fa_ready)
        posix_spawn_file_actions_destroy(&fa);
    cegate_free(st.chunk);
    cegate_free(dir);
    cegate_free(env);
    resp->body.max = saved_body_max;
    return rc;
}
