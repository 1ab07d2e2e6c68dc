/* SPDX-License-Identifier: Apache-2.0 */
/* adapters.c - the adapter registry: plugin loading (dlopen RTLD_NOW |
 * RTLD_LOCAL), probing in confidence order, and envelope re-dispatch. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters.h"
#include "core/text.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CEGATE_HAS_ASAN 1
#endif
#endif
#ifndef CEGATE_HAS_ASAN
#define CEGATE_HAS_ASAN 0
#endif

/* Envelopes nest at most this deep (SQS > SNS > S3 is depth 2). */
#define MAX_ENVELOPE_DEPTH 4
#define MAX_ADAPTERS 64

typedef struct option_setting {
    size_t adapter; /* index into entries */
    const char *name; /* the descriptor's own string */
    char *value;
} option_setting;

#define MAX_OPTION_SETTINGS 64

struct registry {
    registry_entry entries[MAX_ADAPTERS];
    option_setting settings[MAX_OPTION_SETTINGS];
    size_t setting_count;
    size_t count;
    int forced; /* index of --adapter, or -1 */
    cegate_options options;
    cegate_host host; /* host_services with this registry's limits */
};

/* One dispatch of one message: where events go and how deep we are. */
struct cegate_call {
    registry *reg;
    const registry_entry *entry;
    cegate_event_list *out;
    unsigned depth;
};

static const cegate_host host_services;

registry *registry_new(const cegate_options *options)
{
    registry *reg = cegate_malloc(sizeof *reg);
    if (reg == NULL)
        return NULL;
    memset(reg, 0, sizeof *reg);
    reg->forced = -1;
    if (options != NULL)
        reg->options = *options;
    else
        cegate_options_init(&reg->options);
    reg->host = host_services;
    reg->host.limits = &reg->options.limits;
    return reg;
}

void registry_free(registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->setting_count; i++)
        cegate_free(reg->settings[i].value);
    for (size_t i = 0; i < reg->count; i++) {
        cegate_free(reg->entries[i].file);
        /* Under sanitizers, keep plugins mapped so leak reports still
         * symbolize; otherwise unload. */
#if !defined(__SANITIZE_ADDRESS__) && !CEGATE_HAS_ASAN
        dlclose(reg->entries[i].handle);
#endif
    }
    cegate_free(reg);
}

size_t registry_count(const registry *reg) { return reg->count; }

const registry_entry *registry_get(const registry *reg, size_t i)
{
    return i < reg->count ? &reg->entries[i] : NULL;
}

/* ---- loading ------------------------------------------------------------------ */

static int valid_adapter_name(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 40)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return 0;
    return 1;
}

/* Check a descriptor before anything of it is used. */
static int check_descriptor(const cegate_adapter_descriptor *d,
                            const char *path, cegate_error *err)
{
    if (d->abi_major != CEGATE_ADAPTER_ABI_MAJOR)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter from %s: ABI major version %u, "
                                "this cegate speaks %u", path, d->abi_major,
                                CEGATE_ADAPTER_ABI_MAJOR), -1;
    if (d->abi_minor > CEGATE_ADAPTER_ABI_MINOR)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter from %s: built for ABI %u.%u, "
                                "newer than this cegate's %u.%u", path,
                                d->abi_major, d->abi_minor,
                                CEGATE_ADAPTER_ABI_MAJOR,
                                CEGATE_ADAPTER_ABI_MINOR), -1;
    /* Members of 1.0 must all be there. */
    if (d->struct_size < offsetof(cegate_adapter_descriptor, option_count) +
                             sizeof d->option_count)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter from %s: descriptor of %u "
                                "bytes is too small for ABI %u.%u", path,
                                (unsigned)d->struct_size, d->abi_major,
                                d->abi_minor), -1;
    if (!valid_adapter_name(d->name))
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter from %s: name must be "
                                "[a-z0-9-]+ of at most 40 characters", path), -1;
    if (d->option_count > 0 && d->options == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter %s from %s: option_count is "
                                "%zu but options is NULL", d->name, path,
                                d->option_count), -1;
    if (d->probe == NULL || d->normalize == NULL || d->description == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter %s from %s: probe, normalize "
                                "and description are required", d->name, path),
               -1;
    return 0;
}

