/* SPDX-License-Identifier: Apache-2.0 */
/* text.c - checks on constrained text (see text.h). */
#include "config.h"

#include <string.h>

#include "core/text.h"

/* Decode one UTF-8 sequence at s[0..n); returns its length, or 0 when it is
 * not valid (overlong, surrogate, too large, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        *cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        *cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        *cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

int ce_check_utf8(const char *s, size_t n, const char *what, cegate_error *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0)
            return cegate_error_set(err, CEGATE_ERR_ENCODING, what,
                                    "invalid UTF-8 at byte %zu", i), -1;
        i += len;
    }
    return 0;
}

static int is_forbidden_code_point(uint32_t cp)
{
    if (cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F))
        return 1;
    if (cp >= 0xFDD0 && cp <= 0xFDEF)
        return 1;
    return (cp & 0xFFFE) == 0xFFFE;
}

int ce_check_string(const char *s, size_t n, const char *what,
                    cegate_error *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* Printable ASCII, most of every attribute value, a byte a step. */
        if (p[i] >= 0x20 && p[i] < 0x7F) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t len;
        if (p[i] < 0x80) {
            cp = p[i];
            len = 1;
        } else {
            len = utf8_decode(p + i, n - i, &cp);
            if (len == 0)
                return cegate_error_set(err, CEGATE_ERR_ENCODING, what,
                                        "invalid UTF-8 at byte %zu", i), -1;
        }
        if (is_forbidden_code_point(cp))
            return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                                    "contains the forbidden character U+%04X "
                                    "at byte %zu", (unsigned)cp, i), -1;
        i += len;
    }
    return 0;
}

int ce_is_attribute_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* ---- RFC 3986 ------------------------------------------------------------ */

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int is_unreserved(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}
static int is_sub_delim(char c) { return c && strchr("!$&'()*+,;=", c) != NULL; }
static int is_pchar(char c) { return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@'; }

/* Check s[0..n) against a character class, allowing %XX escapes. `extra`
 * lists more allowed characters. Returns the offset of the first bad byte or
 * n when all are fine. */
static size_t scan_component(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return i;
            i += 2;
            continue;
        }
        if (is_pchar(c) || (c && strchr(extra, c) != NULL))
            continue;
        return i;
    }
    return n;
}

/* The length of a valid scheme at the start of s, when it is followed by
 * ':'; 0 when s does not start with a scheme. */
static size_t scheme_length(const char *s, size_t n)
{
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    size_t i = 1;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
        i++;
    return (i < n && s[i] == ':') ? i : 0;
}

static int uri_error(cegate_error *err, const char *what, const char *kind,
                     size_t at, char c)
{
    if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7F)
        cegate_error_set(err, CEGATE_ERR_VALUE, what,
                         "not a valid %s: unexpected '%c' at byte %zu", kind, c,
                         at);
    else
        cegate_error_set(err, CEGATE_ERR_VALUE, what,
                         "not a valid %s: unexpected byte 0x%02X at byte %zu",
                         kind, (unsigned char)c, at);
    return -1;
}

/* Everything after the scheme (or a relative reference): hier-part or
 * relative-part, then ?query and #fragment. `relative` forbids ':' in the
 * first path segment (RFC 3986 path-noscheme). */
