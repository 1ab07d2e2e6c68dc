/* SPDX-License-Identifier: Apache-2.0 */
/* helpers.h - what the unit tests of the CloudEvents core share: error
 * assertions, building events, decoding that must succeed or fail, and the
 * conformance suite's sample extension types.
 *
 * Every helper fails the calling test (Criterion assertions) when what it
 * expects does not hold. */
#ifndef CEGATE_TESTS_UNIT_HELPERS_H
#define CEGATE_TESTS_UNIT_HELPERS_H

#include <criterion/criterion.h>

#include <string.h>

#include "cegate/cegate.h"

#define N(arr) (sizeof(arr) / sizeof *(arr))

/* Output buffers get the default max_output_bytes, as a caller would. */
#define OUTPUT_MAX ((size_t)64 * 1024 * 1024)

/* The JSON members and the ce- headers of the smallest valid event. */
#define MINIMAL_MEMBERS                                                       \
    "\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\""

#define REQUIRED_HEADERS                                                      \
    {"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "/s"},           \
        {"ce-type", "t"}

/* ---- errors ----------------------------------------------------------------- */

#define assert_error(err, want_code, want_path)                               \
    do {                                                                      \
        cr_assert_eq((err).code, (want_code),                                 \
                     "error code: got %s, want %s (path '%s', text '%s')",    \
                     cegate_error_code_name((err).code),                      \
                     cegate_error_code_name(want_code), (err).path,           \
                     (err).text);                                             \
        cr_assert_str_eq((err).path, (want_path),                             \
                         "error path: got '%s', want '%s' (text '%s')",       \
                         (err).path, (want_path), (err).text);                \
    } while (0)

/* A limit error must say which limit: by its field name in the path or the
 * text (format.h: "a CEGATE_ERR_LIMIT error naming the limit"). */
#define assert_limit_error(err, limit_name)                                   \
    do {                                                                      \
        cr_assert_eq((err).code, CEGATE_ERR_LIMIT,                            \
                     "error code: got %s, want limit (path '%s', text '%s')", \
                     cegate_error_code_name((err).code), (err).path,          \
                     (err).text);                                             \
        cr_assert(strstr((err).path, (limit_name)) != NULL ||                 \
                      strstr((err).text, (limit_name)) != NULL,               \
                  "limit error does not name %s: path '%s', text '%s'",       \
                  (limit_name), (err).path, (err).text);                      \
    } while (0)

/* ---- building events ---------------------------------------------------------- */

/* The sample extensions of the conformance suite, with their types. */
extern const cegate_extension_type sample_types[];
extern const size_t sample_type_count;

/* Default options that know the sample extension types. */
cegate_options sample_options(void);

cegate_event *new_event(void);

/* Set attribute `name` to the string s, which must succeed. */
void set_str(cegate_event *ev, const char *name, const char *s,
             cegate_type ext_type);

/* An event with just these id, source and type. */
cegate_event *event_with(const char *id, const char *source, const char *type);

/* id, source "/s" and type "t": the smallest valid event. */
cegate_event *minimal_event(const char *id);

/* The conformance suite's `minimal` sample: source https://cloudevents.io,
 * type io.cloudevents.test. */
cegate_event *sample_minimal_event(const char *id);

/* Events for round trips, each built on minimal_event(). */

/* JSON data (from `json`) with datacontenttype `content_type`. */
cegate_event *json_data_event(const char *id, const char *content_type,
                              const char *json);

/* Text data with datacontenttype `content_type`. */
cegate_event *text_data_event(const char *id, const char *content_type,
                              const char *text);

/* Id "allExtensionTypes": one extension of each sample type, `text` the
 * value of extstring. */
cegate_event *all_extension_types_event(const char *text);

/* Id "binary": application/octet-stream data, the 256 byte values from 255
 * down to 0. */
cegate_event *binary_data_event(void);

void expect_string_attr(const cegate_event *ev, const char *name,
                        const char *want);

/* The event's data is of `kind` and exactly these bytes. */
void expect_bytes(const cegate_event *ev, cegate_data_kind kind,
                  const void *want, size_t want_len);

/* ---- decoding ------------------------------------------------------------------ */

/* A list that holds one event already (returned): a failure must leave it
 * so. */
cegate_event *seeded_list(cegate_event_list *list);

/* The seeded list still holds its one event and nothing else; frees it. */
void expect_untouched(cegate_event_list *list);

/* cegate_json_decode / cegate_http_decode must give exactly one event: a
 * copy of it, freed with cegate_event_free. */
cegate_event *json_decode_one(const char *json, size_t length,
                              const cegate_options *opt);
cegate_event *http_decode_one(const cegate_header *h, size_t count,
                              const void *body, size_t length,
                              const cegate_options *opt);

/* cegate_json_decode / cegate_http_decode must fail: -1, an error code, and
 * nothing appended to a seeded list. Returns the error. */
cegate_error json_decode_fail(const char *json, size_t length,
                              const cegate_options *opt);
cegate_error http_decode_fail(const cegate_header *h, size_t count,
                              const void *body, size_t length,
                              const cegate_options *opt);

#endif