int registry_load_file(registry *reg, const char *path, cegate_error *err)
{
    if (reg->count == MAX_ADAPTERS)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "loading adapter from %s: more than %d "
                                "adapters", path, MAX_ADAPTERS), -1;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter from %s: %s", path, dlerror()),
               -1;
    const cegate_adapter_descriptor *d = dlsym(handle, CEGATE_ADAPTER_SYMBOL);
    if (d == NULL) {
        dlclose(handle);
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "loading adapter from %s: no '%s' symbol (not "
                                "a cegate adapter)", path, CEGATE_ADAPTER_SYMBOL),
               -1;
    }
    if (check_descriptor(d, path, err) < 0) {
        dlclose(handle);
        return -1;
    }
    for (size_t i = 0; i < reg->count; i++) {
        if (strcmp(reg->entries[i].descriptor->name, d->name) == 0) {
            cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                             "loading adapter %s from %s: already loaded from "
                             "%s", d->name, path, reg->entries[i].file);
            dlclose(handle);
            return -1;
        }
    }
    char *file = ce_strndup(path, strlen(path));
    if (file == NULL) {
        dlclose(handle);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               -1;
    }
    reg->entries[reg->count++] = (registry_entry){d, file, handle};
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int registry_load_dir(registry *reg, const char *dir, int required,
                      cegate_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (!required)
            return 0;
        return cegate_error_set(err, CEGATE_ERR_IO, NULL,
                                "plugin directory %s: cannot be opened", dir),
               -1;
    }
    char *names[MAX_ADAPTERS];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < MAX_ADAPTERS) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".so") == 0 &&
            e->d_name[0] != '.')
            if ((names[n] = ce_strndup(e->d_name, len)) != NULL)
                n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], compare_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && registry_load_file(reg, path, err) < 0)
            rc = -1;
        cegate_free(names[i]);
    }
    return rc;
}

/* Run from the build tree (tests, the demo) or installed? The program knows
 * where it was built; when it runs from one of the build tree's program
 * directories it loads the adapters built next to it. (A staged install
 * under the build tree, DESTDIR=$builddir/..., is not one of them.) */
const char *registry_builtin_dir(void)
{
    static const char *const build_dirs[] = {
        CEGATE_ABS_BUILDDIR "/gateway", CEGATE_ABS_BUILDDIR "/tests/unit",
        CEGATE_ABS_BUILDDIR "/tests/fuzz", CEGATE_ABS_BUILDDIR "/bench",
    };
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL)
            *slash = '\0';
        for (size_t i = 0; i < sizeof build_dirs / sizeof build_dirs[0]; i++)
            if (strcmp(exe, build_dirs[i]) == 0)
                return CEGATE_ABS_BUILDDIR "/adapters/.libs";
    }
    return CEGATE_ADAPTER_DIR;
}

int registry_load_defaults(registry *reg, cegate_error *err)
{
    /* A missing built-in directory is not fatal (a staged or relocated
     * install still works with --plugin-dir); with no adapter at all,
     * dispatch says where it looked. */
    if (registry_load_dir(reg, registry_builtin_dir(), 0, err) < 0)
        return -1;
    const char *env = getenv("CEGATE_PLUGIN_PATH");
    if (env == NULL || *env == '\0')
        return 0;
    char dirs[PATH_MAX * 4];
    snprintf(dirs, sizeof dirs, "%s", env);
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save))
        if (registry_load_dir(reg, dir, 1, err) < 0)
            return -1;
    return 0;
}

int registry_force(registry *reg, const char *name, cegate_error *err)
{
    char known[CEGATE_ERROR_TEXT_LENGTH] = "";
    for (size_t i = 0; i < reg->count; i++) {
        if (strcmp(reg->entries[i].descriptor->name, name) == 0) {
            reg->forced = (int)i;
            return 0;
        }
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "",
                 reg->entries[i].descriptor->name);
    }
    return cegate_error_set(err, CEGATE_ERR_USAGE, "--adapter",
                            "no adapter named '%.40s' (loaded: %s)", name,
                            known[0] ? known : "none"), -1;
}

