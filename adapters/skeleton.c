/* SPDX-License-Identifier: Apache-2.0 */
/* skeleton.c - the adapter to copy when you write your own.
 *
 * It is small but complete and it works: it recognises a JSON body like
 *
 *     {"skeleton": {"id": "42", "message": "hello",
 *                   "time": "2026-11-23T10:00:00Z", "subject": "greetings"}}
 *
 * ("time" and "subject" are optional, other members are ignored) and turns
 * it into one CloudEvent:
 *
 *     {"specversion": "1.0", "id": "42", "source": "/skeleton",
 *      "type": "com.example.skeleton.message",
 *      "datacontenttype": "application/json", "subject": "greetings",
 *      "time": "2026-11-23T10:00:00Z",
 *      "data": {"id": "42", "message": "hello", ...the whole inner object}}
 *
 * To start a new adapter: copy this file to my-thing.c, rename the adapter
 * (ADAPTER_NAME below, [a-z0-9-]+), the event type and the options, then
 * rewrite probe() and normalize(). docs/ADAPTERS.md is the full guide.
 *
 * Build it outside the cegate tree (cegate installed, or its cegate.pc on
 * PKG_CONFIG_PATH):
 *
 *     cc -shared -fPIC $(pkg-config --cflags cegate) skeleton.c -o skeleton.so
 *
 * No -l flags are needed: the adapter never links against cegate (every
 * cegate service comes through the `host` table below), and jansson's
 * functions resolve against the copy of libjansson the cegate program has
 * already loaded.
 *
 * Load and try it:
 *
 *     mkdir -p ~/cegate-plugins && cp skeleton.so ~/cegate-plugins/
 *     cegate adapters --plugin-dir ~/cegate-plugins      # listed, ABI 1.0
 *     cegate normalize --plugin-dir ~/cegate-plugins --adapter skeleton in.json
 *     CEGATE_PLUGIN_PATH=~/cegate-plugins cegate normalize in.json
 *
 * Inside the cegate tree, Makefile.am builds this file as
 * tests/plugins/skeleton.la for the tests (not installed), with the same
 * flags as the built-in adapters:
 *     -module -avoid-version -export-symbols-regex '^cegate_adapter$$'
 *
 * ---- The rules (read these before changing anything) -------------------
 *
 * One exported symbol. The plugin exports `cegate_adapter` and nothing else:
 * make every other function and variable `static`. (The host dlopen()s the
 * plugin with RTLD_LOCAL, so a stray global would not clash, but it would
 * still be ABI you did not mean to promise.)
 *
 * Ownership.
 *   - Everything in `msg` (headers, body, json, path) is BORROWED for the
 *     duration of the call. Do not keep pointers to it after probe() or
 *     normalize() returns.
 *   - NEVER modify msg->json: no json_object_set(), no json_decref() of a
 *     reference you did not take. The host parsed the body once and hands
 *     the same tree to every adapter's probe(); it drops its reference
 *     after the dispatch. A piece of it can be an event's data as it is:
 *     event_set_data_json() takes its own reference. Copy only what you
 *     change - see normalize().
 *   - Strings returned by host->header() and host->option() are borrowed
 *     too; event setters copy what you give them.
 *   - An event from host->event_new() is yours until you hand it to
 *     host->emit(), which TAKES IT OVER, on success and on failure alike:
 *     after emit() never touch or free it. Before emit(), on any error path,
 *     free it with host->event_free().
 *   - host->event_set_data_json() takes its own reference to the value; you
 *     still own (and must json_decref) the reference you passed in.
 *
 * The three results of normalize().
 *   CEGATE_ADAPTER_OK        handled: zero or more events were emitted (zero
 *                            means "acknowledged", e.g. a test notification).
 *   CEGATE_ADAPTER_DECLINED  not mine after all: the host forgets anything
 *                            this call emitted and tries the next adapter.
 *   CEGATE_ADAPTER_ERROR     mine, but malformed: `err` says which field and
 *                            why. The host forgets the emitted events and
 *                            reports the error as "adapter skeleton:
 *                            skeleton.id: ...". Nobody else is tried.
 *
 * Errors. Report through host->error_set(err, code, path, fmt, ...). The
 * path names the field in the INPUT, so the user can find it: "skeleton.id",
 * "Records[0].s3.object.key". The text is one line without the path. The
 * first error recorded wins, so when a host function has already filled
 * `err`, just return CEGATE_ADAPTER_ERROR.
 *
 * No globals, no state kept between calls: the host may call an adapter for
 * many messages, nested (envelopes) and, later, from several threads.
 */
