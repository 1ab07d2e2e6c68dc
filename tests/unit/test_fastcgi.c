/* SPDX-License-Identifier: Apache-2.0 */
/* test_fastcgi.c - the FastCGI client (gateway/fastcgi.c).
 *
 * 1. Request encoding: length fields at their boundaries, PARAMS records
 *    (never a pair across two, at most 65528 content bytes), STDIN records,
 *    checked by decoding the bytes back.
 * 2. The response record parser: the same outcome whole, at every split and
 *    byte by byte; STDERR apart from STDOUT; every END_REQUEST status;
 *    malformed records.
 * 3. The pool against real servers: a small FastCGI server written here
 *    (threads, unix sockets in a fresh mkdtemp directory, or 127.0.0.1),
 *    which counts accepts, EOFs and concurrent connections and can misbehave
 *    on purpose; and the project's echo app ($CEGATE_ECHO_APP). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* libfcgi-dev's header (the gateway's are found through -iquote only). */
#include <fastcgi.h>

#include "../common/run.h"
#include "upstream/fcgi_pool.h"

/* ---- small helpers -------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

typedef struct bytes {
    unsigned char *data;
    size_t length, capacity;
} bytes;

static void bytes_add(bytes *b, const void *p, size_t n)
{
    if (b->length + n > b->capacity) {
        size_t c = b->capacity ? b->capacity : 256;
        while (c < b->length + n)
            c *= 2;
        b->data = realloc(b->data, c);
        cr_assert_not_null(b->data);
        b->capacity = c;
    }
    if (n)
        memcpy(b->data + b->length, p, n);
    b->length += n;
}

/* One record: any version, type, id and padding, for building streams. */
static void record_raw(bytes *b, int version, int type, int id, const void *content,
                       size_t len, size_t pad)
{
    unsigned char h[8] = {(unsigned char)version, (unsigned char)type,
                          (unsigned char)(id >> 8), (unsigned char)id,
                          (unsigned char)(len >> 8), (unsigned char)len,
                          (unsigned char)pad, 0};
    bytes_add(b, h, 8);
    bytes_add(b, content, len);
    static const unsigned char zeros[256];
    bytes_add(b, zeros, pad);
}

static void record(bytes *b, int type, const char *s)
{
    size_t n = strlen(s);
    record_raw(b, 1, type, 1, s, n, (8 - n % 8) % 8);
}

static void end_request(bytes *b, uint32_t app_status, int protocol_status)
{
    unsigned char e[8] = {(unsigned char)(app_status >> 24),
                          (unsigned char)(app_status >> 16),
                          (unsigned char)(app_status >> 8),
                          (unsigned char)app_status,
                          (unsigned char)protocol_status, 0, 0, 0};
    record_raw(b, 1, FCGI_END_REQUEST, 1, e, 8, 0);
}

static upstream_request *new_request(void)
{
    upstream_request *r = malloc(sizeof *r);
    upstream_request_init(r);
    return r;
}

static void add_param(upstream_request *r, const char *name, const char *value)
{
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(upstream_request_add(r, name, value, strlen(value), &err), 0,
                 "%s: %s", name, err.text);
}

static void add_param_n(upstream_request *r, const char *name, char fill, size_t n)
{
    char *v = malloc(n + 1);
    memset(v, fill, n);
    v[n] = '\0';
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(upstream_request_add(r, name, v, n, &err), 0);
    free(v);
}

static void free_request(upstream_request *r)
{
    upstream_request_free(r);
    free(r);
}

/* What a failed test leaves behind (a running echo app, a directory with
 * a socket in it) is removed by the suites' fini, which Criterion runs
 * after a failed assertion too. */
#define MAX_LEFTOVERS 16
static pid_t leftover_pids[MAX_LEFTOVERS];
static char leftover_dirs[MAX_LEFTOVERS][64];

static void remember_dir(const char *dir)
{
    for (int i = 0; i < MAX_LEFTOVERS; i++)
        if (leftover_dirs[i][0] == '\0') {
            snprintf(leftover_dirs[i], sizeof leftover_dirs[i], "%s", dir);
            return;
        }
}

static void forget_dir(const char *dir)
{
    for (int i = 0; i < MAX_LEFTOVERS; i++)
        if (strcmp(leftover_dirs[i], dir) == 0)
            leftover_dirs[i][0] = '\0';
}

static void remember_pid(pid_t pid)
{
    for (int i = 0; i < MAX_LEFTOVERS; i++)
        if (leftover_pids[i] == 0) {
            leftover_pids[i] = pid;
            return;
        }
}

static void forget_pid(pid_t pid)
{
    for (int i = 0; i < MAX_LEFTOVERS; i++)
        if (leftover_pids[i] == pid)
            leftover_pids[i] = 0;
}

static void clean_leftovers(void)
{
    for (int i = 0; i < MAX_LEFTOVERS; i++)
        if (leftover_pids[i] > 0) {
            kill(leftover_pids[i], SIGKILL);
            waitpid(leftover_pids[i], NULL, 0);
            leftover_pids[i] = 0;
        }
    for (int i = 0; i < MAX_LEFTOVERS; i++) {
        if (leftover_dirs[i][0] == '\0')
            continue;
        DIR *d = opendir(leftover_dirs[i]);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char path[64 + 256 + 2];
                snprintf(path, sizeof path, "%.63s/%.256s", leftover_dirs[i],
                         e->d_name);
                unlink(path);
            }
            closedir(d);
            rmdir(leftover_dirs[i]);
        }
        leftover_dirs[i][0] = '\0';
    }
}

TestSuite(pool, .fini = clean_leftovers);
TestSuite(echo_app, .fini = clean_leftovers);

/* ---- decoding what the encoder wrote ---------------------------------------------- */

typedef struct rec {
    int type, id;
    size_t length, padding;
    const unsigned char *content;
} rec;

/* Every record of the buffer; fails the test on a malformed one. */
static rec *decode_records(const cegate_buffer *b, size_t *count)
{
    size_t cap = 64, n = 0, off = 0;
    rec *r = malloc(cap * sizeof *r);
    const unsigned char *p = (const unsigned char *)b->data;
    while (off < b->length) {
        cr_assert_geq(b->length - off, 8, "truncated header at %zu", off);
        const FCGI_Header *h = (const FCGI_Header *)(p + off);
        cr_assert_eq(h->version, FCGI_VERSION_1);
        cr_assert_eq(h->reserved, 0);
        if (n == cap)
            r = realloc(r, (cap *= 2) * sizeof *r);
        r[n].type = h->type;
        r[n].id = h->requestIdB1 << 8 | h->requestIdB0;
        r[n].length = (size_t)h->contentLengthB1 << 8 | h->contentLengthB0;
        r[n].padding = h->paddingLength;
        r[n].content = p + off + 8;
        cr_assert_leq(off + 8 + r[n].length + r[n].padding, b->length,
                      "record %zu overruns the buffer", n);
        for (size_t i = 0; i < r[n].padding; i++)
            cr_assert_eq(p[off + 8 + r[n].length + i], 0, "padding not zero");
        off += 8 + r[n].length + r[n].padding;
        n++;
    }
    *count = n;
    return r;
}

static size_t read_length(const unsigned char *p, size_t *used)
{
    if (p[0] < 0x80) {
        *used = 1;
        return p[0];
    }
    *used = 4;
    return ((size_t)(p[0] & 0x7F) << 24) | ((size_t)p[1] << 16) |
           ((size_t)p[2] << 8) | p[3];
}

/* Decode the pairs of ONE PARAMS record and check them against
 * req->params[*next...]: a pair must end exactly at the record's end. */
static void check_pairs(const rec *r, const upstream_request *req, size_t *next)
{
    size_t off = 0;
    while (off < r->length) {
        size_t u1, u2;
        cr_assert_leq(off + 1, r->length);
        size_t nl = read_length(r->content + off, &u1);
        cr_assert_leq(off + u1 + 1, r->length, "pair cut after its name length");
        size_t vl = read_length(r->content + off + u1, &u2);
        cr_assert_leq(off + u1 + u2 + nl + vl, r->length,
                      "a pair spans two PARAMS records");
        cr_assert_lt(*next, req->param_count, "more pairs than params");
        const upstream_param *p = &req->params[*next];
        cr_assert_eq(nl, p->name_length);
        cr_assert_eq(vl, p->value_length);
        cr_assert_eq(u1, p->name_length < 128 ? 1u : 4u);
        cr_assert_eq(u2, p->value_length < 128 ? 1u : 4u);
        cr_assert(memcmp(r->content + off + u1 + u2, p->name, nl) == 0);
        cr_assert(memcmp(r->content + off + u1 + u2 + nl, p->value, vl) == 0);
        off += u1 + u2 + nl + vl;
        (*next)++;
    }
}

/* Check a whole encoded request; returns the number of PARAMS records with
 * content, and fills *stdin_records. */
static size_t check_request(const cegate_buffer *b, const upstream_request *req,
                            int keep, size_t *stdin_records)
{
    size_t n;
    rec *r = decode_records(b, &n);
    cr_assert_geq(n, 4);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(r[i].id, 1, "record %zu has request id %d", i, r[i].id);
        cr_assert_leq(r[i].length, FCGI_MAX_CONTENT);
        cr_assert_leq(r[i].length + r[i].padding, 65535);
        cr_assert_eq((r[i].length + r[i].padding) % 8, 0, "not padded to 8");
    }
    cr_assert_eq(r[0].type, FCGI_BEGIN_REQUEST);
    cr_assert_eq(r[0].length, 8);
    const FCGI_BeginRequestBody *begin = (const FCGI_BeginRequestBody *)r[0].content;
    cr_assert_eq(begin->roleB1 << 8 | begin->roleB0, FCGI_RESPONDER);
    cr_assert_eq(begin->flags, keep ? FCGI_KEEP_CONN : 0);
    size_t i = 1, next = 0, params_records = 0;
    for (; i < n && r[i].type == FCGI_PARAMS && r[i].length > 0; i++) {
        check_pairs(&r[i], req, &next);
        params_records++;
    }
    cr_assert_eq(next, req->param_count, "params missing");
    cr_assert_eq(r[i].type, FCGI_PARAMS);
    cr_assert_eq(r[i].length, 0, "no empty PARAMS");
    i++;
    size_t off = 0, stdin_count = 0;
    for (; i < n && r[i].type == FCGI_STDIN && r[i].length > 0; i++) {
        cr_assert_leq(off + r[i].length, req->body_length);
        cr_assert(memcmp(r[i].content, req->body + off, r[i].length) == 0);
        off += r[i].length;
        stdin_count++;
    }
    cr_assert_eq(off, req->body_length, "body incomplete");
    cr_assert_eq(i, n - 1, "records after the STDIN stream");
    cr_assert_eq(r[i].type, FCGI_STDIN);
    cr_assert_eq(r[i].length, 0);
    cr_assert_eq(r[i].padding, 0);
    free(r);
    if (stdin_records)
        *stdin_records = stdin_count;
    return params_records;
}

