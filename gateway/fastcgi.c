/* fastcgi.c - the FastCGI client: request encoding, the response record
 * parser and a pool of connections to one app.
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
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* libfcgi-dev's record structs and constants (the gateway's own headers
 * are found through -iquote only, so this is libfcgi's). */
#include <fastcgi.h>
#ifndef FCGI_VERSION_1
#error "the libfcgi-dev <fastcgi.h> was not found (install libfcgi-dev)"
#endif

#include "fastcgi.h"

#define FCGI_REQUEST_ID 1
#define FCGI_READ_CHUNK (64u * 1024)        /* one recv() */
#define FCGI_MAX_HEADER_BYTES (64u * 1024)  /* the CGI header section */
#define FCGI_MAX_ADDRESSES 8
#define FCGI_MAX_POOL 65536
#define FCGI_KEEP_BUFFER (1024u * 1024)     /* keep a request buffer this big */

_Static_assert(FCGI_MAX_CONTENT % 8 == 0, "records of FCGI_MAX_CONTENT need no padding");
_Static_assert(FCGI_MAX_CONTENT <= FCGI_MAX_LENGTH, "content fits the length field");
_Static_assert(sizeof(FCGI_Header) == FCGI_HEADER_LEN, "FCGI_Header is 8 bytes");

/* ---- name-value lengths ------------------------------------------------------- */

/* Lengths from 2^31 on cannot be encoded; the encoder never gets near them,
 * a pair being at most FCGI_MAX_CONTENT bytes. */
size_t fcgi_length_size(size_t length)
{
    return length < 128 ? 1 : 4;
}

size_t fcgi_length_write(unsigned char *out, size_t length)
{
    if (length < 128) {
        out[0] = (unsigned char)length;
        return 1;
    }
    out[0] = (unsigned char)(0x80 | ((length >> 24) & 0x7F));
    out[1] = (unsigned char)(length >> 16);
    out[2] = (unsigned char)(length >> 8);
    out[3] = (unsigned char)length;
    return 4;
}

/* ---- request encoding ---------------------------------------------------------- */

static size_t padding_for(size_t content)
{
    return (8 - content % 8) % 8;
}

/* Bytes of one encoded pair, or 0 when it cannot go in one record. */
static size_t pair_size(const upstream_param *p)
{
    if (p->name_length > FCGI_MAX_CONTENT || p->value_length > FCGI_MAX_CONTENT)
        return 0;
    size_t n = fcgi_length_size(p->name_length) +
               fcgi_length_size(p->value_length) + p->name_length +
               p->value_length;
    return n <= FCGI_MAX_CONTENT ? n : 0;
}

/* The params [first, *end) that go in one PARAMS record, and its content
 * length. Both passes (sizing and writing) group the params with this, so
 * they cannot disagree. */
static int params_record(const upstream_request *req, size_t first,
                         size_t *end, size_t *content, cegate_error *err)
{
    size_t total = 0, i = first;
    for (; i < req->param_count; i++) {
        size_t n = pair_size(&req->params[i]);
        if (n == 0)
            return cegate_error_set(err, CEGATE_ERR_LIMIT,
                                    req->params[i].name,
                                    "the parameter (%zu-byte name, %zu-byte "
                                    "value) does not fit in one FastCGI "
                                    "record of %u bytes",
                                    req->params[i].name_length,
                                    req->params[i].value_length,
                                    FCGI_MAX_CONTENT),
                   -1;
        if (n > FCGI_MAX_CONTENT - total)
            break;
        total += n;
    }
    *end = i;
    *content = total;
    return 0;
}

static unsigned char *put_header(unsigned char *o, int type, size_t content,
                                 size_t padding)
{
    FCGI_Header *h = (FCGI_Header *)o;
    h->version = FCGI_VERSION_1;
    h->type = (unsigned char)type;
    h->requestIdB1 = (unsigned char)(FCGI_REQUEST_ID >> 8);
    h->requestIdB0 = (unsigned char)(FCGI_REQUEST_ID & 0xFF);
    h->contentLengthB1 = (unsigned char)(content >> 8);
    h->contentLengthB0 = (unsigned char)(content & 0xFF);
    h->paddingLength = (unsigned char)padding;
    h->reserved = 0;
    return o + FCGI_HEADER_LEN;
}

/* Room for `extra` more bytes (and the NUL) in `out`, without copying
 * through cegate_buffer_append: the encoder writes in place. */
