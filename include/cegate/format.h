/* SPDX-License-Identifier: Apache-2.0 */
/* cegate/format.h - the CloudEvents JSON event format (single and batch) and
 * the HTTP protocol binding (binary, structured and batched content modes).
 *
 * Every decoder takes cegate_options (NULL means the defaults): the limits that
 * bound what outside input can make us do, and the types of extensions the
 * caller knows (all others are read as JSON gives them: String, Boolean or
 * Integer).
 */
#ifndef CEGATE_FORMAT_H
#define CEGATE_FORMAT_H

#include <stddef.h>
#include <jansson.h>
#include "cegate/buffer.h"
#include "cegate/error.h"
#include "cegate/event.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEGATE_MEDIA_TYPE_EVENT "application/cloudevents+json"
#define CEGATE_MEDIA_TYPE_BATCH "application/cloudevents-batch+json"

/* Each exceeded limit is a CEGATE_ERR_LIMIT error naming the limit. */
typedef struct cegate_limits {
    size_t max_input_bytes;     /* one message (body, file): 32 MiB */
    size_t max_attribute_bytes; /* one attribute value: 16 KiB */
    size_t max_attributes;      /* attributes in one event: 128 */
    size_t max_events;          /* events in one batch: 10000 */
    size_t max_depth;           /* JSON nesting, data included: 64 */
    size_t max_output_bytes;    /* one encoded message: 64 MiB */
} cegate_limits;

void cegate_limits_default(cegate_limits *limits);

/* An extension whose type the caller knows: its string values are checked
 * and read as that type (e.g. {"exttimestamp", CEGATE_TYPE_TIMESTAMP}). */
typedef struct cegate_extension_type {
    const char *name;
    cegate_type type;
} cegate_extension_type;

typedef struct cegate_options {
    cegate_limits limits;
    const cegate_extension_type *extensions; /* may be NULL */
    size_t extension_count;
} cegate_options;

/* Defaults: cegate_limits_default() and no known extensions. */
void cegate_options_init(cegate_options *options);

/* An owned list of events. */
typedef struct cegate_event_list {
    cegate_event **events;
    size_t count;
    size_t capacity;
} cegate_event_list;

void cegate_event_list_init(cegate_event_list *list);
/* Frees the events too. */
void cegate_event_list_free(cegate_event_list *list);
/* Takes `ev` over (it is freed on failure too). */
int cegate_event_list_append(cegate_event_list *list, cegate_event *ev,
                             cegate_error *err);

/* ---- JSON event format ------------------------------------------------ */

/* One event from a parsed JSON object. v0.3 events are read and converted to
 * v1.0 (schemaurl -> dataschema, datacontentencoding base64 -> binary data).
 * The result is validated. */
int cegate_json_to_event(const json_t *object, const cegate_options *options,
                         cegate_event **out, cegate_error *err);

/* A parsed JSON object (one event) or array (a batch) appended to `out`.
 * All events of a batch must share specversion. On error nothing is
 * appended; the error path names the element ("[2].time"). */
int cegate_json_to_events(const json_t *root, const cegate_options *options,
                          cegate_event_list *out, cegate_error *err);

/* Parse `length` bytes of JSON (object or batch array) into `out`. */
int cegate_json_decode(const char *bytes, size_t length,
                       const cegate_options *options, cegate_event_list *out,
                       cegate_error *err);

/* Parse JSON text with the limits applied (size and nesting depth); the
 * one entry point for outside JSON. Returns a new reference or NULL.
 * Duplicate member names are refused. An integer beyond 64 bits, which a
 * json_int_t cannot hold, is kept digit for digit rather than refused or
 * rounded: see cegate_json_big_integer. */
json_t *cegate_json_parse(const char *bytes, size_t length,
                          const cegate_limits *limits, cegate_error *err);

