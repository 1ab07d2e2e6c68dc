/* SPDX-License-Identifier: Apache-2.0 */
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

/* snprintf costs two thousand instructions a number, and numbers are
 * written for every event delivered. */
size_t ce_integer_text(char *out, long long v)
{
    char reversed[24];
    size_t n = 0;
    /* The magnitude as unsigned: -LLONG_MIN does not fit a long long. */
    unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        reversed[n++] = (char)('0' + m % 10);
        m /= 10;
    } while (m > 0);
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    while (n > 0)
        out[len++] = reversed[--n];
    return len;
}

int ce_append_integer(cegate_buffer *out, long long v, cegate_error *err)
{
    char text[24];
    return cegate_buffer_append(out, text, ce_integer_text(text, v), "output", err);
}

/* The common reals, such as amounts: at most 15 significant digits with at
 * most 6 after the point, between 1e-4 and 1e15. Then the shortest text
 * that reads back as v is m / 10^k for the smallest k that gives back v
 * exactly, which is also what "%.15g" prints there (fixed notation, as
 * DBL_DIG guarantees 15 digits survive), so both ways agree. (double)m /
 * 10^k is the double nearest the decimal, as strtod would read it: both
 * operands are exact and IEEE division rounds correctly. Returns the
 * length written, or 0 when v is not such a number. */
static size_t fixed_point_text(char *out, double v)
{
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    double scale = 1;
    for (int k = 0; k <= 6; k++, scale *= 10) {
        double scaled = a * scale;
        if (scaled >= 1e15)
            return 0;
        long long m = (long long)(scaled + 0.5);
        if ((double)m / scale != a)
            continue;
        long long p = 1;
        for (int i = 0; i < k; i++)
            p *= 10;
        long long whole = m / p, fraction = m % p;
        size_t len = 0;
        if (v < 0)
            out[len++] = '-';
        len += ce_integer_text(out + len, whole);
        out[len++] = '.';
        if (k == 0) {
            out[len++] = '0';
            return len;
        }
        for (long long d = p / 10; d > 0; d /= 10) {
            out[len++] = (char)('0' + fraction / d);
            fraction %= d;
        }
        return len;
    }
    return 0;
}

static int append_real(cegate_buffer *out, double v, cegate_error *err)
{
    char text[40];
    size_t fast = fixed_point_text(text, v);
    if (fast > 0)
        return cegate_buffer_append(out, text, fast, "output", err);
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
    case JSON_STRING: {
        /* An integer beyond 64 bits goes out as the number it came in as. */
        size_t n;
        const char *big = cegate_json_big_integer(v, &n);
        if (big != NULL)
            return cegate_buffer_append(out, big, n, "output", err);
        return ce_append_json_string(out, json_string_value(v),
                                     json_string_length(v), err);
    }
    case JSON_INTEGER:
        return ce_append_integer(out, json_integer_value(v), err);
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