/* ---- dispatch ------------------------------------------------------------------ */

typedef struct candidate {
    size_t index;
    int confidence;
    const char *reason;
} candidate;

static int by_confidence(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->confidence != y->confidence)
        return y->confidence - x->confidence;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Parse the body as JSON when it looks like JSON; a failure is kept to
 * explain the outcome if no adapter takes the raw bytes. An envelope's
 * payload (depth > 0) is parsed with the error's place recorded, as its
 * error is then reported below the envelope's field. */
static json_t *parse_body(const registry *reg, const char *body, size_t length,
                          unsigned depth, cegate_error *parse_err)
{
    size_t i = 0;
    while (i < length && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                          body[i] == '\n'))
        i++;
    if (i == length || (body[i] != '{' && body[i] != '['))
        return NULL;
    const cegate_limits *limits = &reg->options.limits;
    unsigned flags = CE_JSON_BIG_INTEGERS | CE_JSON_UNCOUNTED_TOP_ARRAY |
                     (depth > 0 ? CE_JSON_ERROR_PATH : 0);
    return ce_json_parse_flags(body, length, limits, limits->max_depth, flags,
                               parse_err);
}

/* An envelope's payload that the reader refused (a duplicate member, a
 * limit exceeded) is not for that a payload nobody knows, which the
 * envelope would deliver as an event of its own: read leniently (the last
 * duplicate wins, nesting bounded only by the reader), does an adapter
 * recognise it? That one's, and invalid. Returns the adapter, or NULL. */
static const registry_entry *recognise_leniently(registry *reg,
                                                 const cegate_message *msg)
{
    cegate_error ignored;
    cegate_error_clear(&ignored);
    json_t *lenient = ce_json_read_flags(
        msg->body, msg->body_length, SIZE_MAX,
        CE_JSON_BIG_INTEGERS | CE_JSON_ALLOW_DUPLICATES, &ignored);
    if (lenient == NULL)
        return NULL; /* not JSON at all: genuinely nobody's */
    cegate_message read = *msg;
    read.json = lenient;
    const registry_entry *best = NULL;
    int best_confidence = 0;
    for (size_t i = 0; i < reg->count; i++) {
        const char *reason = NULL;
        int c = reg->entries[i].descriptor->probe(&reg->host, &read, &reason);
        if (c > best_confidence) {
            best = &reg->entries[i];
            best_confidence = c;
        }
    }
    json_decref(lenient);
    return best;
}

/* The payload's parse error as the round's, named after the adapter that
 * recognised it (none when the parse ran out of memory). */
static cegate_adapter_result refuse_payload(const cegate_error *parse_err,
                                            const registry_entry *e,
                                            cegate_error *err)
{
    if (err != NULL && err->code == CEGATE_OK) {
        *err = *parse_err;
        if (e != NULL)
            snprintf(err->origin, sizeof err->origin, "%s",
                     e->descriptor->name);
    }
    return CEGATE_ADAPTER_ERROR;
}

static void truncate_list(cegate_event_list *out, size_t count)
{
    while (out->count > count)
        cegate_event_free(out->events[--out->count]);
}

