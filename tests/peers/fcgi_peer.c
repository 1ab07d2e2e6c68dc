/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_peer.c - a FastCGI responder that misbehaves on command, for the
 * fault tests of `cegate replay`.
 *
 *   fcgi_peer --socket PATH --mode MODE [OPTION]...
 *
 * It speaks the record protocol itself (no libfcgi: libfcgi would not let
 * it send a wrong request id, half a record or a record of type 99), on a
 * unix socket. Each accepted connection is served by a child process of its
 * own, so that a client holding one connection open never stops another
 * from being served; a connection stays open for further requests when the
 * request asked for FCGI_KEEP_CONN. Every request gets one line on stderr
 * saying what was done. SIGTERM ends the peer and its children; SIGPIPE is
 * ignored and every write uses MSG_NOSIGNAL, so a dead client ends a
 * connection, never the peer.
 *
 * Modes (what is done once a request has been read):
 *   ok              Status 200, body "real:<HTTP_CE_ID>" (--delay-ms first,
 *                   --status for another status, --stderr-bytes of stderr)
 *   drip            the response one byte per --interval-ms, forever or for
 *                   --bytes bytes, then END_REQUEST
 *   endless-stdout  headers, then STDOUT records as fast as it can, forever
 *   endless-stderr  STDERR records forever, never END_REQUEST
 *   slow-reader     reads STDIN at 64 KiB per 100 ms, then answers as ok
 *   stray           answers as ok, then --stray-after-ms later a second,
 *                   unrequested response (Status 202, body "stray") on the
 *                   kept connection; once per peer (its first request on a
 *                   kept connection), then as ok
 *   wrong-id        answers as ok, every record with request id 2
 *   unknown-type    a record of type --type (99) before the answer (or
 *                   instead of it, with --instead)
 *   protocol-status END_REQUEST with --protocol-status N, no STDOUT
 *   reset           half a STDOUT record, then an abortive close
 *   huge-headers    --bytes (2 MiB) of "X-Filler: ..." header lines, never
 *                   the blank line that ends them, then END_REQUEST
 *   hang            never answers; waits for the client to go away
 *   close           closes the connection without answering
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fastcgi.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RESPONSE_HEADERS "Content-Type: text/plain\r\n\r\n"
#define MAX_CONTENT 65535
#define MAX_PARAMS (1024 * 1024) /* the params of one request, kept whole */
#define SLOW_CHUNK (64 * 1024)
#define SLOW_PAUSE_MS 100

typedef enum {
    MODE_OK, MODE_DRIP, MODE_ENDLESS_STDOUT, MODE_ENDLESS_STDERR,
    MODE_SLOW_READER, MODE_STRAY, MODE_WRONG_ID, MODE_UNKNOWN_TYPE,
    MODE_PROTOCOL_STATUS, MODE_RESET, MODE_HUGE_HEADERS, MODE_HANG, MODE_CLOSE
} peer_mode;

static const char *const mode_names[] = {
    "ok", "drip", "endless-stdout", "endless-stderr", "slow-reader", "stray",
    "wrong-id", "unknown-type", "protocol-status", "reset", "huge-headers",
    "hang", "close"};

typedef struct options {
    const char *socket_path;
    peer_mode mode;
    long delay_ms, interval_ms, stray_after_ms, bytes, stderr_bytes;
    int status, record_type, protocol_status, instead;
} options;

static options opt = {
    .mode = MODE_OK, .interval_ms = 100, .stray_after_ms = 150, .bytes = -1,
    .status = 200, .record_type = 99, .protocol_status = FCGI_OVERLOADED};

/* One request as read from the client. */
typedef struct request {
    unsigned id;        /* the request id the client used */
    int keep_conn;
    char ce_id[256];    /* HTTP_CE_ID, "" when absent */
    size_t params_len;  /* bytes of PARAMS content */
    size_t stdin_len;   /* bytes of STDIN content */
} request;

/* What handling a request leaves of the connection. */
typedef enum { CONN_KEEP, CONN_CLOSE } conn_fate;

/* ---- small things ------------------------------------------------------------ */

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("fcgi_peer: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* One line on stderr in a single write, so that the lines of concurrent
 * connections do not interleave. */
static void log_line(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *format, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, format);
    int n = snprintf(line, sizeof line, "fcgi_peer[%d]: ", (int)getpid());
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, format, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, len) < 0) {
        /* nowhere left to report it */
    }
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static long parse_number(const char *flag, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        die("%s: a number from %ld to %ld, not \"%s\"", flag, min, max, text);
    return v;
}