/* ---- 1. encoding ------------------------------------------------------------------ */

Test(encode, length_field_boundaries)
{
    unsigned char out[4];
    cr_assert_eq(fcgi_length_size(0), 1);
    cr_assert_eq(fcgi_length_size(127), 1);
    cr_assert_eq(fcgi_length_size(128), 4);
    cr_assert_eq(fcgi_length_size(65535), 4);
    cr_assert_eq(fcgi_length_size(65536), 4);
    cr_assert_eq(fcgi_length_size(0x7FFFFFFF), 4);

    cr_assert_eq(fcgi_length_write(out, 0), 1);
    cr_assert_eq(out[0], 0);
    cr_assert_eq(fcgi_length_write(out, 127), 1);
    cr_assert_eq(out[0], 127);
    cr_assert_eq(fcgi_length_write(out, 128), 4);
    cr_assert(memcmp(out, "\x80\x00\x00\x80", 4) == 0);
    cr_assert_eq(fcgi_length_write(out, 65535), 4);
    cr_assert(memcmp(out, "\x80\x00\xff\xff", 4) == 0);
    cr_assert_eq(fcgi_length_write(out, 65536), 4);
    cr_assert(memcmp(out, "\x80\x01\x00\x00", 4) == 0);
    cr_assert_eq(fcgi_length_write(out, 0x7FFFFFFF), 4);
    cr_assert(memcmp(out, "\xff\xff\xff\xff", 4) == 0);
    /* The size and the writer agree everywhere around the boundaries. */
    size_t probes[] = {0, 1, 126, 127, 128, 129, 255, 256, 65534, 65535, 65536,
                       16777215, 16777216};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        size_t used;
        cr_assert_eq(fcgi_length_write(out, probes[i]), fcgi_length_size(probes[i]));
        cr_assert_eq(read_length(out, &used), probes[i]);
        cr_assert_eq(used, fcgi_length_size(probes[i]));
    }
}

Test(encode, sizing_and_writing_agree_at_the_boundaries)
{
    /* Names and values of 0/1, 127, 128 and larger bytes, in every mix:
     * each pair is decoded back from the bytes, with the exact length-field
     * width, and the buffer holds exactly what was sized. */
    size_t name_lengths[] = {1, 127, 128, 300};
    size_t value_lengths[] = {0, 1, 127, 128, 129, 4096, 65000};
    upstream_request *req = new_request();
    size_t expect_pairs = 0;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 7; b++) {
            char *name = malloc(name_lengths[a] + 1);
            memset(name, 'N', name_lengths[a]);
            name[name_lengths[a]] = '\0';
            if (name_lengths[a] >= 3) {
                name[1] = (char)('0' + a);
                name[2] = (char)('0' + b);
            }
            add_param_n(req, name, (char)('a' + b), value_lengths[b]);
            expect_pairs += fcgi_length_size(name_lengths[a]) +
                            fcgi_length_size(value_lengths[b]) +
                            name_lengths[a] + value_lengths[b];
            free(name);
        }
    cegate_buffer out;
    cegate_buffer_init(&out, SIZE_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 1, &out, &err), 0, "%s", err.text);
    size_t params_records = check_request(&out, req, 1, NULL);
    cr_assert_geq(params_records, 2); /* 28 pairs, several of 65000 bytes */
    /* Total = the pairs + one header and padding per record + the fixed part. */
    size_t n;
    rec *r = decode_records(&out, &n);
    size_t pair_bytes = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].type == FCGI_PARAMS)
            pair_bytes += r[i].length;
    cr_assert_eq(pair_bytes, expect_pairs);
    free(r);
    /* Encoding appends: a second request after the first. */
    size_t first = out.length;
    cr_assert_eq(fcgi_encode_request(req, 1, &out, &err), 0);
    cr_assert_eq(out.length, 2 * first);
    cr_assert(memcmp(out.data, out.data + first, first) == 0);
    cegate_buffer_free(&out);
    free_request(req);
}

Test(encode, begin_request_and_empty_streams)
{
    upstream_request *req = new_request();
    cegate_buffer out;
    cegate_buffer_init(&out, SIZE_MAX);
    cr_assert_eq(fcgi_encode_request(req, 0, &out, NULL), 0);
    /* BEGIN_REQUEST, empty PARAMS, empty STDIN: exactly these bytes. */
    static const unsigned char want[] = {
        1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
        1, 4, 0, 1, 0, 0, 0, 0,
        1, 5, 0, 1, 0, 0, 0, 0};
    cr_assert_eq(out.length, sizeof want);
    cr_assert(memcmp(out.data, want, sizeof want) == 0);
    cegate_buffer_reset(&out);
    cr_assert_eq(fcgi_encode_request(req, 1, &out, NULL), 0);
    cr_assert_eq((unsigned char)out.data[10], FCGI_KEEP_CONN);
    cegate_buffer_reset(&out);
    add_param(req, "A", "b");
    req->body = "xyz";
    req->body_length = 3;
    cr_assert_eq(fcgi_encode_request(req, 1, &out, NULL), 0);
    static const unsigned char want2[] = {
        1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0,
        1, 4, 0, 1, 0, 4, 4, 0, 1, 1, 'A', 'b', 0, 0, 0, 0,
        1, 4, 0, 1, 0, 0, 0, 0,
        1, 5, 0, 1, 0, 3, 5, 0, 'x', 'y', 'z', 0, 0, 0, 0, 0,
        1, 5, 0, 1, 0, 0, 0, 0};
    cr_assert_eq(out.length, sizeof want2);
    cr_assert(memcmp(out.data, want2, sizeof want2) == 0);
    cegate_buffer_free(&out);
    free_request(req);
}

/* A request reset and filled again encodes exactly as a fresh one, also
 * after a value too large for a standard block (kept apart, then freed). */
Test(encode, a_reset_request_encodes_like_a_fresh_one)
{
    upstream_request *reused = new_request(), *fresh = new_request();
    for (int round = 0; round < 3; round++) {
        add_param(reused, "OLD_NAME", "an old value");
        add_param_n(reused, "HUGE", 'h', round == 1 ? 20000 : 10);
        reused->body = "old body";
        reused->body_length = 8;
        upstream_request_reset(reused);
        cr_assert_eq(reused->param_count, 0);
        cr_assert_eq(reused->body_length, 0);
        cr_assert_null(upstream_request_get(reused, "OLD_NAME"));
    }
    add_param(reused, "A", "b");
    add_param(reused, "LONGER_NAME", "a value");
    add_param(fresh, "A", "b");
    add_param(fresh, "LONGER_NAME", "a value");
    reused->body = fresh->body = "xyz";
    reused->body_length = fresh->body_length = 3;
    cegate_buffer a, b;
    cegate_buffer_init(&a, SIZE_MAX);
    cegate_buffer_init(&b, SIZE_MAX);
    cr_assert_eq(fcgi_encode_request(reused, 1, &a, NULL), 0);
    cr_assert_eq(fcgi_encode_request(fresh, 1, &b, NULL), 0);
    cr_assert_eq(a.length, b.length);
    cr_assert(memcmp(a.data, b.data, a.length) == 0);
    cegate_buffer_free(&a);
    cegate_buffer_free(&b);
    free_request(reused);
    free_request(fresh);
}

Test(encode, a_pair_never_spans_two_records)
{
    /* 1000 params of 200-byte values: about 3.2 MB... no, 1000 * 219 bytes,
     * which needs 4 records; every record ends on a pair boundary. */
    upstream_request *req = new_request();
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "HTTP_X_PARAM_%04d", i);
        add_param_n(req, name, (char)('A' + i % 26), 200);
    }
    cegate_buffer out;
    cegate_buffer_init(&out, SIZE_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 1, &out, &err), 0, "%s", err.text);
    size_t records = check_request(&out, req, 1, NULL);
    /* Each pair is 1 + 4 + 17 + 200 = 222 bytes; 295 fit in 65528. */
    cr_assert_eq(records, (1000 + 294) / 295);
    size_t n;
    rec *r = decode_records(&out, &n);
    cr_assert_eq(r[1].length, 295 * 222);
    free(r);
    cegate_buffer_free(&out);
    free_request(req);
}

Test(encode, the_largest_pair_that_fits_and_the_smallest_that_does_not)
{
    /* Name "V" (1 byte): 1 + 4 + 1 + value <= 65528, so 65522 fits. */
    upstream_request *req = new_request();
    add_param(req, "FIRST", "1");
    add_param_n(req, "V", 'v', 65522);
    add_param(req, "LAST", "2");
    cegate_buffer out;
    cegate_buffer_init(&out, SIZE_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 1, &out, &err), 0, "%s", err.text);
    size_t records = check_request(&out, req, 1, NULL);
    cr_assert_eq(records, 3, "the big pair goes alone in a record");
    size_t n;
    rec *r = decode_records(&out, &n);
    cr_assert_eq(r[2].length, 65528);
    cr_assert_eq(r[2].padding, 0);
    free(r);
    free_request(req);

    req = new_request();
    add_param(req, "FIRST", "1");
    add_param_n(req, "V", 'v', 65523);
    cegate_buffer_reset(&out);
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 1, &out, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(err.path, "V");
    cr_assert_eq(out.length, 0, "nothing written on failure");
    free_request(req);

    /* A 65535-byte value cannot be sent at all. */
    req = new_request();
    add_param_n(req, "HTTP_X_BIG", 'b', 65535);
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 1, &out, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(err.path, "HTTP_X_BIG");
    free_request(req);
    cegate_buffer_free(&out);
}