/* An integer beyond 64 bits as cegate_json_parse keeps it: a JSON string
 * holding a NUL byte and then the integer's text, "\0" "-123...". (No
 * string of JSON input can hold NUL, so none is taken for one.) cegate's
 * writers print it as the number it was; an attribute cannot be one (a
 * CloudEvents Integer has 32 bits). Returns the text (its length in
 * *length when not NULL) when `v` is such a value, else NULL. */
const char *cegate_json_big_integer(const json_t *v, size_t *length);

/* Append the event in the JSON event format (compact, UTF-8). Core
 * attributes in spec order (specversion, id, source, type, datacontenttype,
 * dataschema, subject, time), then extensions in the order they were set,
 * then data or data_base64. An implied datacontenttype (JSON or text data
 * without one) is written out explicitly, in its place. On
 * failure the buffer is left as it was. */
int cegate_json_encode_event(const cegate_event *ev, cegate_buffer *out,
                             cegate_error *err);
/* Append a batch: a JSON array of `count` events. */
int cegate_json_encode_batch(cegate_event *const *events, size_t count,
                             cegate_buffer *out, cegate_error *err);

/* ---- HTTP protocol binding -------------------------------------------- */

typedef enum cegate_http_mode {
    CEGATE_HTTP_BINARY = 1,
    CEGATE_HTTP_STRUCTURED,
    CEGATE_HTTP_BATCH
} cegate_http_mode;

typedef struct cegate_header {
    const char *name;
    const char *value;
} cegate_header;

/* The content mode of a message, from its Content-Type (case-insensitive;
 * batch is tested first since its media type shares the structured prefix). */
cegate_http_mode cegate_http_mode_of(const cegate_header *headers,
                                     size_t count);

/* The value of a header (case-insensitive name), or NULL. */
const char *cegate_header_find(const cegate_header *headers, size_t count,
                               const char *name);

/* Decode an HTTP message in any mode into `out`. Binary mode reads ce-
 * headers (decoded as the binding says: quoted-string unquoted, one round
 * of percent-decoding, valid UTF-8 required) and the body as data;
 * structured and batched mode read the body in the JSON format (charset
 * must be UTF-8 or absent). Errors name the header ("ce-time") or field. */
int cegate_http_decode(const cegate_header *headers, size_t count,
                       const void *body, size_t length,
                       const cegate_options *options, cegate_event_list *out,
                       cegate_error *err);

/* An encoded HTTP message; every string is owned by it and released by
 * cegate_http_message_reset or _free (a header's value shares its name's
 * allocation). */
typedef struct cegate_http_message {
    char **names;
    char **values;
    size_t count;
    cegate_buffer body;
} cegate_http_message;

void cegate_http_message_init(cegate_http_message *msg, size_t max_body);
void cegate_http_message_free(cegate_http_message *msg);
/* Empty it for another cegate_http_encode, keeping the body's buffer (a
 * caller encoding one event after another then rarely allocates it). */
void cegate_http_message_reset(cegate_http_message *msg);

/* Encode one event in binary or structured mode (use
 * cegate_json_encode_batch for a batch body). Binary mode: Content-Type =
 * the effective datacontenttype, one ce- header per other attribute with
 * percent-encoded values, body = the data bytes. `out` is a message just
 * initialized or reset; on failure it is left reset. */
int cegate_http_encode(const cegate_event *ev, cegate_http_mode mode,
                       cegate_http_message *out, cegate_error *err);

/* Percent-encode a header value as the binding says (space, '"', '%' and
 * everything outside U+0021..U+007E, as upper-case %XY of the UTF-8 bytes). */
int cegate_header_value_encode(const char *s, size_t n, cegate_buffer *out,
                               cegate_error *err);
/* The reverse, plus quoted-string unquoting and a UTF-8 check; `what` names
 * the header in errors. */
int cegate_header_value_decode(const char *s, size_t n, cegate_buffer *out,
                               const char *what, cegate_error *err);

#ifdef __cplusplus
}
#endif

#endif
