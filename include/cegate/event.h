/* SPDX-License-Identifier: Apache-2.0 */
/* cegate/event.h - the CloudEvent model (CloudEvents spec v1.0.2).
 *
 * An event holds context attributes (the four required ones, the optional
 * core ones and typed extensions) and optional data. Every value is copied in;
 * getters return borrowed pointers that stay valid until the attribute is
 * changed or the event is freed.
 *
 * Setting an attribute checks its value against the attribute's type at once,
 * so a bad value is reported where it is set, with the attribute named.
 * cegate_event_validate() checks what only the whole event can show
 * (required attributes present).
 */
#ifndef CEGATE_EVENT_H
#define CEGATE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "cegate/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEGATE_SPECVERSION "1.0"

/* The longest attribute name accepted (the spec advises at most 20). */
#define CEGATE_MAX_NAME_LENGTH 100

/* The CloudEvents type system (spec §"Type System"). */
typedef enum cegate_type {
    CEGATE_TYPE_STRING = 1,
    CEGATE_TYPE_BOOLEAN,
    CEGATE_TYPE_INTEGER,  /* signed 32-bit */
    CEGATE_TYPE_URI,      /* absolute URI, RFC 3986 §4.3 */
    CEGATE_TYPE_URI_REF,  /* URI-reference, RFC 3986 §4.1 */
    CEGATE_TYPE_TIMESTAMP,/* RFC 3339 */
    CEGATE_TYPE_BINARY
} cegate_type;

const char *cegate_type_name(cegate_type type); /* "String", "URI-reference", ... */

/* A typed attribute value. String, URI, URI-reference and Timestamp keep
 * their canonical string form in `string` (NUL-terminated). */
typedef struct cegate_value {
    cegate_type type;
    union {
        const char *string;
        int boolean;
        int32_t integer;
        struct {
            const unsigned char *bytes;
            size_t length;
        } binary;
    } u;
} cegate_value;

/* An RFC 3339 timestamp, broken down. */
typedef struct cegate_timestamp {
    int64_t seconds;     /* since 1970-01-01T00:00:00Z (the offset applied) */
    int32_t nanoseconds; /* fractional digits beyond 9 are ignored */
    int16_t offset_minutes;
} cegate_timestamp;

/* Parse an RFC 3339 date-time (any number of fractional digits; Z or ±hh:mm).
 * Returns 0, or -1 with `err` naming `what`. */
int cegate_timestamp_parse(const char *s, size_t n, cegate_timestamp *out,
                           const char *what, cegate_error *err);

/* Where the event's data came from decides how it is written out. */
typedef enum cegate_data_kind {
    CEGATE_DATA_NONE = 0,  /* no data member at all */
    CEGATE_DATA_JSON,      /* a JSON value (datacontenttype is JSON) */
    CEGATE_DATA_TEXT,      /* a UTF-8 string (non-JSON datacontenttype; an
                              HTTP binary-mode body of a text media type) */
    CEGATE_DATA_BINARY     /* bytes (data_base64, or an HTTP binary-mode body
                              that is neither JSON nor text) */
} cegate_data_kind;

typedef struct cegate_event cegate_event;

/* A new event with specversion "1.0" and nothing else; NULL on no memory. */
cegate_event *cegate_event_new(void);
void cegate_event_free(cegate_event *ev);

/* Set attribute `name` to a copy of `value`. The name must be [a-z0-9]+ (at
 * most CEGATE_MAX_NAME_LENGTH characters, and not "data") and
 * the value must suit the attribute: core attributes have fixed types (id,
 * type, subject, datacontenttype: String; source: URI-reference; dataschema:
 * URI; time: Timestamp; specversion: "1.0" only). Returns 0, or -1 with
 * `err` naming the attribute. */
int cegate_event_set(cegate_event *ev, const char *name,
                     const cegate_value *value, cegate_error *err);

/* Set from a canonical string: a core attribute gets its own type, an
 * extension gets `ext_type` (0 means String). `n` is the string's length. */
int cegate_event_set_string(cegate_event *ev, const char *name,
                            const char *s, size_t n, cegate_type ext_type,
                            cegate_error *err);

/* Remove an attribute; returns 1 if it was there. specversion cannot be
 * removed. */
int cegate_event_remove(cegate_event *ev, const char *name);

/* Borrowed; NULL when absent. */
const cegate_value *cegate_event_get(const cegate_event *ev, const char *name);
/* The string form of a String/URI/URI-reference/Timestamp attribute, else NULL. */
const char *cegate_event_get_string(const cegate_event *ev, const char *name);

/* Iterate over every attribute: core ones first in spec order, then
 * extensions in the order they were set. */
size_t cegate_event_attribute_count(const cegate_event *ev);
const char *cegate_event_attribute_name(const cegate_event *ev, size_t i);
const cegate_value *cegate_event_attribute_value(const cegate_event *ev,
                                                 size_t i);
/* Non-zero for the spec's own attribute names (id, source, time, ...). */
int cegate_attribute_is_core(const char *name);

/* Data. The setters replace any earlier data. */
cegate_data_kind cegate_event_data_kind(const cegate_event *ev);
/* Borrowed; NULL unless the kind is CEGATE_DATA_JSON. */
json_t *cegate_event_data_json(const cegate_event *ev);
/* Borrowed bytes of TEXT or BINARY data (NUL-terminated); NULL otherwise. */
const unsigned char *cegate_event_data_bytes(const cegate_event *ev,
                                             size_t *length);
/* Takes a new reference to `value` (which may be json_null()). */
int cegate_event_set_data_json(cegate_event *ev, json_t *value,
                               cegate_error *err);
/* Text must be valid UTF-8 without NUL (checked; `err` path "data"). */
int cegate_event_set_data_text(cegate_event *ev, const char *s, size_t n,
                               cegate_error *err);
int cegate_event_set_data_binary(cegate_event *ev, const void *bytes,
                                 size_t n, cegate_error *err);
void cegate_event_clear_data(cegate_event *ev);

/* datacontenttype; when it is absent, "application/json" for JSON or text
 * data (the JSON format's rule) and NULL for binary data or no data. */
const char *cegate_event_effective_content_type(const cegate_event *ev);

/* Non-zero when a media type is JSON: after stripping parameters, the
 * subtype is "json" or ends in "+json" (case-insensitive). */
int cegate_media_type_is_json(const char *media_type);

/* Check the whole event: required attributes present and non-empty, and
 * the data consistent with datacontenttype. Returns 0 or -1. */
int cegate_event_validate(const cegate_event *ev, cegate_error *err);

/* Deep copy; NULL on no memory. */
cegate_event *cegate_event_copy(const cegate_event *ev);

/* Non-zero when two events carry the same attributes and data. Timestamps
 * compare by instant (…T18:31:00+01:00 equals …T17:31:00Z), JSON data by
 * value. */
int cegate_event_equal(const cegate_event *a, const cegate_event *b);

#ifdef __cplusplus
}
#endif

#endif