/* ---- the wire ---------------------------------------------------------------- */

/* Write all of buf; -1 when the client is gone. */
static int send_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Read exactly n bytes; 0 on success, -1 at end of stream or on error. */
static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static FCGI_Header make_header(int type, unsigned id, size_t length)
{
    return (FCGI_Header){.version = FCGI_VERSION_1,
                         .type = (unsigned char)type,
                         .requestIdB1 = (unsigned char)(id >> 8),
                         .requestIdB0 = (unsigned char)id,
                         .contentLengthB1 = (unsigned char)(length >> 8),
                         .contentLengthB0 = (unsigned char)length};
}

/* One record (no padding); content of at most MAX_CONTENT bytes. */
static int send_record(int fd, int type, unsigned id, const void *content,
                       size_t length)
{
    FCGI_Header h = make_header(type, id, length);
    if (send_all(fd, &h, sizeof h) < 0)
        return -1;
    return length > 0 ? send_all(fd, content, length) : 0;
}

/* A stream's content as records of at most MAX_CONTENT bytes (without the
 * empty record that ends the stream). */
static int send_stream(int fd, int type, unsigned id, const char *data, size_t n)
{
    while (n > 0) {
        size_t k = n > MAX_CONTENT ? MAX_CONTENT : n;
        if (send_record(fd, type, id, data, k) < 0)
            return -1;
        data += k;
        n -= k;
    }
    return 0;
}

static int send_end_request(int fd, unsigned id, int protocol_status)
{
    FCGI_EndRequestBody body = {.protocolStatus = (unsigned char)protocol_status};
    return send_record(fd, FCGI_END_REQUEST, id, &body, sizeof body);
}

/* A whole response: STDOUT "Status: N" + headers + body, the empty STDOUT,
 * END_REQUEST complete, all with request id `id`. */
static int send_response(int fd, unsigned id, int status, const char *body)
{
    char text[512];
    int n = snprintf(text, sizeof text, "Status: %d\r\n" RESPONSE_HEADERS "%s",
                     status, body);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof text ? sizeof text - 1 : (size_t)n;
    if (send_stream(fd, FCGI_STDOUT, id, text, len) < 0 ||
        send_record(fd, FCGI_STDOUT, id, NULL, 0) < 0)
        return -1;
    return send_end_request(fd, id, FCGI_REQUEST_COMPLETE);
}

/* ---- reading a request ---------------------------------------------------------- */

typedef struct record {
    FCGI_Header h;
    unsigned id;
    size_t length;
    unsigned char content[MAX_CONTENT + 255]; /* content and padding */
} record;

/* The next record, content and padding read; -1 at end of stream. */
static int read_record(int fd, record *r)
{
    if (read_all(fd, &r->h, sizeof r->h) < 0)
        return -1;
    r->id = (unsigned)r->h.requestIdB1 << 8 | r->h.requestIdB0;
    r->length = (size_t)r->h.contentLengthB1 << 8 | r->h.contentLengthB0;
    return read_all(fd, r->content, r->length + r->h.paddingLength);
}

/* A name-value pair length: 1 byte, or 4 with the high bit set. */
static int pair_length(const unsigned char *p, size_t n, size_t *at, size_t *len)
{
    if (*at >= n)
        return -1;
    if (p[*at] < 0x80) {
        *len = p[(*at)++];
        return 0;
    }
    if (*at + 4 > n)
        return -1;
    *len = ((size_t)(p[*at] & 0x7f) << 24) | ((size_t)p[*at + 1] << 16) |
           ((size_t)p[*at + 2] << 8) | p[*at + 3];
    *at += 4;
    return 0;
}

/* Find HTTP_CE_ID in the whole params stream. */
static void find_ce_id(const unsigned char *p, size_t n, request *req)
{
    size_t at = 0, nlen, vlen;
    while (pair_length(p, n, &at, &nlen) == 0 && pair_length(p, n, &at, &vlen) == 0) {
        if (nlen > n - at || vlen > n - at - nlen)
            return;
        if (nlen == 10 && memcmp(p + at, "HTTP_CE_ID", 10) == 0) {
            size_t k = vlen < sizeof req->ce_id - 1 ? vlen : sizeof req->ce_id - 1;
            memcpy(req->ce_id, p + at + nlen, k);
            req->ce_id[k] = '\0';
        }
        at += nlen + vlen;
    }
}

