/* json_write.c - writing JSON values (event data) into a buffer.
 *
 * jansson's own dumper writes reals with 17 significant digits, so data
 * such as 37.01 would reach an app as 37.009999999999998: the bytes of the
 * data would change on their way through cegate. Here a real is written in
 * the fewest digits that read back as the same double, as JavaScript and
 * Python do. Keys keep their order. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

static int append_real(cegate_buffer *out, double v, cegate_error *err)
{
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    /* A real stays a real: 2.0, not 2. */
    if (strpbrk(text, ".eE") == NULL)
        strcat(text, ".0");
    return cegate_buffer_append_str(out, text, "output", err);
}

/* Before a member: the separator, and with indentation a new line. */
static int separate(cegate_buffer *out, int first, int indent, int level,
                    cegate_error *err)
{
    if (!first && cegate_buffer_append_byte(out, ',', "output", err) < 0)
        return -1;
    if (indent == 0)
        return 0;
    if (cegate_buffer_append_byte(out, '\n', "output", err) < 0)
        return -1;
    for (int i = 0; i < indent * level; i++)
        if (cegate_buffer_append_byte(out, ' ', "output", err) < 0)
            return -1;
    return 0;
}

static int append_value(cegate_buffer *out, const json_t *v, int indent,
                        int level, cegate_error *err)
{
    char number[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (cegate_buffer_append_byte(out, '{', "output", err) < 0)
            return -1;
        const char *key;
        json_t *member;
        int first = 1;
        json_object_foreach((json_t *)v, key, member) {
            if (separate(out, first, indent, level + 1, err) < 0 ||
                ce_append_json_string(out, key, strlen(key), err) < 0 ||
                cegate_buffer_append_str(out, indent ? ": " : ":", "output",
                                         err) < 0 ||
                append_value(out, member, indent, level + 1, err) < 0)
                return -1;
            first = 0;
        }
        if (!first && separate(out, 1, indent, level, err) < 0)
            return -1;
        return cegate_buffer_append_byte(out, '}', "output", err);
    }
    case JSON_ARRAY: {
        if (cegate_buffer_append_byte(out, '[', "output", err) < 0)
            return -1;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++)
            if (separate(out, i == 0, indent, level + 1, err) < 0 ||
                append_value(out, json_array_get(v, i), indent, level + 1,
                             err) < 0)
                return -1;
        if (n > 0 && separate(out, 1, indent, level, err) < 0)
            return -1;
        return cegate_buffer_append_byte(out, ']', "output", err);
    }
    case JSON_STRING:
        return ce_append_json_string(out, json_string_value(v),
                                     json_string_length(v), err);
    case JSON_INTEGER:
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return cegate_buffer_append_str(out, number, "output", err);
    case JSON_REAL:
        return append_real(out, json_real_value(v), err);
    case JSON_TRUE:
        return cegate_buffer_append_str(out, "true", "output", err);
    case JSON_FALSE:
        return cegate_buffer_append_str(out, "false", "output", err);
    case JSON_NULL:
        return cegate_buffer_append_str(out, "null", "output", err);
    }
    return cegate_error_set(err, CEGATE_ERR_TYPE, "data", "unknown JSON type"),
           -1;
}

int ce_append_json_value(cegate_buffer *out, const json_t *v, cegate_error *err)
{
    return append_value(out, v, 0, 0, err);
}

int ce_append_json_indented(cegate_buffer *out, const json_t *v, int indent,
                            cegate_error *err)
{
    return append_value(out, v, indent, 0, err);
}