static int reserve(cegate_buffer *out, size_t extra, cegate_error *err)
{
    if (extra > out->max || out->length > out->max - extra)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, "request",
                                "the encoded request (%zu bytes) exceeds the "
                                "limit of %zu bytes", extra, out->max),
               -1;
    size_t need = out->length + extra;
    if (need < out->capacity)
        return 0;
    if (need == SIZE_MAX)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "request",
                                "out of memory"), -1;
    size_t cap = need + 1;
    if (cap < 4096)
        cap = 4096;
    char *p = cegate_malloc(cap);
    if (p == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "request",
                                "out of memory for a %zu-byte request", need),
               -1;
    if (out->length)
        memcpy(p, out->data, out->length);
    p[out->length] = '\0';
    cegate_free(out->data);
    out->data = p;
    out->capacity = cap;
    return 0;
}

int fcgi_encode_request(const upstream_request *req, int keep_conn,
                        cegate_buffer *out, cegate_error *err)
{
    if (req == NULL || out == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "fcgi_encode_request needs a request and a "
                                "buffer"), -1;
    if (req->body_length > 0 && req->body == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "body",
                                "a body length without a body"), -1;

    /* Sizing pass. */
    size_t total = 2 * FCGI_HEADER_LEN; /* BEGIN_REQUEST */
    for (size_t i = 0, end, content; i < req->param_count; i = end) {
        if (params_record(req, i, &end, &content, err) < 0)
            return -1;
        total += FCGI_HEADER_LEN + content + padding_for(content);
    }
    total += FCGI_HEADER_LEN; /* empty PARAMS */
    size_t full = req->body_length / FCGI_MAX_CONTENT;
    size_t rest = req->body_length % FCGI_MAX_CONTENT;
    if (full > (SIZE_MAX / 2) / (FCGI_HEADER_LEN + FCGI_MAX_CONTENT))
        return cegate_error_set(err, CEGATE_ERR_LIMIT, "body",
                                "the body is too large"), -1;
    total += full * (FCGI_HEADER_LEN + FCGI_MAX_CONTENT);
    if (rest)
        total += FCGI_HEADER_LEN + rest + padding_for(rest);
    total += FCGI_HEADER_LEN; /* empty STDIN */

    if (reserve(out, total, err) < 0)
        return -1;

    /* Writing pass. */
    unsigned char *start = (unsigned char *)out->data + out->length, *o = start;
    o = put_header(o, FCGI_BEGIN_REQUEST, sizeof(FCGI_BeginRequestBody), 0);
    FCGI_BeginRequestBody *b = (FCGI_BeginRequestBody *)o;
    memset(b, 0, sizeof *b);
    b->roleB1 = (unsigned char)(FCGI_RESPONDER >> 8);
    b->roleB0 = (unsigned char)(FCGI_RESPONDER & 0xFF);
    b->flags = keep_conn ? FCGI_KEEP_CONN : 0;
    o += sizeof *b;
    for (size_t i = 0, end, content; i < req->param_count; i = end) {
        if (params_record(req, i, &end, &content, err) < 0)
            return -1;
        size_t pad = padding_for(content);
        o = put_header(o, FCGI_PARAMS, content, pad);
        for (size_t k = i; k < end; k++) {
            const upstream_param *p = &req->params[k];
            o += fcgi_length_write(o, p->name_length);
            o += fcgi_length_write(o, p->value_length);
            memcpy(o, p->name, p->name_length);
            o += p->name_length;
            if (p->value_length)
                memcpy(o, p->value, p->value_length);
            o += p->value_length;
        }
        memset(o, 0, pad);
        o += pad;
    }
    o = put_header(o, FCGI_PARAMS, 0, 0);
    for (size_t off = 0; off < req->body_length;) {
        size_t n = req->body_length - off;
        if (n > FCGI_MAX_CONTENT)
            n = FCGI_MAX_CONTENT;
        size_t pad = padding_for(n);
        o = put_header(o, FCGI_STDIN, n, pad);
        memcpy(o, req->body + off, n);
        o += n;
        memset(o, 0, pad);
        o += pad;
        off += n;
    }
    o = put_header(o, FCGI_STDIN, 0, 0);

    if ((size_t)(o - start) != total)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "request",
                                "internal error: %zu bytes written, %zu "
                                "sized", (size_t)(o - start), total),
               -1;
    out->length += total;
    out->data[out->length] = '\0';
    return 0;
}

