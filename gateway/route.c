/* SPDX-License-Identifier: Apache-2.0 */
/* route.c - route matching and path templates. */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "route.h"

static char *dup_str(const char *s) { return ce_strndup(s, strlen(s)); }

int route_init_default(route *r, cegate_error *err)
{
    memset(r, 0, sizeof *r);
    r->mode = CEGATE_HTTP_BINARY;
    r->retry = (route_retry){5, 200, 10000};
    r->name = dup_str("default");
    r->method = dup_str("POST");
    r->path = dup_str("/");
    if (r->name == NULL || r->method == NULL || r->path == NULL) {
        route_free(r);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory"),
               -1;
    }
    return 0;
}

void route_free(route *r)
{
    for (size_t i = 0; i < r->match_count; i++) {
        cegate_free(r->matches[i].attribute);
        cegate_free(r->matches[i].pattern);
    }
    for (size_t i = 0; i < r->param_count; i++) {
        cegate_free(r->params[i].name);
        cegate_free(r->params[i].value);
    }
    cegate_free(r->matches);
    cegate_free(r->params);
    cegate_free(r->name);
    cegate_free(r->method);
    cegate_free(r->path);
    memset(r, 0, sizeof *r);
}

/* The attribute's value as the string a pattern or template sees. */
static const char *attribute_text(const cegate_event *ev, const char *name,
                                  char *scratch, size_t size)
{
    const cegate_value *v = cegate_event_get(ev, name);
    if (v == NULL)
        return NULL;
    switch (v->type) {
    case CEGATE_TYPE_BOOLEAN:
        return v->u.boolean ? "true" : "false";
    case CEGATE_TYPE_INTEGER:
        snprintf(scratch, size, "%d", (int)v->u.integer);
        return scratch;
    case CEGATE_TYPE_BINARY:
        return NULL; /* binary values are not matched or substituted */
    default:
        return v->u.string;
    }
}

int route_matches(const route *r, const cegate_event *ev)
{
    for (size_t i = 0; i < r->match_count; i++) {
        char scratch[16];
        const char *value = attribute_text(ev, r->matches[i].attribute, scratch,
                                           sizeof scratch);
        if (value == NULL)
            return 0;
        const char *p = r->matches[i].pattern;
        size_t n = strlen(p);
        int glob = strpbrk(p, "?[") != NULL ||
                   (strchr(p, '*') != NULL && strchr(p, '*') != p + n - 1);
        if (glob) {
            if (fnmatch(p, value, 0) != 0)
                return 0;
        } else if (n > 0 && p[n - 1] == '*') {
            if (strncmp(value, p, n - 1) != 0)
                return 0;
        } else if (strcmp(value, p) != 0) {
            return 0;
        }
    }
    return 1;
}

static int grow(void **array, size_t count, size_t size)
{
    void *p = cegate_malloc((count + 1) * size);
    if (p == NULL)
        return -1;
    if (count)
        memcpy(p, *array, count * size);
    cegate_free(*array);
    *array = p;
    return 0;
}

int route_add_match(route *r, const char *attribute, const char *pattern,
                    cegate_error *err)
{
    if (!ce_is_attribute_name(attribute, strlen(attribute)))
        return cegate_error_set(err, CEGATE_ERR_NAME, attribute,
                                "not a CloudEvents attribute name"), -1;
    char *a = dup_str(attribute), *p = dup_str(pattern);
    if (a == NULL || p == NULL ||
        grow((void **)&r->matches, r->match_count, sizeof *r->matches) < 0) {
        cegate_free(a);
        cegate_free(p);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, attribute,
                                "out of memory"), -1;
    }
    r->matches[r->match_count++] = (route_match){a, p};
    return 0;
}

static int is_meta_variable_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