static int check_after_scheme(const char *s, size_t n, size_t base,
                              int relative, int allow_fragment,
                              const char *what, const char *kind,
                              cegate_error *err)
{
    size_t end = n;
    const char *hash = memchr(s, '#', n);
    if (hash != NULL) {
        if (!allow_fragment)
            return uri_error(err, what, kind, base + (size_t)(hash - s), '#');
        size_t f = (size_t)(hash - s) + 1;
        size_t bad = scan_component(s + f, n - f, "/?");
        if (bad != n - f)
            return uri_error(err, what, kind, base + f + bad, s[f + bad]);
        end = (size_t)(hash - s);
    }
    const char *q = memchr(s, '?', end);
    size_t path_end = end;
    if (q != NULL) {
        size_t f = (size_t)(q - s) + 1;
        size_t bad = scan_component(s + f, end - f, "/?");
        if (bad != end - f)
            return uri_error(err, what, kind, base + f + bad, s[f + bad]);
        path_end = (size_t)(q - s);
    }
    size_t i = 0;
    if (path_end >= 2 && s[0] == '/' && s[1] == '/') {
        i = 2;
        size_t a = i;
        while (a < path_end && s[a] != '/')
            a++;
        size_t bad = scan_component(s + i, a - i, "[]");
        if (bad != a - i)
            return uri_error(err, what, kind, base + i + bad, s[i + bad]);
        i = a;
    } else if (relative) {
        size_t seg = 0;
        while (seg < path_end && s[seg] != '/')
            seg++;
        const char *colon = memchr(s, ':', seg);
        if (colon != NULL)
            return uri_error(err, what, kind, base + (size_t)(colon - s), ':');
    }
    size_t bad = scan_component(s + i, path_end - i, "/");
    if (bad != path_end - i)
        return uri_error(err, what, kind, base + i + bad, s[i + bad]);
    return 0;
}

int ce_check_uri_reference(const char *s, size_t n, const char *what,
                           cegate_error *err)
{
    size_t sl = scheme_length(s, n);
    if (sl > 0)
        return check_after_scheme(s + sl + 1, n - sl - 1, sl + 1, 0, 1, what,
                                  "URI-reference", err);
    return check_after_scheme(s, n, 0, 1, 1, what, "URI-reference", err);
}

int ce_check_absolute_uri(const char *s, size_t n, const char *what,
                          cegate_error *err)
{
    size_t sl = scheme_length(s, n);
    if (sl == 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                                "not an absolute URI: no scheme"), -1;
    return check_after_scheme(s + sl + 1, n - sl - 1, sl + 1, 0, 0, what,
                              "absolute URI", err);
}

/* ---- media types (RFC 2046 / RFC 9110 §8.3.1) ---------------------------- */

static int is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t skip_tokens(const char *s, size_t i, size_t n)
{
    while (i < n && is_tchar(s[i]))
        i++;
    return i;
}

static size_t skip_ows(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

int ce_check_media_type(const char *s, size_t n, const char *what,
                        cegate_error *err)
{
    size_t i = skip_tokens(s, 0, n);
    if (i == 0 || i >= n || s[i] != '/')
        return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                                "not a media type (type/subtype)"), -1;
    size_t j = skip_tokens(s, i + 1, n);
    if (j == i + 1)
        return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                                "not a media type: empty subtype"), -1;
    i = j;
    for (;;) {
        i = skip_ows(s, i, n);
        if (i == n)
            return 0;
        if (s[i] != ';')
            break;
        i = skip_ows(s, i + 1, n);
        if (i == n)
            return 0; /* a trailing ';' is tolerated, as HTTP parsers do */
        j = skip_tokens(s, i, n);
        if (j == i || j >= n || s[j] != '=')
            break;
        i = j + 1;
        if (i < n && s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < n)
                    i++;
            }
            if (i >= n)
                break;
            i++;
        } else {
            j = skip_tokens(s, i, n);
            if (j == i)
                break;
            i = j;
        }
    }
    return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                            "not a media type: bad parameter at byte %zu", i),
           -1;
}

/* ---- integers ------------------------------------------------------------ */

int ce_parse_int32(const char *s, size_t n, int32_t *out, const char *what,
                   cegate_error *err)
{
    size_t i = 0;
    int negative = 0;
    if (i < n && s[i] == '-') {
        negative = 1;
        i++;
    }
    if (i == n || !is_digit(s[i]) || (s[i] == '0' && i + 1 < n))
        goto bad;
    int64_t v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            goto bad;
        v = v * 10 + (s[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            goto range;
    }
    if (negative)
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        goto range;
    *out = (int32_t)v;
    return 0;
range:
    return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                            "Integer out of the 32-bit range"), -1;
bad:
    return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                            "not an Integer (expected -?[0-9]+ without "
                            "leading zeros)"), -1;
}

/* ---- JSON strings ------------------------------------------------------ */

/* The escape sequence for c into esc (room for 6 bytes); returns its
 * length, or 0 when c goes as it is (nothing written). */
