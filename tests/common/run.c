/* SPDX-License-Identifier: Apache-2.0 */
/* run.c - files, directories, the environment, sockets and child processes
 * for the tests (see run.h). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

extern char **environ;

double run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void run_nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

char *run_asprintf(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *s = NULL;
    int n = vasprintf(&s, format, ap);
    va_end(ap);
    cr_assert(n >= 0 && s != NULL, "out of memory");
    return s;
}

const char *run_need_env(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v != NULL && *v != '\0',
              "%s is not set: run the tests through `make check`", name);
    return v;
}

char *run_slurp(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 65536, n = 0, k;
    char *buf = malloc(cap + 1);
    cr_assert_not_null(buf, "out of memory");
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            buf = realloc(buf, (cap *= 2) + 1);
            cr_assert_not_null(buf, "out of memory");
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (length != NULL)
        *length = n;
    return buf;
}

void run_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, n, f), n, "writing %s: %s", path, strerror(errno));
    cr_assert_eq(fclose(f), 0, "%s: %s", path, strerror(errno));
}

void run_make_dir(char *dir, size_t size, const char *template)
{
    snprintf(dir, size, "%s", template);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void run_remove_tree(const char *dir)
{
    if (dir != NULL && dir[0] != '\0')
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Does "NAME=value" set a variable named in `names`? */
static int names_variable(const char *entry, const char *const *names)
{
    for (size_t j = 0; names != NULL && names[j] != NULL; j++) {
        size_t len = strcspn(names[j], "=");
        if (strncmp(entry, names[j], len) == 0 && entry[len] == '=')
            return 1;
    }
    return 0;
}

char **run_child_env(const char *const *drop, const char *const *extra)
{
    size_t n = 0, m = 0;
    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **env = calloc(n + m + 1, sizeof *env);
    cr_assert_not_null(env, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!names_variable(environ[i], drop) && !names_variable(environ[i], extra))
            env[k++] = environ[i];
    for (size_t j = 0; j < m; j++)
        env[k++] = (char *)extra[j];
    env[k] = NULL;
    return env;
}

