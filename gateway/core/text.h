/* SPDX-License-Identifier: Apache-2.0 */
/* text.h - internal checks on text the CloudEvents spec constrains:
 * UTF-8, String code points, names, URIs, media types, integers, base64.
 * Each check takes `what` (the field named in an error) and an error struct. */
#ifndef CEGATE_CORE_TEXT_H
#define CEGATE_CORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cegate/buffer.h"
#include "cegate/format.h"
#include "cegate/error.h"

/* Valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
 * Returns 0, or -1 with CEGATE_ERR_ENCODING. */
int ce_check_utf8(const char *s, size_t n, const char *what, cegate_error *err);

/* A CloudEvents String: valid UTF-8 without control characters
 * (U+0000-001F, U+007F-009F), noncharacters or surrogates. */
int ce_check_string(const char *s, size_t n, const char *what,
                    cegate_error *err);

/* An attribute name: one or more of a-z, 0-9. */
int ce_is_attribute_name(const char *s, size_t n);

/* RFC 3986 URI-reference (§4.1) and absolute-URI (§4.3). */
int ce_check_uri_reference(const char *s, size_t n, const char *what,
                           cegate_error *err);
int ce_check_absolute_uri(const char *s, size_t n, const char *what,
                          cegate_error *err);

/* An RFC 2046 media type with optional parameters: type/subtype *(;p=v). */
int ce_check_media_type(const char *s, size_t n, const char *what,
                        cegate_error *err);

/* Canonical Integer string: -?(0|[1-9][0-9]*) within 32 bits. */
int ce_parse_int32(const char *s, size_t n, int32_t *out, const char *what,
                   cegate_error *err);

/* The value of a hexadecimal digit (either case), or -1. */
int ce_hex_value(char c);

/* ASCII case-insensitive comparisons. */
int ce_ascii_casecmp_n(const char *a, const char *b, size_t n);
int ce_ascii_prefix(const char *s, const char *prefix); /* case-insensitive */

/* Base64 (RFC 4648, standard alphabet, padded). Decoding rejects anything
 * else, naming `what`. Both append to `out`. */
int ce_base64_encode(const unsigned char *bytes, size_t n, cegate_buffer *out,
                     const char *what, cegate_error *err);
int ce_base64_decode(const char *s, size_t n, cegate_buffer *out,
                     const char *what, cegate_error *err);

/* Append s[0..n) (valid UTF-8) as a quoted, escaped JSON string. */
int ce_append_json_string(cegate_buffer *out, const char *s, size_t n,
                          cegate_error *err);

/* Append any bytes as a quoted JSON string: valid UTF-8 as it is (escaped
 * as JSON needs), every other byte, a sequence cut short by a cap among
 * them, as the four characters \xNN. For what an app wrote (stderr, a
 * response), which is kept rather than dropped for not being text. */
int ce_append_json_bytes(cegate_buffer *out, const char *s, size_t n,
                         cegate_error *err);

/* Append an integer in decimal. */
int ce_append_integer(cegate_buffer *out, long long v, cegate_error *err);
/* The decimal digits of v into out (at least 21 bytes), no NUL; returns
 * their count. */
size_t ce_integer_text(char *out, long long v);

/* Append a JSON value, compact, keys in order, reals in the fewest digits
 * that read back as the same double (json_write.c). */
int ce_append_json_value(cegate_buffer *out, const json_t *v, cegate_error *err);
/* The same, laid out for people: `indent` spaces a level. */
int ce_append_json_indented(cegate_buffer *out, const json_t *v, int indent,
                            cegate_error *err);

/* Is a JSON value nested more than `limit` levels (a scalar is 0 levels,
 * [] is 1)? Stops descending as soon as it knows. */
int ce_json_deeper_than(const json_t *v, size_t limit);

/* JSON text (RFC 8259, any value at the top) into a jansson tree, as
 * json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) would build it, but
 * faster (json_read.c says why). Nesting deeper than `max_depth` levels is
 * CEGATE_ERR_LIMIT; with `uncounted_top_array` a top-level array is not
 * counted. Syntax errors (CEGATE_ERR_SYNTAX) carry line, column and
 * position. */
json_t *ce_json_read(const char *text, size_t length, size_t max_depth,
                     int uncounted_top_array, cegate_error *err);

/* ce_json_read with flags: */
#define CE_JSON_UNCOUNTED_TOP_ARRAY 1u /* a top-level array is not counted */
#define CE_JSON_BIG_INTEGERS 2u /* integers beyond 64 bits are kept (see
                                   cegate_json_big_integer), not refused */
#define CE_JSON_ALLOW_DUPLICATES 4u /* the last of duplicate members wins:
                                       to recognise a payload, never to read
                                       its events */
#define CE_JSON_ERROR_PATH 8u /* an error's path names the member or element
                                 it is in ("Records[0].eventTime") */
json_t *ce_json_read_flags(const char *text, size_t length, size_t max_depth,
                           unsigned flags, cegate_error *err);

/* A big integer's value: its JSON text `text[0..n)` (digits, maybe a
 * minus) behind a NUL byte, in a string. NULL when out of memory. */
json_t *ce_json_big_integer(const char *text, size_t n);

/* A JSON string that is a CloudEvents-readable string: not a big integer. */
static inline int ce_json_is_text(const json_t *v)
{
    return json_is_string(v) && cegate_json_big_integer(v, NULL) == NULL;
}

/* cegate_json_parse with an explicit depth limit (error messages still
 * name limits->max_depth), and `batch` saying whether a top-level array is
 * a batch (whose own level does not count) or a value: an HTTP body that
 * becomes an event's data must leave room for the event object around it.
 * Integers beyond 64 bits are kept (CE_JSON_BIG_INTEGERS): event data
 * carries them intact. */
json_t *ce_json_parse(const char *bytes, size_t length,
                      const cegate_limits *limits, size_t max_depth,
                      int batch, cegate_error *err);
/* The same with ce_json_read_flags' flags (CE_JSON_BIG_INTEGERS is not
 * implied; CE_JSON_UNCOUNTED_TOP_ARRAY is `batch`). */
json_t *ce_json_parse_flags(const char *bytes, size_t length,
                            const cegate_limits *limits, size_t max_depth,
                            unsigned flags, cegate_error *err);

/* A copy of n bytes plus a NUL (cegate_malloc), or NULL. */
char *ce_strndup(const char *s, size_t n);

#endif
