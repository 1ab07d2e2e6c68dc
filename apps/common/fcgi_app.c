/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_app - serving a libfcgi app on a socket with worker threads until
 * SIGTERM, for the sample apps (see fcgi_app.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi_app.h"

static int listen_fd = 0;
static atomic_int stopping;

int fcgi_app_stopping(void)
{
    return atomic_load(&stopping);
}

long fcgi_app_number(const char *s, long lo, long hi)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

size_t fcgi_app_utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
        return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        return 0;
    return len;
}

int fcgi_app_utf8_valid(const void *s, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n;) {
        size_t k = fcgi_app_utf8_sequence(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

int fcgi_app_configure(const struct fcgi_app *app, int argc, char **argv,
                       struct fcgi_app_config *cfg)
{
    cfg->sock = getenv("SOCK");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(app->usage, stdout);
            return 0;
        } else if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) &&
                   i + 1 < argc) {
            cfg->sock = argv[++i];
        } else if (strncmp(argv[i], "--socket=", 9) == 0) {
            cfg->sock = argv[i] + 9;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n%s", app->name, argv[i],
                    app->usage);
            return 2;
        }
    }
    cfg->threads = 1;
    const char *t = getenv("THREADS");
    if (t != NULL && *t != '\0') {
        cfg->threads = app->threads != NULL
                           ? app->threads(t)
                           : fcgi_app_number(t, 1, FCGI_APP_MAX_THREADS);
        if (cfg->threads < 0) {
            fprintf(stderr, "%s: THREADS must be 1 to %d\n", app->name,
                    FCGI_APP_MAX_THREADS);
            return 2;
        }
    }
    return -1;
}

static void *serve(void *arg)
{
    const struct fcgi_app *app = arg;
    FCGX_Request r;
    if (FCGX_InitRequest(&r, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
        return NULL;
    int failures = 0;
    while (!atomic_load(&stopping)) {
        int rc = FCGX_Accept_r(&r);
        if (rc < 0) {
            if (atomic_load(&stopping))
                break;
            if (rc == -EINTR)
                continue;
            /* Accept errors that persist (a closed or non-socket fd 0, no
             * descriptors left) end the app instead of spinning. */
            if (++failures >= 100) {
                fprintf(stderr, "%s: accept keeps failing (%d), stopping\n",
                        app->name, rc);
                kill(getpid(), SIGTERM);
                break;
            }
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        failures = 0;
        app->handle(&r);
        FCGX_Finish_r(&r);
    }
    FCGX_Finish_r(&r);
    FCGX_Free(&r, 1);
    return NULL;
}

/* libfcgi's rule: "HOST:PORT" or ":PORT" with a non-zero port is TCP. */
static int is_tcp(const char *sock)
{
    const char *colon = strchr(sock, ':');
    return colon != NULL && atoi(colon + 1) != 0;
}

static void on_wake(int sig)
{
    (void)sig; /* only interrupts blocking calls */
}

int fcgi_app_serve(const struct fcgi_app *app, const struct fcgi_app_config *cfg)
{
    const char *sock = cfg->sock;

    /* SIGTERM/SIGINT are taken by sigwait() in the main thread: blocked
     * everywhere (threads inherit the mask). SIGUSR2 only wakes workers out
     * of accept() and reads when it is time to stop. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake; /* no SA_RESTART: blocked calls return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (FCGX_Init() != 0) {
        fprintf(stderr, "%s: FCGX_Init failed\n", app->name);
        return 1;
    }
    int own_socket = sock != NULL && *sock != '\0';
    if (own_socket) {
        listen_fd = FCGX_OpenSocket(sock, 1024);
        if (listen_fd < 0) {
            fprintf(stderr, "%s: cannot listen on %s: %s\n", app->name, sock,
                    strerror(errno));
            return 1;
        }
    } else if (FCGX_IsCGI()) {
        fprintf(stderr, "%s: no socket: give -s PATH or SOCK=PATH, or start "
                        "it with spawn-fcgi (listening socket on fd 0)\n",
                app->name);
        return 2;
    }

    pthread_t tid[FCGI_APP_MAX_THREADS];
    int started = 0;
    for (long i = 0; i < cfg->threads; i++) {
        if (pthread_create(&tid[started], NULL, serve, (void *)app) != 0) {
            if (!app->quiet_thread_start)
                fprintf(stderr, "%s: cannot start thread %ld\n", app->name, i + 1);
            break;
        }
        started++;
    }
    if (started == 0)
        return 1;

    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0)
        ;
    atomic_store(&stopping, 1);
    FCGX_ShutdownPending();

    /* Wake the workers until each has left (a wake-up can land just before
     * a worker blocks again); give up after 5 s and leave anyway. */
    int joined[FCGI_APP_MAX_THREADS] = {0};
    int left = started;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (left > 0) {
        for (int i = 0; i < started; i++)
            if (!joined[i])
                pthread_kill(tid[i], SIGUSR2);
        struct timespec nap = {0, 10000000L};
        nanosleep(&nap, NULL);
        for (int i = 0; i < started; i++)
            if (!joined[i] && pthread_tryjoin_np(tid[i], NULL) == 0) {
                joined[i] = 1;
                left--;
            }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 5) {
            fprintf(stderr, "%s: %d thread(s) did not stop; exiting anyway\n",
                    app->name, left);
            if (own_socket && !is_tcp(sock))
                unlink(sock);
            _exit(0);
        }
    }
    if (own_socket) {
        close(listen_fd);
        if (!is_tcp(sock))
            unlink(sock);
    }
    return 0;
}
