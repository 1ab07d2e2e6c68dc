/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_pool.c - the FastCGI client's connections: a pool of them to one
 * app, and one request's exchange on one (records are fcgi_record.c's).
 *
 * Facts this follows (../shared/reference/FASTCGI-AND-PERF.md §1):
 * - one request at a time per connection, request id 1, no multiplexing and
 *   no pipelining: libfcgi loses a second request, php-fpm drops it;
 * - a request goes out in one write: BEGIN_REQUEST, PARAMS records (a
 *   name-value pair never spans two of them, php-fpm parses each record on
 *   its own), an empty PARAMS, STDIN records, an empty STDIN;
 * - records carry at most 65528 content bytes, padded to a multiple of 8:
 *   php-fpm rejects contentLength + paddingLength > 65535;
 * - only END_REQUEST ends a response (php-fpm sends no empty STDOUT);
 * - the pool never holds more connections than the app has workers (an idle
 *   kept connection pins a libfcgi process or a php-fpm child), closes idle
 *   ones after idle_timeout_ms, and treats any EOF or reset on a kept
 *   connection as "reconnect": the request is sent again on a fresh
 *   connection when not a byte of its answer had come back.
 *
 * No process-wide state is touched: writes use MSG_NOSIGNAL, so a closed
 * connection gives EPIPE and never SIGPIPE. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "upstream/fcgi_address.h"
#include "upstream/fcgi_pool.h"

#define FCGI_READ_CHUNK (64u * 1024)        /* one recv() */
#define FCGI_MAX_POOL 65536
#define FCGI_KEEP_BUFFER (1024u * 1024)     /* keep a request buffer this big */
#define BLOCKING_SLACK_MS 10 /* how far one blocking recv() may pass a deadline */

/* ---- configuration ------------------------------------------------ */

void fcgi_config_default(fcgi_config *cfg, const char *address)
{
    cfg->address = address;
    cfg->max_connections = 1;
    cfg->keep_alive = 1;
    cfg->idle_timeout_ms = 2000;
    cfg->connect_timeout_ms = 2000;
    cfg->io_timeout_ms = 30000;
    cfg->max_response_bytes = 16u * 1024 * 1024;
    cfg->max_log_bytes = 64u * 1024;
}

typedef struct fcgi_slot {
    int fd;              /* -1: not connected */
    int blocking;        /* fd blocks on recv, up to io_timeout_ms */
    int busy;            /* a request holds it */
    int64_t idle_since;  /* ms (monotonic) when it was last released */
    cegate_buffer out;   /* the encoded request */
    char *in;            /* FCGI_READ_CHUNK bytes */
} fcgi_slot;

struct fcgi_pool {
    fcgi_config cfg;
    char *address;       /* our copy, for messages */
    fcgi_address addr;
    pthread_mutex_t lock;
    pthread_cond_t available; /* on CLOCK_MONOTONIC, as every deadline */
    fcgi_slot *slots;    /* cfg.max_connections of them */
    int cancelled;       /* fcgi_pool_cancel: every exchange ends now */
};

static const char *error_text(int e, char *buf, size_t n)
{
    return strerror_r(e, buf, n);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is left of a deadline, for poll(): never negative, never more than
 * an int. */
static int left_ms(int64_t deadline)
{
    int64_t left = deadline - now_ms();
    if (left < 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* ---- the pool --------------------------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int check_config(const fcgi_config *cfg, cegate_error *err)
{
    if (cfg->max_connections < 1 || cfg->max_connections > FCGI_MAX_POOL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "max_connections",
                                "must be from 1 to %d", FCGI_MAX_POOL), -1;
    if (cfg->idle_timeout_ms < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "idle_timeout_ms",
                                "must not be negative"), -1;
    if (cfg->connect_timeout_ms < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "connect_timeout_ms",
                                "must not be negative"), -1;
    if (cfg->io_timeout_ms < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "io_timeout_ms",
                                "must not be negative"), -1;
    return 0;
}

static int init_sync(fcgi_pool *pool)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&pool->lock, NULL) != 0)
        return -1;
    if (pthread_condattr_init(&ca) != 0) {
        pthread_mutex_destroy(&pool->lock);
        return -1;
    }
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
                     pthread_cond_init(&pool->available, &ca) == 0
                 ? 0
                 : -1;
    pthread_condattr_destroy(&ca);
    if (rc < 0)
        pthread_mutex_destroy(&pool->lock);
    return rc;
}

