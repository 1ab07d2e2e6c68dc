/* SPDX-License-Identifier: Apache-2.0 */
/* json_format.c - the CloudEvents JSON event format: decode (single, batch,
 * v0.3 and v1.0) and encode (always v1.0). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cegate/format.h"
#include "core/text.h"

static const cegate_options *options_or_default(const cegate_options *options,
                                                cegate_options *storage)
{
    if (options != NULL)
        return options;
    cegate_options_init(storage);
    return storage;
}

/* ---- parsing outside JSON -------------------------------------------------- */

int ce_json_deeper_than(const json_t *v, size_t limit)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 0;
    if (limit == 0)
        return 1;
    if (json_is_array(v)) {
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++)
            if (ce_json_deeper_than(json_array_get(v, i), limit - 1))
                return 1;
        return 0;
    }
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member) {
        if (ce_json_deeper_than(member, limit - 1))
            return 1;
    }
    return 0;
}

json_t *ce_json_parse_flags(const char *bytes, size_t length,
                            const cegate_limits *limits, size_t max_depth,
                            unsigned flags, cegate_error *err)
{
    if (length > limits->max_input_bytes) {
        cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                         "input of %zu bytes exceeds max_input_bytes (%zu)",
                         length, limits->max_input_bytes);
        return NULL;
    }
    /* Duplicate members would make an attribute ambiguous: rejected.
     * max_depth counts the levels of one event (the event object is level
     * 1), so the array around a batch is not counted: a batch holds exactly
     * the events that are accepted one by one. */
    json_t *root = ce_json_read_flags(bytes, length, max_depth, flags, err);
    if (root == NULL && err != NULL && err->code == CEGATE_ERR_LIMIT) {
        /* Name the limit the user sets, not what is left of it here. */
        char path[CEGATE_ERROR_PATH_LENGTH];
        memcpy(path, err->path, sizeof path);
        cegate_error_clear(err);
        cegate_error_set(err, CEGATE_ERR_LIMIT, path,
                         "JSON nested deeper than max_depth (%zu)",
                         limits->max_depth);
    }
    return root;
}

json_t *ce_json_parse(const char *bytes, size_t length,
                      const cegate_limits *limits, size_t max_depth,
                      int batch, cegate_error *err)
{
    /* Event payloads keep integers beyond 64 bits: data is delivered as it
     * came, and an attribute holding one is refused by its own check. */
    return ce_json_parse_flags(bytes, length, limits, max_depth,
                               CE_JSON_BIG_INTEGERS |
                                   (batch ? CE_JSON_UNCOUNTED_TOP_ARRAY : 0),
                               err);
}

json_t *cegate_json_parse(const char *bytes, size_t length,
                          const cegate_limits *limits, cegate_error *err)
{
    cegate_limits defaults;
    if (limits == NULL) {
        cegate_limits_default(&defaults);
        limits = &defaults;
    }
    return ce_json_parse(bytes, length, limits, limits->max_depth, 1, err);
}

/* ---- decoding one event ---------------------------------------------------- */

static cegate_type extension_type(const cegate_options *o, const char *name)
{
    for (size_t i = 0; i < o->extension_count; i++)
        if (strcmp(o->extensions[i].name, name) == 0)
            return o->extensions[i].type;
    return 0;
}

static const char *json_type_name(const json_t *v)
{
    if (cegate_json_big_integer(v, NULL) != NULL)
        return "an integer";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a non-integral number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

static int set_attribute(cegate_event *ev, const char *name, const json_t *v,
                         const cegate_options *o, cegate_error *err)
{
    cegate_value value;
    if (cegate_json_big_integer(v, NULL) != NULL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                "Integer out of the 32-bit range"), -1;
    switch (json_typeof(v)) {
    case JSON_STRING: {
        size_t n = json_string_length(v);
        if (n > o->limits.max_attribute_bytes)
            return cegate_error_set(err, CEGATE_ERR_LIMIT, name,
                                    "value of %zu bytes exceeds "
                                    "max_attribute_bytes (%zu)",
                                    n, o->limits.max_attribute_bytes), -1;
        return cegate_event_set_string(ev, name, json_string_value(v), n,
                                       extension_type(o, name), err);
    }
    case JSON_TRUE:
    case JSON_FALSE:
        value.type = CEGATE_TYPE_BOOLEAN;
        value.u.boolean = json_is_true(v);
        break;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        if (i < INT32_MIN || i > INT32_MAX)
            return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                    "Integer out of the 32-bit range"), -1;
        value.type = CEGATE_TYPE_INTEGER;
        value.u.integer = (int32_t)i;
        break;
    }
    default:
        return cegate_error_set(err, CEGATE_ERR_TYPE, name,
                                "must be a string, boolean or integer, not %s",
                                json_type_name(v)), -1;
    }
    cegate_type declared = extension_type(o, name);
    if (declared && declared != value.type)
        return cegate_error_set(err, CEGATE_ERR_TYPE, name,
                                "must be of type %s, not %s",
                                cegate_type_name(declared),
                                cegate_type_name(value.type)), -1;
    return cegate_event_set(ev, name, &value, err);
}