int run_can_connect(const char *socket_path)
{
    int port = 0;
    if (socket_path[0] != '/') {
        cr_assert(sscanf(socket_path, "127.0.0.1:%d", &port) == 1 && port > 0 &&
                      port < 65536,
                  "not a unix socket path or 127.0.0.1:PORT: %s", socket_path);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ok = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
        close(fd);
        return ok;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", socket_path);
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* ---- running a program to completion ------------------------------------- */

static void append_bytes(char **buf, size_t *len, size_t *cap, const char *p,
                         size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        *buf = realloc(*buf, *cap);
        cr_assert_not_null(*buf, "out of memory");
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

run_output run_capture(char *const argv[], char *const envp[], const char *input,
                       size_t input_len, const char *input_file)
{
    int in[2] = {-1, -1}, out[2], err[2];
    if (input_file == NULL)
        cr_assert_eq(pipe2(in, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    cr_assert_eq(pipe2(err, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN); /* the child may exit before reading stdin */

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (input_file != NULL)
        posix_spawn_file_actions_addopen(&fa, 0, input_file, O_RDONLY, 0);
    else
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    char *const *env = envp != NULL ? envp : environ;
    int rc = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, &attr, argv, env)
                                  : posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
    if (in[0] >= 0)
        close(in[0]);
    close(out[1]);
    close(err[1]);

    run_output o = {0};
    size_t out_cap = 0, err_cap = 0, written = 0;
    append_bytes(&o.out, &o.out_len, &out_cap, "", 0);
    append_bytes(&o.err, &o.err_len, &err_cap, "", 0);
    int in_fd = in[1];
    if (in_fd >= 0 && (input == NULL || input_len == 0)) {
        close(in_fd);
        in_fd = -1;
    } else if (in_fd >= 0) {
        fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    }
    int out_fd = out[0], err_fd = err[0];
    while (out_fd >= 0 || err_fd >= 0) {
        struct pollfd fds[3];
        nfds_t n = 0;
        if (out_fd >= 0)
            fds[n++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        if (err_fd >= 0)
            fds[n++] = (struct pollfd){.fd = err_fd, .events = POLLIN};
        if (in_fd >= 0)
            fds[n++] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
        if (poll(fds, n, 60000) < 0) {
            cr_assert_eq(errno, EINTR, "poll: %s", strerror(errno));
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].revents == 0)
                continue;
            if (fds[i].fd == in_fd) {
                ssize_t w = write(in_fd, input + written, input_len - written);
                if (w > 0)
                    written += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
                    written == input_len) {
                    close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            char buf[65536];
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            int is_out = fds[i].fd == out_fd;
            if (r <= 0) {
                close(fds[i].fd);
                if (is_out)
                    out_fd = -1;
                else
                    err_fd = -1;
                continue;
            }
            if (is_out)
                append_bytes(&o.out, &o.out_len, &out_cap, buf, (size_t)r);
            else
                append_bytes(&o.err, &o.err_len, &err_cap, buf, (size_t)r);
        }
    }
    if (in_fd >= 0)
        close(in_fd);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return o;
}

void run_output_free(run_output *o)
{
    free(o->out);
    free(o->err);
}

/* ---- running a program under watch ----------------------------------------- */

static int gate_open(const run_gate *g)
{
    if (g->file == NULL)
        return 1;
    char *text = run_slurp(g->file, NULL);
    int open = text != NULL && strstr(text, g->text) != NULL;
    free(text);
    return open;
}

/* What is left to write to a watched child's stdin. */
typedef struct feeder {
    int fd;                 /* the pipe's write end; -1 once closed */
    const run_piece *pieces;
    size_t count, index;    /* the piece being written */
    double start_at;        /* when it may start; -1 while its gate is shut */
    size_t done;            /* bytes of a data piece's copy written */
    size_t copies;          /* its copies written whole */
    int file_fd;            /* a file piece's file once opened, else -1 */
    char buf[65536];        /* bytes read from it, not yet written */
    size_t buf_len, buf_off;
} feeder;

static void feeder_close(feeder *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->file_fd >= 0)
        close(f->file_fd);
    f->fd = f->file_fd = -1;
}

/* The current piece starts after its delay once its gate is open. */
static void feeder_schedule(feeder *f, double now)
{
    const run_piece *piece = &f->pieces[f->index];
    f->start_at = gate_open(&piece->gate) ? now + piece->delay_ms / 1e3 : -1;
}

static void feeder_next_piece(feeder *f)
{
    if (f->file_fd >= 0)
        close(f->file_fd);
    f->file_fd = -1;
    f->done = f->copies = f->buf_len = f->buf_off = 0;
    if (++f->index == f->count)
        feeder_close(f); /* all written: the child sees the end of input */
    else
        feeder_schedule(f, run_now());
}

static int feeder_ready(feeder *f, double now)
{
    if (f->fd >= 0 && f->start_at < 0)
        feeder_schedule(f, now);
    return f->fd >= 0 && f->start_at >= 0 && now >= f->start_at;
}

/* The bytes of the current piece to write next (reading its file on
 * demand); 0 at its end. */
static size_t feeder_pending(feeder *f, const char **p)
{
    const run_piece *piece = &f->pieces[f->index];
    if (piece->file == NULL) {
        if (f->done == piece->len && ++f->copies < (piece->repeat ? piece->repeat : 1))
            f->done = 0;
        *p = piece->data + f->done;
        return piece->len - f->done;
    }
    if (f->file_fd < 0) {
        f->file_fd = open(piece->file, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(f->file_fd, 0, "%s: %s", piece->file, strerror(errno));
    }
    if (f->buf_off == f->buf_len) {
        ssize_t k;
        while ((k = read(f->file_fd, f->buf, sizeof f->buf)) < 0 && errno == EINTR)
            ;
        cr_assert_geq(k, 0, "reading %s: %s", piece->file, strerror(errno));
        f->buf_len = (size_t)k;
        f->buf_off = 0;
    }
    *p = f->buf + f->buf_off;
    return f->buf_len - f->buf_off;
}

/* Write what the pipe takes now; a child that stopped reading (EPIPE) gets
 * no more. */
static void feeder_write(feeder *f)
{
    const char *p;
    size_t n = feeder_pending(f, &p);
    if (n == 0) {
        feeder_next_piece(f);
        return;
    }
    ssize_t w = write(f->fd, p, n);
    if (w < 0) {
        if (errno != EAGAIN && errno != EINTR)
            feeder_close(f);
        return;
    }
    if (f->pieces[f->index].file == NULL)
        f->done += (size_t)w;
    else
        f->buf_off += (size_t)w;
}

static pid_t spawn_watched(const run_watch_spec *spec, int in_fd, int out_fd, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (spec->stdin_file != NULL)
        posix_spawn_file_actions_addopen(&fa, 0, spec->stdin_file, O_RDONLY, 0);
    else
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    if (spec->stdout_file != NULL)
        posix_spawn_file_actions_addopen(&fa, 1, spec->stdout_file, O_WRONLY, 0);
    else
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    char *const *env = spec->envp != NULL ? spec->envp : environ;
    char *const *argv = spec->argv;
    int rc = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, &attr, argv, env)
                                  : posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
    return pid;
}

/* Read what a pipe has; close it at its end. */
static void drain_pipe(int *fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[65536];
    ssize_t r = read(*fd, chunk, sizeof chunk);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    append_bytes(buf, len, cap, chunk, (size_t)r);
}

/* How long poll may sleep: until the next thing to do, at most 100 ms. */
static int watch_timeout_ms(double now, const double *moments, size_t n)
{
    double wait = 0.1;
    for (size_t i = 0; i < n; i++)
        if (moments[i] > 0 && moments[i] - now < wait)
            wait = moments[i] - now;
    return wait <= 0 ? 0 : (int)(wait * 1000) + 1;
}

void run_watched(const run_watch_spec *spec, run_watch_result *r)
{
    memset(r, 0, sizeof *r);
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2];
    if (spec->stdin_file == NULL)
        cr_assert_eq(pipe2(in, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    if (spec->stdout_file == NULL)
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    cr_assert_eq(pipe2(err, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN); /* the child may exit before reading stdin */

    double start = run_now();
    pid_t pid = spawn_watched(spec, in[0], out[1], err[1]);
    if (in[0] >= 0)
        close(in[0]);
    if (out[1] >= 0)
        close(out[1]);
    close(err[1]);

    feeder f = {.fd = in[1], .pieces = spec->pieces, .count = spec->piece_count,
                .file_fd = -1};
    if (f.fd >= 0 && f.count == 0)
        feeder_close(&f);
    else if (f.fd >= 0) {
        fcntl(f.fd, F_SETFL, fcntl(f.fd, F_GETFL) | O_NONBLOCK);
        feeder_schedule(&f, start);
    }
    size_t out_cap = 0, err_cap = 0;
    append_bytes(&r->out, &r->out_len, &out_cap, "", 0);
    append_bytes(&r->err, &r->err_len, &err_cap, "", 0);
    /* The signal: 0 once sent (or none), -1 while its gate is shut. */
    double signal_at = spec->signal != 0 ? -1 : 0;
    r->signalled_at = -1;
    double kill_at = start + (spec->kill_after_s > 0 ? spec->kill_after_s : 120.0);
    int out_fd = out[0], err_fd = err[0], reaped = 0, status = 0;
    struct rusage ru = {0};

    while (!reaped || out_fd >= 0 || err_fd >= 0) {
        double now = run_now();
        if (signal_at < 0 && gate_open(&spec->signal_gate))
            signal_at = now + spec->signal_after_ms / 1e3;
        if (signal_at > 0 && now >= signal_at && !reaped) {
            kill(pid, spec->signal);
            r->signalled_at = now - start;
            signal_at = 0;
        }
        if (!reaped && !r->killed && now >= kill_at) {
            kill(pid, SIGKILL);
            r->killed = 1;
        }
        if (!reaped) {
            pid_t w = wait4(pid, &status, WNOHANG, &ru);
            cr_assert(w >= 0 || errno == EINTR, "wait4: %s", strerror(errno));
            if (w == pid) {
                reaped = 1;
                r->seconds = run_now() - start;
                feeder_close(&f); /* nobody left to read it */
            }
        }
        if (reaped && now >= kill_at)
            break; /* pipes held open by someone else: stop reading them */

        struct pollfd fds[3];
        nfds_t n = 0;
        if (out_fd >= 0)
            fds[n++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        if (err_fd >= 0)
            fds[n++] = (struct pollfd){.fd = err_fd, .events = POLLIN};
        if (feeder_ready(&f, now))
            fds[n++] = (struct pollfd){.fd = f.fd, .events = POLLOUT};
        double moments[] = {signal_at, kill_at, f.fd >= 0 ? f.start_at : 0};
        /* Once its output is closed, only its exit is awaited: look often;
         * a shut gate is looked at every 10 ms. */
        int gate_shut = signal_at < 0 || (f.fd >= 0 && f.start_at < 0);
        int timeout = out_fd < 0 && err_fd < 0 ? 2
                      : gate_shut                ? 10
                                                 : watch_timeout_ms(now, moments, 3);
        if (poll(fds, n, timeout) < 0) {
            cr_assert_eq(errno, EINTR, "poll: %s", strerror(errno));
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].revents == 0)
                continue;
            if (fds[i].fd == f.fd)
                feeder_write(&f);
            else if (fds[i].fd == out_fd)
                drain_pipe(&out_fd, &r->out, &r->out_len, &out_cap);
            else
                drain_pipe(&err_fd, &r->err, &r->err_len, &err_cap);
        }
    }
    feeder_close(&f);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->max_rss_kib = ru.ru_maxrss;
}

void run_watch_free(run_watch_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