fcgi_pool *fcgi_pool_new(const fcgi_config *cfg, cegate_error *err)
{
    if (cfg == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "no configuration"), NULL;
    if (check_config(cfg, err) < 0)
        return NULL;
    fcgi_pool *pool = cegate_malloc(sizeof *pool);
    if (pool == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               NULL;
    memset(pool, 0, sizeof *pool);
    pool->cfg = *cfg;
    if (fcgi_address_parse(&pool->addr, cfg->address, err) < 0) {
        cegate_free(pool);
        return NULL;
    }
    size_t alen = strlen(cfg->address);
    pool->address = cegate_malloc(alen + 1);
    pool->slots = cegate_malloc(cfg->max_connections * sizeof *pool->slots);
    if (pool->address == NULL || pool->slots == NULL || init_sync(pool) < 0) {
        cegate_free(pool->address);
        cegate_free(pool->slots);
        cegate_free(pool);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL,
                                "out of memory (the pool's slots or lock)"),
               NULL;
    }
    memcpy(pool->address, cfg->address, alen + 1);
    pool->cfg.address = pool->address;
    for (size_t i = 0; i < cfg->max_connections; i++) {
        fcgi_slot *s = &pool->slots[i];
        memset(s, 0, sizeof *s);
        s->fd = -1;
        cegate_buffer_init(&s->out, SIZE_MAX);
    }
    return pool;
}

void fcgi_pool_free(fcgi_pool *pool)
{
    if (pool == NULL)
        return;
    for (size_t i = 0; i < pool->cfg.max_connections; i++) {
        close_fd(&pool->slots[i].fd);
        cegate_buffer_free(&pool->slots[i].out);
        cegate_free(pool->slots[i].in);
    }
    pthread_cond_destroy(&pool->available);
    pthread_mutex_destroy(&pool->lock);
    cegate_free(pool->slots);
    cegate_free(pool->address);
    cegate_free(pool);
}

/* Close the connections idle for idle_timeout_ms or more. Lock held. */
static void close_idle_locked(fcgi_pool *pool, int64_t now)
{
    if (pool->cfg.idle_timeout_ms <= 0)
        return;
    for (size_t i = 0; i < pool->cfg.max_connections; i++) {
        fcgi_slot *s = &pool->slots[i];
        if (!s->busy && s->fd >= 0 &&
            now - s->idle_since >= pool->cfg.idle_timeout_ms)
            close_fd(&s->fd);
    }
}

void fcgi_pool_close_idle(fcgi_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    close_idle_locked(pool, now_ms());
    pthread_mutex_unlock(&pool->lock);
}

void fcgi_pool_cancel(fcgi_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->cancelled = 1;
    /* shutdown(), not close(): the owner still holds the descriptor, and a
     * recv() or poll() it waits in returns at once. */
    for (size_t i = 0; i < pool->cfg.max_connections; i++)
        if (pool->slots[i].busy && pool->slots[i].fd >= 0)
            shutdown(pool->slots[i].fd, SHUT_RDWR);
    pthread_cond_broadcast(&pool->available);
    pthread_mutex_unlock(&pool->lock);
}

static int is_cancelled(fcgi_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    int c = pool->cancelled;
    pthread_mutex_unlock(&pool->lock);
    return c;
}

/* Take a slot by `deadline`: a kept connection when one is idle (the most
 * recently used, so that the others age out), else an unconnected slot;
 * wait while every slot is busy. `fresh`: the caller wants a new
 * connection (a kept one just failed, so the others may be stale too).
 * NULL when the deadline passed or the pool was cancelled. */
