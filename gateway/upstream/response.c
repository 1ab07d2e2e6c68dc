/* SPDX-License-Identifier: Apache-2.0 */
/* response.c - the CGI response parser (RFC 3875 §6), shared by the FastCGI
 * client (STDOUT records) and the CGI runner (the program's stdout).
 *
 * Resumable: bytes come in any pieces and the outcome does not depend on
 * where the input was split. A header line is handled only once its LF has
 * arrived; a line that arrives in pieces is gathered in p->line, a line that
 * arrives whole is parsed in place. Every byte of the header section counts
 * against max_header_bytes as soon as it is consumed, so the limit trips at
 * the same byte however the input was cut. The body goes to resp->body; when
 * it would overflow, what fits is kept and the error reported, so even a
 * failed parse leaves the same bytes behind whatever the split. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "upstream/upstream.h"

enum { CGI_HEADERS = 0, CGI_BODY, CGI_FAILED };

/* Most of a value or a name quoted in an error message. */
#define QUOTE_MAX 64

void cgi_response_parser_init(cgi_response_parser *p, upstream_response *resp,
                              size_t max_header_bytes)
{
    p->resp = resp;
    p->state = CGI_HEADERS;
    cegate_buffer_init(&p->line, max_header_bytes);
    p->header_bytes = 0;
    p->max_header_bytes = max_header_bytes;
    resp->status = 0;
}

void cgi_response_parser_free(cgi_response_parser *p)
{
    cegate_buffer_free(&p->line);
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Fail with a message quoting at most QUOTE_MAX bytes of s[0..n): the
 * format takes "%.*s%s" for the quote and its ellipsis. */
#define FAIL(p, err, code, path, fmt, s, n)                                   \
    ((p)->state = CGI_FAILED,                                                 \
     cegate_error_set((err), (code), (path), fmt,                             \
                      (int)((n) > QUOTE_MAX ? QUOTE_MAX : (n)), (s),          \
                      (n) > QUOTE_MAX ? "..." : ""),                          \
     -1)

static int add_header(cgi_response_parser *p, const char *name,
                      size_t name_length, const char *value,
                      size_t value_length, cegate_error *err)
{
    upstream_response *r = p->resp;
    if (r->header_count == r->header_capacity) {
        /* Names and values share one array (values after the names), and
         * each header's name and value one block (see upstream.h). */
        size_t cap = r->header_capacity ? r->header_capacity * 2 : 16;
        char **names = cegate_malloc(2 * cap * sizeof *names);
        if (names == NULL)
            goto nomem;
        char **values = names + cap;
        if (r->header_count) {
            memcpy(names, r->header_names, r->header_count * sizeof *names);
            memcpy(values, r->header_values, r->header_count * sizeof *values);
        }
        cegate_free(r->header_names);
        r->header_names = names;
        r->header_values = values;
        r->header_capacity = cap;
    }
    if (value_length > SIZE_MAX / 2 || name_length > SIZE_MAX / 2 - value_length - 2)
        goto nomem;
    char *block = cegate_malloc(name_length + value_length + 2);
    if (block == NULL)
        goto nomem;
    memcpy(block, name, name_length);
    block[name_length] = '\0';
    if (value_length)
        memcpy(block + name_length + 1, value, value_length);
    block[name_length + 1 + value_length] = '\0';
    r->header_names[r->header_count] = block;
    r->header_values[r->header_count] = block + name_length + 1;
    r->header_count++;
    return 0;
nomem:
    p->state = CGI_FAILED;
    cegate_error_set(err, CEGATE_ERR_NOMEM, "headers", "out of memory");
    return -1;
}

/* "Status: NNN reason": three digits, 100-599, then the end or a blank. */
static int parse_status(const char *v, size_t n)
{
    if (n < 3 || (n > 3 && v[3] != ' ' && v[3] != '\t'))
        return -1;
    int code = 0;
    for (int i = 0; i < 3; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        code = code * 10 + (v[i] - '0');
    }
    return code >= 100 && code <= 599 ? code : -1;
}

/* The end of the header section: the status it implies. */
static void end_headers(cgi_response_parser *p)
{
    upstream_response *r = p->resp;
    if (r->status == 0)
        r->status = upstream_response_header(r, "Location") != NULL ? 302 : 200;
    p->state = CGI_BODY;
}

/* One complete header line, LF removed. */
static int header_line(cgi_response_parser *p, const char *s, size_t n,
                       cegate_error *err)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n == 0) {
        end_headers(p);
        return 0;
    }
    if (s[0] == ' ' || s[0] == '\t')
        return FAIL(p, err, CEGATE_ERR_PROTOCOL, "header",
                    "continuation lines (obsolete line folding) are not "
                    "allowed: \"%.*s%s\"", s, n);
    const char *colon = memchr(s, ':', n);
    if (colon == NULL)
        return FAIL(p, err, CEGATE_ERR_PROTOCOL, "header",
                    "header line without a colon: \"%.*s%s\"", s, n);
    size_t name_length = (size_t)(colon - s);
    if (name_length == 0)
        return FAIL(p, err, CEGATE_ERR_PROTOCOL, "header",
                    "header line with an empty name: \"%.*s%s\"", s, n);
    for (size_t i = 0; i < name_length; i++)
        if (!is_tchar((unsigned char)s[i]))
            return FAIL(p, err, CEGATE_ERR_PROTOCOL, "header",
                        "header name \"%.*s%s\" is not a token", s,
                        name_length);
    const char *v = colon + 1, *end = s + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t value_length = (size_t)(end - v);
    for (size_t i = 0; i < value_length; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            p->state = CGI_FAILED;
            int q = name_length > QUOTE_MAX ? QUOTE_MAX : (int)name_length;
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "header",
                             "the value of header \"%.*s\" holds control "
                             "character 0x%02X", q, s, c);
            return -1;
        }
    }
    if (name_length == 6 && strncasecmp(s, "Status", 6) == 0) {
        if (p->resp->status != 0)
            return FAIL(p, err, CEGATE_ERR_PROTOCOL, "Status",
                        "Status given twice (again as \"%.*s%s\")", v,
                        value_length);
        int code = parse_status(v, value_length);
        if (code < 0)
            return FAIL(p, err, CEGATE_ERR_PROTOCOL, "Status",
                        "invalid Status \"%.*s%s\": it needs a 3-digit code "
                        "from 100 to 599", v, value_length);
        p->resp->status = code;
    }
    return add_header(p, s, name_length, v, value_length, err);
}