/* ---- response parsing ---------------------------------------------------------- */

enum {
    FR_HEADER = 0, /* reading a record header */
    FR_CONTENT,
    FR_PADDING,
    FR_DONE,       /* END_REQUEST read */
    FR_FAILED
};

void fcgi_response_parser_init(fcgi_response_parser *p, upstream_response *resp)
{
    memset(p, 0, sizeof *p);
    cgi_response_parser_init(&p->cgi, resp, FCGI_MAX_HEADER_BYTES);
    p->resp = resp;
    p->state = FR_HEADER;
}

void fcgi_response_parser_free(fcgi_response_parser *p)
{
    cgi_response_parser_free(&p->cgi);
}

static const char *type_name(int type)
{
    switch (type) {
    case FCGI_BEGIN_REQUEST: return " (BEGIN_REQUEST)";
    case FCGI_ABORT_REQUEST: return " (ABORT_REQUEST)";
    case FCGI_PARAMS: return " (PARAMS)";
    case FCGI_STDIN: return " (STDIN)";
    case FCGI_DATA: return " (DATA)";
    case FCGI_GET_VALUES: return " (GET_VALUES)";
    case FCGI_GET_VALUES_RESULT: return " (GET_VALUES_RESULT)";
    case FCGI_UNKNOWN_TYPE: return " (UNKNOWN_TYPE: the app did not understand a record we sent)";
    default: return "";
    }
}

static int parser_fail(fcgi_response_parser *p)
{
    p->state = FR_FAILED;
    return -1;
}

/* A record header is complete: check it, and set up for its content. */
static int start_record(fcgi_response_parser *p, cegate_error *err)
{
    const FCGI_Header *h = (const FCGI_Header *)p->header;
    if (h->version != FCGI_VERSION_1)
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "version",
                                "the app sent a record of FastCGI version %u "
                                "(only 1 exists)", h->version),
               parser_fail(p);
    p->type = h->type;
    if (p->type != FCGI_STDOUT && p->type != FCGI_STDERR &&
        p->type != FCGI_END_REQUEST)
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "record type",
                                "the app sent unexpected FastCGI record type "
                                "%d%s", p->type, type_name(p->type)),
               parser_fail(p);
    unsigned id = (unsigned)h->requestIdB1 << 8 | h->requestIdB0;
    if (id != FCGI_REQUEST_ID)
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "request id",
                                "the app sent a record for request id %u "
                                "(we only use 1)", id),
               parser_fail(p);
    p->content_left = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
    p->padding_left = h->paddingLength;
    if (p->type == FCGI_END_REQUEST &&
        p->content_left != sizeof(FCGI_EndRequestBody))
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "contentLength",
                                "the app sent an END_REQUEST record of "
                                "contentLength %zu (it must be 8)",
                                p->content_left),
               parser_fail(p);
    p->state = FR_CONTENT;
    return 0;
}

/* A whole record (content and padding) has been read. */
static int end_record(fcgi_response_parser *p, cegate_error *err)
{
    if (p->type != FCGI_END_REQUEST) {
        p->state = FR_HEADER;
        return 0;
    }
    const FCGI_EndRequestBody *e = (const FCGI_EndRequestBody *)p->end_body;
    p->app_status = (uint32_t)e->appStatusB3 << 24 |
                    (uint32_t)e->appStatusB2 << 16 |
                    (uint32_t)e->appStatusB1 << 8 | e->appStatusB0;
    p->protocol_status = e->protocolStatus;
    p->done = 1;
    p->state = FR_DONE;
    switch (p->protocol_status) {
    case FCGI_REQUEST_COMPLETE:
        if (cgi_response_parser_finish(&p->cgi, err) < 0)
            return parser_fail(p);
        return 0;
    case FCGI_CANT_MPX_CONN:
        return cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "protocolStatus",
                                "the app refused the request: END_REQUEST "
                                "protocolStatus 1 (CANT_MPX_CONN)"),
               parser_fail(p);
    case FCGI_OVERLOADED:
        return cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "protocolStatus",
                                "the app is overloaded: END_REQUEST "
                                "protocolStatus 2 (OVERLOADED)"),
               parser_fail(p);
    case FCGI_UNKNOWN_ROLE:
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "protocolStatus",
                                "the app does not play the responder role: "
                                "END_REQUEST protocolStatus 3 (UNKNOWN_ROLE)"),
               parser_fail(p);
    default:
        return cegate_error_set(err, CEGATE_ERR_PROTOCOL, "protocolStatus",
                                "the app ended the request with unknown "
                                "protocolStatus %d", p->protocol_status),
               parser_fail(p);
    }
}