static fcgi_slot *acquire(fcgi_pool *pool, int fresh, int64_t deadline)
{
    struct timespec until = {(time_t)(deadline / 1000),
                             (long)(deadline % 1000) * 1000000L};
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        if (pool->cancelled)
            break;
        close_idle_locked(pool, now_ms());
        fcgi_slot *idle = NULL, *empty = NULL;
        for (size_t i = 0; i < pool->cfg.max_connections; i++) {
            fcgi_slot *s = &pool->slots[i];
            if (s->busy)
                continue;
            if (s->fd < 0) {
                if (empty == NULL)
                    empty = s;
            } else if (idle == NULL || s->idle_since > idle->idle_since) {
                idle = s;
            }
        }
        fcgi_slot *take = fresh ? (empty ? empty : idle) : (idle ? idle : empty);
        if (take != NULL) {
            take->busy = 1;
            if (fresh)
                close_fd(&take->fd);
            pthread_mutex_unlock(&pool->lock);
            return take;
        }
        if (pthread_cond_timedwait(&pool->available, &pool->lock, &until) ==
            ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/* A busy slot's descriptor changes under the lock only: fcgi_pool_cancel
 * reads it from another thread, and must never shut down a number that
 * was closed and given to another file meanwhile. */
static void set_fd(fcgi_pool *pool, fcgi_slot *s, int fd)
{
    pthread_mutex_lock(&pool->lock);
    close_fd(&s->fd);
    s->fd = fd;
    pthread_mutex_unlock(&pool->lock);
}

static void release(fcgi_pool *pool, fcgi_slot *s, int keep)
{
    if (s->out.capacity > FCGI_KEEP_BUFFER)
        cegate_buffer_free(&s->out);
    else
        cegate_buffer_reset(&s->out);
    pthread_mutex_lock(&pool->lock);
    if (!keep || !pool->cfg.keep_alive)
        close_fd(&s->fd);
    s->busy = 0;
    s->idle_since = now_ms();
    pthread_cond_signal(&pool->available);
    pthread_mutex_unlock(&pool->lock);
}

/* A kept connection may carry something nobody asked for: a second answer
 * to the last request, a record of another request, or the app's EOF.
 * Whatever it is, it is not the answer to the request about to be sent:
 * such a connection is closed, never written to. */
static int has_pending_input(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN, .revents = 0};
    int k;
    while ((k = poll(&pfd, 1, 0)) < 0 && errno == EINTR)
        ;
    return k != 0; /* readable, hung up, in error, or poll failed */
}

/* poll() one descriptor until `deadline`. Returns the revents, 0 when the
 * deadline passed, -1 on error (errno). */
static int wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
    for (;;) {
        int k = poll(&pfd, 1, left_ms(deadline));
        if (k > 0)
            return pfd.revents;
        if (k == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static int connect_one(fcgi_pool *pool, size_t i, int64_t deadline,
                       int *fd_out, int *timed_out, int *error)
{
    const struct sockaddr *sa = (const struct sockaddr *)&pool->addr.addrs[i];
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errno;
        return -1;
    }
    for (;;) {
        if (connect(fd, sa, pool->addr.lengths[i]) == 0)
            break;
        int e = errno;
        if (e == EAGAIN && pool->addr.is_unix) {
            /* The app's listen queue is full: wait a little and try again,
             * until the deadline. */
            if (now_ms() >= deadline) {
                *timed_out = 1;
                close(fd);
                return -1;
            }
            struct timespec ts = {0, 2 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (e != EINPROGRESS && e != EINTR) {
            *error = e;
            close(fd);
            return -1;
        }
        int r = wait_fd(fd, POLLOUT, deadline);
        if (r == 0) {
            *timed_out = 1;
            close(fd);
            return -1;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (r < 0)
            soerr = errno;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr != 0) {
            *error = soerr;
            close(fd);
            return -1;
        }
        break;
    }
    if (!pool->addr.is_unix) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    *fd_out = fd;
    return 0;
}

/* Once connected, a socket blocks on recv() for up to io_timeout_ms
 * (SO_RCVTIMEO): when the request is written, one recv() waits for the
 * answer, where poll() then recv() would be two system calls an event.
 * That is used only while it cannot overrun the exchange's deadline (see
 * exchange). Writes stay non-blocking (MSG_DONTWAIT), so request and
 * answer can still be interleaved. Returns 0, or -1 when the socket stays
 * non-blocking. */
static int make_receive_blocking(int fd, int timeout_ms)
{
    if (timeout_ms <= 0)
        return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        return -1;
    return 0;
}

/* Connect by the earlier of the connect timeout and the deadline. */
static int connect_slot(fcgi_pool *pool, fcgi_slot *s, int64_t deadline,
                        cegate_error *err)
{
    int64_t until = deadline;
    if (pool->cfg.connect_timeout_ms > 0 &&
        now_ms() + pool->cfg.connect_timeout_ms < until)
        until = now_ms() + pool->cfg.connect_timeout_ms;
    int timed_out = 0, error = 0;
    for (size_t i = 0; i < pool->addr.count; i++) {
        int fd;
        if (connect_one(pool, i, until, &fd, &timed_out, &error) == 0) {
            s->blocking = make_receive_blocking(fd, pool->cfg.io_timeout_ms) == 0;
            set_fd(pool, s, fd);
            return 0;
        }
        if (timed_out)
            break;
    }
    if (timed_out)
        return cegate_error_set(err, until < deadline ? CEGATE_ERR_CONNECT
                                                      : CEGATE_ERR_TIMEOUT,
                                "address",
                                "no connection to %s within %d ms",
                                pool->address,
                                until < deadline ? pool->cfg.connect_timeout_ms
                                                 : pool->cfg.io_timeout_ms),
               -1;
    char eb[128];
    return cegate_error_set(err,
                            error == ENOMEM || error == ENOBUFS
                                ? CEGATE_ERR_NOMEM
                                : CEGATE_ERR_CONNECT,
                            "address", "cannot connect to %s: %s",
                            pool->address, error_text(error, eb, sizeof eb)),
           -1;
}

enum {
    EX_KEEP = 0,       /* complete, the connection can be kept */
    EX_CLOSE = 1,      /* complete, but close the connection */
    EX_FAILED = -1,    /* failed, err set */
    EX_STALE = -2      /* the connection failed before any answer: retryable */
};

/* The one error of a deadline that passed, saying how far the exchange got. */
static void deadline_error(fcgi_pool *pool, size_t wleft, size_t got,
                           int timeout_ms, cegate_error *err)
{
    if (is_cancelled(pool))
        cegate_error_set(err, CEGATE_ERR_CANCELLED, "response",
                         "cancelled by the shutdown's drain deadline (%zu "
                         "bytes of the answer received)", got);
    else if (wleft > 0)
        cegate_error_set(err, CEGATE_ERR_TIMEOUT, "request",
                         "the app did not read the request within %d ms "
                         "(%zu bytes still to send)", timeout_ms, wleft);
    else
        cegate_error_set(err, CEGATE_ERR_TIMEOUT, "response",
                         "no complete answer from the app within %d ms "
                         "(%zu bytes received)", timeout_ms, got);
}

/* A connection that closed or failed: what it means depends on how much
 * of the answer had come. */
static int closed_error(fcgi_pool *pool, int e, int write_error, size_t got,
                        cegate_error *err)
{
    char eb[128];
    if (is_cancelled(pool)) {
        cegate_error_set(err, CEGATE_ERR_CANCELLED, "response",
                         "cancelled by the shutdown's drain deadline (%zu "
                         "bytes of the answer received)", got);
        return EX_FAILED;
    }
    if (got == 0) {
        if (e == 0 && write_error)
            e = write_error;
        if (e == 0)
            cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                             "the app closed the connection before answering");
        else
            cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                             "the connection failed before an answer: %s",
                             error_text(e, eb, sizeof eb));
        return EX_STALE;
    }
    if (e == 0)
        cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                         "the app closed the connection mid-response (no "
                         "END_REQUEST after %zu bytes)", got);
    else
        cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                         "the connection closed mid-response (%s after %zu "
                         "bytes)", error_text(e, eb, sizeof eb), got);
    return EX_FAILED;
}