static cegate_adapter_result dispatch(registry *reg, const cegate_header *headers,
                                      size_t header_count, const char *body,
                                      size_t length, const char *path,
                                      unsigned depth, cegate_event_list *out,
                                      cegate_error *err)
{
    if (depth > MAX_ENVELOPE_DEPTH)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "envelopes nested deeper than %d",
                                MAX_ENVELOPE_DEPTH), CEGATE_ADAPTER_ERROR;
    if (reg->count == 0)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "no adapters are loaded (looked in %s)",
                                registry_builtin_dir()), CEGATE_ADAPTER_ERROR;
    cegate_error parse_err;
    cegate_error_clear(&parse_err);
    json_t *json = parse_body(reg, body, length, depth, &parse_err);
    cegate_message msg = {headers, header_count, body, length, json, path, depth};

    candidate c[MAX_ADAPTERS];
    size_t n = 0;
    for (size_t i = 0; i < reg->count; i++) {
        if (reg->forced >= 0 && (size_t)reg->forced != i && depth == 0)
            continue;
        c[n] = (candidate){i, 0, NULL};
        c[n].confidence = reg->entries[i].descriptor->probe(&reg->host, &msg,
                                                            &c[n].reason);
        n++;
    }
    /* Most confident first, ties in load order: an insertion sort, as
     * there are a handful and this runs for every payload. */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && by_confidence(&c[k - 1], &c[k]) > 0; k--) {
            candidate t = c[k];
            c[k] = c[k - 1];
            c[k - 1] = t;
        }

    cegate_adapter_result result = CEGATE_ADAPTER_DECLINED;
    for (size_t k = 0; k < n && c[k].confidence > 0; k++) {
        const registry_entry *e = &reg->entries[c[k].index];
        cegate_call call = {reg, e, out, depth};
        size_t before = out->count;
        result = e->descriptor->normalize(&reg->host, &call, &msg, err);
        if (result == CEGATE_ADAPTER_OK)
            break;
        truncate_list(out, before);
        if (result == CEGATE_ADAPTER_ERROR) {
            if (err != NULL && err->code == CEGATE_OK)
                cegate_error_set(err, CEGATE_ERR_VALUE, NULL,
                                 "failed without saying why");
            /* The innermost adapter that failed is the one to name. */
            cegate_error_set_origin(err, e->descriptor->name);
            break;
        }
        c[k].reason = "declined after a closer look";
        c[k].confidence = 0;
    }
    if (result == CEGATE_ADAPTER_DECLINED && depth > 0 && json == NULL &&
        parse_err.code != CEGATE_OK) {
        /* Out of memory must not turn the payload into a different event. */
        const registry_entry *e = parse_err.code == CEGATE_ERR_NOMEM
                                      ? NULL
                                      : recognise_leniently(reg, &msg);
        if (e != NULL || parse_err.code == CEGATE_ERR_NOMEM)
            result = refuse_payload(&parse_err, e, err);
    }
    if (result == CEGATE_ADAPTER_DECLINED && depth == 0) {
        /* Say why each adapter passed; a JSON syntax error says most. */
        char why[CEGATE_ERROR_TEXT_LENGTH] = "";
        for (size_t k = 0; k < n; k++) {
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, "%s%s (%s)", k ? "; " : "",
                     reg->entries[c[k].index].descriptor->name,
                     c[k].reason ? c[k].reason : "declined");
        }
        if (parse_err.code != CEGATE_OK) {
            *err = parse_err;
        } else {
            cegate_error_set(err, CEGATE_ERR_MODE, NULL,
                             "no adapter recognised the payload: %s", why);
        }
        result = CEGATE_ADAPTER_ERROR;
    }
    json_decref(json);
    return result;
}

int registry_normalize(registry *reg, const cegate_header *headers,
                       size_t header_count, const char *body, size_t length,
                       const char *path, cegate_event_list *out,
                       cegate_error *err)
{
    size_t before = out->count;
    if (length > reg->options.limits.max_input_bytes)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "input of %zu bytes exceeds max_input_bytes "
                                "(%zu)", length,
                                reg->options.limits.max_input_bytes), -1;
    cegate_adapter_result r = dispatch(reg, headers, header_count, body, length,
                                       path, 0, out, err);
    if (r != CEGATE_ADAPTER_OK) {
        truncate_list(out, before);
        return -1;
    }
    return 0;
}

/* ---- host services ------------------------------------------------------------- */

static void host_log(cegate_call *call, cegate_log_level level, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));
static void host_log(cegate_call *call, cegate_log_level level, const char *fmt,
                     ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > CEGATE_LOG_WARNING && getenv("CEGATE_DEBUG") == NULL)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    fprintf(stderr, "cegate: adapter %s: %s: %s\n",
            call->entry->descriptor->name, names[level & 3], text);
}

/* What the JSON decoder would refuse must not come out of an adapter
 * either: an emitted event always reads back from its JSON encoding. */
