/* SPDX-License-Identifier: Apache-2.0 */
/* cegate/error.h - the one error struct every cegate function reports into.
 *
 * Modelled on jansson's json_error_t: caller-allocated, fixed size, optional
 * (pass NULL when you do not care), the first error wins, and filling it never
 * allocates, so it works on the out-of-memory path too.
 */
#ifndef CEGATE_ERROR_H
#define CEGATE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stable codes: tests, scripts and plugins may rely on the numbers and names. */
typedef enum cegate_error_code {
    CEGATE_OK = 0,
    CEGATE_ERR_SYNTAX = 1,      /* input is not well-formed (JSON, header) */
    CEGATE_ERR_MISSING = 2,     /* a required attribute or field is absent */
    CEGATE_ERR_EMPTY = 3,       /* a value that must be non-empty is empty */
    CEGATE_ERR_TYPE = 4,        /* a value has the wrong type */
    CEGATE_ERR_VALUE = 5,       /* a value breaks its type's rules */
    CEGATE_ERR_NAME = 6,        /* an attribute name is not [a-z0-9]+ */
    CEGATE_ERR_SPECVERSION = 7, /* specversion is not one we read */
    CEGATE_ERR_ENCODING = 8,    /* bad UTF-8, percent-encoding or base64 */
    CEGATE_ERR_CONFLICT = 9,    /* values that may not appear together do */
    CEGATE_ERR_LIMIT = 10,      /* a configured limit was exceeded */
    CEGATE_ERR_MODE = 11,       /* the message is not a CloudEvent we can read */
    CEGATE_ERR_NOMEM = 12,      /* an allocation failed */
    CEGATE_ERR_IO = 13,         /* reading or writing failed */
    CEGATE_ERR_USAGE = 14,      /* the caller passed invalid arguments */
    CEGATE_ERR_UNAVAILABLE = 15,/* the app cannot be reached (refused, no
                                   socket, reset, overloaded): transient */
    CEGATE_ERR_TIMEOUT = 16,    /* the app did not answer in time: transient */
    CEGATE_ERR_PROTOCOL = 17,   /* the app's answer breaks FastCGI or CGI */
    CEGATE_ERR_CONNECT = 18,    /* no connection to the app (refused, no
                                   socket, or the connect timed out) */
    CEGATE_ERR_APP_TRANSIENT = 19, /* the app answered a status that is
                                   retried (5xx, 408, 429 by default) */
    CEGATE_ERR_APP_REJECTED = 20,  /* the app answered a status that rejects
                                   the event (other 4xx by default) */
    CEGATE_ERR_CANCELLED = 21   /* stopped by a shutdown's drain deadline */
} cegate_error_code;

#define CEGATE_ERROR_PATH_LENGTH 128
#define CEGATE_ERROR_TEXT_LENGTH 512

typedef struct cegate_error {
    cegate_error_code code;
    /* Where: a field path such as "Records[0].s3.object.key" or "ce-time";
     * empty when the error concerns the input as a whole. */
    char path[CEGATE_ERROR_PATH_LENGTH];
    /* What, in one line, without the path. */
    char text[CEGATE_ERROR_TEXT_LENGTH];
    /* Who: the adapter that reported it (set by the host), or empty. */
    char origin[48];
    /* For syntax errors in text input: 1-based line and column, byte offset;
     * 0 when unknown. */
    int line;
    int column;
    size_t position;
} cegate_error;

/* Reset an error to CEGATE_OK. Safe on NULL. */
void cegate_error_clear(cegate_error *err);

/* Record an error unless one is already recorded (first error wins).
 * `path` may be NULL. Returns `code`, so callers can `return cegate_error_set(...)`.
 * Safe on a NULL `err`. Never allocates. */
cegate_error_code cegate_error_set(cegate_error *err, cegate_error_code code,
                                   const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Put `prefix` in front of the path already recorded, joining with "." unless
 * the old path starts with "[": used when a nested parser's error is reported
 * from its parent ("[3]" + "id" -> "[3].id"). Safe on NULL. */
void cegate_error_prefix_path(cegate_error *err, const char *prefix);

/* Replace the path of the error recorded (nothing when none is): used when
 * a caller knows better where it is, e.g. "apps.orders.address" for an
 * error a helper reported as "--app". Safe on NULL. */
void cegate_error_set_path(cegate_error *err, const char *path);
/* Name who reported the recorded error (an adapter), unless it is named
 * already. Safe on NULL. */
void cegate_error_set_origin(cegate_error *err, const char *origin);
/* Set the recorded error's line and column (1-based; 0 unknown) and byte
 * offset, e.g. to give a position inside one NDJSON line as the file's; a
 * message ending in "(line L, column C)" says the new position too. Safe
 * on NULL. */
void cegate_error_set_position(cegate_error *err, int line, int column,
                               size_t position);
/* Copy `src` into `dst` unless `dst` already holds an error (first error
 * wins). Safe on NULL. */
void cegate_error_copy(cegate_error *dst, const cegate_error *src);

/* The stable name of a code, e.g. "missing" for CEGATE_ERR_MISSING. */
const char *cegate_error_code_name(cegate_error_code code);

#ifdef __cplusplus
}
#endif

#endif
