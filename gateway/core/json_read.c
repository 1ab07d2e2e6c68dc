/* SPDX-License-Identifier: Apache-2.0 */
/* json_read.c - reading JSON text (RFC 8259) into a jansson tree.
 *
 * Every payload cegate receives is JSON, and an envelope (SQS carrying SNS
 * carrying S3) is JSON three times over, so parsing is most of the work of
 * normalizing. jansson's own reader takes its input a character at a time
 * through a stream and a growing buffer: about 15 us for a 700-byte S3
 * notification, four times what building the same tree costs. This reader
 * scans the bytes in place and builds the tree with jansson's constructors,
 * so adapters and the ABI still see ordinary json_t values.
 *
 * It accepts what json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)
 * accepts and builds the same tree (a differential fuzz target,
 * tests/fuzz/fuzz_json_read.c, holds it to that), with three differences:
 * nesting is limited by the caller rather than at 2048 levels, an
 * allocation failure is always reported as one, and with
 * CE_JSON_BIG_INTEGERS an integer beyond 64 bits, which jansson refuses,
 * is kept digit for digit (cegate_json_big_integer says how). */
/* strtod_l (glibc, POSIX 2024) */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

/* Nesting is recursion: never deeper than this, whatever the caller asks. */
#define HARD_DEPTH_LIMIT 2048

typedef struct reader {
    const unsigned char *start, *p, *end;
    size_t depth, max_depth;
    cegate_buffer scratch; /* unescaped strings, number texts */
    cegate_error *err;
    unsigned flags; /* CE_JSON_* */
    int failed;
} reader;

/* ---- errors ------------------------------------------------------------------ */

/* Report a syntax error at `at`, with its line and column (1-based; the
 * column counts bytes). Messages name the construct, never quote input:
 * they end up on one log line. */
__attribute__((format(printf, 3, 4)))
static json_t *syntax_error(reader *r, const unsigned char *at, const char *fmt, ...)
{
    if (r->failed)
        return NULL;
    r->failed = 1;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int line = 1;
    const unsigned char *line_start = r->start;
    for (const unsigned char *q = r->start; q < at; q++)
        if (*q == '\n') {
            line++;
            line_start = q + 1;
        }
    int column = (int)(at - line_start) + 1;
    cegate_error_set(r->err, CEGATE_ERR_SYNTAX, NULL,
                     "invalid JSON: %s (line %d, column %d)", what, line, column);
    cegate_error_set_position(r->err, line, column, (size_t)(at - r->start));
    return NULL;
}

static json_t *out_of_memory(reader *r)
{
    if (!r->failed) {
        r->failed = 1;
        cegate_error_set(r->err, CEGATE_ERR_NOMEM, NULL,
                         "out of memory while parsing JSON");
    }
    return NULL;
}

static json_t *too_deep(reader *r)
{
    if (!r->failed) {
        r->failed = 1;
        cegate_error_set(r->err, CEGATE_ERR_LIMIT, NULL,
                         "JSON nested deeper than %zu levels", r->max_depth);
    }
    return NULL;
}

/* With CE_JSON_ERROR_PATH, an error is placed as the reader unwinds: each
 * object member and array element it was in puts its name or index in
 * front of the error's path ("Records" "[0]" "eventTime"). Only failures
 * pay for it. */
static void locate_member(reader *r, const char *name, size_t n)
{
    if (!(r->flags & CE_JSON_ERROR_PATH))
        return;
    char prefix[CEGATE_ERROR_PATH_LENGTH];
    snprintf(prefix, sizeof prefix, "%.*s",
             (int)(n < sizeof prefix ? n : sizeof prefix - 1), name);
    cegate_error_prefix_path(r->err, prefix);
}

static void locate_element(reader *r, size_t index)
{
    if (!(r->flags & CE_JSON_ERROR_PATH))
        return;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "[%zu]", index);
    cegate_error_prefix_path(r->err, prefix);
}

/* ---- scanning ---------------------------------------------------------------- */