static int check_limits(const cegate_event *ev, const cegate_limits *limits,
                        cegate_error *err)
{
    size_t count = cegate_event_attribute_count(ev);
    if (count > limits->max_attributes)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "%zu attributes exceed max_attributes (%zu)",
                                count, limits->max_attributes), -1;
    for (size_t i = 0; i < count; i++) {
        const cegate_value *v = cegate_event_attribute_value(ev, i);
        size_t n = v->type == CEGATE_TYPE_BINARY ? (v->u.binary.length + 2) / 3 * 4
                   : (v->type == CEGATE_TYPE_BOOLEAN || v->type == CEGATE_TYPE_INTEGER)
                       ? 0 : strlen(v->u.string);
        if (n > limits->max_attribute_bytes)
            return cegate_error_set(err, CEGATE_ERR_LIMIT,
                                    cegate_event_attribute_name(ev, i),
                                    "value of %zu bytes exceeds "
                                    "max_attribute_bytes (%zu)", n,
                                    limits->max_attribute_bytes), -1;
    }
    /* The event object is level 1, its data one deeper. */
    const json_t *data = cegate_event_data_json(ev);
    if (data != NULL && limits->max_depth > 0 &&
        ce_json_deeper_than(data, limits->max_depth - 1))
        return cegate_error_set(err, CEGATE_ERR_LIMIT, "data",
                                "JSON nested deeper than max_depth (%zu)",
                                limits->max_depth), -1;
    return 0;
}

static int host_emit(cegate_call *call, cegate_event *ev, cegate_error *err)
{
    if (cegate_event_validate(ev, err) < 0 ||
        check_limits(ev, &call->reg->options.limits, err) < 0) {
        cegate_event_free(ev);
        return -1;
    }
    if (call->out->count >= call->reg->options.limits.max_events) {
        cegate_event_free(ev);
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "more than max_events (%zu) events",
                                call->reg->options.limits.max_events), -1;
    }
    return cegate_event_list_append(call->out, ev, err);
}

static cegate_adapter_result host_redispatch(cegate_call *call,
                                             const cegate_header *headers,
                                             size_t header_count,
                                             const char *body, size_t length,
                                             cegate_error *err)
{
    return dispatch(call->reg, headers, header_count, body, length, NULL,
                    call->depth + 1, call->out, err);
}

/* Decoded events are checked against the same total as emitted ones. */
static int append_decoded(cegate_call *call, cegate_event_list *decoded,
                          cegate_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < decoded->count; i++) {
        if (rc == 0)
            rc = host_emit(call, decoded->events[i], err);
        else
            cegate_event_free(decoded->events[i]);
    }
    decoded->count = 0;
    cegate_event_list_free(decoded);
    return rc;
}

static int host_emit_json_events(cegate_call *call, const json_t *root,
                                 cegate_error *err)
{
    cegate_event_list decoded;
    cegate_event_list_init(&decoded);
    if (cegate_json_to_events(root, &call->reg->options, &decoded, err) < 0) {
        cegate_event_list_free(&decoded);
        return -1;
    }
    return append_decoded(call, &decoded, err);
}

static int host_emit_http_events(cegate_call *call, const cegate_header *headers,
                                 size_t header_count, const char *body,
                                 size_t length, cegate_error *err)
{
    cegate_event_list decoded;
    cegate_event_list_init(&decoded);
    if (cegate_http_decode(headers, header_count, body, length,
                           &call->reg->options, &decoded, err) < 0) {
        cegate_event_list_free(&decoded);
        return -1;
    }
    return append_decoded(call, &decoded, err);
}

static const char *host_header(const cegate_message *msg, const char *name)
{
    return cegate_header_find(msg->headers, msg->header_count, name);
}

static const char *host_option(cegate_call *call, const char *name)
{
    size_t index = (size_t)(call->entry - call->reg->entries);
    for (size_t i = call->reg->setting_count; i-- > 0;) /* the last wins */
        if (call->reg->settings[i].adapter == index &&
            strcmp(call->reg->settings[i].name, name) == 0)
            return call->reg->settings[i].value;
    const cegate_adapter_descriptor *d = call->entry->descriptor;
    for (size_t i = 0; i < d->option_count; i++)
        if (strcmp(d->options[i].name, name) == 0)
            return d->options[i].default_value;
    return NULL;
}