#include <string.h>

#include "cegate/adapter.h"

#define ADAPTER_NAME "skeleton"
#define EVENT_TYPE "com.example.skeleton.message"

/* ---- options ------------------------------------------------------------
 *
 * Each setting the adapter understands is a row here: name, default (NULL:
 * unset) and a one-line description. The host checks user settings against
 * this table and answers host->option(call, name) with the user's value or
 * the default. Read options in normalize() through the host, never cache
 * them in a static. */
static const cegate_adapter_option options[] = {
    {"source", "/skeleton",
     "the CloudEvents source of every event (a URI-reference)"},
};

/* ---- helpers ------------------------------------------------------------ */

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Fetch the string member `name` of `object`. `path` is how the error names
 * it ("skeleton.id"). Returns 1 and sets *s / *n when present, 0 when absent
 * (and not required), -1 with `err` filled otherwise. */
static int get_string(const cegate_host *host, const json_t *object,
                      const char *name, const char *path, int required,
                      const char **s, size_t *n, cegate_error *err)
{
    const json_t *v = json_object_get(object, name);
    if (v == NULL) {
        if (!required)
            return 0;
        host->error_set(err, CEGATE_ERR_MISSING, path, "required member is "
                        "missing");
        return -1;
    }
    if (!json_is_string(v)) {
        host->error_set(err, CEGATE_ERR_TYPE, path, "must be a string, not %s",
                        json_type_name(v));
        return -1;
    }
    *s = json_string_value(v);
    *n = json_string_length(v); /* may hold a U+0000; the setters check */
    if (*n == 0) {
        host->error_set(err, CEGATE_ERR_EMPTY, path, "must not be empty");
        return -1;
    }
    return 1;
}

/* ---- probe --------------------------------------------------------------
 *
 * "Is this message mine?" Every loaded adapter is asked; the most confident
 * one normalizes the message. Look, do not touch: probe() must be cheap and
 * must not emit, log noisily or keep anything.
 *
 * Return a confidence from 1 to 100, or 0 to decline. When declining, set
 * *reason to a short STATIC phrase ("no skeleton member"): when nobody takes
 * a message, the user sees every adapter's reason, so make it say what was
 * missing. Conventions: 100 = certain (a header or a member name no other
 * format uses, as here), about 90 = a distinctive marker (CloudEvents'
 * specversion), about 50 = the JSON shape fits. */
static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    (void)host; /* host->header(msg, "...") is how you would read headers */
    if (msg->json == NULL) {
        /* The host parses bodies that start with '{' or '['; anything else
         * (or JSON that failed to parse) arrives with json == NULL and only
         * msg->body. */
        *reason = "the body is not JSON";
        return 0;
    }
    if (!json_is_object(msg->json)) {
        *reason = "the body is not a JSON object";
        return 0;
    }
    const json_t *inner = json_object_get(msg->json, "skeleton");
    if (inner == NULL) {
        *reason = "no skeleton member";
        return 0;
    }
    if (!json_is_object(inner)) {
        *reason = "skeleton is not an object";
        return 0;
    }
    return 100;
}

/* ---- normalize ----------------------------------------------------------
 *
 * Called only after probe() returned > 0 (with --adapter too). Build
 * events and hand them to host->emit(). An envelope (a payload wrapping
 * another one, like SNS or SQS) would instead pass the inner bytes to
 * host->redispatch() and let the other adapters recognise them; see
 * docs/ADAPTERS.md. */
