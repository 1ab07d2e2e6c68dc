/* SPDX-License-Identifier: Apache-2.0 */
/* file.c - the file ingress (see file.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingress/file.h"

#define READ_CHUNK (64u << 10)     /* one read() */
#define DETECT_BYTES (1u << 20)    /* NDJSON is told from this much at most */

int file_input_open(file_input *in, const char *path, size_t max_bytes,
                    cegate_error *err)
{
    memset(in, 0, sizeof *in);
    in->max = max_bytes;
    if (path == NULL || strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
        in->name = "standard input";
    } else {
        in->name = path;
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            in->read_errno = errno;
            return cegate_error_set(err, CEGATE_ERR_IO, NULL, "%s: %s", path,
                                    strerror(errno)), -1;
        }
    }
    struct stat st;
    in->is_regular = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode);
    return 0;
}

void file_input_close(file_input *in)
{
    if (in->fd > STDIN_FILENO)
        close(in->fd);
    in->fd = -1;
    free(in->buf);
    in->buf = NULL;
}

/* Read once more into the buffer, growing it up to what the limit needs
 * (a line of max bytes, its newline and one read beyond). Returns the bytes
 * read, 0 at the end, -1 on error or when interrupted (errno EINTR). */
static ssize_t fill(file_input *in)
{
    if (in->start > 0 && (in->start == in->end || in->end + READ_CHUNK > in->capacity)) {
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->end -= in->start;
        in->start = 0;
    }
    if (in->capacity - in->end < READ_CHUNK) {
        size_t want = in->capacity ? in->capacity * 2 : 4 * READ_CHUNK;
        size_t most = in->max + 1 + 2 * READ_CHUNK;
        if (want > most)
            want = most;
        if (want < in->end + READ_CHUNK)
            want = in->end + READ_CHUNK;
        char *b = realloc(in->buf, want);
        if (b == NULL) {
            errno = ENOMEM;
            return -1;
        }
        in->buf = b;
        in->capacity = want;
    }
    for (;;) {
        ssize_t k = read(in->fd, in->buf + in->end, in->capacity - in->end);
        if (k > 0) {
            in->end += (size_t)k;
            return k;
        }
        if (k == 0) {
            in->eof = 1;
            return 0;
        }
        return -1; /* EINTR included: the caller looks at its flag */
    }
}

static int next_line(const file_ingress *fi, file_input *in, const char **data,
                     size_t *length, size_t *over);

static int stopped(const file_ingress *fi)
{
    return fi->interrupted != NULL && *fi->interrupted;
}

/* Read, retrying a read a signal interrupted unless it is a stop.
 * Returns as fill(); -1 with in->read_errno set on a real error. */
static ssize_t fill_or_stop(const file_ingress *fi, file_input *in)
{
    for (;;) {
        if (stopped(fi))
            return -1;
        ssize_t k = fill(in);
        if (k >= 0)
            return k;
        if (errno != EINTR) {
            in->read_errno = errno;
            return -1;
        }
    }
}

int file_input_next_line(file_input *in, const volatile sig_atomic_t *interrupted,
                         const char **data, size_t *length, size_t *over)
{
    const file_ingress fi = {.interrupted = interrupted};
    return next_line(&fi, in, data, length, over);
}

static int next_line(const file_ingress *fi, file_input *in, const char **data,
                     size_t *length, size_t *over)
{
    int skipping = 0;
    *over = 0;
    for (;;) {
        char *nl = in->end > in->start + in->scanned
                       ? memchr(in->buf + in->start + in->scanned, '\n',
                                in->end - in->start - in->scanned)
                       : NULL;
        if (nl != NULL) {
            size_t n = (size_t)(nl - (in->buf + in->start));
            *data = in->buf + in->start;
            in->start += n + 1;
            in->scanned = 0;
            in->line++;
            if (skipping || n > in->max) {
                *over += n;
                return -2;
            }
            *length = n;
            return 1;
        }
        in->scanned = in->end - in->start;
        if (in->scanned > in->max) {
            /* Over the limit before its end: keep none of it. */
            *over += in->scanned;
            in->start = in->end;
            in->scanned = 0;
            skipping = 1;
        }
        if (in->eof) {
            if (in->end == in->start && !skipping)
                return 0;
            /* A last line without its newline. */
            *data = in->buf + in->start;
            *length = in->end - in->start;
            in->start = in->end;
            in->scanned = 0;
            in->line++;
            return skipping ? -2 : 1;
        }
        if (fill_or_stop(fi, in) < 0)
            return -1;
    }
}

/* NDJSON when the first line, found within DETECT_BYTES, is a whole JSON
 * object or array. Reads no more than that to tell. */