/* Body bytes: what fits is kept even when the rest does not. */
static int body_bytes(cgi_response_parser *p, const char *s, size_t n,
                      cegate_error *err)
{
    cegate_buffer *b = &p->resp->body;
    size_t room = b->length < b->max ? b->max - b->length : 0;
    size_t keep = n < room ? n : room;
    if (keep > 0 && cegate_buffer_append(b, s, keep, "body", err) < 0) {
        p->state = CGI_FAILED;
        return -1;
    }
    if (keep < n) {
        p->state = CGI_FAILED;
        cegate_error_set(err, CEGATE_ERR_LIMIT, "body",
                         "the response body exceeds the limit of %zu bytes",
                         b->max);
        return -1;
    }
    return 0;
}

int cgi_response_parser_feed(cgi_response_parser *p, const char *bytes,
                             size_t n, cegate_error *err)
{
    size_t i = 0;
    while (i < n) {
        if (p->state == CGI_BODY)
            return body_bytes(p, bytes + i, n - i, err);
        if (p->state != CGI_HEADERS) {
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "response",
                             "the response was already found malformed");
            return -1;
        }
        const char *start = bytes + i;
        const char *lf = memchr(start, '\n', n - i);
        size_t take = lf ? (size_t)(lf - start) + 1 : n - i;
        if (take > p->max_header_bytes - p->header_bytes) {
            p->state = CGI_FAILED;
            cegate_error_set(err, CEGATE_ERR_LIMIT, "headers",
                             "the response's header section exceeds the "
                             "limit of %zu bytes", p->max_header_bytes);
            return -1;
        }
        p->header_bytes += take;
        i += take;
        if (lf == NULL) {
            if (cegate_buffer_append(&p->line, start, take, "headers", err) < 0) {
                p->state = CGI_FAILED;
                return -1;
            }
            break;
        }
        int rc;
        if (p->line.length == 0) {
            rc = header_line(p, start, take - 1, err);
        } else {
            if (cegate_buffer_append(&p->line, start, take - 1, "headers",
                                     err) < 0) {
                p->state = CGI_FAILED;
                return -1;
            }
            rc = header_line(p, p->line.data, p->line.length, err);
            cegate_buffer_reset(&p->line);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int cgi_response_parser_finish(cgi_response_parser *p, cegate_error *err)
{
    switch (p->state) {
    case CGI_BODY:
        return 0;
    case CGI_HEADERS:
        p->state = CGI_FAILED;
        if (p->header_bytes == 0)
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "headers",
                             "the response is empty: no CGI header section");
        else
            cegate_error_set(err, CEGATE_ERR_PROTOCOL, "headers",
                             "the response ended inside its header section "
                             "(no blank line after the headers)");
        return -1;
    default:
        cegate_error_set(err, CEGATE_ERR_PROTOCOL, "response",
                         "the response was already found malformed");
        return -1;
    }
}