static void skip_space(reader *r)
{
    while (r->p < r->end &&
           (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* The length of the UTF-8 sequence at p (1 to 4), or 0 when it is not
 * valid: overlong forms, surrogates and code points past U+10FFFF are
 * refused, as RFC 3629 says. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else
        return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int append_code_point(cegate_buffer *b, unsigned cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return cegate_buffer_append(b, u, n, NULL, NULL);
}

/* One escape sequence after the backslash at r->p, appended to scratch. */
static int read_escape(reader *r)
{
    const unsigned char *at = r->p;
    if (r->end - r->p < 2)
        return syntax_error(r, at, "unterminated string"), -1;
    unsigned char c = r->p[1];
    static const char simple_from[] = "\"\\/bfnrt";
    static const char simple_to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(simple_from, c) : NULL;
    if (hit != NULL) {
        r->p += 2;
        return cegate_buffer_append_byte(&r->scratch, simple_to[hit - simple_from],
                                          NULL, NULL) < 0 ? (out_of_memory(r), -1) : 0;
    }
    if (c != 'u')
        return syntax_error(r, at, "invalid escape in a string"), -1;
    unsigned cp;
    if (r->end - r->p < 6 || hex4(r->p + 2, &cp) < 0)
        return syntax_error(r, at, "invalid \\u escape in a string"), -1;
    r->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return syntax_error(r, at, "lone low surrogate in a \\u escape"), -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low;
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
            hex4(r->p + 2, &low) < 0 || low < 0xDC00 || low > 0xDFFF)
            return syntax_error(r, at, "high surrogate without a low one in a "
                                       "\\u escape"), -1;
        r->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp == 0)
        return syntax_error(r, at, "\\u0000 is not allowed in a string"), -1;
    return append_code_point(&r->scratch, cp) < 0 ? (out_of_memory(r), -1) : 0;
}

/* Plain string bytes: 0x20..0x7F other than '"' and '\\' (a table, so the
 * scan is one look-up a byte). */
static const unsigned char plain_string_byte[256] = {
    [0x20 ... 0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7F] = 1,
};

/* The string whose opening quote is at r->p. Its bytes are returned in
 * place when it has no escape, else unescaped in r->scratch. */

static int read_string(reader *r, const char **out, size_t *length)
{
    const unsigned char *open = r->p++;
    const unsigned char *run = r->p; /* bytes not yet copied */
    int escaped = 0;
    for (;;) {
        /* The common case: plain ASCII, a byte a step. */
        while (r->p < r->end && plain_string_byte[*r->p])
            r->p++;
        if (r->p >= r->end)
            return syntax_error(r, open, "unterminated string"), -1;
        unsigned char c = *r->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return syntax_error(r, r->p, "control character 0x%02x in a string "
                                         "(escape it)", c), -1;
        if (c >= 0x80) {
            size_t n = utf8_sequence(r->p, r->end);
            if (n == 0)
                return syntax_error(r, r->p, "invalid UTF-8 (byte 0x%02x)", c), -1;
            r->p += n;
            continue;
        }
        /* A backslash: from here the string is built in scratch. */
        if (!escaped) {
            cegate_buffer_reset(&r->scratch);
            escaped = 1;
        }
        if (cegate_buffer_append(&r->scratch, run, (size_t)(r->p - run), NULL,
                                 NULL) < 0)
            return out_of_memory(r), -1;
        if (read_escape(r) < 0)
            return -1;
        run = r->p;
    }
    if (!escaped) {
        *out = (const char *)(open + 1);
        *length = (size_t)(r->p - open - 1);
    } else {
        if (cegate_buffer_append(&r->scratch, run, (size_t)(r->p - run), NULL,
                                 NULL) < 0)
            return out_of_memory(r), -1;
        *out = r->scratch.data ? r->scratch.data : "";
        *length = r->scratch.length;
    }
    r->p++; /* the closing quote */
    return 0;
}

/* strtod in the C locale whatever the program's locale is: a library must
 * not read "1.5" as 1 because its host called setlocale(). */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static json_t *read_number(reader *r)
{
    const unsigned char *at = r->p, *q = r->p;
    int negative = 0, real = 0;
    if (*q == '-') {
        negative = 1;
        q++;
    }
    if (q >= r->end || *q < '0' || *q > '9')
        return syntax_error(r, at, "invalid number");
    if (*q == '0') {
        q++;
        if (q < r->end && *q >= '0' && *q <= '9')
            return syntax_error(r, at, "invalid number (leading zero)");
    } else {
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < r->end && *q == '.') {
        real = 1;
        q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return syntax_error(r, at, "invalid number (no digit after '.')");
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return syntax_error(r, at, "invalid number (no digit in the exponent)");
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    r->p = q;
    json_t *v;
    if (!real) {
        /* Accumulate negatively: LLONG_MIN has no positive counterpart. */
        json_int_t acc = 0;
        int fits = 1;
        for (const unsigned char *d = at + negative; fits && d < q; d++) {
            int digit = *d - '0';
            if (acc < (LLONG_MIN + digit) / 10)
                fits = 0;
            else
                acc = acc * 10 - digit;
        }
        if (fits && !negative) {
            if (acc == LLONG_MIN)
                fits = 0;
            else
                acc = -acc;
        }
        if (!fits && !(r->flags & CE_JSON_BIG_INTEGERS))
            return syntax_error(r, at, "integer out of range");
        v = fits ? json_integer(acc)
                 : ce_json_big_integer((const char *)at, (size_t)(q - at));
    } else {
        cegate_buffer_reset(&r->scratch);
        if (cegate_buffer_append(&r->scratch, at, (size_t)(q - at), NULL, NULL) < 0 ||
            cegate_buffer_append_byte(&r->scratch, '\0', NULL, NULL) < 0)
            return out_of_memory(r);
        pthread_once(&c_locale_once, make_c_locale);
        if (c_locale == (locale_t)0)
            return out_of_memory(r);
        errno = 0;
        double d = strtod_l(r->scratch.data, NULL, c_locale);
        /* Underflow reads as zero, as it does in jansson; overflow is an error. */
        if (errno == ERANGE && isinf(d))
            return syntax_error(r, at, "number out of range");
        v = json_real(d);
    }
    return v != NULL ? v : out_of_memory(r);
}

static json_t *read_literal(reader *r, const char *word, json_t *value)
{
    size_t n = strlen(word), left = (size_t)(r->end - r->p);
    if (left < n && memcmp(r->p, word, left) == 0)
        return syntax_error(r, r->p, "unexpected end of input");
    if (left < n || memcmp(r->p, word, n) != 0)
        return syntax_error(r, r->p, "unexpected character");
    r->p += n;
    return value;
}

/* ---- values ------------------------------------------------------------------ */

static json_t *read_value(reader *r);

static json_t *read_array(reader *r)
{
    json_t *array = json_array();
    if (array == NULL)
        return out_of_memory(r);
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return array;
    }
    for (size_t index = 0;; index++) {
        json_t *item = read_value(r);
        if (item == NULL || json_array_append_new(array, item) < 0) {
            if (item != NULL)
                out_of_memory(r);
            locate_element(r, index);
            json_decref(array);
            return NULL;
        }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return array;
        }
        json_decref(array);
        return syntax_error(r, r->p, "expected ',' or ']' in an array, found %s",
                            r->p >= r->end ? "the end of input" : "something else");
    }
}