/* Which spec version the object claims; only "1.0" and "0.3" are read. */
static int read_specversion(const json_t *object, int *v03, cegate_error *err)
{
    json_t *sv = json_object_get(object, "specversion");
    if (sv == NULL || json_is_null(sv))
        return cegate_error_set(err, CEGATE_ERR_MISSING, "specversion",
                                "required attribute is missing"), -1;
    if (!ce_json_is_text(sv))
        return cegate_error_set(err, CEGATE_ERR_TYPE, "specversion",
                                "must be a string, not %s", json_type_name(sv)),
               -1;
    const char *s = json_string_value(sv);
    if (s[0] == '\0')
        return cegate_error_set(err, CEGATE_ERR_EMPTY, "specversion",
                                "must not be empty"), -1;
    if (strcmp(s, "1.0") != 0 && strcmp(s, "0.3") != 0)
        return cegate_error_set(err, CEGATE_ERR_SPECVERSION, "specversion",
                                "unsupported version \"%.20s\" (1.0 and 0.3 "
                                "are read)", s), -1;
    *v03 = s[0] == '0';
    return 0;
}

/* v0.3's schemaurl was a URI-reference; v1.0's dataschema must be absolute.
 * A relative one is kept as an extension rather than lost; as a String, the
 * type the JSON format reads it back as. */
static int set_schemaurl(cegate_event *ev, const json_t *v,
                         const cegate_options *o, cegate_error *err)
{
    if (!ce_json_is_text(v))
        return cegate_error_set(err, CEGATE_ERR_TYPE, "schemaurl",
                                "must be a string, not %s", json_type_name(v)),
               -1;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (ce_check_absolute_uri(s, n, "schemaurl", NULL) == 0)
        return set_attribute(ev, "dataschema", v, o, err);
    return cegate_event_set_string(ev, "schemaurl", s, n, CEGATE_TYPE_STRING,
                                   err);
}

static int set_data(cegate_event *ev, const json_t *data,
                    const json_t *data_base64, const json_t *encoding,
                    cegate_error *err)
{
    if (data != NULL && data_base64 != NULL)
        return cegate_error_set(err, CEGATE_ERR_CONFLICT, "data_base64",
                                "data and data_base64 are mutually exclusive"),
               -1;
    if (data_base64 != NULL || encoding != NULL) {
        const json_t *src = data_base64 ? data_base64 : data;
        const char *what = data_base64 ? "data_base64" : "data";
        if (src == NULL)
            return 0; /* v0.3 datacontentencoding without data */
        if (!ce_json_is_text(src))
            return cegate_error_set(err, CEGATE_ERR_TYPE, what,
                                    "must be a base64 string, not %s",
                                    json_type_name(src)), -1;
        size_t n = json_string_length(src);
        cegate_buffer bytes;
        cegate_buffer_init(&bytes, n);
        int rc = ce_base64_decode(json_string_value(src), n, &bytes, what, err);
        if (rc == 0)
            rc = cegate_event_set_data_binary(ev, bytes.data ? bytes.data : "",
                                              bytes.length, err);
        cegate_buffer_free(&bytes);
        return rc;
    }
    if (data == NULL)
        return 0;
    const char *ct = cegate_event_get_string(ev, "datacontenttype");
    if (ct == NULL) {
        /* Absent means application/json; say so, so that the event reads the
         * same after any re-encoding. */
        cegate_value v = {.type = CEGATE_TYPE_STRING,
                          .u.string = "application/json"};
        if (cegate_event_set(ev, "datacontenttype", &v, err) < 0)
            return -1;
        ct = v.u.string;
    }
    if (cegate_media_type_is_json(ct))
        return cegate_event_set_data_json(ev, (json_t *)data, err);
    if (!ce_json_is_text(data))
        return cegate_error_set(err, CEGATE_ERR_TYPE, "data",
                                "must be a string for datacontenttype \"%.60s\", "
                                "not %s", ct, json_type_name(data)), -1;
    return cegate_event_set_data_text(ev, json_string_value(data),
                                      json_string_length(data), err);
}

