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

/* cegate_json_parse with an explicit depth limit (error messages still
 * name limits->max_depth), and `batch` saying whether a top-level array is
 * a batch (whose own level does not count) or a value: an HTTP body that
 * becomes an event's data must leave room for the event object around it. */
json_t *ce_json_parse(const char *bytes, size_t length,
                      const cegate_limits *limits, size_t max_depth,
                      int batch, cegate_error *err);

/* A copy of n bytes plus a NUL (cegate_malloc), or NULL. */
char *ce_strndup(const char *s, size_t n);

#endif