/* Management records (request id 0) get their answer on the spot: an empty
 * GET_VALUES_RESULT (no value is known), UNKNOWN_TYPE for anything else. */
static int answer_management(int fd, const record *r)
{
    if (r->h.type == FCGI_GET_VALUES)
        return send_record(fd, FCGI_GET_VALUES_RESULT, 0, NULL, 0);
    FCGI_UnknownTypeBody body = {.type = r->h.type};
    return send_record(fd, FCGI_UNKNOWN_TYPE, 0, &body, sizeof body);
}

/* Read STDIN up to its empty record, slowly in slow-reader mode: at most
 * SLOW_CHUNK bytes per SLOW_PAUSE_MS, reading the socket in pieces so that
 * the client's writes really are held back by its buffer. */
static int read_stdin(int fd, request *req, record *r)
{
    size_t since_pause = 0;
    for (;;) {
        if (opt.mode == MODE_SLOW_READER) {
            if (read_all(fd, &r->h, sizeof r->h) < 0)
                return -1;
            size_t length = (size_t)r->h.contentLengthB1 << 8 | r->h.contentLengthB0;
            size_t left = length + r->h.paddingLength;
            while (left > 0) {
                size_t k = left < 4096 ? left : 4096;
                if (read_all(fd, r->content, k) < 0)
                    return -1;
                left -= k;
                if ((since_pause += k) >= SLOW_CHUNK) {
                    nap_ms(SLOW_PAUSE_MS);
                    since_pause = 0;
                }
            }
            r->length = length;
        } else if (read_record(fd, r) < 0) {
            return -1;
        }
        if (r->h.type == FCGI_ABORT_REQUEST)
            return -1;
        if (r->h.type != FCGI_STDIN)
            continue; /* FCGI_DATA and the like: not for a responder */
        if (r->length == 0)
            return 0;
        req->stdin_len += r->length;
    }
}

/* BEGIN_REQUEST, PARAMS up to the empty one, STDIN up to the empty one.
 * 0 when a whole request was read, -1 when the client closed or aborted. */
static int read_request(int fd, request *req, record *r)
{
    memset(req, 0, sizeof *req);
    for (;;) { /* BEGIN_REQUEST, answering management records on the way */
        if (read_record(fd, r) < 0)
            return -1;
        if (r->id == FCGI_NULL_REQUEST_ID) {
            if (answer_management(fd, r) < 0)
                return -1;
            continue;
        }
        if (r->h.type == FCGI_BEGIN_REQUEST && r->length >= sizeof(FCGI_BeginRequestBody))
            break;
        log_line("ignored a record of type %d before BEGIN_REQUEST", r->h.type);
    }
    req->id = r->id;
    req->keep_conn = (((FCGI_BeginRequestBody *)r->content)->flags & FCGI_KEEP_CONN) != 0;

    unsigned char *params = malloc(MAX_PARAMS);
    if (params == NULL)
        die("out of memory");
    for (;;) {
        if (read_record(fd, r) < 0 || r->h.type == FCGI_ABORT_REQUEST) {
            log_line("%s: client gone or aborted after %zu bytes of PARAMS",
                     mode_names[opt.mode], req->params_len);
            free(params);
            return -1;
        }
        if (r->h.type != FCGI_PARAMS)
            continue;
        if (r->length == 0)
            break;
        if (req->params_len + r->length <= MAX_PARAMS)
            memcpy(params + req->params_len, r->content, r->length);
        req->params_len += r->length;
    }
    find_ce_id(params, req->params_len < MAX_PARAMS ? req->params_len : MAX_PARAMS, req);
    free(params);
    if (read_stdin(fd, req, r) < 0) {
        log_line("%s id=%s: client gone or aborted after %zu bytes of STDIN",
                 mode_names[opt.mode], req->ce_id, req->stdin_len);
        return -1;
    }
    return 0;
}

/* ---- the modes ------------------------------------------------------------------- */