/* STDERR content: kept while the log has room, the rest dropped. */
static void keep_log(upstream_response *resp, const char *s, size_t n)
{
    cegate_buffer *log = &resp->log;
    size_t room = log->length < log->max ? log->max - log->length : 0;
    if (n > room)
        n = room;
    if (n > 0)
        cegate_buffer_append(log, s, n, "log", NULL);
}

int fcgi_response_parser_feed(fcgi_response_parser *p, const char *bytes,
                              size_t n, cegate_error *err)
{
    size_t i = 0;
    while (i < n) {
        size_t k;
        switch (p->state) {
        case FR_HEADER:
            k = FCGI_HEADER_LEN - p->have;
            if (k > n - i)
                k = n - i;
            memcpy(p->header + p->have, bytes + i, k);
            p->have += k;
            i += k;
            if (p->have < FCGI_HEADER_LEN)
                break;
            p->have = 0;
            if (start_record(p, err) < 0)
                return -1;
            if (p->content_left == 0) {
                p->state = FR_PADDING;
                if (p->padding_left == 0 && end_record(p, err) < 0)
                    return -1;
            }
            break;
        case FR_CONTENT:
            k = p->content_left < n - i ? p->content_left : n - i;
            if (p->type == FCGI_STDOUT) {
                if (cgi_response_parser_feed(&p->cgi, bytes + i, k, err) < 0)
                    return parser_fail(p);
            } else if (p->type == FCGI_STDERR) {
                keep_log(p->resp, bytes + i, k);
            } else { /* END_REQUEST: its 8-byte body */
                memcpy(p->end_body + (sizeof p->end_body - p->content_left),
                       bytes + i, k);
            }
            p->content_left -= k;
            i += k;
            if (p->content_left == 0) {
                p->state = FR_PADDING;
                if (p->padding_left == 0 && end_record(p, err) < 0)
                    return -1;
            }
            break;
        case FR_PADDING:
            k = p->padding_left < n - i ? p->padding_left : n - i;
            p->padding_left -= k;
            i += k;
            if (p->padding_left == 0 && end_record(p, err) < 0)
                return -1;
            break;
        case FR_DONE:
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "END_REQUEST",
                             "the app sent more data after END_REQUEST");
            return parser_fail(p);
        default:
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "response",
                             "the response was already found malformed");
            return -1;
        }
    }
    return 0;
}

/* ---- configuration and addresses ------------------------------------------------ */

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
    int is_unix;
    size_t addr_count;
    struct sockaddr_storage addrs[FCGI_MAX_ADDRESSES];
    socklen_t addr_lengths[FCGI_MAX_ADDRESSES];
    pthread_mutex_t lock;
    pthread_cond_t available;
    fcgi_slot *slots;    /* cfg.max_connections of them */
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

static int parse_port(const char *s, char *out, size_t out_size)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    snprintf(out, out_size, "%ld", v);
    return 0;
}