Test(encode, a_16_mib_body_in_stdin_records)
{
    size_t size = 16u * 1024 * 1024;
    char *body = malloc(size);
    for (size_t i = 0; i < size; i++)
        body[i] = (char)(i * 2654435761u >> 13);
    upstream_request *req = new_request();
    add_param(req, "REQUEST_METHOD", "POST");
    add_param(req, "CONTENT_LENGTH", "16777216");
    req->body = body;
    req->body_length = size;
    cegate_buffer out;
    cegate_buffer_init(&out, SIZE_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 0, &out, &err), 0, "%s", err.text);
    size_t stdin_records;
    check_request(&out, req, 0, &stdin_records);
    /* 16777216 = 256 * 65528 + 2048 */
    cr_assert_eq(stdin_records, 257);
    size_t n;
    rec *r = decode_records(&out, &n);
    cr_assert_eq(n, 1 + 1 + 1 + 257 + 1);
    for (size_t i = 3; i < 3 + 256; i++) {
        cr_assert_eq(r[i].type, FCGI_STDIN);
        cr_assert_eq(r[i].length, 65528);
        cr_assert_eq(r[i].padding, 0);
    }
    cr_assert_eq(r[259].length, 2048);
    cr_assert_eq(r[259].padding, 0);
    cr_assert_eq(r[260].length, 0);
    free(r);
    /* An odd size pads its last record. */
    req->body_length = 65528 + 3;
    cegate_buffer_reset(&out);
    cr_assert_eq(fcgi_encode_request(req, 0, &out, &err), 0);
    check_request(&out, req, 0, &stdin_records);
    cr_assert_eq(stdin_records, 2);
    r = decode_records(&out, &n);
    cr_assert_eq(r[4].length, 3);
    cr_assert_eq(r[4].padding, 5);
    free(r);
    cegate_buffer_free(&out);
    free_request(req);
    free(body);
}

Test(encode, limit_of_the_output_buffer)
{
    upstream_request *req = new_request();
    add_param(req, "A", "b");
    cegate_buffer out;
    cegate_buffer_init(&out, 40);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_encode_request(req, 0, &out, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(err.path, "request");
    cegate_buffer_free(&out);
    free_request(req);
}

/* ---- 2. the response parser ------------------------------------------------------- */

typedef struct outcome {
    char *text;
    size_t length;
    int rc, done, status;
    cegate_error err;
    char *body, *log;
    size_t body_length, log_length;
} outcome;

__attribute__((format(printf, 3, 4)))
static void out_add(char **t, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    *t = realloc(*t, *len + (size_t)n + 1);
    memcpy(*t + *len, s, (size_t)n + 1);
    *len += (size_t)n;
    free(s);
}

static void out_add_bytes(char **t, size_t *len, const char *b, size_t n)
{
    *t = realloc(*t, *len + n + 1);
    memcpy(*t + *len, b, n);
    *len += n;
    (*t)[*len] = '\0';
}

/* Feed in pieces (cuts: sizes, 0-terminated; NULL: whole). */
static outcome fcgi_run(const unsigned char *in, size_t n, const size_t *cuts,
                        size_t max_body, size_t max_log)
{
    outcome o;
    memset(&o, 0, sizeof o);
    upstream_response resp;
    upstream_response_init(&resp, max_body, max_log);
    fcgi_response_parser p;
    fcgi_response_parser_init(&p, &resp);
    int rc = 0;
    size_t off = 0;
    for (size_t i = 0; rc == 0 && off < n; i++) {
        size_t piece = cuts && cuts[i] ? cuts[i] : n - off;
        if (piece > n - off)
            piece = n - off;
        rc = fcgi_response_parser_feed(&p, (const char *)in + off, piece, &o.err);
        off += piece;
    }
    o.rc = rc;
    o.done = p.done;
    o.status = resp.status;
    char *t = NULL;
    size_t len = 0;
    out_add(&t, &len, "rc=%d code=%s path=%s text=%s done=%d app=%u proto=%d status=%d\n",
            rc, cegate_error_code_name(o.err.code), o.err.path, o.err.text,
            p.done, p.app_status, p.protocol_status, resp.status);
    for (size_t i = 0; i < resp.header_count; i++)
        out_add(&t, &len, "[%s]=[%s]\n", resp.header_names[i], resp.header_values[i]);
    out_add(&t, &len, "body %zu:", resp.body.length);
    out_add_bytes(&t, &len, resp.body.data ? resp.body.data : "", resp.body.length);
    out_add(&t, &len, "\nlog %zu:", resp.log.length);
    out_add_bytes(&t, &len, resp.log.data ? resp.log.data : "", resp.log.length);
    o.text = t;
    o.length = len;
    o.body = malloc(resp.body.length + 1);
    memcpy(o.body, resp.body.data ? resp.body.data : "", resp.body.length);
    o.body[resp.body.length] = '\0';
    o.body_length = resp.body.length;
    o.log = malloc(resp.log.length + 1);
    memcpy(o.log, resp.log.data ? resp.log.data : "", resp.log.length);
    o.log[resp.log.length] = '\0';
    o.log_length = resp.log.length;
    fcgi_response_parser_free(&p);
    upstream_response_free(&resp);
    return o;
}

static void outcome_free(outcome *o)
{
    free(o->text);
    free(o->body);
    free(o->log);
}

static void expect_same(const outcome *a, const outcome *b, const char *how)
{
    cr_assert(a->length == b->length && memcmp(a->text, b->text, a->length) == 0,
              "%s differs:\n--- whole\n%s\n--- %s\n%s", how, a->text, how, b->text);
}

/* Whole, at every two-piece split, byte by byte: the same outcome. */
static outcome fcgi_all_ways(const bytes *b, size_t max_body, size_t max_log)
{
    outcome whole = fcgi_run(b->data, b->length, NULL, max_body, max_log);
    size_t n = b->length;
    for (size_t cut = 1; cut < n; cut++) {
        size_t cuts[3] = {cut, n - cut, 0};
        outcome o = fcgi_run(b->data, n, cuts, max_body, max_log);
        char how[32];
        snprintf(how, sizeof how, "split at %zu", cut);
        expect_same(&whole, &o, how);
        outcome_free(&o);
    }
    size_t *ones = malloc((n + 1) * sizeof *ones);
    for (size_t i = 0; i < n; i++)
        ones[i] = 1;
    ones[n] = 0;
    outcome o = fcgi_run(b->data, n, n ? ones : NULL, max_body, max_log);
    expect_same(&whole, &o, "byte by byte");
    outcome_free(&o);
    free(ones);
    return whole;
}

Test(parse, a_typical_answer_all_ways)
{
    bytes b = {0};
    record(&b, FCGI_STDERR, "PHP message: warming up");
    record(&b, FCGI_STDOUT, "Status: 201 Created\r\nContent-Ty");
    record(&b, FCGI_STDOUT, "pe: application/json\r\nX-A: 1\r");
    record(&b, FCGI_STDOUT, "\n\r\n{\"ok\":");
    record(&b, FCGI_STDERR, " and done\n");
    record(&b, FCGI_STDOUT, "true}");
    record(&b, FCGI_STDOUT, "");
    record(&b, FCGI_STDERR, "");
    end_request(&b, 7, FCGI_REQUEST_COMPLETE);
    outcome o = fcgi_all_ways(&b, 1 << 20, 1 << 16);
    cr_assert_eq(o.rc, 0, "%s", o.text);
    cr_assert_eq(o.done, 1);
    cr_assert_eq(o.status, 201);
    cr_assert_str_eq(o.body, "{\"ok\":true}");
    cr_assert_str_eq(o.log, "PHP message: warming up and done\n");
    cr_assert_not_null(strstr(o.text, "app=7 proto=0"));
    cr_assert_not_null(strstr(o.text, "[Content-Type]=[application/json]\n[X-A]=[1]\n"));
    outcome_free(&o);
    free(b.data);
}

Test(parse, padding_of_any_length_is_skipped)
{
    bytes b = {0};
    record_raw(&b, 1, FCGI_STDOUT, 1, "X: 1\n\n", 6, 255);
    record_raw(&b, 1, FCGI_STDOUT, 1, "abc", 3, 0);
    record_raw(&b, 1, FCGI_STDOUT, 1, NULL, 0, 7);
    record_raw(&b, 1, FCGI_STDERR, 1, "e", 1, 100);
    unsigned char e[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    record_raw(&b, 1, FCGI_END_REQUEST, 1, e, 8, 8);
    outcome o = fcgi_all_ways(&b, 1 << 20, 1 << 16);
    cr_assert_eq(o.rc, 0, "%s", o.text);
    cr_assert_eq(o.done, 1);
    cr_assert_str_eq(o.body, "abc");
    cr_assert_str_eq(o.log, "e");
    outcome_free(&o);
    free(b.data);
}

Test(parse, stderr_is_kept_apart_and_bounded)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "Content-Type: text/plain\n\nout-1 ");
    record(&b, FCGI_STDERR, "err-1 ");
    record(&b, FCGI_STDOUT, "out-2");
    record(&b, FCGI_STDERR, "err-2 is longer than the log");
    end_request(&b, 0, 0);
    outcome o = fcgi_all_ways(&b, 1 << 20, 1 << 16);
    cr_assert_eq(o.rc, 0);
    cr_assert_str_eq(o.body, "out-1 out-2");
    cr_assert_str_eq(o.log, "err-1 err-2 is longer than the log");
    outcome_free(&o);
    /* A 10-byte log keeps the first 10 bytes and is not an error. */
    o = fcgi_all_ways(&b, 1 << 20, 10);
    cr_assert_eq(o.rc, 0, "%s", o.text);
    cr_assert_str_eq(o.log, "err-1 err-");
    cr_assert_str_eq(o.body, "out-1 out-2");
    outcome_free(&o);
    o = fcgi_all_ways(&b, 1 << 20, 0);
    cr_assert_eq(o.rc, 0);
    cr_assert_eq(o.log_length, 0);
    outcome_free(&o);
    free(b.data);
}

Test(parse, large_stdout_over_many_records)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "Content-Type: application/octet-stream\r\n\r\n");
    size_t total = 0;
    char *chunk = malloc(65535);
    for (int i = 0; i < 40; i++) {
        size_t n = i % 2 ? 65535 : 65528 - (size_t)i;
        memset(chunk, 'a' + i % 26, n);
        record_raw(&b, 1, FCGI_STDOUT, 1, chunk, n, i % 2 ? 0 : (8 - n % 8) % 8);
        total += n;
    }
    end_request(&b, 0, 0);
    outcome o = fcgi_run(b.data, b.length, NULL, 16u << 20, 1024);
    cr_assert_eq(o.rc, 0, "%s", o.err.text);
    cr_assert_eq(o.body_length, total);
    /* In 4096-byte reads, as the pool would get them. */
    size_t n = b.length / 4096 + 2;
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    for (size_t i = 0; i < n; i++)
        cuts[i] = 4096;
    cuts[n] = 0;
    outcome p = fcgi_run(b.data, b.length, cuts, 16u << 20, 1024);
    expect_same(&o, &p, "4096-byte reads");
    outcome_free(&p);
    /* The body limit: what fits is kept, the error names "body". */
    p = fcgi_run(b.data, b.length, cuts, 100000, 1024);
    cr_assert_eq(p.rc, -1);
    cr_assert_eq(p.err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(p.err.path, "body");
    cr_assert_eq(p.body_length, 100000);
    outcome_free(&p);
    outcome_free(&o);
    free(cuts);
    free(chunk);
    free(b.data);
}