static int decode_object(const json_t *object, const cegate_options *o,
                         cegate_event *ev, cegate_error *err)
{
    int v03 = 0;
    if (read_specversion(object, &v03, err) < 0)
        return -1;
    size_t attributes = 0;
    const json_t *data = NULL, *data_base64 = NULL, *encoding = NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)object, key, v) {
        if (strcmp(key, "data") == 0) {
            data = v;
            continue;
        }
        if (json_is_null(v))
            continue; /* null means absent */
        if (strcmp(key, "data_base64") == 0 && !v03) {
            data_base64 = v;
            continue;
        }
        if (++attributes > o->limits.max_attributes)
            return cegate_error_set(err, CEGATE_ERR_LIMIT, key,
                                    "more than max_attributes (%zu) "
                                    "attributes", o->limits.max_attributes),
                   -1;
        if (strcmp(key, "specversion") == 0)
            continue; /* the event is already 1.0 */
        if (v03 && strcmp(key, "schemaurl") == 0) {
            if (set_schemaurl(ev, v, o, err) < 0)
                return -1;
            continue;
        }
        if (v03 && strcmp(key, "datacontentencoding") == 0) {
            if (!ce_json_is_text(v) || strcmp(json_string_value(v), "base64") != 0)
                return cegate_error_set(err, CEGATE_ERR_VALUE, key,
                                        "only \"base64\" is defined"), -1;
            encoding = v;
            continue;
        }
        if (set_attribute(ev, key, v, o, err) < 0)
            return -1;
    }
    if (set_data(ev, data, data_base64, encoding, err) < 0)
        return -1;
    return cegate_event_validate(ev, err);
}

int cegate_json_to_event(const json_t *object, const cegate_options *options,
                         cegate_event **out, cegate_error *err)
{
    cegate_options defaults;
    const cegate_options *o = options_or_default(options, &defaults);
    *out = NULL;
    if (!json_is_object(object))
        return cegate_error_set(err, CEGATE_ERR_TYPE, NULL,
                                "an event must be a JSON object, not %s",
                                object ? json_type_name(object) : "nothing"),
               -1;
    cegate_event *ev = cegate_event_new();
    if (ev == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               -1;
    if (decode_object(object, o, ev, err) < 0) {
        cegate_event_free(ev);
        return -1;
    }
    *out = ev;
    return 0;
}

static int decode_batch(const json_t *array, const cegate_options *o,
                        cegate_event_list *out, cegate_error *err)
{
    size_t n = json_array_size(array);
    if (n > o->limits.max_events)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "batch of %zu events exceeds max_events (%zu)",
                                n, o->limits.max_events), -1;
    const char *first_version = NULL;
    for (size_t i = 0; i < n; i++) {
        char where[32];
        snprintf(where, sizeof where, "[%zu]", i);
        const json_t *member = json_array_get(array, i);
        cegate_event *ev;
        if (cegate_json_to_event(member, o, &ev, err) < 0) {
            cegate_error_prefix_path(err, where);
            return -1;
        }
        const char *version =
            json_string_value(json_object_get(member, "specversion"));
        if (first_version == NULL) {
            first_version = version;
        } else if (strcmp(first_version, version) != 0) {
            cegate_event_free(ev);
            cegate_error_set(err, CEGATE_ERR_CONFLICT, "specversion",
                             "differs from the batch's first event (%s)",
                             first_version);
            cegate_error_prefix_path(err, where);
            return -1;
        }
        if (cegate_event_list_append(out, ev, err) < 0)
            return -1;
    }
    return 0;
}

int cegate_json_to_events(const json_t *root, const cegate_options *options,
                          cegate_event_list *out, cegate_error *err)
{
    cegate_options defaults;
    const cegate_options *o = options_or_default(options, &defaults);
    if (json_is_array(root)) {
        size_t before = out->count;
        if (decode_batch(root, o, out, err) == 0)
            return 0;
        /* All or nothing: drop what this batch appended. */
        while (out->count > before)
            cegate_event_free(out->events[--out->count]);
        return -1;
    }
    cegate_event *ev;
    if (cegate_json_to_event(root, o, &ev, err) < 0)
        return -1;
    return cegate_event_list_append(out, ev, err);
}

int cegate_json_decode(const char *bytes, size_t length,
                       const cegate_options *options, cegate_event_list *out,
                       cegate_error *err)
{
    cegate_options defaults;
    const cegate_options *o = options_or_default(options, &defaults);
    json_t *root = cegate_json_parse(bytes, length, &o->limits, err);
    if (root == NULL)
        return -1;
    int rc = cegate_json_to_events(root, o, out, err);
    json_decref(root);
    return rc;
}

/* ---- encoding ---------------------------------------------------------------- */

static int append_member_name(cegate_buffer *out, const char *name,
                              cegate_error *err)
{
    /* Names are [a-z0-9_]+, never in need of escaping. */
    if (cegate_buffer_append_byte(out, ',', "output", err) < 0 ||
        cegate_buffer_append_byte(out, '"', "output", err) < 0 ||
        cegate_buffer_append_str(out, name, "output", err) < 0)
        return -1;
    return cegate_buffer_append(out, "\":", 2, "output", err);
}