int route_add_param(route *r, const char *name, const char *value,
                    cegate_error *err)
{
    if (!is_meta_variable_name(name))
        return cegate_error_set(err, CEGATE_ERR_NAME, name,
                                "a CGI parameter name is [A-Za-z0-9_]+"), -1;
    /* httpoxy: an app may take HTTP_PROXY (or, in a CGI environment,
     * http_proxy) for its outgoing proxy; HTTP_CE_* carry the event and
     * CONTENT_LENGTH is the body's. Environments are case-sensitive but
     * programs are not consistent about it, so any case is refused. */
    if (ce_ascii_casecmp_n(name, "HTTP_PROXY", 11) == 0 ||
        ce_ascii_casecmp_n(name, "CONTENT_LENGTH", 15) == 0 ||
        (strlen(name) >= 8 && ce_ascii_casecmp_n(name, "HTTP_CE_", 8) == 0))
        return cegate_error_set(err, CEGATE_ERR_NAME, name,
                                "reserved: HTTP_PROXY is never sent, HTTP_CE_* "
                                "carry the event and CONTENT_LENGTH is the "
                                "body's"), -1;
    if (strpbrk(value, "\r\n") != NULL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                "a parameter value may not contain CR or LF"),
               -1;
    char *n = dup_str(name), *v = dup_str(value);
    if (n == NULL || v == NULL ||
        grow((void **)&r->params, r->param_count, sizeof *r->params) < 0) {
        cegate_free(n);
        cegate_free(v);
        return cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory"),
               -1;
    }
    r->params[r->param_count++] = (route_param){n, v};
    return 0;
}

/* A "." or ".." segment in s[0..n), read as it is or (with `decode`) once
 * percent-decoded. Segments end at '/' and at '\\', which some servers
 * also take for a separator. */
static int dot_segment_in(const char *s, size_t n, int decode)
{
    int dots = 0; /* of the segment so far; -1 once it has anything else */
    for (size_t i = 0; i <= n; i++) {
        int c = i < n ? (unsigned char)s[i] : '/';
        if (decode && c == '%' && i + 2 < n && ce_hex_value(s[i + 1]) >= 0 &&
            ce_hex_value(s[i + 2]) >= 0) {
            c = ce_hex_value(s[i + 1]) << 4 | ce_hex_value(s[i + 2]);
            i += 2;
        }
        if (c == '/' || c == '\\') {
            if (dots == 1 || dots == 2)
                return 1;
            dots = 0;
        } else if (c == '.' && dots >= 0) {
            dots++;
        } else {
            dots = -1;
        }
    }
    return 0;
}

int route_has_dot_segment(const char *s, size_t n)
{
    return dot_segment_in(s, n, 0) || dot_segment_in(s, n, 1);
}

/* Walk a template: literal text and {name} placeholders. With `ev` NULL it
 * only checks the syntax. */
static int expand(const char *t, const cegate_event *ev, cegate_buffer *out,
                  cegate_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    while (*t) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            if (out && cegate_buffer_append_byte(out, *t, "path", err) < 0)
                return -1;
            t += 2;
            continue;
        }
        if (*t == '}')
            return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                    "unmatched '}' in the path template"), -1;
        if (*t != '{') {
            unsigned char c = (unsigned char)*t;
            if (c <= 0x20 || c >= 0x7F)
                return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                        "the path template may only hold "
                                        "printable ASCII"), -1;
            if (out && cegate_buffer_append_byte(out, *t, "path", err) < 0)
                return -1;
            t++;
            continue;
        }
        const char *end = strchr(t, '}');
        if (end == NULL)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                    "unterminated '{' in the path template"),
                   -1;
        char name[64];
        size_t n = (size_t)(end - t - 1);
        if (n == 0 || n >= sizeof name || !ce_is_attribute_name(t + 1, n))
            return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                    "{...} must name an attribute (a-z0-9)"),
                   -1;
        memcpy(name, t + 1, n);
        name[n] = '\0';
        t = end + 1;
        if (ev == NULL)
            continue;
        char scratch[16];
        const char *value = attribute_text(ev, name, scratch, sizeof scratch);
        if (value == NULL)
            return cegate_error_set(err, CEGATE_ERR_MISSING, name,
                                    "the route's path template needs this "
                                    "attribute"), -1;
        /* Everything but RFC 3986 unreserved characters is encoded, so a
         * value can add no delimiter. But an app decodes the path once
         * (PATH_INFO is the decoded path), and some decode a value once
         * more (an S3 key arrives encoded): a value that is a dot segment,
         * holds one ("a/../b" becomes a%2F..%2Fb, "a/../b" again once
         * decoded), or decodes once to one ("%2e%2e", "..%2F..%2Fetc") is
         * refused, and so is a value of only dots, which an app or proxy
         * that normalizes the path could read as one. */
        size_t value_n = strlen(value);
        if ((value[strspn(value, ".")] == '\0' && value[0] != '\0') ||
            route_has_dot_segment(value, value_n))
            return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                    "a value that is, holds or percent-decodes "
                                    "to a '.' or '..' segment cannot be put in "
                                    "the path"), -1;
        for (const char *p = value; *p; p++) {
            unsigned char c = (unsigned char)*p;
            int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                        c == '~' || c == '.';
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (plain ? cegate_buffer_append_byte(out, (char)c, "path", err)
                      : cegate_buffer_append(out, esc, 3, "path", err))
                return -1;
        }
    }
    return 0;
}