static int answer_ok(int fd, const request *req, unsigned id)
{
    if (opt.delay_ms > 0)
        nap_ms(opt.delay_ms);
    if (opt.stderr_bytes > 0) {
        /* Text with two-byte characters and a byte that is not UTF-8, so
         * that a cap anywhere may cut a character. */
        static const char unit[] = "stderr: caf\xc3\xa9 \xff\n";
        char buf[4096];
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = unit[i % (sizeof unit - 1)];
        for (long left = opt.stderr_bytes; left > 0; left -= (long)sizeof buf)
            if (send_stream(fd, FCGI_STDERR, id, buf,
                            left < (long)sizeof buf ? (size_t)left : sizeof buf) < 0)
                return -1;
    }
    char body[300];
    snprintf(body, sizeof body, "real:%s", req->ce_id);
    return send_response(fd, id, opt.status, body);
}

/* The byte at `i` of what drip sends: a whole response, then dots. */
static char drip_byte(const char *response, size_t len, long i)
{
    return (size_t)i < len ? response[i] : '.';
}

static conn_fate mode_drip(int fd, const request *req)
{
    char response[512];
    int n = snprintf(response, sizeof response, "Status: 200\r\n" RESPONSE_HEADERS "real:%s",
                     req->ce_id);
    size_t len = n < 0 ? 0 : (size_t)n;
    long i = 0;
    for (; opt.bytes < 0 || i < opt.bytes; i++) {
        char c = drip_byte(response, len, i);
        if (send_record(fd, FCGI_STDOUT, req->id, &c, 1) < 0) {
            log_line("drip id=%s: client gone after %ld bytes", req->ce_id, i);
            return CONN_CLOSE;
        }
        nap_ms(opt.interval_ms);
    }
    if (send_record(fd, FCGI_STDOUT, req->id, NULL, 0) < 0 ||
        send_end_request(fd, req->id, FCGI_REQUEST_COMPLETE) < 0)
        return CONN_CLOSE;
    log_line("drip id=%s: %ld bytes, then END_REQUEST", req->ce_id, i);
    return req->keep_conn ? CONN_KEEP : CONN_CLOSE;
}

/* Records of `type` filled from `unit` until the client stops reading. */
static conn_fate send_forever(int fd, const request *req, int type, const char *unit)
{
    static char buf[MAX_CONTENT];
    size_t unit_len = strlen(unit), len = MAX_CONTENT - MAX_CONTENT % unit_len;
    for (size_t i = 0; i < len; i++)
        buf[i] = unit[i % unit_len];
    unsigned long long sent = 0;
    while (send_record(fd, type, req->id, buf, len) == 0)
        sent += len;
    log_line("%s id=%s: client gone after %llu bytes", mode_names[opt.mode],
             req->ce_id, sent);
    return CONN_CLOSE;
}

static conn_fate mode_endless_stdout(int fd, const request *req)
{
    static const char head[] = "Status: 200\r\n" RESPONSE_HEADERS;
    if (send_record(fd, FCGI_STDOUT, req->id, head, sizeof head - 1) < 0)
        return CONN_CLOSE;
    return send_forever(fd, req, FCGI_STDOUT, "0123456789abcdef");
}

static conn_fate mode_endless_stderr(int fd, const request *req)
{
    return send_forever(fd, req, FCGI_STDERR, "endless stderr: caf\xc3\xa9 \xff\n");
}

static conn_fate answer_and_log(int fd, const request *req, unsigned id)
{
    if (answer_ok(fd, req, id) < 0) {
        log_line("%s id=%s: client gone before the answer", mode_names[opt.mode],
                 req->ce_id);
        return CONN_CLOSE;
    }
    log_line("%s id=%s request=%u stdin=%zu: answered %d real:%s with request id %u%s",
             mode_names[opt.mode], req->ce_id, req->id, req->stdin_len, opt.status,
             req->ce_id, id, req->keep_conn ? ", connection kept" : "");
    return req->keep_conn ? CONN_KEEP : CONN_CLOSE;
}

/* The stray answer goes out once per peer, after the first request
 * answered on a kept connection, whichever connection child that is (the
 * first connection may be a client only checking that the socket listens):
 * the flag is in memory shared by all of them. */
static int *stray_sent;