static void expect_end_status(int protocol_status, cegate_error_code code)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "Status: 200\r\n\r\nok");
    end_request(&b, 0, protocol_status);
    outcome o = fcgi_all_ways(&b, 1024, 1024);
    if (code == CEGATE_OK) {
        cr_assert_eq(o.rc, 0, "%d: %s", protocol_status, o.text);
    } else {
        cr_assert_eq(o.rc, -1, "%d", protocol_status);
        cr_assert_eq(o.err.code, code, "%d: %s", protocol_status,
                     cegate_error_code_name(o.err.code));
        cr_assert_str_eq(o.err.path, "protocolStatus");
        char want[32];
        snprintf(want, sizeof want, "protocolStatus %d", protocol_status);
        cr_assert_not_null(strstr(o.err.text, want), "%s", o.err.text);
    }
    cr_assert_eq(o.done, 1, "END_REQUEST was read");
    outcome_free(&o);
    free(b.data);
}

Test(parse, every_end_request_protocol_status)
{
    expect_end_status(FCGI_REQUEST_COMPLETE, CEGATE_OK);
    expect_end_status(FCGI_CANT_MPX_CONN, CEGATE_ERR_UNAVAILABLE);
    expect_end_status(FCGI_OVERLOADED, CEGATE_ERR_UNAVAILABLE);
    expect_end_status(FCGI_UNKNOWN_ROLE, CEGATE_ERR_PROTOCOL);
    expect_end_status(4, CEGATE_ERR_PROTOCOL);
    expect_end_status(255, CEGATE_ERR_PROTOCOL);
}

Test(parse, app_status_is_read)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "\n");
    end_request(&b, 0xDEADBEEF, 0);
    outcome o = fcgi_all_ways(&b, 1024, 1024);
    cr_assert_eq(o.rc, 0);
    cr_assert_not_null(strstr(o.text, "app=3735928559 "), "%s", o.text);
    outcome_free(&o);
    free(b.data);
}

Test(parse, only_end_request_ends_the_answer)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "X: y\n\nbody");
    record(&b, FCGI_STDOUT, "");
    outcome o = fcgi_all_ways(&b, 1024, 1024);
    cr_assert_eq(o.rc, 0);
    cr_assert_eq(o.done, 0, "an empty STDOUT does not end it");
    outcome_free(&o);
    free(b.data);
}

Test(parse, bytes_after_end_request)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "X: y\n\n");
    end_request(&b, 0, 0);
    bytes_add(&b, "\x01", 1);
    outcome o = fcgi_all_ways(&b, 1024, 1024);
    cr_assert_eq(o.rc, -1);
    cr_assert_eq(o.err.code, CEGATE_ERR_PROTOCOL);
    cr_assert_str_eq(o.err.path, "END_REQUEST");
    cr_assert_eq(o.done, 1);
    outcome_free(&o);
    /* A whole second answer (pipelining) is the same error. */
    b.length = 0;
    record(&b, FCGI_STDOUT, "X: y\n\n");
    end_request(&b, 0, 0);
    record(&b, FCGI_STDOUT, "X: z\n\n");
    end_request(&b, 0, 0);
    o = fcgi_all_ways(&b, 1024, 1024);
    cr_assert_eq(o.err.code, CEGATE_ERR_PROTOCOL);
    outcome_free(&o);
    free(b.data);
}

static void expect_malformed(const bytes *b, const char *path, const char *text)
{
    outcome o = fcgi_all_ways(b, 1024, 1024);
    cr_assert_eq(o.rc, -1, "accepted:\n%s", o.text);
    cr_assert_eq(o.err.code, CEGATE_ERR_PROTOCOL, "%s", o.text);
    cr_assert_str_eq(o.err.path, path, "%s", o.text);
    if (text)
        cr_assert_not_null(strstr(o.err.text, text), "%s", o.err.text);
    cr_assert_eq(o.done, 0);
    outcome_free(&o);
}

Test(parse, malformed_records_name_the_field)
{
    bytes b = {0};
    record_raw(&b, 2, FCGI_STDOUT, 1, "X: y\n\n", 6, 2);
    expect_malformed(&b, "version", "version 2");
    b.length = 0;
    record_raw(&b, 0, FCGI_STDOUT, 1, "X: y\n\n", 6, 2);
    expect_malformed(&b, "version", "version 0");
    b.length = 0;
    record(&b, FCGI_STDOUT, "X: y\n\n");
    record_raw(&b, 1, 42, 1, "abc", 3, 5);
    expect_malformed(&b, "record type", "record type 42");
    int client_types[] = {FCGI_BEGIN_REQUEST, FCGI_ABORT_REQUEST, FCGI_PARAMS,
                          FCGI_STDIN, FCGI_DATA, FCGI_GET_VALUES, 0, 12, 255};
    for (size_t i = 0; i < sizeof client_types / sizeof *client_types; i++) {
        b.length = 0;
        record_raw(&b, 1, client_types[i], 1, NULL, 0, 0);
        char want[32];
        snprintf(want, sizeof want, "record type %d", client_types[i]);
        expect_malformed(&b, "record type", want);
    }
    b.length = 0;
    record_raw(&b, 1, FCGI_GET_VALUES_RESULT, 0, "\x0e\x01" "FCGI_MAX_CONNS1", 17, 7);
    expect_malformed(&b, "record type", "GET_VALUES_RESULT");
    b.length = 0;
    record_raw(&b, 1, FCGI_UNKNOWN_TYPE, 0, "\x2a\0\0\0\0\0\0\0", 8, 0);
    expect_malformed(&b, "record type", "record type 11");
    b.length = 0;
    record_raw(&b, 1, FCGI_STDOUT, 2, "X: y\n\n", 6, 2);
    expect_malformed(&b, "request id", "request id 2");
    b.length = 0;
    record_raw(&b, 1, FCGI_STDOUT, 0, "X: y\n\n", 6, 2);
    expect_malformed(&b, "request id", "request id 0");
    b.length = 0;
    record_raw(&b, 1, FCGI_STDOUT, 257, "X: y\n\n", 6, 2);
    expect_malformed(&b, "request id", "request id 257");
    b.length = 0;
    record(&b, FCGI_STDOUT, "X: y\n\n");
    record_raw(&b, 1, FCGI_END_REQUEST, 1, "\0\0\0\0\0\0\0", 7, 1);
    expect_malformed(&b, "contentLength", "8");
    b.length = 0;
    record(&b, FCGI_STDOUT, "X: y\n\n");
    record_raw(&b, 1, FCGI_END_REQUEST, 1, "\0\0\0\0\0\0\0\0\0", 9, 7);
    expect_malformed(&b, "contentLength", NULL);
    free(b.data);
}

Test(parse, cgi_errors_come_through)
{
    bytes b = {0};
    record(&b, FCGI_STDOUT, "Status: abc\r\n\r\n");
    end_request(&b, 0, 0);
    expect_malformed(&b, "Status", "Status");
    b.length = 0;
    record(&b, FCGI_STDOUT, "Bad Header: x\r\n\r\n");
    end_request(&b, 0, 0);
    expect_malformed(&b, "header", "not a token");
    free(b.data);
}

Test(parse, end_request_without_a_complete_cgi_response)
{
    bytes b = {0};
    end_request(&b, 0, 0);
    outcome o = fcgi_all_ways(&b, 1024, 1024);
    cr_assert_eq(o.rc, -1);
    cr_assert_eq(o.err.code, CEGATE_ERR_PROTOCOL);
    cr_assert_str_eq(o.err.path, "headers");
    cr_assert_eq(o.done, 1);
    outcome_free(&o);
    b.length = 0;
    record(&b, FCGI_STDERR, "Primary script unknown");
    record(&b, FCGI_STDOUT, "Status: 404 Not Found\r\nContent-type: text/html");
    end_request(&b, 0, 0);
    o = fcgi_all_ways(&b, 1024, 1024);
    cr_assert_eq(o.err.code, CEGATE_ERR_PROTOCOL);
    cr_assert_str_eq(o.err.path, "headers");
    cr_assert_str_eq(o.log, "Primary script unknown");
    outcome_free(&o);
    free(b.data);
}

Test(parse, a_failed_parser_stays_failed)
{
    upstream_response resp;
    upstream_response_init(&resp, 100, 100);
    fcgi_response_parser p;
    fcgi_response_parser_init(&p, &resp);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_response_parser_feed(&p, "\x02\x06\0\x01\0\0\0\0", 8, &err), -1);
    bytes b = {0};
    record(&b, FCGI_STDOUT, "X: y\n\n");
    end_request(&b, 0, 0);
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_response_parser_feed(&p, (char *)b.data, b.length, &err), -1);
    cr_assert_eq(p.done, 0);
    fcgi_response_parser_free(&p);
    upstream_response_free(&resp);
    free(b.data);
}

/* ---- 3. a FastCGI server for the pool tests ---------------------------------------- */

typedef enum {
    SERVE_ECHO,          /* answer 200 with what was received */
    SERVE_SILENT,        /* read the request, never answer */
    SERVE_CLOSE_MID,     /* send part of an answer, then close */
    SERVE_CLOSE_NOTHING, /* read the request, close without a byte */
    SERVE_OVERLOADED,    /* END_REQUEST protocolStatus OVERLOADED */
    SERVE_DROP_KEPT,     /* answer, then close even with KEEP_CONN */
    SERVE_EARLY,         /* answer after PARAMS, without reading STDIN; close */
    SERVE_BIG,           /* answer with a body of big_bytes bytes */
} serve_mode;

#define MAX_HANDLERS 512

typedef struct server {
    char dir[64];
    char path[128];
    char address[160];
    int listen_fd;
    serve_mode mode;
    int delay_ms;                 /* hold each request this long */
    size_t big_bytes;
    pthread_t acceptor;
    pthread_mutex_t lock;
    pthread_t handlers[MAX_HANDLERS];
    int handler_count;
    atomic_int stop;
    atomic_int accepts, eofs, requests, keep_flags, open, max_open, busy, max_busy;
    atomic_int served;
} server;

typedef struct conn_arg {
    server *s;
    int fd;
} conn_arg;

