/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_raw.c - the reference for bench/bench_replay: a minimal raw FastCGI
 * client loop, independent of cegate's client (its own record writer and
 * reader, about a hundred lines).
 *
 *   fcgi_raw -s SOCK [-n N] [-c CONNS] [-f NDJSON] [-t SECONDS] [-v]
 *
 * CONNS threads, each with one kept unix-socket connection (FCGI_KEEP_CONN,
 * request id 1, one request at a time), send N requests in all, taking the
 * next prebuilt request from a shared counter. Every request is built before
 * the clock starts and goes out in one write (BEGIN_REQUEST, PARAMS, empty
 * PARAMS, STDIN, empty STDIN); the reply is read, in 64 KiB reads, until
 * END_REQUEST.
 *
 * The requests carry what `cegate replay` (binary mode, default route)
 * sends for a structured CloudEvent: the same 19 CGI params in the same
 * order, then HTTP_CE_* for each attribute, CONTENT_TYPE from
 * datacontenttype and the data as the body. With -f each line of NDJSON
 * (one flat structured event per line, as bench_replay writes them) is one
 * request, used round-robin when N is larger; without -f one embedded event
 * is sent N times. The line scanner is deliberately small: top-level string
 * attributes are taken as written (escapes not decoded), and "data" is sent
 * as its JSON text (or a string's raw contents). data_base64 is not decoded.
 *
 * A reply counts as bad unless END_REQUEST says REQUEST_COMPLETE and the
 * CGI status is 200 (no Status: line, or "Status: 200").
 * Prints one line: "... N requests (B bad) ... R req/s, U us/req, cpu C
 * us/req", C being the process's user + system time over the timed part
 * (the prebuilding before the clock is not in it); -v first prints the STDOUT of the first reply (to compare with what
 * `cegate replay --show-response` gets).
 * Exit 0 when all were answered and none was bad, 1 otherwise, 2 on usage.
 * Unix sockets only: nothing leaves the machine.
 *
 * Build: cc -O2 -pthread bench/fcgi_raw.c -o bench/fcgi_raw */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* FastCGI record types, roles and flags (the spec's values). */
enum {
    BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6,
    STDERR = 7, RESPONDER = 1, KEEP_CONN = 1
};
#define HEADER_LEN 8
#define MAX_CONTENT 65528u /* padded to 8, like php and nginx */
#define STDIN_CHUNK 32768u /* nginx's STDIN record size */
#define READ_SIZE 65536u  /* one recv() */
#define BUF_SIZE (2 * READ_SIZE) /* room for a whole record of any size */
#define MAX_CONNS 256

/* ---- the record writer --------------------------------------------------- */

typedef struct bytes {
    unsigned char *data;
    size_t length, capacity;
} bytes;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL) {
        fprintf(stderr, "fcgi_raw: out of memory\n");
        exit(1);
    }
    return p;
}

static unsigned char *grow(bytes *b, size_t more)
{
    if (b->length + more > b->capacity) {
        size_t cap = b->capacity ? b->capacity : 4096;
        while (cap < b->length + more)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->capacity = cap;
    }
    unsigned char *p = b->data + b->length;
    b->length += more;
    return p;
}

static void put_record(bytes *out, int type, const void *content, size_t len)
{
    size_t pad = (8 - len % 8) % 8;
    unsigned char *h = grow(out, HEADER_LEN + len + pad);
    h[0] = 1;                       /* version */
    h[1] = (unsigned char)type;
    h[2] = 0;                       /* request id 1 */
    h[3] = 1;
    h[4] = (unsigned char)(len >> 8);
    h[5] = (unsigned char)len;
    h[6] = (unsigned char)pad;
    h[7] = 0;
    if (len)
        memcpy(h + HEADER_LEN, content, len);
    memset(h + HEADER_LEN + len, 0, pad);
}

static void put_length(bytes *b, size_t n)
{
    if (n < 128) {
        *grow(b, 1) = (unsigned char)n;
        return;
    }
    unsigned char *p = grow(b, 4);
    p[0] = (unsigned char)(0x80 | (n >> 24));
    p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8);
    p[3] = (unsigned char)n;
}

static void put_pair(bytes *b, const char *name, const char *value,
                     size_t value_length)
{
    size_t nl = strlen(name);
    put_length(b, nl);
    put_length(b, value_length);
    memcpy(grow(b, nl), name, nl);
    memcpy(grow(b, value_length), value, value_length);
}

/* ---- an event, from one NDJSON line ------------------------------------ */

#define MAX_ATTRS 32