static conn_fate mode_stray(int fd, const request *req)
{
    if (answer_and_log(fd, req, req->id) == CONN_CLOSE)
        return CONN_CLOSE;
    if (__atomic_exchange_n(stray_sent, 1, __ATOMIC_SEQ_CST))
        return CONN_KEEP;
    nap_ms(opt.stray_after_ms);
    if (send_response(fd, req->id, 202, "stray") < 0) {
        log_line("stray: client gone before the stray response");
        return CONN_CLOSE;
    }
    log_line("stray: sent an unrequested response (202 stray) %ld ms after id=%s",
             opt.stray_after_ms, req->ce_id);
    return CONN_KEEP;
}

static conn_fate mode_unknown_type(int fd, const request *req)
{
    FCGI_UnknownTypeBody body = {.type = FCGI_STDOUT}; /* 8 bytes of content */
    if (send_record(fd, opt.record_type, req->id, &body, sizeof body) < 0)
        return CONN_CLOSE;
    log_line("unknown-type id=%s: sent a record of type %d%s", req->ce_id,
             opt.record_type, opt.instead ? ", no answer" : ", then the answer");
    if (opt.instead)
        return CONN_KEEP; /* the next read waits for the client to give up */
    return answer_and_log(fd, req, req->id);
}

static conn_fate mode_protocol_status(int fd, const request *req)
{
    if (send_end_request(fd, req->id, opt.protocol_status) < 0)
        return CONN_CLOSE;
    log_line("protocol-status id=%s: END_REQUEST with protocol status %d, no STDOUT",
             req->ce_id, opt.protocol_status);
    return req->keep_conn ? CONN_KEEP : CONN_CLOSE;
}

static conn_fate mode_reset(int fd, const request *req)
{
    static const char head[] = "Status: 200\r\n" RESPONSE_HEADERS "real:";
    FCGI_Header h = make_header(FCGI_STDOUT, req->id, 100);
    if (send_all(fd, &h, sizeof h) == 0)
        send_all(fd, head, sizeof head - 1); /* fewer than the 100 announced */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg); /* a RST on TCP */
    log_line("reset id=%s: half a STDOUT record, then closed", req->ce_id);
    return CONN_CLOSE;
}

static conn_fate mode_huge_headers(int fd, const request *req)
{
    static const char line[] =
        "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    static char buf[MAX_CONTENT];
    size_t unit = sizeof line - 1, len = MAX_CONTENT - MAX_CONTENT % unit;
    for (size_t i = 0; i < len; i++)
        buf[i] = line[i % unit];
    long total = opt.bytes >= 0 ? opt.bytes : 2L * 1024 * 1024, sent = 0;
    if (send_record(fd, FCGI_STDOUT, req->id, "Status: 200\r\n", 13) < 0)
        return CONN_CLOSE;
    while (sent < total) {
        size_t k = total - sent < (long)len ? (size_t)(total - sent) : len;
        if (send_record(fd, FCGI_STDOUT, req->id, buf, k) < 0) {
            log_line("huge-headers id=%s: client gone after %ld bytes", req->ce_id, sent);
            return CONN_CLOSE;
        }
        sent += (long)k;
    }
    if (send_record(fd, FCGI_STDOUT, req->id, NULL, 0) < 0 ||
        send_end_request(fd, req->id, FCGI_REQUEST_COMPLETE) < 0)
        return CONN_CLOSE;
    log_line("huge-headers id=%s: %ld bytes of header lines, no blank line", req->ce_id,
             sent);
    return req->keep_conn ? CONN_KEEP : CONN_CLOSE;
}

/* Wait for the client to close (or send anything, which is then dropped). */
static conn_fate mode_hang(int fd, const request *req)
{
    log_line("hang id=%s: read the request, not answering", req->ce_id);
    char buf[4096];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
        ;
    log_line("hang id=%s: client gone", req->ce_id);
    return CONN_CLOSE;
}

static conn_fate handle_request(int fd, const request *req)
{
    switch (opt.mode) {
    case MODE_DRIP: return mode_drip(fd, req);
    case MODE_ENDLESS_STDOUT: return mode_endless_stdout(fd, req);
    case MODE_ENDLESS_STDERR: return mode_endless_stderr(fd, req);
    case MODE_STRAY: return mode_stray(fd, req);
    case MODE_WRONG_ID: return answer_and_log(fd, req, req->id == 2 ? 3 : 2);
    case MODE_UNKNOWN_TYPE: return mode_unknown_type(fd, req);
    case MODE_PROTOCOL_STATUS: return mode_protocol_status(fd, req);
    case MODE_RESET: return mode_reset(fd, req);
    case MODE_HUGE_HEADERS: return mode_huge_headers(fd, req);
    case MODE_HANG: return mode_hang(fd, req);
    case MODE_CLOSE:
        log_line("close id=%s: closed without answering", req->ce_id);
        return CONN_CLOSE;
    case MODE_OK:
    case MODE_SLOW_READER:
        break;
    }
    return answer_and_log(fd, req, req->id);
}

