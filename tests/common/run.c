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
