/* SPDX-License-Identifier: Apache-2.0 */
/* cegate/adapter.h - the adapter plugin ABI.
 *
 * An adapter recognises one kind of payload (an S3 notification, a Pub/Sub
 * push, ...) and turns it into CloudEvents. Each adapter is a shared object
 * exporting exactly one symbol, `cegate_adapter`, a const
 * cegate_adapter_descriptor. The host loads it with dlopen(RTLD_NOW |
 * RTLD_LOCAL); the adapter never links against the host: everything it needs
 * from cegate comes through the cegate_host table passed to each call.
 * (jansson's functions resolve against the host's own libjansson.)
 *
 * Build an adapter outside the source tree with
 *     cc -shared -fPIC $(pkg-config --cflags cegate) my.c -o my.so
 * and load it with `cegate --plugin-dir DIR` or CEGATE_PLUGIN_PATH.
 * adapters/skeleton.c is a complete example; docs/ADAPTERS.md the guide.
 *
 * Versioning: the descriptor and the host table both begin with
 * (abi_major, abi_minor, struct_size). The host refuses an adapter whose
 * major differs from its own or whose minor is newer. Within a major, new
 * members are only ever appended, so a newer host reads an older adapter's
 * descriptor up to its struct_size and an adapter checks host->struct_size
 * (or abi_minor) before using a member added after the minor it was built
 * against.
 *
 * Change log:
 *   2026-11-23  1.0  first version: probe, normalize, options table; host
 *                    services: logging, event building, emit, redispatch,
 *                    CloudEvents decoding, options.
 *   2026-11-23  1.1  host services json_parse (inner payloads, with the
 *                    limits), error_prefix_path, base64_decode and free;
 *                    emit enforces the attribute and depth limits.
 *   2026-12-04  1.2  host service error_set_path; integers beyond 64 bits
 *                    in a parsed body (see cegate_message.json).
 */
#ifndef CEGATE_ADAPTER_H
#define CEGATE_ADAPTER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "cegate/error.h"
#include "cegate/event.h"
#include "cegate/format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEGATE_ADAPTER_ABI_MAJOR 1
#define CEGATE_ADAPTER_ABI_MINOR 2

/* The one symbol an adapter exports. */
#define CEGATE_ADAPTER_SYMBOL "cegate_adapter"

/* What normalize() says. */
typedef enum cegate_adapter_result {
    CEGATE_ADAPTER_ERROR = -1,   /* mine, but malformed: err is filled */
    CEGATE_ADAPTER_DECLINED = 0, /* not mine after all: the host tries others */
    CEGATE_ADAPTER_OK = 1        /* handled: zero or more events emitted
                                    (zero means acknowledged, e.g. a test
                                    notification) */
} cegate_adapter_result;

/* The message being normalized. Everything is borrowed for the call. */
typedef struct cegate_message {
    const cegate_header *headers; /* HTTP headers, may be none */
    size_t header_count;
    const char *body;             /* the raw bytes (NUL-terminated) */
    size_t body_length;
    const json_t *json;   /* the body parsed once by the host; NULL when the
                             body is not JSON. Never modify it. An integer
                             beyond 64 bits is a string of a NUL byte and
                             its digits (cegate_json_big_integer in
                             cegate/format.h): not a string to read. */
    const char *path;     /* the request path (e.g. from --path), or NULL */
    unsigned depth;       /* 0 for the outer message, +1 per envelope */
} cegate_message;

/* One call of the host into an adapter; opaque. Events emitted through it
 * go where the host decides (the caller's list). */
typedef struct cegate_call cegate_call;

typedef enum cegate_log_level {
    CEGATE_LOG_ERROR = 0,
    CEGATE_LOG_WARNING,
    CEGATE_LOG_INFO,
    CEGATE_LOG_DEBUG
} cegate_log_level;

