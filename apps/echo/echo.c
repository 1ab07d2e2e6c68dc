/* echo - a libfcgi FastCGI app that describes each request it gets, for
 * cegate's tests and demos.
 *
 * Every request is answered 200 with application/json:
 *   {"params": {NAME: VALUE, ...},            every param, in order (the
 *                                              first of repeated names)
 *    "body": {"length": N, "sha256": "hex",
 *             "text": "..."},                  text only when the body is
 *                                              at most 4096 bytes of UTF-8
 *    "pid": PID}
 * Request headers that steer it (params HTTP_X_ECHO_*):
 *   X-Echo-Status: NNN      answer with that status (100-999)
 *   X-Echo-Sleep-Ms: N      sleep N ms first (at most 600000)
 *   X-Echo-Stderr: TEXT     write TEXT to the FastCGI stderr stream
 *
 * Socket: -s PATH / --socket PATH, else $SOCK, else the listening socket on
 * fd 0 (spawn-fcgi, cgi-fcgi -start). PATH may be ":PORT" for TCP.
 * THREADS=N serves with N threads (default 1). SIGTERM or SIGINT: stop
 * accepting, finish, remove the socket it created, exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "sha256.h"

#define TEXT_MAX 4096
#define MAX_THREADS 256
#define MAX_SLEEP_MS 600000L

static const char usage[] =
    "usage: echo [-s PATH | --socket PATH] [--help]\n"
    "\n"
    "A FastCGI app (libfcgi) that answers every request with 200 and a JSON\n"
    "description of it: {\"params\": {...}, \"body\": {\"length\", \"sha256\",\n"
    "\"text\" (when at most 4096 bytes of UTF-8)}, \"pid\"}.\n"
    "\n"
    "  -s, --socket PATH  listen on PATH (a unix socket, or :PORT for TCP);\n"
    "                     default $SOCK, else the socket on fd 0 (spawn-fcgi)\n"
    "  -h, --help         this text\n"
    "\n"
    "Environment: SOCK (socket path), THREADS (worker threads, default 1).\n"
    "Request headers: X-Echo-Status: NNN (answer with that status),\n"
    "X-Echo-Sleep-Ms: N (sleep first), X-Echo-Stderr: TEXT (write TEXT to the\n"
    "FastCGI stderr stream). SIGTERM/SIGINT stop it cleanly (exit 0).\n";

static int listen_fd = 0;
static atomic_int stopping;

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
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

static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_sequence(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* s as a JSON string, each byte that is not part of well-formed UTF-8
 * replaced by U+FFFD (params are bytes; JSON strings are not). */
static json_t *string_lossy(const char *s, size_t n, char **scratch)
{
    if (utf8_valid(s, n))
        return json_stringn(s, n);
    char *out = malloc(n * 3 + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_sequence(p + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
        }
    }
    json_t *j = json_stringn(out, o);
    if (scratch != NULL) {
        *scratch = out; /* the caller wants the bytes too (object keys) */
        (*scratch)[o] = '\0';
    } else {
        free(out);
    }
    return j;
}

/* ---- one request ---------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Echo";
    }
}

/* A whole decimal number in [lo, hi], or -1. */
static long parse_number(const char *s, long lo, long hi)
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

/* Sleep, cut short when the app is stopping (SIGUSR2 interrupts it). */
static void sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (!atomic_load(&stopping) && nanosleep(&left, &left) < 0 &&
           errno == EINTR)
        ;
}

static json_t *describe_params(char **envp)
{
    json_t *params = json_object();
    if (params == NULL)
        return NULL;
    char **e = envp;
    /* libfcgi puts its own FCGI_ROLE=RESPONDER first: not a param we got. */
    if (e != NULL && *e != NULL && strncmp(*e, "FCGI_ROLE=", 10) == 0)
        e++;
    for (; e != NULL && *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        size_t name_len = eq ? (size_t)(eq - *e) : strlen(*e);
        const char *value = eq ? eq + 1 : "";
        char *key = NULL;
        json_t *name = string_lossy(*e, name_len, &key);
        const char *k = key != NULL ? key : *e;
        size_t klen = key != NULL ? strlen(key) : name_len;
        if (name != NULL && json_object_getn(params, k, klen) == NULL)
            json_object_setn_new(params, k, klen,
                                 string_lossy(value, strlen(value), NULL));
        json_decref(name);
        free(key);
    }
    return params;
}

