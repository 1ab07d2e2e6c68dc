/* SPDX-License-Identifier: Apache-2.0 */
/* adapter_util.h - helpers shared by cegate's built-in adapters.
 *
 * Not part of the plugin ABI (include/cegate/adapter.h is): these functions
 * are linked statically into each built-in plugin (the libtool convenience
 * library adapters/common/libadapterutil.la) and never exported, since a
 * plugin exports only `cegate_adapter` (-export-symbols-regex, and hidden
 * visibility below). An adapter built outside the tree does not have them.
 *
 * The built-in adapters are built and installed with their host, whose ABI
 * is the one they were compiled against (1.1 or later), so they use the 1.1
 * services (json_parse, error_prefix_path, base64_decode, free) without
 * checking host->abi_minor.
 *
 * Field paths follow docs/ADAPTERS.md: the input's member names joined by
 * "." and "[i]" for array elements ("Records[0].s3.object.key"). */
#ifndef CEGATE_ADAPTER_UTIL_H
#define CEGATE_ADAPTER_UTIL_H

#include <stddef.h>

#include "cegate/adapter.h"

#pragma GCC visibility push(hidden)

/* au_get_string(): a missing (or null) member is an error, not absent. */
#define AU_REQUIRED 1

/* ---- JSON type names, for "must be a string, not <name>" ----------------- */

/* An integer beyond 64 bits as the host's JSON reader keeps it (a string
 * of a NUL byte and the digits; cegate/format.h, cegate_json_big_integer):
 * an integer, never a string, to the helpers below. */
int au_is_big_integer(const json_t *v);

/* The core's wording ("an object", ..., "a non-integral number", "null"),
 * as the JSON decoder and the azure/gcp adapters say it. */
const char *au_json_kind(const json_t *v);

/* The AWS adapters' wording: the same, but a real is "a number". */
const char *au_type_name(const json_t *v);

/* ---- field paths --------------------------------------------------------- */

/* `prefix` "." `name` into buf, or just `name` when `prefix` is empty
 * ("Records[2]" + "eventTime", "" + "detail-type"). Returns buf. */
const char *au_path(char *buf, size_t size, const char *prefix,
                    const char *name);

/* ---- probe --------------------------------------------------------------- */

/* Non-zero when the body is a JSON object; else sets *reason ("the body is
 * not JSON", "the body is not a JSON object") and returns 0. */
int au_probe_object(const cegate_message *msg, const char **reason);

/* Non-zero when a Content-Type value (leading blanks allowed) is one of
 * CloudEvents' application/cloudevents... types (structured, batch). */
int au_is_cloudevents_type(const char *content_type);

/* ---- reading the input (the AWS adapters' wording) ----------------------- */

/* The string at `name` below `obj`, which sits at `prefix`; `name` may be
 * dotted ("s3.object.key") to descend through objects. Returns 1 with *s and
 * *n set; 0 when it (or an object on the way) is absent or null and `flags`
 * lacks AU_REQUIRED; -1 with `err` naming the field ("required member is
 * missing", "must be an object, not ...", "must be a string, not ..."). */
int au_get_string(const cegate_host *host, const json_t *obj,
                  const char *prefix, const char *name, int flags,
                  const char **s, size_t *n, cegate_error *err);

/* `v`, at `path`, must be an object: 0, or -1 with `err` filled. */
int au_require_object(const cegate_host *host, const json_t *v,
                      const char *path, cegate_error *err);

/* The required object member `name` of `obj` (at `prefix`): 0 with *out
 * set, or -1 with `err` filled. */
int au_get_object(const cegate_host *host, const json_t *obj,
                  const char *prefix, const char *name, const json_t **out,
                  cegate_error *err);

/* Each element of `records` (a "Records" array at the top of the message)
 * must be an object; `fn` gets it with its path ("Records[3]"). DECLINED
 * when `records` is not an array, ERROR at the first failure, else OK. */
typedef int (*au_record_fn)(const cegate_host *host, cegate_call *call,
                            const json_t *record, const char *path,
                            cegate_error *err);
cegate_adapter_result au_each_record(const cegate_host *host,
                                     cegate_call *call, const json_t *records,
                                     au_record_fn fn, cegate_error *err);

/* ---- reading the input (the azure and gcp adapters' wording) ------------- */

/* `v` (already looked up; NULL when absent) as a string: 1 with *s and *n
 * set, 0 when absent (*s NULL, *n 0), -1 with `err` at `path` when it is
 * not a string ("must be a string, not ...", au_json_kind) or, with
 * AU_REQUIRED, absent ("required field is missing"). */
int au_string_field(const cegate_host *host, const json_t *v,
                    const char *path, int flags, const char **s, size_t *n,
                    cegate_error *err);

/* ---- building events ----------------------------------------------------- */

/* host->event_new(), or NULL with CEGATE_ERR_NOMEM in `err`. */
cegate_event *au_event_new(const cegate_host *host, cegate_error *err);

/* Set attribute `name` from s[0..n). Errors name `path`, the input field
 * (or header) the value came from, not the attribute. The size check is
 * the one host->emit also makes, kept here because emit can only name the
 * attribute. */
int au_set_attribute(const cegate_host *host, cegate_event *ev,
                     const char *name, const char *s, size_t n,
                     const char *path, cegate_error *err);

/* The same for the value of field `field` at `prefix`: errors name
 * `prefix`.`field` ("Records[0]" + "eventTime", "[2]" + "topic"). */
int au_set_field(const cegate_host *host, cegate_event *ev, const char *name,
                 const char *s, size_t n, const char *prefix,
                 const char *field, cegate_error *err);

/* The same as au_set_attribute(); `note` (when not NULL) follows the text
 * of an error the setter reports, e.g. "(in the source built from this
 * value)". */
int au_set_attribute_note(const cegate_host *host, cegate_event *ev,
                          const char *name, const char *s, size_t n,
                          const char *path, const char *note,
                          cegate_error *err);

/* Non-zero when `v` nests more than `limit` levels of arrays/objects (the
 * host's own check, for the places where an adapter must report the limit
 * under its input path before it emits). */
int au_json_deeper_than(const json_t *v, size_t limit);

#pragma GCC visibility pop

#endif