/* Services the host offers; passed to every adapter function. */
typedef struct cegate_host {
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t struct_size;

    /* Log a line tagged with the adapter's name. */
    void (*log)(cegate_call *call, cegate_log_level level, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

    /* The event model (see event.h for each function's contract). */
    cegate_event *(*event_new)(void);
    void (*event_free)(cegate_event *ev);
    int (*event_set)(cegate_event *ev, const char *name,
                     const cegate_value *value, cegate_error *err);
    int (*event_set_string)(cegate_event *ev, const char *name, const char *s,
                            size_t n, cegate_type ext_type, cegate_error *err);
    const char *(*event_get_string)(const cegate_event *ev, const char *name);
    int (*event_set_data_json)(cegate_event *ev, json_t *value,
                               cegate_error *err);
    int (*event_set_data_text)(cegate_event *ev, const char *s, size_t n,
                               cegate_error *err);
    int (*event_set_data_binary)(cegate_event *ev, const void *bytes, size_t n,
                                 cegate_error *err);
    int (*timestamp_parse)(const char *s, size_t n, cegate_timestamp *out,
                           const char *what, cegate_error *err);
    cegate_error_code (*error_set)(cegate_error *err, cegate_error_code code,
                                   const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

    /* Hand a finished event to the host, which validates it, checks it
     * against the limits (attribute sizes and count, data nesting) and
     * takes it over (freed on failure too). Returns 0 or -1 with err
     * filled. */
    int (*emit)(cegate_call *call, cegate_event *ev, cegate_error *err);

    /* An envelope's inner payload: the host parses `body` and dispatches it
     * to every adapter again, one level deeper (depth-limited); events it
     * yields are emitted into this call. Returns OK, DECLINED (nobody
     * recognised it; the envelope then usually emits itself) or ERROR. */
    cegate_adapter_result (*redispatch)(cegate_call *call,
                                        const cegate_header *headers,
                                        size_t header_count, const char *body,
                                        size_t body_length, cegate_error *err);

    /* Decode CloudEvents: a parsed JSON event or batch, or an HTTP message
     * in any content mode; the events are emitted into this call. */
    int (*emit_json_events)(cegate_call *call, const json_t *root,
                            cegate_error *err);
    int (*emit_http_events)(cegate_call *call, const cegate_header *headers,
                            size_t header_count, const char *body,
                            size_t body_length, cegate_error *err);

    /* A header of the message (case-insensitive), or NULL. */
    const char *(*header)(const cegate_message *msg, const char *name);

    /* The value of one of the adapter's options (set by the user, else its
     * default), or NULL. */
    const char *(*option)(cegate_call *call, const char *name);

    /* The limits in force. */
    const cegate_limits *limits;

    /* ---- ABI 1.1: check host->abi_minor >= 1 before using these ---- */

    /* Parse JSON text (an envelope's inner payload) with the limits in
     * force: size, and nesting counted as if the text were an event's data.
     * Returns a new reference (json_decref it) or NULL with err filled. */
    json_t *(*json_parse)(cegate_call *call, const char *bytes, size_t length,
                          cegate_error *err);
    /* Put `prefix` in front of the error's field path ("Records[0].body"
     * + "Message" -> "Records[0].body.Message"), for errors from inner
     * payloads. */
    void (*error_prefix_path)(cegate_error *err, const char *prefix);
    /* Decode standard, padded base64 (RFC 4648); errors name `what`.
     * Returns bytes (NUL-terminated; free with host->free) or NULL. */
    unsigned char *(*base64_decode)(const char *s, size_t n, size_t *length,
                                    const char *what, cegate_error *err);
    /* Free what a host service allocated. */
    void (*free)(void *p);

    /* ---- ABI 1.2: check host->abi_minor >= 2 before using these ---- */

    /* Replace the recorded error's field path, when the adapter knows
     * better where it is (never edit the struct by hand). */
    void (*error_set_path)(cegate_error *err, const char *path);
} cegate_host;

/* One configurable setting of an adapter; the host validates user settings
 * against this table ("unknown option 'x', allowed: ...") and prints it. */
typedef struct cegate_adapter_option {
    const char *name;
    const char *default_value; /* NULL: unset */
    const char *description;
} cegate_adapter_option;

typedef struct cegate_adapter_descriptor {
    uint16_t abi_major;   /* CEGATE_ADAPTER_ABI_MAJOR */
    uint16_t abi_minor;   /* CEGATE_ADAPTER_ABI_MINOR */
    uint32_t struct_size; /* sizeof(cegate_adapter_descriptor) */

    const char *name;        /* [a-z0-9-]+, unique, e.g. "aws-s3" */
    const char *description; /* one line */

    /* Is this message mine? Return 0 and set *reason to a short static
     * phrase ("no Records array") to decline, or a confidence 1..100 (100:
     * certain, e.g. a unique header; 50: the JSON shape fits). Must not
     * emit anything. */
    int (*probe)(const cegate_host *host, const cegate_message *msg,
                 const char **reason);

    /* Turn the message into events (host->emit) or hand an inner payload
     * back (host->redispatch). */
    cegate_adapter_result (*normalize)(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err);

    const cegate_adapter_option *options; /* may be NULL */
    size_t option_count;
} cegate_adapter_descriptor;

/* Declare the exported descriptor: CEGATE_ADAPTER_EXPORT = { ... }; */
#define CEGATE_ADAPTER_EXPORT                                                \
    __attribute__((visibility("default")))                                   \
    extern const cegate_adapter_descriptor cegate_adapter;                   \
    __attribute__((visibility("default")))                                   \
    const cegate_adapter_descriptor cegate_adapter

#ifdef __cplusplus
}
#endif

#endif
