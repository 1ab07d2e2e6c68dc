/* SPDX-License-Identifier: Apache-2.0 */
/* file.h - the file ingress: a file or standard input, one message or
 * NDJSON (one payload a line), read with the input limit enforced while
 * reading, each payload normalized, routed and handed to the engine.
 *
 * Memory stays bounded whatever the input: a line or message over
 * max_input_bytes is refused as soon as it is known to be over (a line is
 * then skipped to its end without being kept), NDJSON is detected from a
 * bounded prefix, and positions inside a line are the file's. */
#ifndef CEGATE_INGRESS_FILE_H
#define CEGATE_INGRESS_FILE_H

#include <signal.h>
#include <stddef.h>

#include "adapters.h"
#include "delivery/engine.h"

typedef struct file_input {
    int fd;
    int is_regular;     /* a regular file (else a pipe, a terminal...) */
    const char *name;   /* for messages: the path, or "standard input" */
    char *buf;
    size_t capacity, start, end;
    size_t scanned;     /* bytes after start known to hold no newline */
    size_t max;         /* max_input_bytes */
    size_t line;        /* the number of the line last read */
    int eof;
    int read_errno;     /* a read that failed, 0 if none */
} file_input;

/* Open `path` (NULL or "-": standard input). Returns 0, or -1 with err
 * (CEGATE_ERR_IO naming the file). */
int file_input_open(file_input *in, const char *path, size_t max_bytes,
                    cegate_error *err);
void file_input_close(file_input *in);
/* The next line, without its newline. 1 with *data and *length valid until
 * the next call, 0 at the end, -1 when reading stopped (a read error, in
 * in->read_errno, or *interrupted set; may be NULL), -2 for a line over
 * in->max: it was skipped without being kept (*over: its length). */
int file_input_next_line(file_input *in, const volatile sig_atomic_t *interrupted,
                         const char **data, size_t *length, size_t *over);

typedef struct file_ingress {
    registry *reg;
    const cegate_header *headers;  /* -H, for a single message */
    size_t header_count;
    const char *path;              /* --path */
    int ndjson;                    /* 1 forced, 0 detect */
    const config *cfg;             /* the routes */
    engine *engine;
    delivery_completion done;      /* every outcome, also of bad input */
    void *ctx;
    const volatile sig_atomic_t *interrupted; /* stop reading when set */
} file_ingress;

typedef struct file_ingress_result {
    size_t lines_read;   /* the last line read (0 for a single message) */
    int interrupted;     /* stopped by *interrupted before the end */
    int read_errno;      /* reading failed (errno), 0 if not */
} file_ingress_result;

/* Read the whole input and submit every event (waiting for room when a
 * queue is full). Each outcome's tag is its input line (0 for a single
 * message). Does not wait for the deliveries: engine_drain does. */
void file_ingress_run(const file_ingress *fi, file_input *in,
                      file_ingress_result *res);

#endif