int registry_set_option(registry *reg, const char *setting, cegate_error *err)
{
    const char *dot = strchr(setting, '.');
    const char *eq = dot ? strchr(dot, '=') : NULL;
    if (dot == NULL || eq == NULL || dot == setting || eq == dot + 1)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "--adapter-option",
                                "expected ADAPTER.OPTION=VALUE, not '%.60s'",
                                setting), -1;
    size_t adapter_length = (size_t)(dot - setting);
    size_t name_length = (size_t)(eq - dot - 1);
    for (size_t i = 0; i < reg->count; i++) {
        const cegate_adapter_descriptor *d = reg->entries[i].descriptor;
        if (strlen(d->name) != adapter_length ||
            strncmp(d->name, setting, adapter_length) != 0)
            continue;
        char allowed[CEGATE_ERROR_TEXT_LENGTH / 2] = "";
        for (size_t k = 0; k < d->option_count; k++) {
            const char *name = d->options[k].name;
            if (strlen(name) == name_length &&
                strncmp(name, dot + 1, name_length) == 0) {
                if (reg->setting_count == MAX_OPTION_SETTINGS)
                    return cegate_error_set(err, CEGATE_ERR_LIMIT,
                                            "--adapter-option",
                                            "more than %d settings",
                                            MAX_OPTION_SETTINGS), -1;
                char *value = ce_strndup(eq + 1, strlen(eq + 1));
                if (value == NULL)
                    return cegate_error_set(err, CEGATE_ERR_NOMEM,
                                            "--adapter-option",
                                            "out of memory"), -1;
                reg->settings[reg->setting_count++] =
                    (option_setting){i, name, value};
                return 0;
            }
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof allowed - used, "%s%s",
                     used ? ", " : "", name);
        }
        return cegate_error_set(err, CEGATE_ERR_USAGE, "--adapter-option",
                                "adapter %s has no option '%.*s' (allowed: "
                                "%s)", d->name, (int)name_length, dot + 1,
                                allowed[0] ? allowed : "none"), -1;
    }
    return cegate_error_set(err, CEGATE_ERR_USAGE, "--adapter-option",
                            "no adapter named '%.*s'", (int)adapter_length,
                            setting), -1;
}

static json_t *host_json_parse(cegate_call *call, const char *bytes,
                               size_t length, cegate_error *err)
{
    const cegate_limits *limits = &call->reg->options.limits;
    size_t depth = limits->max_depth ? limits->max_depth - 1 : 0;
    return ce_json_parse(bytes, length, limits, depth, 0, err);
}

static unsigned char *host_base64_decode(const char *s, size_t n,
                                         size_t *length, const char *what,
                                         cegate_error *err)
{
    cegate_buffer b;
    cegate_buffer_init(&b, n);
    if (ce_base64_decode(s, n, &b, what, err) < 0) {
        cegate_buffer_free(&b);
        return NULL;
    }
    unsigned char *bytes = (unsigned char *)cegate_buffer_steal(&b, length);
    if (bytes == NULL)
        cegate_error_set(err, CEGATE_ERR_NOMEM, what, "out of memory");
    return bytes;
}

static const cegate_host host_services = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_host),
    .log = host_log,
    .event_new = cegate_event_new,
    .event_free = cegate_event_free,
    .event_set = cegate_event_set,
    .event_set_string = cegate_event_set_string,
    .event_get_string = cegate_event_get_string,
    .event_set_data_json = cegate_event_set_data_json,
    .event_set_data_text = cegate_event_set_data_text,
    .event_set_data_binary = cegate_event_set_data_binary,
    .timestamp_parse = cegate_timestamp_parse,
    .error_set = cegate_error_set,
    .emit = host_emit,
    .redispatch = host_redispatch,
    .emit_json_events = host_emit_json_events,
    .emit_http_events = host_emit_http_events,
    .header = host_header,
    .option = host_option,
    .limits = NULL, /* each registry points it at its own limits */
    .json_parse = host_json_parse,
    .error_prefix_path = cegate_error_prefix_path,
    .base64_decode = host_base64_decode,
    .free = cegate_free,
    .error_set_path = cegate_error_set_path,
};