/* ---- connections and the listener ------------------------------------------------ */

static void serve_connection(int fd)
{
    static record r; /* 64 KiB: not on the stack */
    request req;
    while (read_request(fd, &req, &r) == 0)
        if (handle_request(fd, &req) == CONN_CLOSE)
            break;
    close(fd);
}

static const char *listening_path; /* unlinked on SIGTERM */

static void on_sigterm(int sig)
{
    (void)sig;
    if (listening_path != NULL)
        unlink(listening_path);
    static const char msg[] = "fcgi_peer: SIGTERM, exiting\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
        /* nothing to do */
    }
    _exit(0);
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        die("--socket: path too long for a unix socket: %s", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("bind %s: %s", path, strerror(errno));
    if (listen(fd, 64) < 0)
        die("listen: %s", strerror(errno));
    return fd;
}

/* A child per connection; children are reaped by the kernel (SA_NOCLDWAIT)
 * and die with the parent (PR_SET_PDEATHSIG). */
static void serve(int listener)
{
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept: %s", strerror(errno));
        }
        pid_t pid = fork();
        if (pid < 0)
            die("fork: %s", strerror(errno));
        if (pid == 0) {
            listening_path = NULL; /* the socket is the parent's to remove */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            close(listener);
            serve_connection(fd);
            _exit(0);
        }
        close(fd);
    }
}

static void usage(void)
{
    fputs("usage: fcgi_peer --socket PATH --mode MODE [--delay-ms N] [--interval-ms N]\n"
          "       [--bytes N] [--status N] [--stderr-bytes N] [--stray-after-ms N]\n"
          "       [--type N] [--instead] [--protocol-status N]\n"
          "modes: ok drip endless-stdout endless-stderr slow-reader stray wrong-id\n"
          "       unknown-type protocol-status reset huge-headers hang close\n",
          stderr);
    exit(2);
}

static peer_mode parse_mode(const char *name)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcmp(name, mode_names[i]) == 0)
            return (peer_mode)i;
    die("--mode: unknown mode \"%s\"", name);
}

static void parse_options(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--instead") == 0) {
            opt.instead = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(flag, "--socket") == 0)
            opt.socket_path = v;
        else if (strcmp(flag, "--mode") == 0)
            opt.mode = parse_mode(v);
        else if (strcmp(flag, "--delay-ms") == 0)
            opt.delay_ms = parse_number(flag, v, 0, INT_MAX);
        else if (strcmp(flag, "--interval-ms") == 0)
            opt.interval_ms = parse_number(flag, v, 0, INT_MAX);
        else if (strcmp(flag, "--stray-after-ms") == 0)
            opt.stray_after_ms = parse_number(flag, v, 0, INT_MAX);
        else if (strcmp(flag, "--bytes") == 0)
            opt.bytes = parse_number(flag, v, 0, LONG_MAX);
        else if (strcmp(flag, "--stderr-bytes") == 0)
            opt.stderr_bytes = parse_number(flag, v, 0, LONG_MAX);
        else if (strcmp(flag, "--status") == 0)
            opt.status = (int)parse_number(flag, v, 100, 999);
        else if (strcmp(flag, "--type") == 0)
            opt.record_type = (int)parse_number(flag, v, 0, 255);
        else if (strcmp(flag, "--protocol-status") == 0)
            opt.protocol_status = (int)parse_number(flag, v, 0, 255);
        else
            usage();
    }
    if (opt.socket_path == NULL)
        usage();
}

int main(int argc, char **argv)
{
    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
    sigaction(SIGCHLD, &sa, NULL);
    stray_sent = mmap(NULL, sizeof *stray_sent, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (stray_sent == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    int listener = listen_on(opt.socket_path);
    listening_path = opt.socket_path;
    struct sigaction term = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &term, NULL);
    sigaction(SIGINT, &term, NULL);
    log_line("listening on %s, mode %s", opt.socket_path, mode_names[opt.mode]);
    serve(listener);
    return 0;
}
