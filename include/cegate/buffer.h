/* SPDX-License-Identifier: Apache-2.0 */
/* cegate/buffer.h - a growing byte buffer with a hard maximum.
 *
 * Like curl's dynbuf: the maximum is fixed at creation, and growing past it is
 * a named error (CEGATE_ERR_LIMIT), never a crash or a silent truncation.
 * The bytes are always followed by a NUL that is not counted in `length`.
 */
#ifndef CEGATE_BUFFER_H
#define CEGATE_BUFFER_H

#include <stddef.h>
#include "cegate/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cegate_buffer {
    char *data;      /* NULL until the first append */
    size_t length;   /* bytes in use, NUL excluded */
    size_t capacity; /* bytes allocated */
    size_t max;      /* most bytes `length` may reach */
} cegate_buffer;

void cegate_buffer_init(cegate_buffer *buf, size_t max);
/* Frees the bytes and leaves an empty buffer with the same maximum. */
void cegate_buffer_free(cegate_buffer *buf);
/* Empties the buffer, keeping its memory. */
void cegate_buffer_reset(cegate_buffer *buf);

/* Append; on failure the buffer is unchanged and `err` says why
 * (CEGATE_ERR_LIMIT naming `what`, or CEGATE_ERR_NOMEM). */
int cegate_buffer_append(cegate_buffer *buf, const void *bytes, size_t n,
                         const char *what, cegate_error *err);
int cegate_buffer_append_str(cegate_buffer *buf, const char *s,
                             const char *what, cegate_error *err);
int cegate_buffer_append_byte(cegate_buffer *buf, char c, const char *what,
                              cegate_error *err);
/* Make room for n more bytes (and the NUL) without writing them, for a
 * writer that fills data + length itself; the same errors as append, and
 * the maximum applies to length + n. */
int cegate_buffer_reserve(cegate_buffer *buf, size_t n, const char *what,
                          cegate_error *err);

/* Hand the bytes over to the caller (free with cegate_free); the buffer is
 * left empty. Returns a valid empty string for an empty buffer, NULL only
 * when that allocation fails. */
char *cegate_buffer_steal(cegate_buffer *buf, size_t *length);

/* cegate allocates through jansson's allocator (json_set_alloc_funcs), so one
 * hook controls every allocation of the library; free what it returns with
 * cegate_free. */
void *cegate_malloc(size_t n);
void cegate_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
