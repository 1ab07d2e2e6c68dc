/* SPDX-License-Identifier: Apache-2.0 */
/* http_binding.c - the CloudEvents HTTP protocol binding: content modes,
 * ce- header encoding, binary/structured/batched messages. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cegate/format.h"
#include "core/text.h"

#define CE_PREFIX "ce-"

const char *cegate_header_find(const cegate_header *headers, size_t count,
                               const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < count; i++)
        if (strlen(headers[i].name) == n &&
            ce_ascii_casecmp_n(headers[i].name, name, n) == 0)
            return headers[i].value;
    return NULL;
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

cegate_http_mode cegate_http_mode_of(const cegate_header *headers, size_t count)
{
    const char *ct = cegate_header_find(headers, count, "content-type");
    if (ct == NULL)
        return CEGATE_HTTP_BINARY;
    ct = skip_space(ct);
    /* The batch media type also starts with the structured prefix. */
    if (ce_ascii_prefix(ct, "application/cloudevents-batch"))
        return CEGATE_HTTP_BATCH;
    if (ce_ascii_prefix(ct, "application/cloudevents"))
        return CEGATE_HTTP_STRUCTURED;
    return CEGATE_HTTP_BINARY;
}

/* ---- header values ----------------------------------------------------------- */

int cegate_header_value_encode(const char *s, size_t n, cegate_buffer *out,
                               cegate_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x20 && c < 0x7F && c != '"' && c != '%')
            continue;
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (cegate_buffer_append(out, s + run, i - run, "header", err) < 0 ||
            cegate_buffer_append(out, esc, 3, "header", err) < 0)
            return -1;
        run = i + 1;
    }
    return cegate_buffer_append(out, s + run, n - run, "header", err);
}

/* Remove RFC 9110 quoted-string quoting into `out`. */
static int unquote(const char *s, size_t n, cegate_buffer *out,
                   const char *what, cegate_error *err)
{
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c == '\\') {
            if (i + 2 >= n)
                return cegate_error_set(err, CEGATE_ERR_SYNTAX, what,
                                        "quoted string ends in a backslash"),
                       -1;
            c = s[++i];
        } else if (c == '"') {
            return cegate_error_set(err, CEGATE_ERR_SYNTAX, what,
                                    "unescaped '\"' inside a quoted string"),
                   -1;
        }
        if (cegate_buffer_append_byte(out, c, what, err) < 0)
            return -1;
    }
    return 0;
}

int cegate_header_value_decode(const char *s, size_t n, cegate_buffer *out,
                               const char *what, cegate_error *err)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    cegate_buffer unquoted;
    cegate_buffer_init(&unquoted, n);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        if (unquote(s, n, &unquoted, what, err) < 0) {
            cegate_buffer_free(&unquoted);
            return -1;
        }
        s = unquoted.data ? unquoted.data : "";
        n = unquoted.length;
    }
    size_t start = out->length;
    int rc = 0;
    size_t run = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (s[i] != '%')
            continue;
        int hi = i + 1 < n ? ce_hex_value(s[i + 1]) : -1;
        int lo = i + 2 < n ? ce_hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            rc = cegate_error_set(err, CEGATE_ERR_ENCODING, what,
                                  "bad percent-encoding at byte %zu", i);
            break;
        }
        char byte = (char)(hi << 4 | lo);
        if (cegate_buffer_append(out, s + run, i - run, what, err) < 0 ||
            cegate_buffer_append_byte(out, byte, what, err) < 0)
            rc = -1;
        i += 2;
        run = i + 1;
    }
    if (rc == 0)
        rc = cegate_buffer_append(out, s + run, n - run, what, err);
    if (rc == 0)
        rc = ce_check_utf8(out->data + start, out->length - start, what, err);
    cegate_buffer_free(&unquoted);
    if (rc != 0) {
        out->length = start;
        if (out->data)
            out->data[start] = '\0';
        return -1;
    }
    return 0;
}

/* ---- decoding ---------------------------------------------------------------- */

static const cegate_options *options_or_default(const cegate_options *options,
                                                cegate_options *storage)
{
    if (options != NULL)
        return options;
    cegate_options_init(storage);
    return storage;
}