/* The template's own text with every placeholder as a plain "x": does it
 * have a dot segment before any value is put in? (Checked when the route
 * is set, so a configuration says so at once, not at every event.) */
static int template_has_dot_segment(const char *t)
{
    char text[1024];
    size_t n = 0;
    while (*t && *t != '?' && n + 1 < sizeof text) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            text[n++] = *t;
            t += 2;
        } else if (*t == '{') {
            text[n++] = 'x';
            t = strchr(t, '}') + 1; /* expand() checked the syntax */
        } else {
            text[n++] = *t++;
        }
    }
    return route_has_dot_segment(text, n);
}

int route_set_path(route *r, const char *template_, cegate_error *err)
{
    if (template_[0] != '/')
        return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                "the path template must start with '/'"), -1;
    if (strchr(template_, '#') != NULL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                "the path template may not hold a fragment"),
               -1;
    if (expand(template_, NULL, NULL, err) < 0)
        return -1;
    if (template_has_dot_segment(template_))
        return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                "the path template has a '.' or '..' "
                                "segment, as it is or once percent-decoded"),
               -1;
    char *copy = dup_str(template_);
    if (copy == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "path", "out of memory"),
               -1;
    cegate_free(r->path);
    r->path = copy;
    return 0;
}

int route_set_method(route *r, const char *method, cegate_error *err)
{
    size_t n = strlen(method);
    if (n == 0 || n > 16 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "method",
                                "an HTTP method in capitals, like POST"), -1;
    char *copy = dup_str(method);
    if (copy == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "method",
                                "out of memory"), -1;
    cegate_free(r->method);
    r->method = copy;
    return 0;
}

int route_set_outcome(route *r, const char *status, const char *outcome,
                      cegate_error *err)
{
    route_outcome o;
    if (strcmp(outcome, "delivered") == 0)
        o = ROUTE_OUTCOME_DELIVERED;
    else if (strcmp(outcome, "retry") == 0)
        o = ROUTE_OUTCOME_RETRY;
    else if (strcmp(outcome, "reject") == 0)
        o = ROUTE_OUTCOME_REJECT;
    else
        return cegate_error_set(err, CEGATE_ERR_VALUE, status,
                                "delivered, retry or reject"), -1;
    int digit = status[0] - '0';
    if (strlen(status) != 3 || digit < 1 || digit > 5)
        return cegate_error_set(err, CEGATE_ERR_VALUE, status,
                                "an HTTP status from 100 to 599, or a class "
                                "such as 4xx"), -1;
    if (strcmp(status + 1, "xx") == 0) {
        r->class_outcome[digit - 1] = (unsigned char)o;
        return 0;
    }
    if (status[1] < '0' || status[1] > '9' || status[2] < '0' || status[2] > '9')
        return cegate_error_set(err, CEGATE_ERR_VALUE, status,
                                "an HTTP status from 100 to 599, or a class "
                                "such as 4xx"), -1;
    r->status_outcome[atoi(status) - 100] = (unsigned char)o;
    return 0;
}

route_outcome route_status_outcome(const route *r, int status)
{
    if (status < 100 || status > 599)
        return ROUTE_OUTCOME_DEFAULT;
    if (r->status_outcome[status - 100] != ROUTE_OUTCOME_DEFAULT)
        return (route_outcome)r->status_outcome[status - 100];
    return (route_outcome)r->class_outcome[status / 100 - 1];
}

int route_expand_path(const route *r, const cegate_event *ev,
                      cegate_buffer *out, cegate_error *err)
{
    size_t start = out->length;
    if (expand(r->path, ev, out, err) < 0)
        return -1;
    /* The template was checked and values are encoded; this is the last
     * guard against a dot segment, whatever the template did (its own
     * text may hold %2e too), as the path is or once decoded. */
    const char *path = out->data + start;
    if (route_has_dot_segment(path, strcspn(path, "?")))
        return cegate_error_set(err, CEGATE_ERR_VALUE, "path",
                                "the expanded path has a dot segment, as it "
                                "is or once percent-decoded"), -1;
    return 0;
}