static json_t *read_object(reader *r)
{
    json_t *object = json_object();
    if (object == NULL)
        return out_of_memory(r);
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return object;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"') {
            json_decref(object);
            return syntax_error(r, r->p, "expected a member name (a string) in an "
                                         "object");
        }
        const unsigned char *name_at = r->p;
        const char *name;
        size_t name_length;
        if (read_string(r, &name, &name_length) < 0) {
            json_decref(object);
            return NULL;
        }
        /* An unescaped name points into the input; an escaped one into
         * scratch, which the value reuses: that one is copied. */
        char small[128];
        const char *key = name;
        char *copy = NULL;
        if ((const unsigned char *)name < r->start ||
            (const unsigned char *)name >= r->end) {
            if (name_length < sizeof small) {
                memcpy(small, name, name_length);
                key = small;
            } else if ((key = copy = ce_strndup(name, name_length)) == NULL) {
                json_decref(object);
                return out_of_memory(r);
            }
        }
        json_t *value = NULL;
        /* A duplicate is refused, or with CE_JSON_ALLOW_DUPLICATES the
         * last one wins, as in jansson without JSON_REJECT_DUPLICATES. */
        int duplicate = !(r->flags & CE_JSON_ALLOW_DUPLICATES) &&
                        json_object_getn(object, key, name_length) != NULL;
        if (duplicate) {
            syntax_error(r, name_at, "duplicate member name in an object");
        } else {
            skip_space(r);
            if (r->p >= r->end || *r->p != ':')
                syntax_error(r, r->p, "expected ':' after a member name");
            else {
                r->p++;
                value = read_value(r);
            }
        }
        int stored = value != NULL &&
                     json_object_setn_new_nocheck(object, key, name_length, value) == 0;
        if (value != NULL && !stored)
            out_of_memory(r);
        if (!stored)
            locate_member(r, key, name_length);
        cegate_free(copy);
        if (!stored) {
            json_decref(object);
            return NULL;
        }
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            skip_space(r);
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return object;
        }
        json_decref(object);
        return syntax_error(r, r->p, "expected ',' or '}' in an object, found %s",
                            r->p >= r->end ? "the end of input" : "something else");
    }
}

