/* SPDX-License-Identifier: Apache-2.0 */
/* uploads - the demo FastCGI app (libfcgi): keeps a list of the objects
 * uploaded to S3, from the events cegate delivers.
 *
 *   POST, ce-type com.amazonaws.s3.ObjectCreated*  (binary mode: the body is
 *        the S3 event record, as cegate's aws-s3 adapter sends it)
 *        -> 201 {"recorded": {"id", "type", "bucket", "key", "size", "eTag"}}
 *        The key is decoded as S3 sends it: '+' is a space, then %XX.
 *        Also appended as one JSON line to $UPLOADS_LOG when that is set.
 *   POST, any other ce-type  -> 202 {"ignored": TYPE}
 *   POST, malformed          -> 400 {"error": "...", "field": "s3.object.key"}
 *   GET                      -> 200 [every record, oldest first]
 * A structured-mode event (Content-Type application/cloudevents+json) is
 * read too: type, id and data come from the JSON event.
 *
 * Socket: -s PATH / --socket PATH, else $SOCK, else the listening socket on
 * fd 0 (spawn-fcgi). THREADS=N serves with N threads (default 1).
 * SIGTERM or SIGINT: stop, remove the socket it created, exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "../common/fcgi_app.h"

#define MAX_BODY (1024 * 1024)
#define MAX_RECORDS 100000 /* in memory; the oldest go first */
#define S3_CREATED "com.amazonaws.s3.ObjectCreated"

static const char usage[] =
    "usage: uploads [-s PATH | --socket PATH] [--help]\n"
    "\n"
    "The cegate demo app (FastCGI, libfcgi): records S3 uploads from the\n"
    "CloudEvents cegate delivers.\n"
    "  POST with ce-type com.amazonaws.s3.ObjectCreated*, body = the S3 event\n"
    "       record -> 201 {\"recorded\": {id, type, bucket, key, size, eTag}}\n"
    "       (the key decoded: '+' is a space, then %XX)\n"
    "  POST with another ce-type -> 202 {\"ignored\": type}\n"
    "  GET  -> 200 with a JSON array of everything recorded\n"
    "  a malformed event -> 400 {\"error\": ..., \"field\": ...}\n"
    "\n"
    "  -s, --socket PATH  listen on PATH (a unix socket, or :PORT for TCP);\n"
    "                     default $SOCK, else the socket on fd 0 (spawn-fcgi)\n"
    "  -h, --help         this text\n"
    "\n"
    "Environment: SOCK, THREADS (default 1), UPLOADS_LOG (append each record\n"
    "as a JSON line to this file). SIGTERM/SIGINT stop it cleanly (exit 0).\n";

static const char *log_path;
static pthread_mutex_t records_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *records; /* array, guarded by records_lock */

/* ---- helpers ---------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* An S3 notification key: form-encoded, '+' is a space, then %XX. Returns
 * a malloc'ed string, or NULL with *why set. */