static int parse_address(fcgi_pool *pool, const char *address,
                         cegate_error *err)
{
    if (address == NULL || address[0] == '\0')
        return cegate_error_set(err, CEGATE_ERR_USAGE, "address",
                                "no address: give unix:/path/app.sock or "
                                "HOST:PORT"), -1;
    if (strncmp(address, "unix:", 5) == 0) {
        const char *path = address + 5;
        struct sockaddr_un *sa = (struct sockaddr_un *)&pool->addrs[0];
        if (path[0] != '/')
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "a unix socket path must be absolute, as "
                                    "in unix:/run/app.sock"), -1;
        if (strlen(path) >= sizeof sa->sun_path)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "the unix socket path is longer than %zu "
                                    "bytes", sizeof sa->sun_path - 1), -1;
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path, path, strlen(path) + 1);
        pool->addr_lengths[0] = (socklen_t)sizeof *sa;
        pool->addr_count = 1;
        pool->is_unix = 1;
        return 0;
    }

    char host[256], port[8];
    const char *port_text;
    int numeric = 0;
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (close == NULL || close[1] != ':')
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "an IPv6 address is written [ADDR]:PORT, "
                                    "as in [::1]:9000"), -1;
        size_t n = (size_t)(close - address - 1);
        if (n == 0 || n >= sizeof host)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "invalid IPv6 address"), -1;
        memcpy(host, address + 1, n);
        host[n] = '\0';
        port_text = close + 2;
        numeric = 1;
    } else {
        const char *colon = strrchr(address, ':');
        if (colon == NULL)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "expected unix:/path/app.sock or "
                                    "HOST:PORT"), -1;
        size_t n = (size_t)(colon - address);
        if (memchr(address, ':', n) != NULL)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "an IPv6 address goes in brackets, as in "
                                    "[::1]:9000"), -1;
        if (n == 0 || n >= sizeof host)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "the host is empty or too long"), -1;
        memcpy(host, address, n);
        host[n] = '\0';
        port_text = colon + 1;
    }
    if (parse_port(port_text, port, sizeof port) < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                "the port must be a number from 1 to 65535"),
               -1;

    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0)
        return cegate_error_set(err,
                                rc == EAI_AGAIN ? CEGATE_ERR_UNAVAILABLE
                                                : CEGATE_ERR_VALUE,
                                "address", "cannot resolve \"%s\": %s", host,
                                gai_strerror(rc)),
               -1;
    for (struct addrinfo *a = list; a && pool->addr_count < FCGI_MAX_ADDRESSES;
         a = a->ai_next) {
        if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
            a->ai_addrlen > sizeof pool->addrs[0])
            continue;
        memcpy(&pool->addrs[pool->addr_count], a->ai_addr, a->ai_addrlen);
        pool->addr_lengths[pool->addr_count] = a->ai_addrlen;
        pool->addr_count++;
    }
    freeaddrinfo(list);
    if (pool->addr_count == 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                "\"%s\" has no IPv4 or IPv6 address", host),
               -1;
    return 0;
}

/* ---- the pool --------------------------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

fcgi_pool *fcgi_pool_new(const fcgi_config *cfg, cegate_error *err)
{
    if (cfg == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "no configuration"), NULL;
    if (cfg->max_connections < 1 || cfg->max_connections > FCGI_MAX_POOL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "max_connections",
                                "must be from 1 to %d", FCGI_MAX_POOL), NULL;
    if (cfg->idle_timeout_ms < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "idle_timeout_ms",
                                "must not be negative"), NULL;
    if (cfg->connect_timeout_ms < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "connect_timeout_ms",
                                "must not be negative"), NULL;
    if (cfg->io_timeout_ms < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "io_timeout_ms",
                                "must not be negative"), NULL;
    fcgi_pool *pool = cegate_malloc(sizeof *pool);
    if (pool == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               NULL;
    memset(pool, 0, sizeof *pool);
    pool->cfg = *cfg;
    if (parse_address(pool, cfg->address, err) < 0) {
        cegate_free(pool);
        return NULL;
    }
    size_t alen = strlen(cfg->address);
    pool->address = cegate_malloc(alen + 1);
    pool->slots = cegate_malloc(cfg->max_connections * sizeof *pool->slots);
    if (pool->address == NULL || pool->slots == NULL) {
        cegate_free(pool->address);
        cegate_free(pool->slots);
        cegate_free(pool);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               NULL;
    }
    memcpy(pool->address, cfg->address, alen + 1);
    pool->cfg.address = pool->address;
    for (size_t i = 0; i < cfg->max_connections; i++) {
        pool->slots[i].fd = -1;
        pool->slots[i].busy = 0;
        pool->slots[i].idle_since = 0;
        pool->slots[i].in = NULL;
        cegate_buffer_init(&pool->slots[i].out, SIZE_MAX);
    }
    int mrc = pthread_mutex_init(&pool->lock, NULL);
    int crc = mrc == 0 ? pthread_cond_init(&pool->available, NULL) : -1;
    if (mrc != 0 || crc != 0) {
        if (mrc == 0)
            pthread_mutex_destroy(&pool->lock);
        cegate_free(pool->address);
        cegate_free(pool->slots);
        cegate_free(pool);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL,
                                "cannot create the pool's lock"), NULL;
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

/* Take a slot: a kept connection when one is idle (the most recently used,
 * so that the others age out), else an unconnected slot; wait while every
 * slot is busy. `fresh`: the caller wants a new connection (a kept one just
 * failed, so the others may be stale too). *reused says whether the slot
 * comes with a kept connection. */