static size_t json_escape(unsigned char c, char esc[6])
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c != '"' && c != '\\')
        return 0;
    esc[0] = '\\';
    esc[1] = (char)c;
    switch (c) {
    case '"': case '\\': return 2;
    case '\n': esc[1] = 'n'; return 2;
    case '\r': esc[1] = 'r'; return 2;
    case '\t': esc[1] = 't'; return 2;
    case '\b': esc[1] = 'b'; return 2;
    case '\f': esc[1] = 'f'; return 2;
    default:
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
}

/* Append s[0..n) as a JSON string; the text is valid UTF-8 already (every
 * setter checks). */
/* s[0..n) escaped for a JSON string, without the quotes. */
static int append_escaped(cegate_buffer *out, const char *s, size_t n,
                          cegate_error *err)
{
    char esc[6];
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = json_escape((unsigned char)s[i], esc);
        if (len == 0)
            continue;
        if (cegate_buffer_append(out, s + run, i - run, "output", err) < 0 ||
            cegate_buffer_append(out, esc, len, "output", err) < 0)
            return -1;
        run = i + 1;
    }
    return cegate_buffer_append(out, s + run, n - run, "output", err);
}

int ce_append_json_string(cegate_buffer *out, const char *s, size_t n,
                          cegate_error *err)
{
    /* Room for the worst case (every byte \u00XX) reserved once, for the
     * short strings most are (ids, keys, values), when the buffer's limit
     * allows it: then the bytes are written in place. A long string goes
     * run by run, so it never reserves six times its size. */
    if (n <= 4096 && out->length <= out->max &&
        6 * n + 2 <= out->max - out->length) {
        if (cegate_buffer_reserve(out, 6 * n + 2, "output", err) < 0)
            return -1;
        char *o = out->data + out->length;
        *o++ = '"';
        for (size_t i = 0; i < n; i++) {
            size_t len = json_escape((unsigned char)s[i], o);
            if (len == 0)
                *o++ = s[i];
            else
                o += len;
        }
        *o++ = '"';
        *o = '\0';
        out->length = (size_t)(o - out->data);
        return 0;
    }
    /* Long, or near the limit: run by run, so the error comes where it is
     * due. */
    if (cegate_buffer_append_byte(out, '"', "output", err) < 0 ||
        append_escaped(out, s, n, err) < 0)
        return -1;
    return cegate_buffer_append_byte(out, '"', "output", err);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t len = c < 0x80                ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    return len == 1 || ce_check_utf8(s, len, NULL, NULL) == 0 ? len : 0;
}

int ce_append_json_bytes(cegate_buffer *out, const char *s, size_t n,
                         cegate_error *err)
{
    if (cegate_buffer_append_byte(out, '"', "output", err) < 0)
        return -1;
    size_t run = 0, i = 0;
    while (i < n) {
        size_t len = utf8_sequence(s + i, n - i);
        if (len > 0) {
            i += len;
            continue;
        }
        /* Not UTF-8 (or a sequence cut short): the byte, spelt out. */
        char hex[5] = {'\\', 'x', "0123456789abcdef"[(unsigned char)s[i] >> 4],
                       "0123456789abcdef"[(unsigned char)s[i] & 15], '\0'};
        if (append_escaped(out, s + run, i - run, err) < 0 ||
            append_escaped(out, hex, 4, err) < 0)
            return -1;
        run = ++i;
    }
    if (append_escaped(out, s + run, n - run, err) < 0)
        return -1;
    return cegate_buffer_append_byte(out, '"', "output", err);
}

/* ---- ASCII helpers ------------------------------------------------------- */

int ce_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

int ce_ascii_casecmp_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = lower(a[i]), y = lower(b[i]);
        if (x != y)
            return (unsigned char)x - (unsigned char)y;
        if (x == '\0')
            return 0;
    }
    return 0;
}

int ce_ascii_prefix(const char *s, const char *prefix)
{
    /* A shorter s differs at its NUL: no need to measure it. */
    return ce_ascii_casecmp_n(s, prefix, strlen(prefix)) == 0;
}

char *ce_strndup(const char *s, size_t n)
{
    char *p = cegate_malloc(n + 1);
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