static void raise_max(atomic_int *max, int v)
{
    int m = atomic_load(max);
    while (v > m && !atomic_compare_exchange_weak(max, &m, v))
        ;
}

/* Read exactly n bytes. 1: done; 0: EOF before the first byte; -1: EOF
 * inside, an error, or the server stopping. */
static int read_exact(server *s, int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int k = poll(&pfd, 1, 20);
        if (atomic_load(&s->stop))
            return -1;
        if (k <= 0)
            continue;
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r == 0)
            return got == 0 ? 0 : -1;
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return got == 0 && errno == ECONNRESET ? 0 : -1;
        }
        got += (size_t)r;
    }
    return 1;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int send_stream(int fd, int type, const char *data, size_t n)
{
    bytes b = {0};
    for (size_t off = 0; off < n;) {
        size_t k = n - off > 65535 ? 65535 : n - off;
        record_raw(&b, 1, type, 1, data + off, k, 0);
        off += k;
    }
    int rc = write_all(fd, b.data, b.length);
    free(b.data);
    return rc;
}

static int send_end(int fd, int protocol_status)
{
    bytes b = {0};
    end_request(&b, 0, protocol_status);
    int rc = write_all(fd, b.data, b.length);
    free(b.data);
    return rc;
}

typedef struct got_request {
    int keep;
    size_t params;
    char *first_param;   /* "NAME=VALUE" of the first pair */
    bytes body;
    int stdin_done;
} got_request;

/* Read one request. 1: read; 0: EOF at a request boundary; -1: broken. */
static int read_request(server *s, int fd, got_request *g, int stop_after_params)
{
    memset(g, 0, sizeof *g);
    int any = 0;
    for (;;) {
        unsigned char h[8];
        int r = read_exact(s, fd, h, 8);
        if (r <= 0)
            return any ? -1 : r;
        any = 1;
        size_t len = (size_t)h[4] << 8 | h[5], pad = h[6];
        unsigned char *c = malloc(len + pad + 1);
        if (len + pad > 0 && read_exact(s, fd, c, len + pad) != 1) {
            free(c);
            return -1;
        }
        if (h[1] == FCGI_BEGIN_REQUEST) {
            g->keep = c[2] & FCGI_KEEP_CONN;
        } else if (h[1] == FCGI_PARAMS && len == 0) {
            if (stop_after_params) {
                free(c);
                return 1;
            }
        } else if (h[1] == FCGI_PARAMS) {
            size_t off = 0;
            while (off < len) {
                size_t u1, u2, nl = read_length(c + off, &u1);
                size_t vl = read_length(c + off + u1, &u2);
                if (g->params == 0) {
                    g->first_param = malloc(nl + vl + 2);
                    memcpy(g->first_param, c + off + u1 + u2, nl);
                    g->first_param[nl] = '=';
                    memcpy(g->first_param + nl + 1, c + off + u1 + u2 + nl, vl);
                    g->first_param[nl + vl + 1] = '\0';
                }
                g->params++;
                off += u1 + u2 + nl + vl;
            }
        } else if (h[1] == FCGI_STDIN && len > 0) {
            bytes_add(&g->body, c, len);
        } else if (h[1] == FCGI_STDIN) {
            free(c);
            g->stdin_done = 1;
            return 1;
        }
        free(c);
    }
}

static void *serve_connection(void *arg)
{
    conn_arg *a = arg;
    server *s = a->s;
    int fd = a->fd;
    free(a);
    for (;;) {
        got_request g;
        int r = read_request(s, fd, &g, s->mode == SERVE_EARLY);
        if (r == 0)
            atomic_fetch_add(&s->eofs, 1);
        if (r <= 0) {
            free(g.first_param);
            free(g.body.data);
            break;
        }
        atomic_fetch_add(&s->requests, 1);
        if (g.keep)
            atomic_fetch_add(&s->keep_flags, 1);
        raise_max(&s->max_busy, atomic_fetch_add(&s->busy, 1) + 1);
        if (s->delay_ms)
            sleep_ms(s->delay_ms);
        /* Not busy any more once the answer starts: the client may take
         * its connection back as soon as END_REQUEST arrives. */
        atomic_fetch_sub(&s->busy, 1);
        int keep = g.keep;
        char head[512];
        int hn = snprintf(head, sizeof head,
                          "Status: 200 OK\r\nContent-Type: text/plain\r\n"
                          "X-Params: %zu\r\nX-First: %.64s\r\nX-Stdin: %zu\r\n\r\n",
                          g.params, g.first_param ? g.first_param : "",
                          g.body.length);
        switch (s->mode) {
        case SERVE_ECHO:
        case SERVE_DROP_KEPT:
            send_stream(fd, FCGI_STDERR, "served\n", 7);
            send_stream(fd, FCGI_STDOUT, head, (size_t)hn);
            if (g.body.length)
                send_stream(fd, FCGI_STDOUT, (char *)g.body.data, g.body.length);
            send_end(fd, 0);
            if (s->mode == SERVE_DROP_KEPT)
                keep = 0;
            break;
        case SERVE_BIG: {
            char *big = malloc(s->big_bytes);
            memset(big, 'z', s->big_bytes);
            send_stream(fd, FCGI_STDOUT, head, (size_t)hn);
            send_stream(fd, FCGI_STDOUT, big, s->big_bytes);
            send_end(fd, 0);
            free(big);
            break;
        }
        case SERVE_SILENT:
            while (!atomic_load(&s->stop))
                sleep_ms(10);
            keep = 0;
            break;
        case SERVE_CLOSE_MID:
            send_stream(fd, FCGI_STDOUT, head, 20);
            keep = 0;
            break;
        case SERVE_CLOSE_NOTHING:
            keep = 0;
            break;
        case SERVE_OVERLOADED:
            send_end(fd, FCGI_OVERLOADED);
            break;
        case SERVE_EARLY:
            send_stream(fd, FCGI_STDOUT, head, (size_t)hn);
            send_end(fd, 0);
            keep = 0;
            break;
        }
        atomic_fetch_add(&s->served, 1);
        free(g.first_param);
        free(g.body.data);
        if (!keep)
            break;
    }
    close(fd);
    atomic_fetch_sub(&s->open, 1);
    return NULL;
}

static void *accept_loop(void *arg)
{
    server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->accepts, 1);
        raise_max(&s->max_open, atomic_fetch_add(&s->open, 1) + 1);
        conn_arg *a = malloc(sizeof *a);
        a->s = s;
        a->fd = fd;
        pthread_mutex_lock(&s->lock);
        cr_assert_lt(s->handler_count, MAX_HANDLERS);
        pthread_create(&s->handlers[s->handler_count++], NULL, serve_connection, a);
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

static server *server_start_on(serve_mode mode, int tcp)
{
    server *s = calloc(1, sizeof *s);
    s->mode = mode;
    pthread_mutex_init(&s->lock, NULL);
    strcpy(s->dir, "/tmp/cegate-fcgi-XXXXXX");
    cr_assert_not_null(mkdtemp(s->dir));
    remember_dir(s->dir);
    if (tcp) {
        s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cr_assert_eq(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
        socklen_t len = sizeof sa;
        getsockname(s->listen_fd, (struct sockaddr *)&sa, &len);
        snprintf(s->address, sizeof s->address, "127.0.0.1:%d", ntohs(sa.sin_port));
    } else {
        snprintf(s->path, sizeof s->path, "%s/app.sock", s->dir);
        snprintf(s->address, sizeof s->address, "unix:%s", s->path);
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, s->path);
        cr_assert_eq(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0,
                     "bind %s: %s", s->path, strerror(errno));
    }
    cr_assert_eq(listen(s->listen_fd, 64), 0);
    pthread_create(&s->acceptor, NULL, accept_loop, s);
    return s;
}

static server *server_start(serve_mode mode)
{
    return server_start_on(mode, 0);
}

static void server_stop(server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->acceptor, NULL);
    for (int i = 0; i < s->handler_count; i++)
        pthread_join(s->handlers[i], NULL);
    close(s->listen_fd);
    if (s->path[0])
        unlink(s->path);
    rmdir(s->dir);
    forget_dir(s->dir);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Wait (up to ms) until *counter reaches want. */
static int wait_count(atomic_int *counter, int want, int ms)
{
    double end = now_ms() + ms;
    while (atomic_load(counter) < want && now_ms() < end)
        sleep_ms(5);
    return atomic_load(counter);
}

static fcgi_pool *pool_for(const char *address, int keep, size_t max_conns,
                           int io_timeout_ms, int idle_ms)
{
    fcgi_config cfg;
    fcgi_config_default(&cfg, address);
    cfg.keep_alive = keep;
    cfg.max_connections = max_conns;
    if (io_timeout_ms)
        cfg.io_timeout_ms = io_timeout_ms;
    if (idle_ms)
        cfg.idle_timeout_ms = idle_ms;
    cegate_error err;
    cegate_error_clear(&err);
    fcgi_pool *p = fcgi_pool_new(&cfg, &err);
    cr_assert_not_null(p, "%s: %s", err.path, err.text);
    return p;
}

static upstream_request *simple_request(const char *body)
{
    upstream_request *r = new_request();
    add_param(r, "REQUEST_METHOD", "POST");
    add_param(r, "SCRIPT_NAME", "/events");
    add_param(r, "HTTP_CE_ID", "42");
    r->body = body;
    r->body_length = strlen(body);
    return r;
}

/* One request; returns rc and fills err; checks an ECHO answer when ok. */
static int do_request(fcgi_pool *pool, const upstream_request *req,
                      cegate_error *err, upstream_response *keep_resp)
{
    upstream_response resp;
    upstream_response_init(&resp, 16u << 20, 4096);
    cegate_error_clear(err);
    int rc = fcgi_pool_request(pool, req, &resp, err);
    if (keep_resp)
        *keep_resp = resp;
    else
        upstream_response_free(&resp);
    return rc;
}

static void expect_echo(fcgi_pool *pool, const upstream_request *req)
{
    upstream_response resp;
    cegate_error err;
    int rc = do_request(pool, req, &err, &resp);
    cr_assert_eq(rc, 0, "%s: %s: %s", cegate_error_code_name(err.code), err.path,
                 err.text);
    cr_assert_eq(resp.status, 200);
    char n[32];
    snprintf(n, sizeof n, "%zu", req->param_count);
    cr_assert_str_eq(upstream_response_header(&resp, "X-Params"), n);
    snprintf(n, sizeof n, "%zu", req->body_length);
    cr_assert_str_eq(upstream_response_header(&resp, "X-Stdin"), n);
    cr_assert_eq(resp.body.length, req->body_length);
    if (req->body_length)
        cr_assert(memcmp(resp.body.data, req->body, req->body_length) == 0);
    cr_assert_str_eq(resp.log.data, "served\n");
    upstream_response_free(&resp);
}