/* The value of a media type parameter (name case-insensitive, RFC 2045),
 * quotes removed; NULL when absent. Values are short tokens here. */
static const char *media_parameter(const char *content_type, const char *name,
                                   size_t *length)
{
    size_t name_length = strlen(name);
    const char *p = content_type;
    while ((p = strchr(p, ';')) != NULL) {
        p = skip_space(p + 1);
        if (ce_ascii_casecmp_n(p, name, name_length) == 0 &&
            p[name_length] == '=') {
            const char *v = p + name_length + 1;
            size_t n = strcspn(v, "; \t");
            if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v++;
                n -= 2;
            }
            *length = n;
            return v;
        }
        /* Skip a quoted value so a ';' inside it is not a separator. */
        const char *eq = strchr(p, '=');
        if (eq != NULL && eq[1] == '"') {
            const char *close = strchr(eq + 2, '"');
            if (close == NULL)
                return NULL;
            p = close + 1;
        }
    }
    return NULL;
}

/* Only UTF-8 (and its subset US-ASCII) is read: the JSON format is UTF-8. */
static int check_charset(const char *content_type, cegate_error *err)
{
    size_t n;
    const char *v = media_parameter(content_type, "charset", &n);
    if (v == NULL || (n == 5 && ce_ascii_casecmp_n(v, "utf-8", 5) == 0) ||
        (n == 8 && ce_ascii_casecmp_n(v, "us-ascii", 8) == 0))
        return 0;
    return cegate_error_set(err, CEGATE_ERR_ENCODING, "Content-Type",
                            "charset \"%.*s\" is not supported (only UTF-8)",
                            (int)(n > 40 ? 40 : n), v), -1;
}

/* Structured mode names the format after '+': only JSON is read. */
static int check_structured_format(const char *content_type, cegate_error *err)
{
    const char *plus = strchr(content_type, '+');
    size_t n = plus ? strcspn(plus + 1, "; \t") : 0;
    if (plus == NULL || n != 4 || ce_ascii_casecmp_n(plus + 1, "json", 4) != 0)
        return cegate_error_set(err, CEGATE_ERR_MODE, "Content-Type",
                                "event format \"%.60s\" is not supported (only "
                                "JSON)", content_type), -1;
    return check_charset(content_type, err);
}

/* Media types whose bodies are text: kept as a string in the JSON format
 * when they are valid UTF-8. */
static int media_type_is_text(const char *ct)
{
    if (ce_ascii_prefix(ct, "text/"))
        return 1;
    size_t n = strcspn(ct, "; \t");
    if (n >= 4 && ce_ascii_casecmp_n(ct + n - 4, "/xml", 4) == 0)
        return 1;
    if (n >= 4 && ce_ascii_casecmp_n(ct + n - 4, "+xml", 4) == 0)
        return 1;
    size_t charset_length;
    return media_parameter(ct, "charset", &charset_length) != NULL;
}

static int set_binary_data(cegate_event *ev, const char *body, size_t length,
                           const cegate_options *o, cegate_error *err)
{
    if (length == 0)
        return 0;
    const char *ct = cegate_event_get_string(ev, "datacontenttype");
    if (ct != NULL && cegate_media_type_is_json(ct)) {
        /* The data sits one level inside the event object. */
        cegate_error local;
        cegate_error_clear(&local);
        size_t depth = o->limits.max_depth ? o->limits.max_depth - 1 : 0;
        json_t *data = ce_json_parse(body, length, &o->limits, depth, 0, &local);
        if (data != NULL) {
            int rc = cegate_event_set_data_json(ev, data, err);
            json_decref(data);
            return rc;
        }
        /* A body that claims to be JSON and is not is an error: only a
         * parse can tell, and a parse that failed for want of memory must
         * not turn into different data. */
        if (err != NULL && err->code == CEGATE_OK)
            *err = local;
        cegate_error_prefix_path(err, "data");
        return -1;
    }
    /* Text data cannot hold NUL (no JSON string may): such bodies stay bytes. */
    if (ct != NULL && media_type_is_text(ct) &&
        memchr(body, '\0', length) == NULL &&
        ce_check_utf8(body, length, "data", NULL) == 0)
        return cegate_event_set_data_text(ev, body, length, err);
    return cegate_event_set_data_binary(ev, body, length, err);
}

