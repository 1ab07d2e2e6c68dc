/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_app - what the sample FastCGI apps (apps/echo, apps/uploads) share:
 * serving a libfcgi app on a socket with worker threads until SIGTERM.
 *
 * Socket: -s PATH / --socket PATH / --socket=PATH, else $SOCK, else the
 * listening socket on fd 0 (spawn-fcgi, cgi-fcgi -start). PATH may be
 * ":PORT" or "HOST:PORT" for TCP. THREADS=N serves with N threads (default
 * 1, at most FCGI_APP_MAX_THREADS). SIGTERM or SIGINT: stop accepting,
 * finish, remove the unix socket it created, return 0. */
#ifndef CEGATE_APPS_FCGI_APP_H
#define CEGATE_APPS_FCGI_APP_H

#include <stddef.h>

#include <fcgiapp.h>

#define FCGI_APP_MAX_THREADS 256

struct fcgi_app {
    const char *name;  /* "NAME: ..." in messages */
    const char *usage; /* for --help, and after an unknown argument */
    /* Answers one request; called from the worker threads, which finish
     * the request afterwards. */
    void (*handle)(FCGX_Request *r);
    /* Reads THREADS=value: 1 to FCGI_APP_MAX_THREADS, or -1 when it is not
     * that. NULL: fcgi_app_number(value, 1, FCGI_APP_MAX_THREADS). */
    long (*threads)(const char *value);
    /* Nothing on stderr when a worker thread cannot be started. */
    int quiet_thread_start;
};

/* What the command line and the environment ask for. */
struct fcgi_app_config {
    const char *sock; /* NULL or "": the listening socket on fd 0 */
    long threads;
};

/* Reads the command line (-s/--socket PATH, --socket=PATH, -h/--help), SOCK
 * and THREADS into *cfg. Returns -1 to go on, or the status to exit with
 * (0 after --help, 2 for a usage error, with the message written). */
int fcgi_app_configure(const struct fcgi_app *app, int argc, char **argv,
                       struct fcgi_app_config *cfg);

/* Opens the socket, starts cfg->threads workers running app->handle and
 * serves until SIGTERM or SIGINT. Returns the status to exit with: 0 after a
 * clean stop, 1 or 2 when it could not start serving (message written). */
int fcgi_app_serve(const struct fcgi_app *app, const struct fcgi_app_config *cfg);

/* Non-zero once the app has been told to stop. Workers are then woken out
 * of blocking calls by SIGUSR2 (EINTR), so handlers that wait can check. */
int fcgi_app_stopping(void);

/* A whole decimal number in [lo, hi] (digits only), or -1. */
long fcgi_app_number(const char *s, long lo, long hi);

/* For handlers: params and bodies are bytes, JSON strings are UTF-8. */

/* The length of the well-formed UTF-8 sequence at s (n > 0 bytes
 * available), or 0: no overlong forms, surrogates or code points past
 * U+10FFFF. */
size_t fcgi_app_utf8_sequence(const unsigned char *s, size_t n);

/* Are these n bytes well-formed UTF-8? */
int fcgi_app_utf8_valid(const void *s, size_t n);

#endif