/* A pool test: the server in `mode`, a pool of one connection on it (see
 * pool_for) and a simple_request(body), or with body NULL a new_request()
 * without params. */
typedef struct pool_test {
    server *s;
    fcgi_pool *pool; /* pool_test_end frees it unless NULL */
    upstream_request *req;
} pool_test;

static pool_test pool_test_start(serve_mode mode, int keep, int io_timeout_ms,
                                 int idle_ms, const char *body)
{
    pool_test t;
    t.s = server_start(mode);
    t.pool = pool_for(t.s->address, keep, 1, io_timeout_ms, idle_ms);
    t.req = body != NULL ? simple_request(body) : new_request();
    return t;
}

static void pool_test_end(pool_test *t)
{
    fcgi_pool_free(t->pool);
    free_request(t->req);
    server_stop(t->s);
}

/* ---- 3a. the pool, against the server above ------------------------------------------ */

Test(pool, kept_connection_is_reused, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_ECHO, 1, 0, 0, "{\"hello\":1}");
    for (int i = 0; i < 50; i++)
        expect_echo(t.pool, t.req);
    cr_assert_eq(atomic_load(&t.s->accepts), 1);
    cr_assert_eq(atomic_load(&t.s->requests), 50);
    cr_assert_eq(atomic_load(&t.s->keep_flags), 50, "FCGI_KEEP_CONN on each");
    cr_assert_eq(atomic_load(&t.s->eofs), 0);
    fcgi_pool_free(t.pool);
    t.pool = NULL;
    cr_assert_eq(wait_count(&t.s->eofs, 1, 5000), 1, "closed when the pool is freed");
    pool_test_end(&t);
}

Test(pool, connection_per_request, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_ECHO, 0, 0, 0, "abc");
    for (int i = 0; i < 20; i++)
        expect_echo(t.pool, t.req);
    cr_assert_eq(atomic_load(&t.s->accepts), 20);
    cr_assert_eq(atomic_load(&t.s->keep_flags), 0, "no FCGI_KEEP_CONN");
    pool_test_end(&t);
}

Test(pool, tcp_loopback, .timeout = 60)
{
    server *s = server_start_on(SERVE_ECHO, 1);
    fcgi_pool *pool = pool_for(s->address, 1, 1, 0, 0);
    upstream_request *req = simple_request("over tcp");
    for (int i = 0; i < 10; i++)
        expect_echo(pool, req);
    cr_assert_eq(atomic_load(&s->accepts), 1);
    fcgi_pool_free(pool);
    free_request(req);
    server_stop(s);
}

Test(pool, idle_connection_closed_after_idle_timeout, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_ECHO, 1, 0, 500, "x");
    expect_echo(t.pool, t.req);
    double done = now_ms();
    /* Not idle long enough yet: kept. */
    fcgi_pool_close_idle(t.pool);
    sleep_ms(100);
    if (now_ms() - done < 450)
        cr_assert_eq(atomic_load(&t.s->eofs), 0, "closed too early");
    /* Past the idle timeout: the next look at the pool closes it. */
    sleep_ms(600);
    fcgi_pool_close_idle(t.pool);
    cr_assert_eq(wait_count(&t.s->eofs, 1, 5000), 1, "the server saw no EOF");
    cr_assert_geq(now_ms() - done, 500);
    expect_echo(t.pool, t.req);
    cr_assert_eq(atomic_load(&t.s->accepts), 2);
    pool_test_end(&t);
}

Test(pool, idle_connection_closed_when_taken, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_ECHO, 1, 0, 200, "x");
    expect_echo(t.pool, t.req);
    sleep_ms(400);
    expect_echo(t.pool, t.req);
    cr_assert_eq(atomic_load(&t.s->accepts), 2);
    cr_assert_eq(wait_count(&t.s->eofs, 1, 5000), 1);
    pool_test_end(&t);
}

Test(pool, app_closes_mid_response, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_CLOSE_MID, 1, 0, 0, "x");
    cegate_error err;
    cr_assert_eq(do_request(t.pool, t.req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_UNAVAILABLE, "%s", err.text);
    cr_assert_not_null(strstr(err.text, "mid-response"), "%s", err.text);
    cr_assert_eq(atomic_load(&t.s->accepts), 1, "not retried: the answer had begun");
    pool_test_end(&t);
}

Test(pool, app_closes_without_answering, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_CLOSE_NOTHING, 1, 0, 0, "x");
    cegate_error err;
    cr_assert_eq(do_request(t.pool, t.req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_UNAVAILABLE, "%s", err.text);
    cr_assert_eq(atomic_load(&t.s->accepts), 1, "a fresh connection is not retried");
    pool_test_end(&t);
}

Test(pool, app_never_answers, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_SILENT, 1, 200, 0, "x");
    cegate_error err;
    double t0 = now_ms();
    cr_assert_eq(do_request(t.pool, t.req, &err, NULL), -1);
    double took = now_ms() - t0;
    cr_assert_eq(err.code, CEGATE_ERR_TIMEOUT, "%s", err.text);
    cr_assert_geq(took, 190, "gave up after %.0f ms", took);
    cr_assert_lt(took, 10000, "took %.0f ms", took);
    cr_assert_not_null(strstr(err.text, "200 ms"), "%s", err.text);
    pool_test_end(&t);
}