/* Name errors after the header the user sent rather than the attribute. */
static void name_header(cegate_error *err, const char *header)
{
    cegate_error_set_path(err, header);
}

static int decode_binary(const cegate_header *headers, size_t count,
                         const char *body, size_t length,
                         const cegate_options *o, cegate_event_list *out,
                         cegate_error *err)
{
    cegate_event *ev = cegate_event_new();
    if (ev == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               -1;
    cegate_buffer value;
    cegate_buffer_init(&value, o->limits.max_attribute_bytes);
    char name[CEGATE_MAX_NAME_LENGTH + 1];
    int seen_specversion = 0, v03 = 0, rc = -1;
    size_t attributes = 0;
    for (size_t i = 0; i < count; i++) {
        const char *h = headers[i].name;
        if (!ce_ascii_prefix(h, CE_PREFIX))
            continue;
        size_t n = strlen(h) - 3;
        if (n >= sizeof name) {
            cegate_error_set(err, CEGATE_ERR_NAME, NULL,
                             "attribute name longer than %d characters",
                             CEGATE_MAX_NAME_LENGTH);
            goto done;
        }
        for (size_t k = 0; k < n; k++) {
            char c = h[3 + k];
            name[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        name[n] = '\0';
        if (++attributes > o->limits.max_attributes) {
            cegate_error_set(err, CEGATE_ERR_LIMIT, h,
                             "more than max_attributes (%zu) ce- headers",
                             o->limits.max_attributes);
            goto done;
        }
        cegate_buffer_reset(&value);
        if (cegate_header_value_decode(headers[i].value, strlen(headers[i].value),
                                       &value, h, err) < 0)
            goto done;
        const char *v = value.data ? value.data : "";
        if (strcmp(name, "specversion") == 0) {
            if (seen_specversion++ || (strcmp(v, "1.0") != 0 && strcmp(v, "0.3") != 0)) {
                cegate_error_set(err, seen_specversion > 1 ? CEGATE_ERR_CONFLICT
                                                           : CEGATE_ERR_SPECVERSION,
                                 h, seen_specversion > 1
                                        ? "given more than once"
                                        : "unsupported version (1.0 and 0.3 are read)");
                goto done;
            }
            v03 = v[0] == '0';
            continue;
        }
        if (strcmp(name, "datacontenttype") == 0 &&
            cegate_header_find(headers, count, "content-type") != NULL)
            continue; /* Content-Type is the binding's place for it */
        const char *attr = (v03 && strcmp(name, "schemaurl") == 0 &&
                            ce_check_absolute_uri(v, value.length, h, NULL) == 0)
                               ? "dataschema" : name;
        if (cegate_event_get(ev, attr) != NULL) {
            cegate_error_set(err, CEGATE_ERR_CONFLICT, h,
                             "given more than once");
            goto done;
        }
        cegate_type type = 0;
        for (size_t k = 0; k < o->extension_count; k++)
            if (strcmp(o->extensions[k].name, attr) == 0)
                type = o->extensions[k].type;
        if (cegate_event_set_string(ev, attr, v, value.length, type, err) < 0) {
            name_header(err, h);
            goto done;
        }
    }
    if (!seen_specversion) {
        cegate_error_set(err, CEGATE_ERR_MISSING, CE_PREFIX "specversion",
                         "not a CloudEvent: no ce-specversion header (and no "
                         "application/cloudevents Content-Type)");
        goto done;
    }
    const char *ct = cegate_header_find(headers, count, "content-type");
    if (ct != NULL) {
        ct = skip_space(ct);
        if (cegate_event_set_string(ev, "datacontenttype", ct, strlen(ct), 0,
                                    err) < 0) {
            name_header(err, "Content-Type");
            goto done;
        }
    }
    if (cegate_event_validate(ev, err) < 0) {
        /* The path is the missing attribute: name its header. */
        char header[CEGATE_ERROR_PATH_LENGTH + 4];
        snprintf(header, sizeof header, CE_PREFIX "%s", err ? err->path : "");
        name_header(err, header);
        goto done;
    }
    if (set_binary_data(ev, body, length, o, err) < 0)
        goto done;
    rc = cegate_event_list_append(out, ev, err);
    ev = NULL;
done:
    cegate_event_free(ev);
    cegate_buffer_free(&value);
    return rc;
}

/* Content-Type decides the content mode and, in binary mode, the
 * datacontenttype: two of them (in any case) leave both ambiguous, as two
 * ce-id leave the id, and are refused the same way rather than the first
 * one winning. */
static int check_one_content_type(const cegate_header *headers, size_t count,
                                  cegate_error *err)
{
    int seen = 0;
    for (size_t i = 0; i < count; i++)
        if (strlen(headers[i].name) == 12 &&
            ce_ascii_casecmp_n(headers[i].name, "content-type", 12) == 0 &&
            seen++)
            return cegate_error_set(err, CEGATE_ERR_CONFLICT, headers[i].name,
                                    "given more than once"), -1;
    return 0;
}

int cegate_http_decode(const cegate_header *headers, size_t count,
                       const void *body, size_t length,
                       const cegate_options *options, cegate_event_list *out,
                       cegate_error *err)
{
    cegate_options defaults;
    const cegate_options *o = options_or_default(options, &defaults);
    if (length > o->limits.max_input_bytes)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "body of %zu bytes exceeds max_input_bytes "
                                "(%zu)", length, o->limits.max_input_bytes),
               -1;
    if (check_one_content_type(headers, count, err) < 0)
        return -1;
    cegate_http_mode mode = cegate_http_mode_of(headers, count);
    if (mode == CEGATE_HTTP_BINARY)
        return decode_binary(headers, count, body, length, o, out, err);

    const char *ct = skip_space(cegate_header_find(headers, count, "content-type"));
    if (check_structured_format(ct, err) < 0)
        return -1;
    json_t *root = cegate_json_parse(body, length, &o->limits, err);
    if (root == NULL)
        return -1;
    int rc;
    if (mode == CEGATE_HTTP_BATCH && !json_is_array(root)) {
        cegate_error_set(err, CEGATE_ERR_TYPE, NULL,
                         "a batch must be a JSON array");
        rc = -1;
    } else if (mode == CEGATE_HTTP_STRUCTURED && !json_is_object(root)) {
        cegate_error_set(err, CEGATE_ERR_TYPE, NULL,
                         "a structured event must be a JSON object (use "
                         CEGATE_MEDIA_TYPE_BATCH " for a batch)");
        rc = -1;
    } else
        rc = cegate_json_to_events(root, o, out, err);
    json_decref(root);
    return rc;
}

/* ---- encoding ---------------------------------------------------------------- */

void cegate_http_message_init(cegate_http_message *msg, size_t max_body)
{
    msg->names = NULL;
    msg->values = NULL;
    msg->count = 0;
    cegate_buffer_init(&msg->body, max_body);
}

void cegate_http_message_reset(cegate_http_message *msg)
{
    /* A header's value lives in its name's allocation, the values array in
     * the names' one (add_header, cegate_http_encode). */
    for (size_t i = 0; i < msg->count; i++)
        cegate_free(msg->names[i]);
    cegate_free(msg->names);
    msg->names = msg->values = NULL;
    msg->count = 0;
    cegate_buffer_reset(&msg->body);
}

void cegate_http_message_free(cegate_http_message *msg)
{
    cegate_http_message_reset(msg);
    cegate_buffer_free(&msg->body);
}

/* Adds "<prefix><name>: <value>" as one allocation: a header is built for
 * every attribute of every event delivered. */
static int add_header(cegate_http_message *msg, size_t capacity,
                      const char *prefix, const char *name, const char *value,
                      size_t value_length, cegate_error *err)
{
    size_t np = strlen(prefix), nn = strlen(name);
    char *block = msg->count < capacity && value_length < SIZE_MAX / 2
                      ? cegate_malloc(np + nn + value_length + 2)
                      : NULL;
    if (block == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory"),
               -1;
    memcpy(block, prefix, np);
    memcpy(block + np, name, nn + 1);
    char *v = block + np + nn + 1;
    if (value_length)
        memcpy(v, value, value_length);
    v[value_length] = '\0';
    msg->names[msg->count] = block;
    msg->values[msg->count] = v;
    msg->count++;
    return 0;
}

/* The canonical string of a value, percent-encoded for a ce- header, into
 * `encoded` (reset first); `raw` is scratch. */
static int header_value(const cegate_value *v, cegate_buffer *raw,
                        cegate_buffer *encoded, cegate_error *err)
{
    char number[16];
    const char *s = NULL;
    cegate_buffer_reset(raw);
    cegate_buffer_reset(encoded);
    switch (v->type) {
    case CEGATE_TYPE_BOOLEAN:
        s = v->u.boolean ? "true" : "false";
        break;
    case CEGATE_TYPE_INTEGER:
        snprintf(number, sizeof number, "%d", (int)v->u.integer);
        s = number;
        break;
    case CEGATE_TYPE_BINARY:
        if (ce_base64_encode(v->u.binary.bytes, v->u.binary.length, raw, "header",
                             err) < 0)
            return -1;
        s = raw->data ? raw->data : "";
        break;
    default:
        s = v->u.string;
    }
    return cegate_header_value_encode(s, strlen(s), encoded, err);
}

static int encode_binary(const cegate_event *ev, cegate_http_message *msg,
                         cegate_error *err)
{
    size_t count = cegate_event_attribute_count(ev);
    cegate_buffer raw, encoded;
    cegate_buffer_init(&raw, (size_t)-1);
    cegate_buffer_init(&encoded, (size_t)-1);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *name = cegate_event_attribute_name(ev, i);
        if (strcmp(name, "datacontenttype") == 0)
            continue;
        rc = header_value(cegate_event_attribute_value(ev, i), &raw, &encoded, err);
        if (rc == 0)
            rc = add_header(msg, count + 1, CE_PREFIX, name,
                            encoded.data ? encoded.data : "", encoded.length, err);
    }
    cegate_buffer_free(&raw);
    cegate_buffer_free(&encoded);
    if (rc < 0)
        return -1;
    const char *ct = cegate_event_effective_content_type(ev);
    if (ct != NULL && ce_ascii_prefix(ct, "application/cloudevents"))
        return cegate_error_set(err, CEGATE_ERR_MODE, "datacontenttype",
                                "\"%.60s\" as the Content-Type would make the "
                                "message structured: send it in structured "
                                "mode", ct), -1;
    if (ct != NULL && add_header(msg, count + 1, "", "Content-Type", ct, strlen(ct),
                                 err) < 0)
        return -1;
    size_t n;
    const unsigned char *bytes;
    switch (cegate_event_data_kind(ev)) {
    case CEGATE_DATA_NONE:
        return 0;
    case CEGATE_DATA_JSON:
        return ce_append_json_value(&msg->body, cegate_event_data_json(ev), err);
    default:
        bytes = cegate_event_data_bytes(ev, &n);
        return cegate_buffer_append(&msg->body, bytes, n, "body", err);
    }
}

int cegate_http_encode(const cegate_event *ev, cegate_http_mode mode,
                       cegate_http_message *out, cegate_error *err)
{
    if (mode != CEGATE_HTTP_BINARY && mode != CEGATE_HTTP_STRUCTURED)
        return cegate_error_set(err, CEGATE_ERR_USAGE, NULL,
                                "cegate_http_encode takes binary or structured "
                                "mode"), -1;
    size_t capacity = mode == CEGATE_HTTP_BINARY
                          ? cegate_event_attribute_count(ev) + 1 : 1;
    out->names = cegate_malloc(2 * capacity * sizeof *out->names);
    out->values = out->names != NULL ? out->names + capacity : NULL;
    if (out->names == NULL) {
        cegate_http_message_reset(out);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               -1;
    }
    int rc;
    if (mode == CEGATE_HTTP_BINARY) {
        rc = encode_binary(ev, out, err);
    } else {
        static const char ct[] = CEGATE_MEDIA_TYPE_EVENT "; charset=utf-8";
        rc = add_header(out, capacity, "", "Content-Type", ct, sizeof ct - 1, err);
        if (rc == 0)
            rc = cegate_json_encode_event(ev, &out->body, err);
    }
    if (rc < 0) {
        cegate_http_message_reset(out);
        return -1;
    }
    return 0;
}