static fcgi_slot *acquire(fcgi_pool *pool, int fresh, int *reused)
{
    pthread_mutex_lock(&pool->lock);
    for (;;) {
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
            pthread_mutex_unlock(&pool->lock);
            if (fresh)
                close_fd(&take->fd);
            *reused = take->fd >= 0;
            return take;
        }
        pthread_cond_wait(&pool->available, &pool->lock);
    }
}

static void release(fcgi_pool *pool, fcgi_slot *s, int keep)
{
    if (!keep || !pool->cfg.keep_alive)
        close_fd(&s->fd);
    if (s->out.capacity > FCGI_KEEP_BUFFER)
        cegate_buffer_free(&s->out);
    else
        cegate_buffer_reset(&s->out);
    pthread_mutex_lock(&pool->lock);
    s->busy = 0;
    s->idle_since = now_ms();
    pthread_cond_signal(&pool->available);
    pthread_mutex_unlock(&pool->lock);
}

/* poll() one descriptor, bounded by timeout_ms (0: no bound). Returns the
 * revents, 0 on timeout, -1 on error (errno). */
static int wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    for (;;) {
        int wait = -1;
        if (timeout_ms > 0) {
            int64_t left = deadline - now_ms();
            if (left < 0)
                left = 0;
            wait = left > INT_MAX ? INT_MAX : (int)left;
        }
        int k = poll(&pfd, 1, wait);
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
    const struct sockaddr *sa = (const struct sockaddr *)&pool->addrs[i];
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = errno;
        return -1;
    }
    for (;;) {
        if (connect(fd, sa, pool->addr_lengths[i]) == 0)
            break;
        int e = errno;
        if (e == EAGAIN && pool->is_unix) {
            /* The app's listen queue is full: wait a little and try again,
             * until the connect timeout. */
            if (pool->cfg.connect_timeout_ms > 0 && now_ms() >= deadline) {
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
        int left = 0;
        if (pool->cfg.connect_timeout_ms > 0) {
            int64_t l = deadline - now_ms();
            if (l <= 0) {
                *timed_out = 1;
                close(fd);
                return -1;
            }
            left = l > INT_MAX ? INT_MAX : (int)l;
        }
        int r = wait_fd(fd, POLLOUT, left);
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
    if (!pool->is_unix) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    *fd_out = fd;
    return 0;
}

/* Once connected, a socket blocks on recv() for up to io_timeout_ms
 * (SO_RCVTIMEO): when the request is written, one recv() waits for the
 * answer, where poll() then recv() would be two system calls an event.
 * Writes stay non-blocking (MSG_DONTWAIT), so request and answer can still
 * be interleaved. Returns 0, or -1 when the socket stays non-blocking. */
static int make_receive_blocking(int fd, int timeout_ms)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        return -1;
    return 0;
}

static int connect_slot(fcgi_pool *pool, fcgi_slot *s, cegate_error *err)
{
    int64_t deadline = now_ms() + pool->cfg.connect_timeout_ms;
    int timed_out = 0, error = 0;
    for (size_t i = 0; i < pool->addr_count; i++) {
        int fd;
        if (connect_one(pool, i, deadline, &fd, &timed_out, &error) == 0) {
            s->fd = fd;
            s->blocking = make_receive_blocking(fd, pool->cfg.io_timeout_ms) == 0;
            return 0;
        }
        if (timed_out)
            break;
    }
    if (timed_out)
        return cegate_error_set(err, CEGATE_ERR_TIMEOUT, "address",
                                "no connection to %s within %d ms",
                                pool->address, pool->cfg.connect_timeout_ms),
               -1;
    char eb[128];
    return cegate_error_set(err,
                            error == ENOMEM || error == ENOBUFS
                                ? CEGATE_ERR_NOMEM
                                : CEGATE_ERR_UNAVAILABLE,
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

/* Send the encoded request on s->fd and read the whole answer into resp.
 * Writing and reading go together (poll for both): an app that answers
 * before it has read the whole body cannot deadlock us. */
static int exchange(fcgi_pool *pool, fcgi_slot *s, upstream_response *resp,
                    cegate_error *err)
{
    fcgi_response_parser parser;
    fcgi_response_parser_init(&parser, resp);
    const char *w = s->out.data;
    size_t wleft = s->out.length;
    size_t got = 0;          /* answer bytes received */
    int write_error = 0;     /* errno of a failed send */
    int rc = EX_FAILED;
    char eb[128];
    const int timeout = pool->cfg.io_timeout_ms;

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
        /* All written: on a blocking socket the first recv() waits. */
        int wait_in_recv = wleft == 0 && s->blocking;
        int r = wait_in_recv ? POLLIN
                             : wait_fd(s->fd, (short)(POLLIN | (wleft > 0 ? POLLOUT : 0)),
                                       timeout);
        if (r == 0) {
            cegate_error_set(err, CEGATE_ERR_TIMEOUT, "response",
                             wleft > 0 ? "the app did not read the request "
                                         "within %d ms"
                                       : "no answer from the app within %d ms",
                             timeout);
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
        /* Read what is there: until the answer is complete, or a short
         * read says the socket is drained for now. */
        for (;;) {
            ssize_t k = recv(s->fd, s->in, FCGI_READ_CHUNK,
                             wait_in_recv ? 0 : MSG_DONTWAIT);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_in_recv) {
                cegate_error_set(err, CEGATE_ERR_TIMEOUT, "response",
                                 "no answer from the app within %d ms", timeout);
                goto out;
            }
            wait_in_recv = 0;
            if (k > 0) {
                got += (size_t)k;
                if (fcgi_response_parser_feed(&parser, s->in, (size_t)k, err) < 0)
                    goto out;
                if (parser.done) {
                    rc = (wleft > 0 || write_error) ? EX_CLOSE : EX_KEEP;
                    goto out;
                }
                if ((size_t)k < FCGI_READ_CHUNK)
                    break;
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            int e = k == 0 ? 0 : errno;
            if (got == 0) {
                rc = EX_STALE;
                if (e == 0 && write_error)
                    e = write_error;
                if (e == 0)
                    cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                                     "the app closed the connection before "
                                     "answering");
                else
                    cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                                     "the connection failed before an "
                                     "answer: %s",
                                     error_text(e, eb, sizeof eb));
            } else if (e == 0) {
                cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                                 "the app closed the connection "
                                 "mid-response (no END_REQUEST after %zu "
                                 "bytes)", got);
            } else {
                cegate_error_set(err, CEGATE_ERR_UNAVAILABLE, "response",
                                 "the connection closed mid-response (%s "
                                 "after %zu bytes)",
                                 error_text(e, eb, sizeof eb), got);
            }
            goto out;
        }
    }
out:
    fcgi_response_parser_free(&parser);
    return rc;
}