/* Send the encoded request on s->fd and read the whole answer into resp,
 * all by `deadline`: a wall-clock bound that no dripping answer, endless
 * stderr or slow reader can stretch (every wait is for what is left of it,
 * and a stream that never pauses is checked against it between reads).
 * Writing and reading go together (poll for both): an app that answers
 * before it has read the whole body cannot deadlock us. */
static int exchange(fcgi_pool *pool, fcgi_slot *s, upstream_response *resp,
                    int64_t deadline, int timeout_ms, cegate_error *err)
{
    fcgi_response_parser parser;
    fcgi_response_parser_init(&parser, resp);
    const char *w = s->out.data;
    size_t wleft = s->out.length;
    size_t got = 0;          /* answer bytes received */
    int write_error = 0;     /* errno of a failed send */
    int rc = EX_FAILED;
    char eb[128];
    /* The socket's own receive timeout is io_timeout_ms: one blocking
     * recv() may wait for the first answer only while that cannot pass
     * the deadline by more than BLOCKING_SLACK_MS, i.e. when nearly all of
     * the attempt is still ahead (the common case: the request went out in
     * one send). Every later wait polls for what is left. */
    int may_block = s->blocking;

    for (;;) {
        /* Write as much as the socket takes. */
        while (wleft > 0) {
            ssize_t k = send(s->fd, w, wleft, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k > 0) {
                w += k;
                wleft -= (size_t)k;
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            /* EPIPE, ECONNRESET...: the app closed. It may still have
             * answered (early), so read what is there before judging. */
            write_error = k < 0 ? errno : EPIPE;
            wleft = 0;
            break;
        }
        int wait_in_recv = may_block && wleft == 0 &&
                           deadline - now_ms() >= pool->cfg.io_timeout_ms - BLOCKING_SLACK_MS;
        may_block = 0;
        int r = wait_in_recv ? POLLIN
                             : wait_fd(s->fd, (short)(POLLIN | (wleft > 0 ? POLLOUT : 0)),
                                       deadline);
        if (r == 0) {
            deadline_error(pool, wleft, got, timeout_ms, err);
            goto out;
        }
        if (r < 0) {
            cegate_error_set(err, CEGATE_ERR_IO, "response",
                             "waiting for the app: %s",
                             error_text(errno, eb, sizeof eb));
            goto out;
        }
        if (!(r & (POLLIN | POLLHUP | POLLERR)))
            continue; /* only writable */
        /* Read what is there: until the answer is complete, a short read
         * says the socket is drained for now, or the deadline passes. */
        for (;;) {
            ssize_t k = recv(s->fd, s->in, FCGI_READ_CHUNK,
                             wait_in_recv ? 0 : MSG_DONTWAIT);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_in_recv) {
                deadline_error(pool, 0, got, timeout_ms, err);
                goto out;
            }
            wait_in_recv = 0;
            if (k > 0) {
                got += (size_t)k;
                if (fcgi_response_parser_feed(&parser, s->in, (size_t)k, err) < 0) {
                    if (parser.trailing && parser.protocol_status == 0) {
                        /* Bytes after a whole answer: the answer stands
                         * (it is this request's), the connection does not. */
                        cegate_error_clear(err);
                        rc = EX_CLOSE;
                    }
                    goto out;
                }
                if (parser.done) {
                    rc = (wleft > 0 || write_error) ? EX_CLOSE : EX_KEEP;
                    goto out;
                }
                if (now_ms() >= deadline) {
                    deadline_error(pool, wleft, got, timeout_ms, err);
                    goto out;
                }
                if ((size_t)k < FCGI_READ_CHUNK)
                    break;
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            rc = closed_error(pool, k == 0 ? 0 : errno, write_error, got, err);
            goto out;
        }
    }
out:
    fcgi_response_parser_free(&parser);
    return rc;
}

/* Take a slot for one request and encode the request into it (a request
 * FastCGI cannot carry is refused before any connection is made). NULL
 * with err set. */
static fcgi_slot *slot_for(fcgi_pool *pool, const upstream_request *req, int fresh,
                           int64_t deadline, cegate_error *err)
{
    fcgi_slot *s = acquire(pool, fresh, deadline);
    if (s == NULL) {
        if (is_cancelled(pool))
            cegate_error_set(err, CEGATE_ERR_CANCELLED, "address",
                             "cancelled by the shutdown's drain deadline");
        else
            cegate_error_set(err, CEGATE_ERR_TIMEOUT, "address",
                             "no free connection to %s before the deadline "
                             "(all %zu in use)", pool->address,
                             pool->cfg.max_connections);
        return NULL;
    }
    if (s->in == NULL && (s->in = cegate_malloc(FCGI_READ_CHUNK)) == NULL) {
        cegate_error_set(err, CEGATE_ERR_NOMEM, "response", "out of memory");
        release(pool, s, 1);
        return NULL;
    }
    if (fcgi_encode_request(req, pool->cfg.keep_alive, &s->out, err) < 0) {
        release(pool, s, 1);
        return NULL;
    }
    return s;
}

/* Give the slot a connection: its kept one when nothing is pending on it,
 * else a new one. 0, or -1 with err set (the slot released). *reused: it
 * is a kept connection. */
static int connect_for(fcgi_pool *pool, fcgi_slot *s, int64_t deadline,
                       int *reused, cegate_error *err)
{
    if (s->fd >= 0 && has_pending_input(s->fd))
        set_fd(pool, s, -1);
    *reused = s->fd >= 0;
    if (s->fd < 0 && connect_slot(pool, s, deadline, err) < 0) {
        release(pool, s, 0);
        return -1;
    }
    return 0;
}

int fcgi_pool_exchange(fcgi_pool *pool, const upstream_request *req,
                       upstream_response *resp, int64_t deadline_ms,
                       cegate_error *err)
{
    if (pool == NULL || req == NULL || resp == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "fcgi_pool_exchange needs a pool, a request "
                                "and a response"),
               -1;
    size_t saved_body_max = resp->body.max, saved_log_max = resp->log.max;
    if (pool->cfg.max_response_bytes < resp->body.max)
        resp->body.max = pool->cfg.max_response_bytes;
    if (pool->cfg.max_log_bytes < resp->log.max)
        resp->log.max = pool->cfg.max_log_bytes;
    int timeout_ms = (int)(deadline_ms - now_ms());

    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        int reused = 0;
        fcgi_slot *s = slot_for(pool, req, attempt > 0, deadline_ms, err);
        if (s == NULL || connect_for(pool, s, deadline_ms, &reused, err) < 0)
            break;
        cegate_error local;
        cegate_error_clear(&local);
        int ex = exchange(pool, s, resp, deadline_ms, timeout_ms, &local);
        release(pool, s, ex == EX_KEEP);
        if (ex == EX_STALE && reused && attempt == 0)
            continue; /* a kept connection the app had closed: once more */
        if (ex >= 0)
            rc = 0;
        else
            cegate_error_copy(err, &local);
        break;
    }
    resp->body.max = saved_body_max;
    resp->log.max = saved_log_max;
    return rc;
}

int fcgi_pool_request(fcgi_pool *pool, const upstream_request *req,
                      upstream_response *resp, cegate_error *err)
{
    int timeout = pool != NULL && pool->cfg.io_timeout_ms > 0
                      ? pool->cfg.io_timeout_ms
                      : INT_MAX;
    return fcgi_pool_exchange(pool, req, resp, now_ms() + timeout, err);
}