Test(pool, missing_socket_and_refused_connection, .timeout = 60)
{
    char dir[] = "/tmp/cegate-fcgi-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    remember_dir(dir);
    char address[192];
    snprintf(address, sizeof address, "unix:%s/none.sock", dir);
    fcgi_pool *pool = pool_for(address, 1, 1, 0, 0);
    upstream_request *req = simple_request("x");
    cegate_error err;
    cr_assert_eq(do_request(pool, req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_CONNECT, "%s", err.text);
    cr_assert_str_eq(err.path, "address");
    cr_assert_not_null(strstr(err.text, "No such file"), "%s", err.text);
    fcgi_pool_free(pool);

    /* A socket file nobody listens on: refused. */
    char path[128];
    snprintf(path, sizeof path, "%s/dead.sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    snprintf(address, sizeof address, "unix:%s", path);
    pool = pool_for(address, 1, 1, 0, 0);
    cr_assert_eq(do_request(pool, req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_CONNECT, "%s", err.text);
    cr_assert_not_null(strstr(err.text, "refused"), "%s", err.text);
    fcgi_pool_free(pool);
    unlink(path);

    /* TCP: a port on 127.0.0.1 that nothing listens on. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&in, sizeof in);
    socklen_t len = sizeof in;
    getsockname(fd, (struct sockaddr *)&in, &len);
    snprintf(address, sizeof address, "127.0.0.1:%d", ntohs(in.sin_port));
    pool = pool_for(address, 1, 1, 0, 0);
    cr_assert_eq(do_request(pool, req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_CONNECT, "%s", err.text);
    cr_assert_str_eq(err.path, "address");
    fcgi_pool_free(pool);
    close(fd);
    rmdir(dir);
    forget_dir(dir);
    free_request(req);
}

Test(pool, connect_timeout_when_the_listen_queue_is_full, .timeout = 60)
{
    /* A unix socket whose backlog is full (nobody accepts): a non-blocking
     * connect says EAGAIN until connect_timeout_ms. */
    char dir[] = "/tmp/cegate-fcgi-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    remember_dir(dir);
    char path[128], address[192];
    snprintf(path, sizeof path, "%s/full.sock", dir);
    snprintf(address, sizeof address, "unix:%s", path);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(lfd, 0), 0);
    int fillers[4], nfill = 0;
    for (; nfill < 4; nfill++) {
        fillers[nfill] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (connect(fillers[nfill], (struct sockaddr *)&sa, sizeof sa) < 0) {
            close(fillers[nfill]);
            break;
        }
    }
    cr_assert_lt(nfill, 4, "the listen queue never filled");
    fcgi_config cfg;
    fcgi_config_default(&cfg, address);
    cfg.connect_timeout_ms = 200;
    fcgi_pool *pool = fcgi_pool_new(&cfg, NULL);
    upstream_request *req = simple_request("x");
    cegate_error err;
    double t0 = now_ms();
    cr_assert_eq(do_request(pool, req, &err, NULL), -1);
    double took = now_ms() - t0;
    cr_assert_eq(err.code, CEGATE_ERR_CONNECT, "%s: %s",
                 cegate_error_code_name(err.code), err.text);
    cr_assert_str_eq(err.path, "address");
    cr_assert_geq(took, 190, "%.0f ms", took);
    cr_assert_lt(took, 10000, "%.0f ms", took);
    fcgi_pool_free(pool);
    free_request(req);
    for (int i = 0; i < nfill; i++)
        close(fillers[i]);
    close(lfd);
    unlink(path);
    rmdir(dir);
    forget_dir(dir);
}

Test(pool, overloaded_app, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_OVERLOADED, 1, 0, 0, "x");
    cegate_error err;
    cr_assert_eq(do_request(t.pool, t.req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_UNAVAILABLE, "%s", err.text);
    cr_assert_str_eq(err.path, "protocolStatus");
    pool_test_end(&t);
}

Test(pool, kept_connection_closed_by_the_app_is_retried, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_DROP_KEPT, 1, 0, 0, "again and again");
    for (int i = 0; i < 5; i++) {
        expect_echo(t.pool, t.req);
        sleep_ms(20); /* let the server's close arrive first */
    }
    cr_assert_eq(atomic_load(&t.s->requests), 5, "each request served once");
    cr_assert_eq(atomic_load(&t.s->accepts), 5);
    pool_test_end(&t);
}

typedef struct worker_arg {
    fcgi_pool *pool;
    int requests;
    atomic_int *failures;
    int id;
    int echoed;       /* the answer's body is the request's body */
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *w = arg;
    char body[64];
    snprintf(body, sizeof body, "{\"worker\":%d}", w->id);
    upstream_request req;
    upstream_request_init(&req);
    upstream_request_add(&req, "REQUEST_METHOD", "POST", 4, NULL);
    req.body = body;
    req.body_length = strlen(body);
    for (int i = 0; i < w->requests; i++) {
        upstream_response resp;
        upstream_response_init(&resp, 1 << 20, 1024);
        cegate_error err;
        cegate_error_clear(&err);
        if (fcgi_pool_request(w->pool, &req, &resp, &err) != 0 ||
            resp.status != 200 ||
            (w->echoed && (resp.body.length != req.body_length ||
                           memcmp(resp.body.data, body, req.body_length) != 0)) ||
            (!w->echoed && strstr(resp.body.data, "sha256") == NULL))
            atomic_fetch_add(w->failures, 1);
        upstream_response_free(&resp);
    }
    upstream_request_free(&req);
    return NULL;
}

static void run_threads(server *s, size_t max_conns, int keep, int threads,
                        int per_thread)
{
    fcgi_pool *pool = pool_for(s->address, keep, max_conns, 0, 0);
    atomic_int failures = 0;
    pthread_t t[16];
    worker_arg w[16];
    for (int i = 0; i < threads; i++) {
        w[i] = (worker_arg){pool, per_thread, &failures, i, 1};
        pthread_create(&t[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(atomic_load(&failures), 0);
    cr_assert_eq(atomic_load(&s->requests), threads * per_thread);
    fcgi_pool_free(pool);
}

Test(pool, max_connections_respected_under_threads, .timeout = 120)
{
    server *s = server_start(SERVE_ECHO);
    s->delay_ms = 5;
    run_threads(s, 2, 1, 8, 25);
    cr_assert_leq(atomic_load(&s->max_open), 2, "%d connections at once",
                  atomic_load(&s->max_open));
    cr_assert_leq(atomic_load(&s->max_busy), 2);
    cr_assert_leq(atomic_load(&s->accepts), 2, "kept connections are reused");
    cr_assert_eq(atomic_load(&s->max_busy), 2, "both connections were used");
    server_stop(s);
}

Test(pool, max_connections_without_keep_alive, .timeout = 120)
{
    server *s = server_start(SERVE_ECHO);
    s->delay_ms = 2;
    run_threads(s, 3, 0, 8, 10);
    cr_assert_leq(atomic_load(&s->max_busy), 3);
    /* The app may still be closing a finished connection as the next
     * arrives; requests in service never exceed the pool. */
    cr_assert_eq(atomic_load(&s->accepts), 80);
    server_stop(s);
}

Test(pool, large_body_both_ways, .timeout = 120)
{
    server *s = server_start(SERVE_ECHO);
    fcgi_pool *pool = pool_for(s->address, 1, 1, 0, 0);
    size_t size = 16u * 1024 * 1024;
    char *body = malloc(size + 1);
    for (size_t i = 0; i < size; i++)
        body[i] = (char)('a' + i % 23);
    body[size] = '\0';
    upstream_request *req = simple_request("");
    req->body = body;
    req->body_length = size;
    expect_echo(pool, req);
    expect_echo(pool, req);
    cr_assert_eq(atomic_load(&s->accepts), 1);
    /* A response over max_response_bytes is CEGATE_ERR_LIMIT naming "body". */
    fcgi_pool_free(pool);
    fcgi_config cfg;
    fcgi_config_default(&cfg, s->address);
    cfg.max_response_bytes = 1000;
    pool = fcgi_pool_new(&cfg, NULL);
    upstream_response resp;
    upstream_response_init(&resp, 16u << 20, 4096);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(fcgi_pool_request(pool, req, &resp, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(err.path, "body");
    cr_assert_eq(resp.body.max, 16u << 20, "the response's own maximum is restored");
    upstream_response_free(&resp);
    fcgi_pool_free(pool);
    free_request(req);
    free(body);
    server_stop(s);
}

Test(pool, app_answers_before_reading_the_body, .timeout = 60)
{
    /* The app answers right after PARAMS and closes: with an 8 MiB body
     * the client must not block writing it. */
    server *s = server_start(SERVE_EARLY);
    fcgi_pool *pool = pool_for(s->address, 1, 1, 5000, 0);
    size_t size = 8u * 1024 * 1024;
    char *body = calloc(1, size + 1);
    memset(body, 'b', size);
    upstream_request *req = simple_request("");
    req->body = body;
    req->body_length = size;
    for (int i = 0; i < 3; i++) {
        upstream_response resp;
        cegate_error err;
        cr_assert_eq(do_request(pool, req, &err, &resp), 0, "%s", err.text);
        cr_assert_eq(resp.status, 200);
        cr_assert_str_eq(upstream_response_header(&resp, "X-Stdin"), "0");
        upstream_response_free(&resp);
    }
    cr_assert_eq(atomic_load(&s->accepts), 3, "such a connection is not kept");
    fcgi_pool_free(pool);
    free_request(req);
    free(body);
    server_stop(s);
}

Test(pool, big_response, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_BIG, 1, 0, 0, "x");
    t.s->big_bytes = 5u * 1024 * 1024 + 17;
    upstream_response resp;
    cegate_error err;
    cr_assert_eq(do_request(t.pool, t.req, &err, &resp), 0, "%s", err.text);
    cr_assert_eq(resp.body.length, t.s->big_bytes);
    cr_assert_eq(resp.body.data[0], 'z');
    cr_assert_eq(resp.body.data[t.s->big_bytes - 1], 'z');
    upstream_response_free(&resp);
    pool_test_end(&t);
}

Test(pool, params_at_the_boundaries_arrive_whole, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_ECHO, 1, 0, 0, NULL);
    add_param_n(t.req, "V", 'q', 65522);
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "HTTP_X_%d", i);
        add_param_n(t.req, name, 'p', (size_t)(i % 3 == 0 ? 127 : i % 3 == 1 ? 128 : 300));
    }
    t.req->body = "b";
    t.req->body_length = 1;
    upstream_response resp;
    cegate_error err;
    cr_assert_eq(do_request(t.pool, t.req, &err, &resp), 0, "%s", err.text);
    cr_assert_str_eq(upstream_response_header(&resp, "X-Params"), "1001");
    upstream_response_free(&resp);
    pool_test_end(&t);
}

Test(pool, a_request_too_large_for_fastcgi, .timeout = 60)
{
    pool_test t = pool_test_start(SERVE_ECHO, 1, 0, 0, NULL);
    add_param_n(t.req, "HTTP_X_HUGE", 'h', 70000);
    cegate_error err;
    cr_assert_eq(do_request(t.pool, t.req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT);
    cr_assert_str_eq(err.path, "HTTP_X_HUGE");
    cr_assert_eq(atomic_load(&t.s->accepts), 0, "nothing sent");
    /* The pool is still usable. */
    free_request(t.req);
    t.req = simple_request("fine");
    expect_echo(t.pool, t.req);
    pool_test_end(&t);
}

/* ---- configuration and addresses ----------------------------------------------------- */

Test(config, defaults)
{
    fcgi_config cfg;
    fcgi_config_default(&cfg, "unix:/x.sock");
    cr_assert_str_eq(cfg.address, "unix:/x.sock");
    cr_assert_eq(cfg.max_connections, 1);
    cr_assert_eq(cfg.keep_alive, 1);
    cr_assert_eq(cfg.idle_timeout_ms, 2000);
    cr_assert_eq(cfg.connect_timeout_ms, 2000);
    cr_assert_eq(cfg.io_timeout_ms, 30000);
    cr_assert_eq(cfg.max_response_bytes, 16u * 1024 * 1024);
    cr_assert_eq(cfg.max_log_bytes, 64u * 1024);
}

static void expect_bad_address(const char *address)
{
    fcgi_config cfg;
    fcgi_config_default(&cfg, address);
    cegate_error err;
    cegate_error_clear(&err);
    fcgi_pool *p = fcgi_pool_new(&cfg, &err);
    cr_assert_null(p, "accepted \"%s\"", address ? address : "(null)");
    cr_assert_str_eq(err.path, "address", "%s", address ? address : "(null)");
    cr_assert_neq(err.code, CEGATE_OK);
}

static void expect_good_address(const char *address)
{
    fcgi_config cfg;
    fcgi_config_default(&cfg, address);
    cegate_error err;
    cegate_error_clear(&err);
    fcgi_pool *p = fcgi_pool_new(&cfg, &err);
    cr_assert_not_null(p, "\"%s\": %s", address, err.text);
    fcgi_pool_free(p);
}

Test(config, addresses)
{
    expect_good_address("unix:/run/app.sock");
    expect_good_address("127.0.0.1:9000");
    expect_good_address("[::1]:9000");
    expect_good_address("127.0.0.1:1");
    expect_good_address("127.0.0.1:65535");
    expect_good_address("localhost:9000");
    expect_bad_address(NULL);
    expect_bad_address("");
    expect_bad_address("unix:");
    expect_bad_address("unix:relative.sock");
    char long_path[300] = "unix:/";
    memset(long_path + 6, 'p', 200);
    long_path[206] = '\0';
    expect_bad_address(long_path);
    expect_bad_address("/run/app.sock");
    expect_bad_address("127.0.0.1");
    expect_bad_address("127.0.0.1:");
    expect_bad_address("127.0.0.1:0");
    expect_bad_address("127.0.0.1:65536");
    expect_bad_address("127.0.0.1:90a");
    expect_bad_address("127.0.0.1:-1");
    expect_bad_address(":9000");
    expect_bad_address("::1:9000");
    expect_bad_address("[::1]");
    expect_bad_address("[::1]9000");
    expect_bad_address("[]:9000");
    expect_bad_address("[not-an-ip]:9000");
    /* (No unresolvable name here: without DNS a lookup may hang.) */
}

Test(config, invalid_settings)
{
    fcgi_config cfg;
    cegate_error err;
    fcgi_config_default(&cfg, "unix:/x.sock");
    cfg.max_connections = 0;
    cegate_error_clear(&err);
    cr_assert_null(fcgi_pool_new(&cfg, &err));
    cr_assert_str_eq(err.path, "max_connections");
    fcgi_config_default(&cfg, "unix:/x.sock");
    cfg.io_timeout_ms = -1;
    cegate_error_clear(&err);
    cr_assert_null(fcgi_pool_new(&cfg, &err));
    cr_assert_str_eq(err.path, "io_timeout_ms");
    cr_assert_null(fcgi_pool_new(NULL, &err));
    fcgi_pool_free(NULL);
    fcgi_pool_close_idle(NULL);
}

/* ---- 3b. the pool against the project's echo app ------------------------------------- */

typedef struct echo_app {
    pid_t pid;
    char dir[64];
    char path[128];
    char address[160];
} echo_app;

/* The echo app is "there" when it is an executable that is not a
 * placeholder script. */
static const char *echo_app_path(void)
{
    const char *p = getenv("CEGATE_ECHO_APP");
    if (p == NULL || access(p, X_OK) != 0)
        return NULL;
    return p;
}

static int echo_start_in(echo_app *e, const char *dir, const char *threads)
{
    const char *app = echo_app_path();
    if (dir == NULL) {
        strcpy(e->dir, "/tmp/cegate-echo-XXXXXX");
        cr_assert_not_null(mkdtemp(e->dir));
        remember_dir(e->dir);
    }
    snprintf(e->path, sizeof e->path, "%s/echo.sock", e->dir);
    snprintf(e->address, sizeof e->address, "unix:%s", e->path);
    /* Its environment: ours (sanitizer options) plus SOCK and THREADS. */
    char sock[160], thr[32];
    snprintf(sock, sizeof sock, "SOCK=%s", e->path);
    snprintf(thr, sizeof thr, "THREADS=%s", threads ? threads : "1");
    const char *extra[] = {sock, thr, NULL};
    char **env = run_child_env(NULL, extra);
    char *argv[] = {(char *)app, NULL};
    pid_t parent = getpid();
    e->pid = fork();
    cr_assert_geq(e->pid, 0, "fork: %s", strerror(errno));
    if (e->pid == 0) {
        /* Dies with the test, however the test ends. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        execve(app, argv, env);
        _exit(127);
    }
    free(env);
    remember_pid(e->pid);
    double end = now_ms() + 15000;
    while (now_ms() < end) {
        if (run_can_connect(e->path))
            return 1;
        int status;
        if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
            forget_pid(e->pid);
            e->pid = 0;
            return 0;
        }
        sleep_ms(10);
    }
    return 0;
}

static int echo_start(echo_app *e)
{
    return echo_start_in(e, NULL, NULL);
}

static void echo_kill(echo_app *e)
{
    if (e->pid <= 0)
        return;
    kill(e->pid, SIGTERM);
    double end = now_ms() + 5000;
    int status;
    while (waitpid(e->pid, &status, WNOHANG) == 0) {
        if (now_ms() > end) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, &status, 0);
            break;
        }
        sleep_ms(5);
    }
    forget_pid(e->pid);
    e->pid = 0;
}

static void echo_stop(echo_app *e)
{
    echo_kill(e);
    unlink(e->path);
    rmdir(e->dir);
    forget_dir(e->dir);
}

#define NEED_ECHO_APP(e)                                                       \
    do {                                                                       \
        if (echo_app_path() == NULL)                                           \
            cr_skip_test("the echo app ($CEGATE_ECHO_APP) is not built");      \
        if (!echo_start(e))                                                    \
            cr_skip_test("the echo app did not start (still a placeholder?)"); \
    } while (0)

static json_t *echo_answer(fcgi_pool *pool, const upstream_request *req,
                           upstream_response *resp)
{
    cegate_error err;
    int rc = do_request(pool, req, &err, resp);
    cr_assert_eq(rc, 0, "%s: %s: %s", cegate_error_code_name(err.code), err.path,
                 err.text);
    json_error_t jerr;
    json_t *j = json_loadb(resp->body.data, resp->body.length, 0, &jerr);
    cr_assert_not_null(j, "the echo app's answer is not JSON: %s\n%s", jerr.text,
                       resp->body.data);
    return j;
}

Test(echo_app, a_request_described_back, .timeout = 60)
{
    echo_app e;
    NEED_ECHO_APP(&e);
    fcgi_pool *pool = pool_for(e.address, 1, 1, 0, 0);
    upstream_request *req = simple_request("{\"order\":17}");
    add_param(req, "CONTENT_TYPE", "application/json");
    add_param(req, "CONTENT_LENGTH", "12");
    add_param(req, "EMPTY", "");
    upstream_response resp;
    json_t *j = echo_answer(pool, req, &resp);
    cr_assert_eq(resp.status, 200);
    json_t *params = json_object_get(j, "params");
    cr_assert_str_eq(json_string_value(json_object_get(params, "REQUEST_METHOD")), "POST");
    cr_assert_str_eq(json_string_value(json_object_get(params, "HTTP_CE_ID")), "42");
    cr_assert_str_eq(json_string_value(json_object_get(params, "EMPTY")), "");
    json_t *body = json_object_get(j, "body");
    cr_assert_eq(json_integer_value(json_object_get(body, "length")), 12);
    cr_assert_str_eq(json_string_value(json_object_get(body, "text")), "{\"order\":17}");
    json_decref(j);
    upstream_response_free(&resp);
    fcgi_pool_free(pool);
    free_request(req);
    echo_stop(&e);
}

Test(echo_app, kept_connection_many_requests, .timeout = 120)
{
    echo_app e;
    NEED_ECHO_APP(&e);
    fcgi_pool *pool = pool_for(e.address, 1, 1, 0, 0);
    upstream_request *req = simple_request("{\"n\":1}");
    for (int i = 0; i < 2000; i++) {
        upstream_response resp;
        upstream_response_init(&resp, 1 << 20, 1024);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(fcgi_pool_request(pool, req, &resp, &err), 0, "%d: %s", i, err.text);
        cr_assert_eq(resp.status, 200);
        upstream_response_free(&resp);
    }
    fcgi_pool_free(pool);
    /* And a connection per request. */
    pool = pool_for(e.address, 0, 1, 0, 0);
    for (int i = 0; i < 200; i++) {
        cegate_error err;
        cr_assert_eq(do_request(pool, req, &err, NULL), 0, "%d: %s", i, err.text);
    }
    fcgi_pool_free(pool);
    free_request(req);
    echo_stop(&e);
}

Test(echo_app, status_stderr_and_timeout, .timeout = 60)
{
    echo_app e;
    NEED_ECHO_APP(&e);
    fcgi_pool *pool = pool_for(e.address, 1, 1, 300, 0);
    upstream_request *req = simple_request("x");
    add_param(req, "HTTP_X_ECHO_STATUS", "404");
    add_param(req, "HTTP_X_ECHO_STDERR", "something went wrong");
    upstream_response resp;
    json_t *j = echo_answer(pool, req, &resp);
    cr_assert_eq(resp.status, 404);
    cr_assert_not_null(strstr(resp.log.data ? resp.log.data : "", "something went wrong"),
                       "log: %s", resp.log.data);
    json_decref(j);
    upstream_response_free(&resp);
    free_request(req);

    req = simple_request("x");
    add_param(req, "HTTP_X_ECHO_SLEEP_MS", "3000");
    cegate_error err;
    double t0 = now_ms();
    cr_assert_eq(do_request(pool, req, &err, NULL), -1);
    cr_assert_eq(err.code, CEGATE_ERR_TIMEOUT, "%s", err.text);
    cr_assert_geq(now_ms() - t0, 290);
    free_request(req);
    fcgi_pool_free(pool);
    echo_stop(&e);
}

Test(echo_app, params_and_bodies_at_the_boundaries, .timeout = 120)
{
    echo_app e;
    NEED_ECHO_APP(&e);
    fcgi_pool *pool = pool_for(e.address, 1, 1, 0, 0);
    /* 65514: with the 9-byte name, 1 + 4 + 9 + 65514 = 65528, the largest
     * pair a record holds. */
    size_t lengths[] = {0, 1, 127, 128, 129, 4096, 65514};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        upstream_request *req = simple_request("");
        size_t n = lengths[i];
        add_param_n(req, "HTTP_X_VV", 'v', n);
        upstream_response resp;
        json_t *j = echo_answer(pool, req, &resp);
        const char *v = json_string_value(json_object_get(json_object_get(j, "params"),
                                                          "HTTP_X_VV"));
        cr_assert_not_null(v);
        cr_assert_eq(strlen(v), n, "value of %zu bytes came back as %zu", n, strlen(v));
        json_decref(j);
        upstream_response_free(&resp);
        free_request(req);
    }
    /* 1000 params. */
    upstream_request *req = simple_request("");
    for (int i = 0; i < 1000; i++) {
        char name[32], value[32];
        snprintf(name, sizeof name, "HTTP_X_P%d", i);
        snprintf(value, sizeof value, "%d", i * 7);
        add_param(req, name, value);
    }
    upstream_response resp;
    json_t *j = echo_answer(pool, req, &resp);
    json_t *params = json_object_get(j, "params");
    cr_assert_str_eq(json_string_value(json_object_get(params, "HTTP_X_P999")), "6993");
    cr_assert_str_eq(json_string_value(json_object_get(params, "HTTP_X_P0")), "0");
    json_decref(j);
    upstream_response_free(&resp);
    free_request(req);
    /* 16 MiB body. */
    size_t size = 16u * 1024 * 1024;
    char *body = malloc(size + 1);
    for (size_t i = 0; i < size; i++)
        body[i] = (char)('A' + i % 26);
    body[size] = '\0';
    req = simple_request("");
    req->body = body;
    req->body_length = size;
    j = echo_answer(pool, req, &resp);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "body"), "length")),
                 (json_int_t)size);
    json_decref(j);
    upstream_response_free(&resp);
    free_request(req);
    free(body);
    fcgi_pool_free(pool);
    echo_stop(&e);
}