static int append_value(cegate_buffer *out, const cegate_value *v,
                        cegate_error *err)
{
    char number[16];
    switch (v->type) {
    case CEGATE_TYPE_BOOLEAN:
        return cegate_buffer_append_str(out, v->u.boolean ? "true" : "false",
                                        "output", err);
    case CEGATE_TYPE_INTEGER:
        snprintf(number, sizeof number, "%d", (int)v->u.integer);
        return cegate_buffer_append_str(out, number, "output", err);
    case CEGATE_TYPE_BINARY:
        if (cegate_buffer_append_byte(out, '"', "output", err) < 0 ||
            ce_base64_encode(v->u.binary.bytes, v->u.binary.length, out,
                             "output", err) < 0)
            return -1;
        return cegate_buffer_append_byte(out, '"', "output", err);
    default:
        return ce_append_json_string(out, v->u.string, strlen(v->u.string), err);
    }
}

static int append_data(cegate_buffer *out, const cegate_event *ev,
                       cegate_error *err)
{
    size_t n;
    const unsigned char *bytes;
    switch (cegate_event_data_kind(ev)) {
    case CEGATE_DATA_NONE:
        return 0;
    case CEGATE_DATA_JSON:
        if (append_member_name(out, "data", err) < 0)
            return -1;
        return ce_append_json_value(out, cegate_event_data_json(ev), err);
    case CEGATE_DATA_TEXT:
        bytes = cegate_event_data_bytes(ev, &n);
        if (append_member_name(out, "data", err) < 0)
            return -1;
        return ce_append_json_string(out, (const char *)bytes, n, err);
    case CEGATE_DATA_BINARY:
        bytes = cegate_event_data_bytes(ev, &n);
        if (append_member_name(out, "data_base64", err) < 0 ||
            cegate_buffer_append_byte(out, '"', "output", err) < 0 ||
            ce_base64_encode(bytes, n, out, "output", err) < 0)
            return -1;
        return cegate_buffer_append_byte(out, '"', "output", err);
    }
    return 0;
}

int cegate_json_encode_event(const cegate_event *ev, cegate_buffer *out,
                             cegate_error *err)
{
    size_t start = out->length;
    /* JSON and text data without datacontenttype get the implied
     * application/json written out, in its place in spec order. */
    const char *implied = NULL;
    if (cegate_event_get(ev, "datacontenttype") == NULL)
        implied = cegate_event_effective_content_type(ev);
    if (cegate_buffer_append_byte(out, '{', "output", err) < 0)
        goto fail;
    size_t count = cegate_event_attribute_count(ev);
    for (size_t i = 0; i < count; i++) {
        const char *name = cegate_event_attribute_name(ev, i);
        /* Spec order: the implied type goes right after the required
         * attributes, before anything else. */
        if (implied != NULL && strcmp(name, "specversion") != 0 &&
            strcmp(name, "id") != 0 && strcmp(name, "source") != 0 &&
            strcmp(name, "type") != 0) {
            cegate_value v = {.type = CEGATE_TYPE_STRING, .u.string = implied};
            if (append_member_name(out, "datacontenttype", err) < 0 ||
                append_value(out, &v, err) < 0)
                goto fail;
            implied = NULL;
        }
        /* The first member has no comma before it. */
        if (i == 0) {
            if (cegate_buffer_append_byte(out, '"', "output", err) < 0 ||
                cegate_buffer_append_str(out, name, "output", err) < 0 ||
                cegate_buffer_append(out, "\":", 2, "output", err) < 0)
                goto fail;
        } else if (append_member_name(out, name, err) < 0) {
            goto fail;
        }
        if (append_value(out, cegate_event_attribute_value(ev, i), err) < 0)
            goto fail;
    }
    if (implied != NULL) {
        cegate_value v = {.type = CEGATE_TYPE_STRING, .u.string = implied};
        if (append_member_name(out, "datacontenttype", err) < 0 ||
            append_value(out, &v, err) < 0)
            goto fail;
    }
    if (append_data(out, ev, err) < 0 ||
        cegate_buffer_append_byte(out, '}', "output", err) < 0)
        goto fail;
    return 0;
fail:
    /* Leave the buffer as it was: no half-written event. */
    out->length = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return -1;
}

int cegate_json_encode_batch(cegate_event *const *events, size_t count,
                             cegate_buffer *out, cegate_error *err)
{
    size_t start = out->length;
    if (cegate_buffer_append_byte(out, '[', "output", err) < 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if ((i > 0 && cegate_buffer_append_byte(out, ',', "output", err) < 0) ||
            cegate_json_encode_event(events[i], out, err) < 0)
            goto fail;
    }
    if (cegate_buffer_append_byte(out, ']', "output", err) == 0)
        return 0;
fail:
    out->length = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return -1;
}