static int looks_like_ndjson(const file_ingress *fi, file_input *in)
{
    for (;;) {
        char *nl = memchr(in->buf ? in->buf + in->start : "", '\n',
                          in->end - in->start);
        if (nl != NULL || in->eof) {
            size_t n = nl != NULL ? (size_t)(nl - (in->buf + in->start))
                                  : in->end - in->start;
            if (n == 0 || n > DETECT_BYTES)
                return 0;
            json_t *v = json_loadb(in->buf + in->start, n, JSON_DECODE_ANY, NULL);
            int yes = v != NULL && (json_is_object(v) || json_is_array(v));
            json_decref(v);
            return yes;
        }
        if (in->end - in->start > DETECT_BYTES || fill_or_stop(fi, in) < 0)
            return 0;
    }
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static void report_invalid(const file_ingress *fi, size_t line,
                           const cegate_error *err)
{
    delivery_complete_now(fi->done, fi->ctx, line, NULL, NULL, NULL,
                          DELIVERY_INVALID, err);
}

/* Submit one event, waiting while its queue is full. Returns 0, or -1 when
 * the run is stopping (the event was reported skipped). */
static int submit(const file_ingress *fi, const cegate_event *ev, size_t line)
{
    const config_route *picked = config_pick(fi->cfg, ev);
    for (;;) {
        cegate_error err;
        cegate_error_clear(&err);
        if (engine_submit(fi->engine, ev, picked, fi->done, fi->ctx, line, &err) == 0)
            return 0;
        if (err.code == CEGATE_ERR_LIMIT &&
            engine_wait_room(fi->engine, picked, fi->interrupted) == 0)
            continue;
        if (err.code == CEGATE_ERR_LIMIT) { /* the wait was cut short */
            cegate_error_clear(&err);
            cegate_error_set(&err, CEGATE_ERR_CANCELLED, NULL,
                             "not attempted: the run stopped first");
        }
        delivery_complete_now(fi->done, fi->ctx, line,
                              cegate_event_get_string(ev, "id"),
                              cegate_event_get_string(ev, "type"), picked,
                              DELIVERY_SKIPPED, &err);
        return -1;
    }
}

/* Normalize one payload and submit its events; a bad payload is reported
 * as invalid and the run goes on. Errors inside an NDJSON line give the
 * file's line. Returns -1 once the run is stopping. */
static int handle_payload(const file_ingress *fi, const char *body,
                          size_t length, size_t line, int ndjson)
{
    cegate_event_list events;
    cegate_event_list_init(&events);
    cegate_error err;
    cegate_error_clear(&err);
    if (registry_normalize(fi->reg, ndjson ? NULL : fi->headers,
                           ndjson ? 0 : fi->header_count, body, length,
                           fi->path, &events, &err) < 0) {
        if (ndjson && err.line == 1)
            cegate_error_set_position(&err, (int)line, err.column, err.position);
        report_invalid(fi, line, &err);
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < events.count; i++) {
        if (rc < 0) {
            /* Stopping: the rest of this payload's events are skipped. */
            cegate_error why;
            cegate_error_clear(&why);
            cegate_error_set(&why, CEGATE_ERR_CANCELLED, NULL,
                             "not attempted: the run stopped first");
            delivery_complete_now(fi->done, fi->ctx, line,
                                  cegate_event_get_string(events.events[i], "id"),
                                  cegate_event_get_string(events.events[i], "type"),
                                  NULL, DELIVERY_SKIPPED, &why);
            continue;
        }
        rc = submit(fi, events.events[i], line);
    }
    cegate_event_list_free(&events);
    return rc;
}

static void run_ndjson(const file_ingress *fi, file_input *in,
                       file_ingress_result *res)
{
    for (;;) {
        const char *line;
        size_t length, over;
        int k = next_line(fi, in, &line, &length, &over);
        if (k == 0 || k == -1)
            break;
        if (k == -2) {
            cegate_error err;
            cegate_error_clear(&err);
            cegate_error_set(&err, CEGATE_ERR_LIMIT, NULL,
                             "line %zu is over max_input_bytes (%zu bytes): "
                             "skipped, its %zu bytes not kept",
                             in->line, in->max, over);
            report_invalid(fi, in->line, &err);
            continue;
        }
        if (is_blank(line, length))
            continue;
        if (handle_payload(fi, line, length, in->line, 1) < 0)
            break;
    }
}

static void run_single(const file_ingress *fi, file_input *in)
{
    while (!in->eof && in->end - in->start <= in->max)
        if (fill_or_stop(fi, in) < 0)
            return;
    if (in->end - in->start > in->max) {
        cegate_error err;
        cegate_error_clear(&err);
        cegate_error_set(&err, CEGATE_ERR_LIMIT, "input",
                         "%s is over max_input_bytes (%zu bytes): refused "
                         "after reading %zu bytes of it",
                         in->name, in->max, in->end - in->start);
        report_invalid(fi, 0, &err);
        return;
    }
    handle_payload(fi, in->buf ? in->buf + in->start : "", in->end - in->start,
                   0, 0);
}

void file_ingress_run(const file_ingress *fi, file_input *in,
                      file_ingress_result *res)
{
    memset(res, 0, sizeof *res);
    int ndjson = fi->ndjson || (fi->header_count == 0 && looks_like_ndjson(fi, in));
    if (ndjson)
        run_ndjson(fi, in, res);
    else
        run_single(fi, in);
    res->lines_read = in->line;
    res->interrupted = stopped(fi);
    res->read_errno = in->read_errno;
}