static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *inner = json_object_get(msg->json, "skeleton");
    if (!json_is_object(inner))
        return CEGATE_ADAPTER_DECLINED; /* cannot happen after probe() */

    /* 1. Read and check the input first, before allocating anything, so
     *    the error paths stay short. */
    const char *id, *message, *time = NULL, *subject = NULL;
    size_t id_n, message_n, time_n = 0, subject_n = 0;
    if (get_string(host, inner, "id", "skeleton.id", 1, &id, &id_n, err) < 0 ||
        get_string(host, inner, "message", "skeleton.message", 1, &message,
                   &message_n, err) < 0 ||
        get_string(host, inner, "time", "skeleton.time", 0, &time, &time_n,
                   err) < 0 ||
        get_string(host, inner, "subject", "skeleton.subject", 0, &subject,
                   &subject_n, err) < 0)
        return CEGATE_ADAPTER_ERROR;

    /* Check the time here rather than leaving it to the event setter: the
     * setter would report the attribute ("time"), we want the user to see
     * the input field ("skeleton.time"). */
    cegate_timestamp ts;
    if (time != NULL &&
        host->timestamp_parse(time, time_n, &ts, "skeleton.time", err) < 0)
        return CEGATE_ADAPTER_ERROR;

    /* Options come from the host: the user's value or the table's default. */
    const char *source = host->option(call, "source");

    host->log(call, CEGATE_LOG_DEBUG, "message %.*s (%zu bytes)", (int)id_n,
              id, message_n); /* shown only with CEGATE_DEBUG set */

    /* 2. Build the event. Every setter copies its input and checks it
     *    against the attribute's type, filling `err` on failure. */
    cegate_event *ev = host->event_new(); /* specversion "1.0" is preset */
    if (ev == NULL) {
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
        return CEGATE_ADAPTER_ERROR;
    }
    if (host->event_set_string(ev, "id", id, id_n, 0, err) < 0 ||
        host->event_set_string(ev, "source", source, strlen(source), 0,
                               err) < 0 ||
        host->event_set_string(ev, "type", EVENT_TYPE, strlen(EVENT_TYPE), 0,
                               err) < 0 ||
        host->event_set_string(ev, "datacontenttype", "application/json", 16,
                               0, err) < 0 ||
        (time != NULL &&
         host->event_set_string(ev, "time", time, time_n, 0, err) < 0) ||
        (subject != NULL &&
         host->event_set_string(ev, "subject", subject, subject_n, 0, err) < 0))
        goto fail;

    /* The data is the inner object, as it is: the event takes its own
     * reference to that part of msg->json (nothing modifies it). */
    if (host->event_set_data_json(ev, (json_t *)inner, err) < 0)
        goto fail;

    /* 3. Hand it over. emit() validates the event (required attributes,
     *    limits) and takes it over whatever it returns: do not free it. */
    if (host->emit(call, ev, err) < 0)
        return CEGATE_ADAPTER_ERROR;
    return CEGATE_ADAPTER_OK;

fail:
    host->event_free(ev); /* still ours: emit() was not called */
    return CEGATE_ADAPTER_ERROR;
}

/* ---- the descriptor -----------------------------------------------------
 *
 * The one exported symbol. The first three members are the ABI version the
 * adapter was compiled against and the size of the struct as it knew it;
 * always fill them from the macros as below, so that rebuilding against a
 * newer header updates them. The host refuses a different major version or
 * a newer minor version, and says so.
 *
 * Host services added after ABI 1.0 will be appended to cegate_host; before
 * using one, check that the host has it, e.g.
 *     if (host->struct_size >= offsetof(cegate_host, some_new_service) +
 *                              sizeof host->some_new_service) ...
 */
CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = ADAPTER_NAME,
    .description = "example: {\"skeleton\": {\"id\", \"message\"}} objects",
    .probe = probe,
    .normalize = normalize,
    .options = options,
    .option_count = sizeof options / sizeof options[0],
};