Test(echo_app, app_restarted_under_a_kept_connection, .timeout = 60)
{
    echo_app e;
    NEED_ECHO_APP(&e);
    fcgi_pool *pool = pool_for(e.address, 1, 1, 0, 0);
    upstream_request *req = simple_request("{}");
    upstream_response resp;
    json_t *j = echo_answer(pool, req, &resp);
    json_int_t pid1 = json_integer_value(json_object_get(j, "pid"));
    json_decref(j);
    upstream_response_free(&resp);
    /* Restart the app in the same place: the kept connection is dead. */
    echo_kill(&e);
    unlink(e.path);
    cr_assert(echo_start_in(&e, e.dir, NULL), "restart");
    j = echo_answer(pool, req, &resp);
    json_int_t pid2 = json_integer_value(json_object_get(j, "pid"));
    cr_assert_neq(pid1, pid2);
    json_decref(j);
    upstream_response_free(&resp);
    fcgi_pool_free(pool);
    free_request(req);
    echo_stop(&e);
}

Test(echo_app, threads_share_a_pool_of_workers, .timeout = 120)
{
    echo_app e;
    if (echo_app_path() == NULL)
        cr_skip_test("the echo app ($CEGATE_ECHO_APP) is not built");
    if (!echo_start_in(&e, NULL, "4"))
        cr_skip_test("the echo app did not start");
    fcgi_pool *pool = pool_for(e.address, 1, 4, 0, 0);
    atomic_int failures = 0;
    pthread_t t[8];
    worker_arg w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker_arg){pool, 200, &failures, i, 0};
        pthread_create(&t[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(atomic_load(&failures), 0);
    fcgi_pool_free(pool);
    echo_stop(&e);
}