static json_t *read_value(reader *r)
{
    skip_space(r);
    if (r->p >= r->end)
        return syntax_error(r, r->p, "unexpected end of input");
    json_t *v;
    const char *s;
    size_t n;
    switch (*r->p) {
    case '{':
    case '[':
        if (++r->depth > r->max_depth)
            return too_deep(r);
        v = *r->p == '{' ? read_object(r) : read_array(r);
        r->depth--;
        return v;
    case '"':
        if (read_string(r, &s, &n) < 0)
            return NULL;
        v = json_stringn_nocheck(s, n);
        return v != NULL ? v : out_of_memory(r);
    case 't': return read_literal(r, "true", json_true());
    case 'f': return read_literal(r, "false", json_false());
    case 'n': return read_literal(r, "null", json_null());
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return read_number(r);
        if (*r->p >= 0x80 && utf8_sequence(r->p, r->end) == 0)
            return syntax_error(r, r->p, "invalid UTF-8 (byte 0x%02x)", *r->p);
        return syntax_error(r, r->p, "unexpected character");
    }
}

json_t *ce_json_read_flags(const char *text, size_t length, size_t max_depth,
                           unsigned flags, cegate_error *err)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.start = r.p = (const unsigned char *)text;
    r.end = r.start + length;
    r.err = err;
    r.flags = flags;
    r.max_depth = max_depth;
    cegate_buffer_init(&r.scratch, SIZE_MAX);
    skip_space(&r);
    if ((flags & CE_JSON_UNCOUNTED_TOP_ARRAY) && r.p < r.end && *r.p == '[' &&
        r.max_depth < SIZE_MAX)
        r.max_depth++;
    if (r.max_depth > HARD_DEPTH_LIMIT)
        r.max_depth = HARD_DEPTH_LIMIT;
    json_t *root = read_value(&r);
    if (root != NULL) {
        skip_space(&r);
        if (r.p < r.end) {
            syntax_error(&r, r.p, "more after the JSON value");
            json_decref(root);
            root = NULL;
        }
    }
    cegate_buffer_free(&r.scratch);
    return root;
}

json_t *ce_json_read(const char *text, size_t length, size_t max_depth,
                     int uncounted_top_array, cegate_error *err)
{
    return ce_json_read_flags(text, length, max_depth,
                              uncounted_top_array ? CE_JSON_UNCOUNTED_TOP_ARRAY
                                                  : 0, err);
}

/* ---- integers beyond 64 bits ------------------------------------------------- */

json_t *ce_json_big_integer(const char *text, size_t n)
{
    /* A NUL byte first: no string read from JSON can hold one (\u0000 is
     * refused), so the value cannot be mistaken for text that came in. */
    char small[64];
    char *bytes = n + 1 <= sizeof small ? small : cegate_malloc(n + 1);
    if (bytes == NULL)
        return NULL;
    bytes[0] = '\0';
    memcpy(bytes + 1, text, n);
    json_t *v = json_stringn_nocheck(bytes, n + 1);
    if (bytes != small)
        cegate_free(bytes);
    return v;
}

const char *cegate_json_big_integer(const json_t *v, size_t *length)
{
    if (!json_is_string(v) || json_string_length(v) < 2)
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v) - 1;
    if (s[0] != '\0')
        return NULL;
    /* The JSON integer grammar, so that writing it verbatim is safe
     * whoever built the string. */
    size_t i = s[1] == '-';
    if (i == n || s[1 + i] < '1' || s[1 + i] > '9')
        return NULL;
    for (; i < n; i++)
        if (s[1 + i] < '0' || s[1 + i] > '9')
            return NULL;
    if (length != NULL)
        *length = n;
    return s + 1;
}