static void handle(FCGX_Request *r)
{
    long ms = parse_number(FCGX_GetParam("HTTP_X_ECHO_SLEEP_MS", r->envp), 0,
                           MAX_SLEEP_MS);
    if (ms > 0)
        sleep_ms(ms);
    const char *to_stderr = FCGX_GetParam("HTTP_X_ECHO_STDERR", r->envp);
    if (to_stderr != NULL)
        FCGX_PutS(to_stderr, r->err);
    long status = parse_number(FCGX_GetParam("HTTP_X_ECHO_STATUS", r->envp),
                               100, 999);
    if (status < 0)
        status = 200;

    /* The body: hashed as it streams, the first TEXT_MAX + 1 bytes kept. */
    sha256_ctx sha;
    sha256_init(&sha);
    char text[TEXT_MAX + 1];
    size_t kept = 0;
    uint64_t length = 0;
    char chunk[16384];
    int n;
    while ((n = FCGX_GetStr(chunk, (int)sizeof chunk, r->in)) > 0) {
        sha256_update(&sha, chunk, (size_t)n);
        length += (uint64_t)n;
        size_t take = (size_t)n < sizeof text - kept ? (size_t)n : sizeof text - kept;
        memcpy(text + kept, chunk, take);
        kept += take;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hex[SHA256_HEX_LENGTH];
    sha256_final(&sha, digest);
    sha256_hex(digest, hex);

    json_t *body = json_pack("{s:I, s:s}", "length", (json_int_t)length,
                             "sha256", hex);
    if (body != NULL && length <= TEXT_MAX && utf8_valid(text, kept))
        json_object_set_new(body, "text", json_stringn(text, kept));
    json_t *root = json_pack("{s:o, s:o, s:I}", "params",
                             describe_params(r->envp), "body", body, "pid",
                             (json_int_t)getpid());
    char *out = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (out == NULL) {
        FCGX_PutS("Status: 500 Internal Server Error\r\n"
                  "Content-Type: text/plain\r\n\r\nout of memory\n",
                  r->out);
        return;
    }
    size_t len = strlen(out);
    FCGX_FPrintF(r->out,
                 "Status: %ld %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %lu\r\n"
                 "\r\n",
                 status, reason((int)status), (unsigned long)len + 1);
    FCGX_PutStr(out, (int)len, r->out);
    FCGX_PutChar('\n', r->out);
    free(out);
}

/* ---- serving ---------------------------------------------------------------- */

static void *serve(void *arg)
{
    (void)arg;
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
                fprintf(stderr, "echo: accept keeps failing (%d), stopping\n", rc);
                kill(getpid(), SIGTERM);
                break;
            }
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        failures = 0;
        handle(&r);
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

int main(int argc, char **argv)
{
    const char *sock = getenv("SOCK");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) &&
                   i + 1 < argc) {
            sock = argv[++i];
        } else if (strncmp(argv[i], "--socket=", 9) == 0) {
            sock = argv[i] + 9;
        } else {
            fprintf(stderr, "echo: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
    }
    long threads = 1;
    const char *t = getenv("THREADS");
    if (t != NULL && *t != '\0') {
        threads = parse_number(t, 1, MAX_THREADS);
        if (threads < 0) {
            fprintf(stderr, "echo: THREADS must be 1 to %d\n", MAX_THREADS);
            return 2;
        }
    }

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
        fprintf(stderr, "echo: FCGX_Init failed\n");
        return 1;
    }
    int own_socket = sock != NULL && *sock != '\0';
    if (own_socket) {
        listen_fd = FCGX_OpenSocket(sock, 1024);
        if (listen_fd < 0) {
            fprintf(stderr, "echo: cannot listen on %s: %s\n", sock, strerror(errno));
            return 1;
        }
    } else if (FCGX_IsCGI()) {
        fprintf(stderr, "echo: no socket: give -s PATH or SOCK=PATH, or start "
                        "it with spawn-fcgi (listening socket on fd 0)\n");
        return 2;
    }

    pthread_t tid[MAX_THREADS];
    int started = 0;
    for (long i = 0; i < threads; i++) {
        if (pthread_create(&tid[started], NULL, serve, NULL) != 0) {
            fprintf(stderr, "echo: cannot start thread %ld\n", i + 1);
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
    int joined[MAX_THREADS] = {0};
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
            fprintf(stderr, "echo: %d thread(s) did not stop; exiting anyway\n", left);
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