typedef struct event {
    const char *name[MAX_ATTRS], *value[MAX_ATTRS];
    size_t name_len[MAX_ATTRS], value_len[MAX_ATTRS];
    size_t count;
    const char *data;
    size_t data_len;
} event;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p at '"': returns the position after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* Any JSON value: returns the position after it, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < end; p++) {
            if (*p == '"') {
                p = skip_string(p, end);
                if (p == NULL)
                    return NULL;
                p--;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if ((*p == '}' || *p == ']') && --depth == 0) {
                return p + 1;
            }
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
        p++;
    return p;
}

/* A flat structured CloudEvent: {"attr":"string", ..., "data":VALUE}. */
static int scan_event(const char *line, size_t n, event *ev)
{
    const char *p = skip_ws(line, line + n), *end = line + n;
    memset(ev, 0, sizeof *ev);
    if (p >= end || *p++ != '{')
        return -1;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return 0;
        if (p >= end || *p != '"')
            return -1;
        const char *key = p + 1, *key_end = skip_string(p, end);
        if (key_end == NULL)
            return -1;
        size_t key_len = (size_t)(key_end - 1 - key);
        p = skip_ws(key_end, end);
        if (p >= end || *p++ != ':')
            return -1;
        p = skip_ws(p, end);
        const char *v = p, *v_end = skip_value(p, end);
        if (v_end == NULL)
            return -1;
        if (key_len == 4 && memcmp(key, "data", 4) == 0) {
            ev->data = *v == '"' ? v + 1 : v;
            ev->data_len = (size_t)(v_end - v) - (*v == '"' ? 2 : 0);
        } else if (*v == '"' && ev->count < MAX_ATTRS) {
            ev->name[ev->count] = key;
            ev->name_len[ev->count] = key_len;
            ev->value[ev->count] = v + 1;
            ev->value_len[ev->count] = (size_t)(v_end - v) - 2;
            ev->count++;
        }
        p = skip_ws(v_end, end);
        if (p < end && *p == ',')
            p++;
    }
}

static const char *attr(const event *ev, const char *name, size_t *len)
{
    for (size_t i = 0; i < ev->count; i++)
        if (ev->name_len[i] == strlen(name) &&
            memcmp(ev->name[i], name, ev->name_len[i]) == 0) {
            *len = ev->value_len[i];
            return ev->value[i];
        }
    return NULL;
}