static char *decode_s3_key(const char *key, const char **why)
{
    size_t n = strlen(key);
    unsigned char *out = malloc(n + 1);
    if (out == NULL) {
        *why = "out of memory";
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (key[i] == '+') {
            out[o++] = ' ';
        } else if (key[i] == '%') {
            int hi = i + 1 < n ? hex_value(key[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value(key[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *why = "bad percent-encoding in the key";
                free(out);
                return NULL;
            }
            out[o] = (unsigned char)(hi << 4 | lo);
            if (out[o] == 0) {
                *why = "the key decodes to a NUL byte";
                free(out);
                return NULL;
            }
            o++;
            i += 2;
        } else {
            out[o++] = (unsigned char)key[i];
        }
    }
    out[o] = '\0';
    if (!fcgi_app_utf8_valid(out, o)) {
        *why = "the decoded key is not UTF-8";
        free(out);
        return NULL;
    }
    return (char *)out;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    default: return "Internal Server Error";
    }
}

/* Answer with status and a JSON body (taken over). */
static void respond(FCGX_Request *r, int status, json_t *body, const char *extra)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (text == NULL) {
        FCGX_PutS("Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                  "\r\nout of memory\n", r->out);
        return;
    }
    size_t len = strlen(text);
    FCGX_FPrintF(r->out,
                 "Status: %d %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %lu\r\n"
                 "%s"
                 "\r\n",
                 status, reason(status), (unsigned long)len + 1,
                 extra != NULL ? extra : "");
    FCGX_PutStr(text, (int)len, r->out);
    FCGX_PutChar('\n', r->out);
    free(text);
}

static void fail(FCGX_Request *r, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(FCGX_Request *r, int status, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *body = json_object();
    json_object_set_new(body, "error",
                        json_string(fcgi_app_utf8_valid(msg, strlen(msg)) ? msg
                                                                          : "invalid request"));
    if (field != NULL)
        json_object_set_new(body, "field", json_string(field));
    respond(r, status, body, NULL);
}

/* ---- requests ---------------------------------------------------------------- */

/* The whole body, at most MAX_BODY bytes: 0, or -1 when larger. */
static int read_body(FCGX_Request *r, char **out, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap > MAX_BODY) {
                free(buf);
                return -1;
            }
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return -1;
            }
            buf = bigger;
            cap *= 2;
        }
        int k = FCGX_GetStr(buf + n, (int)(cap - n), r->in);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    if (n > MAX_BODY) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Append one line to UPLOADS_LOG, in one write (O_APPEND keeps lines whole
 * between processes). */
static int append_log(const char *line)
{
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(line);
    char *buf = malloc(n + 1);
    if (buf == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    memcpy(buf, line, n);
    buf[n] = '\n';
    ssize_t w = write(fd, buf, n + 1);
    int saved = errno;
    free(buf);
    if (close(fd) < 0 && w == (ssize_t)(n + 1))
        return -1;
    errno = saved;
    return w == (ssize_t)(n + 1) ? 0 : -1;
}

static void handle_post(FCGX_Request *r)
{
    char *body = NULL;
    size_t body_len = 0;
    if (read_body(r, &body, &body_len) < 0) {
        fail(r, 413, "body", "the body is larger than %d bytes", MAX_BODY);
        return;
    }
    const char *type = FCGX_GetParam("HTTP_CE_TYPE", r->envp);
    const char *id = FCGX_GetParam("HTTP_CE_ID", r->envp);
    const char *type_field = "ce-type", *id_field = "ce-id", *prefix = "";
    json_t *event = NULL, *data = NULL;
    json_error_t jerr;

    if (type == NULL && starts_with(FCGX_GetParam("CONTENT_TYPE", r->envp),
                                    "application/cloudevents+json")) {
        /* Structured mode: the body is the whole event. */
        event = json_loadb(body, body_len, 0, &jerr);
        if (!json_is_object(event)) {
            fail(r, 400, "body", "the body is not a JSON event: %s", jerr.text);
            goto done;
        }
        type = json_string_value(json_object_get(event, "type"));
        id = json_string_value(json_object_get(event, "id"));
        type_field = "type";
        id_field = "id";
        prefix = "data.";
        data = json_incref(json_object_get(event, "data"));
    }
    if (type == NULL || *type == '\0') {
        fail(r, 400, type_field, "not a CloudEvent: no type");
        goto done;
    }
    if (!starts_with(type, S3_CREATED)) {
        respond(r, 202, json_pack("{s:s}", "ignored", type), NULL);
        goto done;
    }
    if (id == NULL || *id == '\0') {
        fail(r, 400, id_field, "the event has no id");
        goto done;
    }
    if (event == NULL) {
        data = json_loadb(body, body_len, 0, &jerr);
        if (data == NULL) {
            fail(r, 400, "body", "the body is not JSON: %s (line %d, column %d)",
                 jerr.text, jerr.line, jerr.column);
            goto done;
        }
    }

    char field[64];
    if (!json_is_object(data)) {
        fail(r, 400, event ? "data" : "body", "the S3 event record must be a JSON object");
        goto done;
    }
    json_t *s3 = json_object_get(data, "s3");
    if (!json_is_object(s3)) {
        snprintf(field, sizeof field, "%ss3", prefix);
        fail(r, 400, field, "missing or not an object");
        goto done;
    }
    const char *bucket = json_string_value(json_object_get(json_object_get(s3, "bucket"), "name"));
    if (bucket == NULL || *bucket == '\0') {
        snprintf(field, sizeof field, "%ss3.bucket.name", prefix);
        fail(r, 400, field, "missing, empty or not a string");
        goto done;
    }
    json_t *object = json_object_get(s3, "object");
    const char *raw_key = json_string_value(json_object_get(object, "key"));
    snprintf(field, sizeof field, "%ss3.object.key", prefix);
    if (raw_key == NULL || *raw_key == '\0') {
        fail(r, 400, field, "missing, empty or not a string");
        goto done;
    }
    const char *why = NULL;
    char *key = decode_s3_key(raw_key, &why);
    if (key == NULL) {
        fail(r, 400, field, "%s", why);
        goto done;
    }
    json_t *size = json_object_get(object, "size");
    if (size != NULL && !json_is_null(size) &&
        !(json_is_integer(size) && json_integer_value(size) >= 0)) {
        snprintf(field, sizeof field, "%ss3.object.size", prefix);
        fail(r, 400, field, "not a non-negative integer");
        free(key);
        goto done;
    }
    json_t *etag = json_object_get(object, "eTag");
    if (etag != NULL && !json_is_null(etag) && !json_is_string(etag)) {
        snprintf(field, sizeof field, "%ss3.object.eTag", prefix);
        fail(r, 400, field, "not a string");
        free(key);
        goto done;
    }

    json_t *record = json_pack("{s:s, s:s, s:s, s:s, s:O?, s:O?}", "id", id,
                               "type", type, "bucket", bucket, "key", key,
                               "size", size, "eTag", etag);
    free(key);
    if (record == NULL) {
        fail(r, 400, NULL, "the event holds text that is not UTF-8");
        goto done;
    }
    if (log_path != NULL) {
        char *line = json_dumps(record, JSON_COMPACT);
        int bad = line == NULL || append_log(line) < 0;
        int e = errno;
        free(line);
        if (bad) {
            json_decref(record);
            fail(r, 500, NULL, "cannot append to UPLOADS_LOG: %s", strerror(e));
            goto done;
        }
    }
    pthread_mutex_lock(&records_lock);
    if (json_array_size(records) >= MAX_RECORDS)
        json_array_remove(records, 0);
    json_array_append(records, record);
    pthread_mutex_unlock(&records_lock);
    respond(r, 201, json_pack("{s:o}", "recorded", record), NULL);

done:
    json_decref(data);
    json_decref(event);
    free(body);
}

static void handle(FCGX_Request *r)
{
    const char *method = FCGX_GetParam("REQUEST_METHOD", r->envp);
    if (method != NULL && strcmp(method, "GET") == 0) {
        pthread_mutex_lock(&records_lock);
        json_t *copy = json_deep_copy(records);
        pthread_mutex_unlock(&records_lock);
        respond(r, 200, copy, NULL);
    } else if (method != NULL && strcmp(method, "POST") == 0) {
        handle_post(r);
    } else {
        json_t *body = json_pack("{s:s}", "error", "use GET or POST");
        respond(r, 405, body, "Allow: GET, POST\r\n");
    }
}

/* ---- serving (apps/common/fcgi_app.c) --------------------------------------- */

/* THREADS as strtol reads it (leading blanks and a sign allowed). */
static long parse_threads(const char *t)
{
    char *end;
    long threads = strtol(t, &end, 10);
    if (*end != '\0' || threads < 1 || threads > FCGI_APP_MAX_THREADS)
        return -1;
    return threads;
}

int main(int argc, char **argv)
{
    static const struct fcgi_app app = {.name = "uploads", .usage = usage, .handle = handle,
                                        .threads = parse_threads,
                                        .quiet_thread_start = 1};
    struct fcgi_app_config cfg;
    int rc = fcgi_app_configure(&app, argc, argv, &cfg);
    if (rc >= 0)
        return rc;
    log_path = getenv("UPLOADS_LOG");
    if (log_path != NULL && *log_path == '\0')
        log_path = NULL;
    records = json_array();
    if (records == NULL)
        return 1;
    rc = fcgi_app_serve(&app, &cfg);
    json_decref(records);
    return rc;
}
