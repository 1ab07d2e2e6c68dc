/* SPDX-License-Identifier: Apache-2.0 */
/* adapter_util.c - helpers shared by the built-in adapters (see
 * adapter_util.h: linked into each plugin, never exported). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "adapter_util.h"

/* ---- JSON type names ----------------------------------------------------- */

int au_is_big_integer(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) >= 2 &&
           json_string_value(v)[0] == '\0';
}

const char *au_json_kind(const json_t *v)
{
    static const char *const kinds[] = {
        [JSON_OBJECT] = "an object",
        [JSON_ARRAY] = "an array",
        [JSON_STRING] = "a string",
        [JSON_INTEGER] = "an integer",
        [JSON_REAL] = "a non-integral number",
        [JSON_TRUE] = "a boolean",
        [JSON_FALSE] = "a boolean",
        [JSON_NULL] = "null",
    };
    if (v == NULL || (size_t)json_typeof(v) >= sizeof kinds / sizeof kinds[0])
        return "unknown";
    if (au_is_big_integer(v))
        return "an integer";
    return kinds[json_typeof(v)];
}

const char *au_type_name(const json_t *v)
{
    return json_is_real(v) ? "a number" : au_json_kind(v);
}

/* ---- field paths --------------------------------------------------------- */

/* `prefix` "." the first `n` bytes of `name`. */
static const char *path_n(char *buf, size_t size, const char *prefix,
                          const char *name, size_t n)
{
    snprintf(buf, size, "%s%s%.*s", prefix, prefix[0] ? "." : "", (int)n,
             name);
    return buf;
}

const char *au_path(char *buf, size_t size, const char *prefix,
                    const char *name)
{
    return path_n(buf, size, prefix, name, strlen(name));
}

/* ---- probe --------------------------------------------------------------- */

int au_probe_object(const cegate_message *msg, const char **reason)
{
    if (json_is_object(msg->json))
        return 1;
    *reason = msg->json ? "the body is not a JSON object"
                        : "the body is not JSON";
    return 0;
}

int au_is_cloudevents_type(const char *content_type)
{
    if (content_type == NULL)
        return 0;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    return strncasecmp(content_type, "application/cloudevents", 23) == 0;
}

/* ---- reading the input (AWS wording) ------------------------------------- */

int au_get_string(const cegate_host *host, const json_t *obj,
                  const char *prefix, const char *name, int flags,
                  const char **s, size_t *n, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const json_t *v = obj;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        v = json_object_get(v, key);
        if (v == NULL || (json_is_null(v) && !(flags & AU_REQUIRED))) {
            if (!(flags & AU_REQUIRED))
                return 0;
            host->error_set(err, CEGATE_ERR_MISSING,
                            au_path(path, sizeof path, prefix, name),
                            "required member is missing");
            return -1;
        }
        if (dot == NULL)
            break;
        if (!json_is_object(v)) {
            host->error_set(err, CEGATE_ERR_TYPE,
                            path_n(path, sizeof path, prefix, name,
                                   (size_t)(dot - name)),
                            "must be an object, not %s", au_type_name(v));
            return -1;
        }
        p = dot + 1;
    }
    if (!json_is_string(v) || au_is_big_integer(v)) {
        host->error_set(err, CEGATE_ERR_TYPE,
                        au_path(path, sizeof path, prefix, name),
                        "must be a string, not %s", au_type_name(v));
        return -1;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

int au_require_object(const cegate_host *host, const json_t *v,
                      const char *path, cegate_error *err)
{
    if (json_is_object(v))
        return 0;
    host->error_set(err, CEGATE_ERR_TYPE, path, "must be an object, not %s",
                    au_type_name(v));
    return -1;
}

int au_get_object(const cegate_host *host, const json_t *obj,
                  const char *prefix, const char *name, const json_t **out,
                  cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    const json_t *v = json_object_get(obj, name);
    au_path(path, sizeof path, prefix, name);
    if (v == NULL) {
        host->error_set(err, CEGATE_ERR_MISSING, path,
                        "required member is missing");
        return -1;
    }
    if (au_require_object(host, v, path, err) < 0)
        return -1;
    *out = v;
    return 0;
}

cegate_adapter_result au_each_record(const cegate_host *host,
                                     cegate_call *call, const json_t *records,
                                     au_record_fn fn, cegate_error *err)
{
    if (!json_is_array(records))
        return CEGATE_ADAPTER_DECLINED;
    for (size_t i = 0; i < json_array_size(records); i++) {
        char path[48];
        const json_t *record = json_array_get(records, i);
        snprintf(path, sizeof path, "Records[%zu]", i);
        if (au_require_object(host, record, path, err) < 0 ||
            fn(host, call, record, path, err) < 0)
            return CEGATE_ADAPTER_ERROR;
    }
    return CEGATE_ADAPTER_OK;
}

/* ---- reading the input (azure and gcp wording) --------------------------- */

int au_string_field(const cegate_host *host, const json_t *v,
                    const char *path, int flags, const char **s, size_t *n,
                    cegate_error *err)
{
    *s = NULL;
    *n = 0;
    if (v == NULL) {
        if (!(flags & AU_REQUIRED))
            return 0;
        host->error_set(err, CEGATE_ERR_MISSING, path,
                        "required field is missing");
        return -1;
    }
    if (!json_is_string(v) || au_is_big_integer(v)) {
        host->error_set(err, CEGATE_ERR_TYPE, path, "must be a string, not %s",
                        au_json_kind(v));
        return -1;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 1;
}

/* ---- building events ----------------------------------------------------- */

cegate_event *au_event_new(const cegate_host *host, cegate_error *err)
{
    cegate_event *ev = host->event_new();
    if (ev == NULL)
        host->error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
    return ev;
}

int au_set_attribute_note(const cegate_host *host, cegate_event *ev,
                          const char *name, const char *s, size_t n,
                          const char *path, const char *note,
                          cegate_error *err)
{
    if (host->limits != NULL && n > host->limits->max_attribute_bytes) {
        host->error_set(err, CEGATE_ERR_LIMIT, path,
                        "value of %zu bytes exceeds max_attribute_bytes (%zu)",
                        n, host->limits->max_attribute_bytes);
        return -1;
    }
    cegate_error local;
    memset(&local, 0, sizeof local);
    if (host->event_set_string(ev, name, s, n, 0, &local) == 0)
        return 0;
    host->error_set(err, local.code, path, "%s%s%s", local.text,
                    note ? " " : "", note ? note : "");
    return -1;
}

int au_set_attribute(const cegate_host *host, cegate_event *ev,
                     const char *name, const char *s, size_t n,
                     const char *path, cegate_error *err)
{
    return au_set_attribute_note(host, ev, name, s, n, path, NULL, err);
}

int au_set_field(const cegate_host *host, cegate_event *ev, const char *name,
                 const char *s, size_t n, const char *prefix,
                 const char *field, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    return au_set_attribute(host, ev, name, s, n,
                            au_path(path, sizeof path, prefix, field), err);
}

int au_json_deeper_than(const json_t *v, size_t limit)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (limit == 0)
        return 1;
    const char *key;
    json_t *member;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, member)
            if (au_json_deeper_than(member, limit - 1))
                return 1;
        return 0;
    }
    json_object_foreach((json_t *)v, key, member)
        if (au_json_deeper_than(member, limit - 1))
            return 1;
    return 0;
}