int fcgi_pool_request(fcgi_pool *pool, const upstream_request *req,
                      upstream_response *resp, cegate_error *err)
{
    if (pool == NULL || req == NULL || resp == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "fcgi_pool_request needs a pool, a request "
                                "and a response"),
               -1;
    size_t saved_body_max = resp->body.max, saved_log_max = resp->log.max;
    if (pool->cfg.max_response_bytes < resp->body.max)
        resp->body.max = pool->cfg.max_response_bytes;
    if (pool->cfg.max_log_bytes < resp->log.max)
        resp->log.max = pool->cfg.max_log_bytes;

    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        int reused;
        fcgi_slot *s = acquire(pool, attempt > 0, &reused);
        if (s->in == NULL) {
            s->in = cegate_malloc(FCGI_READ_CHUNK);
            if (s->in == NULL) {
                cegate_error_set(err, CEGATE_ERR_NOMEM, "response",
                                 "out of memory");
                release(pool, s, 1);
                break;
            }
        }
        if (fcgi_encode_request(req, pool->cfg.keep_alive, &s->out, err) < 0) {
            release(pool, s, 1);
            break;
        }
        if (s->fd < 0 && connect_slot(pool, s, err) < 0) {
            release(pool, s, 0);
            break;
        }
        cegate_error local;
        cegate_error_clear(&local);
        int ex = exchange(pool, s, resp, &local);
        release(pool, s, ex == EX_KEEP);
        if (ex == EX_STALE && reused && attempt == 0)
            continue; /* a kept connection the app had closed: once more */
        if (ex >= 0) {
            rc = 0;
        } else {
            cegate_error_set(err, local.code, local.path[0] ? local.path : NULL,
                             "%s", local.text);
        }
        break;
    }
    resp->body.max = saved_body_max;
    resp->log.max = saved_log_max;
    return rc;
}