/* One whole request for the event, appended to `out`. */
static int build_request(const event *ev, bytes *out)
{
    bytes params = {0};
    size_t ct_len = 0;
    const char *ct = attr(ev, "datacontenttype", &ct_len);
    char length[32];
    snprintf(length, sizeof length, "%zu", ev->data_len);
    /* cegate's order (gateway/request.c), default route "/", no script. */
    static const char *const fixed[][2] = {
        {"QUERY_STRING", ""}, {"REQUEST_METHOD", "POST"}, {"CONTENT_TYPE", NULL},
        {"CONTENT_LENGTH", NULL}, {"SCRIPT_NAME", "/"}, {"REQUEST_URI", "/"},
        {"DOCUMENT_URI", "/"}, {"SERVER_PROTOCOL", "HTTP/1.1"},
        {"REQUEST_SCHEME", "http"}, {"GATEWAY_INTERFACE", "CGI/1.1"},
        {"SERVER_SOFTWARE", "fcgi_raw/1"}, {"REMOTE_ADDR", "127.0.0.1"},
        {"REMOTE_PORT", "0"}, {"SERVER_ADDR", "127.0.0.1"},
        {"SERVER_PORT", "80"}, {"SERVER_NAME", "localhost"},
        {"REDIRECT_STATUS", "200"}, {"PATH_INFO", ""}, {"HTTP_HOST", "localhost"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const char *v = fixed[i][1];
        size_t vl = v ? strlen(v) : 0;
        if (i == 2) {
            if (ct == NULL)
                continue;
            v = ct, vl = ct_len;
        } else if (i == 3) {
            v = length, vl = strlen(length);
        }
        put_pair(&params, fixed[i][0], v, vl);
    }
    /* Attributes as HTTP_CE_*: specversion, id, source, type first (the
     * binding's order), then the rest as written. */
    static const char *const first[] = {"specversion", "id", "source", "type"};
    int done[MAX_ATTRS] = {0};
    size_t order[MAX_ATTRS], k = 0;
    for (size_t f = 0; f < 4; f++)
        for (size_t i = 0; i < ev->count; i++)
            if (!done[i] && ev->name_len[i] == strlen(first[f]) &&
                memcmp(ev->name[i], first[f], ev->name_len[i]) == 0)
                done[i] = 1, order[k++] = i;
    for (size_t i = 0; i < ev->count; i++)
        if (!done[i])
            order[k++] = i;
    for (size_t j = 0; j < k; j++) {
        size_t i = order[j];
        if (ev->name_len[i] == 15 && memcmp(ev->name[i], "datacontenttype", 15) == 0)
            continue;
        char name[128] = "HTTP_CE_";
        if (ev->name_len[i] + 9 > sizeof name)
            return -1;
        for (size_t c = 0; c < ev->name_len[i]; c++) {
            char ch = ev->name[i][c];
            name[8 + c] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
        }
        name[8 + ev->name_len[i]] = '\0';
        put_pair(&params, name, ev->value[i], ev->value_len[i]);
    }
    if (params.length > MAX_CONTENT) {
        free(params.data);
        return -1;
    }
    unsigned char begin[8] = {0, RESPONDER, KEEP_CONN, 0, 0, 0, 0, 0};
    put_record(out, BEGIN_REQUEST, begin, sizeof begin);
    put_record(out, PARAMS, params.data, params.length);
    put_record(out, PARAMS, NULL, 0);
    for (size_t off = 0; off < ev->data_len; off += STDIN_CHUNK) {
        size_t chunk = ev->data_len - off < STDIN_CHUNK ? ev->data_len - off : STDIN_CHUNK;
        put_record(out, STDIN, ev->data + off, chunk);
    }
    put_record(out, STDIN, NULL, 0);
    free(params.data);
    return 0;
}

/* ---- the requests -------------------------------------------------------- */

static bytes arena;          /* every request, back to back */
static size_t *offsets;      /* request i is arena[offsets[i], offsets[i+1]) */
static size_t request_count;

static void add_request(const char *line, size_t n, size_t number)
{
    event ev;
    if (scan_event(line, n, &ev) < 0 || build_request(&ev, &arena) < 0) {
        fprintf(stderr, "fcgi_raw: line %zu: not a flat structured event\n", number);
        exit(2);
    }
    offsets = xrealloc(offsets, (request_count + 2) * sizeof *offsets);
    offsets[++request_count] = arena.length;
}

static void load(const char *path, long limit)
{
    offsets = xrealloc(NULL, sizeof *offsets);
    offsets[0] = 0;
    if (path == NULL) {
        static const char sample[] =
            "{\"specversion\":\"1.0\",\"id\":\"evt-0000001\",\"source\":\"/bench/orders\","
            "\"type\":\"com.example.order.created\",\"subject\":\"orders/ORD-0000001\","
            "\"time\":\"2026-11-23T09:30:00.123Z\",\"datacontenttype\":\"application/json\","
            "\"data\":{\"orderId\":\"ORD-0000001\",\"customer\":\"C-00001\",\"amount\":37.01,"
            "\"currency\":\"EUR\",\"items\":2,\"status\":\"confirmed\",\"channel\":\"web\"}}";
        add_request(sample, sizeof sample - 1, 1);
        return;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "fcgi_raw: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char *line = NULL;
    size_t cap = 0, number = 0;
    ssize_t n;
    while ((long)request_count < limit && (n = getline(&line, &cap, f)) >= 0) {
        number++;
        if (skip_ws(line, line + n) < line + n)
            add_request(line, (size_t)n, number);
    }
    free(line);
    fclose(f);
    if (request_count == 0) {
        fprintf(stderr, "fcgi_raw: %s: no events\n", path);
        exit(2);
    }
}

/* ---- the client loop ----------------------------------------------------- */

static const char *sock_path;
static long total;
static int timeout_ms = 10000;
static atomic_int show; /* -v: print the first reply's STDOUT */
static atomic_long next_request, answered, bad;
static pthread_barrier_t ready;

static int dial(void)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(sock_path) >= sizeof a.sun_path)
        return -1;
    strcpy(a.sun_path, sock_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
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

/* Read one reply: returns 0 at END_REQUEST (*ok set), -1 on EOF, error or
 * timeout. Records may span reads; bytes after END_REQUEST are an error. */
static int read_reply(int fd, unsigned char *buf, int *ok)
{
    size_t have = 0, off = 0;
    int status_seen = 0, status_ok = 1;
    for (;;) {
        while (have - off >= HEADER_LEN) {
            const unsigned char *h = buf + off;
            size_t len = (size_t)h[4] << 8 | h[5], rec = HEADER_LEN + len + h[6];
            if (have - off < rec)
                break;
            const unsigned char *d = h + HEADER_LEN;
            if (h[0] != 1)
                return -1;
            if (h[1] == STDOUT && atomic_load(&show))
                fwrite(d, 1, len, stdout);
            if (h[1] == STDOUT && len && !status_seen) {
                status_seen = 1;
                const unsigned char *s = memmem(d, len, "Status:", 7);
                if (s != NULL) {
                    s += 7;
                    while (s < d + len && *s == ' ')
                        s++;
                    status_ok = d + len - s >= 3 && memcmp(s, "200", 3) == 0;
                }
            } else if (h[1] == END_REQUEST) {
                *ok = len >= 8 && d[4] == 0 && status_ok;
                atomic_store(&show, 0);
                return off + rec == have ? 0 : -1;
            }
            off += rec;
        }
        if (off > 0) {
            memmove(buf, buf + off, have - off);
            have -= off;
            off = 0;
        }
        size_t room = BUF_SIZE - have;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t k = recv(fd, buf + have, room < READ_SIZE ? room : READ_SIZE, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        have += (size_t)k;
    }
}

static void *client(void *arg)
{
    (void)arg;
    int fd = dial();
    unsigned char *buf = malloc(BUF_SIZE);
    int failed = fd < 0 || buf == NULL;
    if (failed)
        fprintf(stderr, "fcgi_raw: connect %s: %s\n", sock_path, strerror(errno));
    pthread_barrier_wait(&ready);
    while (!failed) {
        long i = atomic_fetch_add(&next_request, 1);
        if (i >= total)
            break;
        size_t r = (size_t)i % request_count;
        int ok = 0;
        if (send_all(fd, arena.data + offsets[r], offsets[r + 1] - offsets[r]) < 0 ||
            read_reply(fd, buf, &ok) < 0) {
            fprintf(stderr, "fcgi_raw: request %ld: no complete reply (%s)\n", i,
                    errno ? strerror(errno) : "closed, timed out or malformed");
            failed = 1;
            break;
        }
        atomic_fetch_add(&answered, 1);
        if (!ok)
            atomic_fetch_add(&bad, 1);
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* User + system time of the whole process (every thread) so far. */
static double cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

static int usage(void)
{
    fprintf(stderr, "usage: fcgi_raw -s SOCK [-n N] [-c CONNS] [-f NDJSON] [-t SECONDS] [-v]\n"
                    "  N requests in all (default 100000) over CONNS kept unix\n"
                    "  connections (default 1), one thread each; the events of NDJSON\n"
                    "  (else one embedded event); -t: reply timeout (default 10);\n"
                    "  -v: print the first reply's STDOUT\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    long conns = 1;
    int opt;
    total = 100000;
    while ((opt = getopt(argc, argv, "s:n:c:f:t:vh")) != -1) {
        switch (opt) {
        case 's': sock_path = optarg; break;
        case 'n': total = atol(optarg); break;
        case 'c': conns = atol(optarg); break;
        case 'f': file = optarg; break;
        case 't': timeout_ms = (int)(atof(optarg) * 1000); break;
        case 'v': atomic_store(&show, 1); break;
        default: return usage();
        }
    }
    if (sock_path == NULL || optind != argc || total < 1 || total > 100000000L ||
        conns < 1 || conns > MAX_CONNS || timeout_ms < 1)
        return usage();
    load(file, total);

    pthread_t tid[MAX_CONNS];
    pthread_barrier_init(&ready, NULL, (unsigned)conns + 1);
    for (long i = 0; i < conns; i++)
        if (pthread_create(&tid[i], NULL, client, NULL) != 0) {
            fprintf(stderr, "fcgi_raw: cannot start thread %ld\n", i + 1);
            return 1;
        }
    pthread_barrier_wait(&ready); /* every thread connected (or failed) */
    double start = now();
    double cpu_start = cpu_seconds();
    for (long i = 0; i < conns; i++)
        pthread_join(tid[i], NULL);
    double elapsed = now() - start;
    double cpu = cpu_seconds() - cpu_start;
    long n = atomic_load(&answered), b = atomic_load(&bad);
    size_t average = offsets[request_count] / request_count;
    printf("fcgi_raw: %ld requests (%ld bad) of %zu bytes on average, %ld conn%s, "
           "%.3f s: %.0f req/s, %.2f us/req, cpu %.2f us/req\n", n, b, average,
           conns, conns == 1 ? "" : "s", elapsed, n / elapsed,
           n ? elapsed * 1e6 / (double)n : 0.0, n ? cpu * 1e6 / (double)n : 0.0);
    return n == total && b == 0 ? 0 : 1;
}
