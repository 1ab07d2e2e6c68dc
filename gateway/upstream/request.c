/* SPDX-License-Identifier: Apache-2.0 */
/* request.c - CloudEvent + route -> the CGI request an app receives. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "upstream/request.h"

void request_settings_default(request_settings *s)
{
    s->script_filename = NULL;
    s->document_root = NULL;
    s->server_name = "localhost";
    s->server_port = "80";
}

int request_decode_s3_key(const char *key, cegate_buffer *out)
{
    size_t start = out->length;
    for (const char *p = key; *p; p++) {
        char c = *p;
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && ce_hex_value(p[1]) >= 0 && ce_hex_value(p[2]) >= 0) {
            c = (char)(ce_hex_value(p[1]) << 4 | ce_hex_value(p[2]));
            p += 2;
        }
        if (cegate_buffer_append_byte(out, c, "key", NULL) < 0)
            goto bad;
    }
    if (ce_check_string(out->data ? out->data + start : "", out->length - start,
                        "key", NULL) == 0)
        return 0;
bad:
    out->length = start;
    if (out->data)
        out->data[start] = '\0';
    return -1;
}

/* A route param of this name overrides what we would send. */
static const char *route_override(const route *r, const char *name)
{
    for (size_t i = 0; i < r->param_count; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

static int add(upstream_request *req, const route *r, const char *name,
               size_t name_length, const char *value, cegate_error *err)
{
    const char *o = route_override(r, name);
    if (o != NULL)
        value = o;
    return upstream_request_add_known(req, name, name_length, value,
                                      strlen(value), err);
}

/* "ce-foo" -> "HTTP_CE_FOO": attribute names are [a-z0-9], so distinct
 * attributes always give distinct params, and none is HTTP_PROXY. */
static int add_ce_header(upstream_request *req, const char *header,
                         const char *value, cegate_error *err)
{
    char name[128] = "HTTP_CE_";
    size_t n = strlen(header + 3);
    if (n + 9 > sizeof name)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, header,
                                "attribute name too long for a parameter"), -1;
    for (size_t i = 0; i <= n; i++) {
        char c = header[3 + i];
        name[8 + i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    /* An attribute name is [a-z0-9]+ (cegate_event_set), so this one is
     * [A-Z0-9_]+ already. */
    return upstream_request_add_known(req, name, 8 + n, value, strlen(value), err);
}

/* Whatever made them (the template, a route param overriding one, the
 * script's name), none of the paths an app reads may have a dot segment,
 * as it is or once decoded: the app decodes them, and a ".." would reach
 * outside what the route names. REQUEST_URI is checked up to its query. */
static int check_paths(const route *r, const char *request_uri,
                       const char *script_name, const char *path_info,
                       const char *document_uri, cegate_error *err)
{
    static const char *const names[] = {"REQUEST_URI", "SCRIPT_NAME",
                                        "PATH_INFO", "DOCUMENT_URI"};
    const char *values[] = {request_uri, script_name, path_info, document_uri};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = route_override(r, names[i]);
        if (v == NULL)
            v = values[i];
        size_t n = i == 0 ? strcspn(v, "?") : strlen(v);
        if (route_has_dot_segment(v, n))
            return cegate_error_set(err, CEGATE_ERR_VALUE, names[i],
                                    "has a '.' or '..' segment, as it is or "
                                    "once percent-decoded"), -1;
    }
    return 0;
}

static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return ce_strndup(".", 1);
    return ce_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

int request_build(const cegate_event *ev, const route *r,
                  const request_settings *s, upstream_request *req,
                  cegate_http_message *msg, cegate_error *err)
{
    if (cegate_http_encode(ev, r->mode, msg, err) < 0)
        return -1;
    cegate_buffer uri, key;
    cegate_buffer_init(&uri, 16384);
    cegate_buffer_init(&key, 16384);
    char *root = NULL;
    int rc = -1;
    if (route_expand_path(r, ev, &uri, err) < 0)
        goto done;
    const char *request_uri = uri.data;
    const char *query = strchr(request_uri, '?');
    size_t path_length = query ? (size_t)(query - request_uri) : uri.length;
    char *path = ce_strndup(request_uri, path_length);
    if (path == NULL)
        goto nomem;

    const char *content_type = NULL;
    for (size_t i = 0; i < msg->count; i++)
        if (ce_ascii_casecmp_n(msg->names[i], "content-type", 13) == 0)
            content_type = msg->values[i];
    /* Not printf, which costs more than the rest of the params together;
     * a body is bounded far below LLONG_MAX. */
    char length[24];
    length[ce_integer_text(length, (long long)msg->body.length)] = '\0';

    /* A front controller (SCRIPT_FILENAME given): the script is the
     * SCRIPT_NAME and the request path is PATH_INFO, as nginx's try_files
     * to index.php does. Otherwise the path is the script name. */
    const char *script_name = path, *path_info = "";
    char script_buf[1024];
    if (s->script_filename != NULL) {
        const char *base = strrchr(s->script_filename, '/');
        snprintf(script_buf, sizeof script_buf, "/%s",
                 base ? base + 1 : s->script_filename);
        script_name = script_buf;
        path_info = path;
        root = s->document_root ? ce_strndup(s->document_root,
                                             strlen(s->document_root))
                                : directory_of(s->script_filename);
        if (root == NULL) {
            cegate_free(path);
            goto nomem;
        }
    }
    if (check_paths(r, request_uri, script_name, path_info, path, err) < 0) {
        cegate_free(path);
        goto done;
    }
#define PARAM(name, value) {name, sizeof name - 1, value}
    const struct {
        const char *name;
        size_t name_length;
        const char *value;
    } fixed[] = {
        PARAM("QUERY_STRING", query ? query + 1 : ""),
        PARAM("REQUEST_METHOD", r->method),
        PARAM("CONTENT_TYPE", content_type),
        PARAM("CONTENT_LENGTH", length),
        PARAM("SCRIPT_NAME", script_name),
        PARAM("REQUEST_URI", request_uri),
        PARAM("DOCUMENT_URI", path),
        PARAM("DOCUMENT_ROOT", root),
        PARAM("SERVER_PROTOCOL", "HTTP/1.1"),
        PARAM("REQUEST_SCHEME", "http"),
        PARAM("GATEWAY_INTERFACE", "CGI/1.1"),
        PARAM("SERVER_SOFTWARE", PACKAGE_NAME "/" PACKAGE_VERSION),
        PARAM("REMOTE_ADDR", "127.0.0.1"),
        PARAM("REMOTE_PORT", "0"),
        PARAM("SERVER_ADDR", "127.0.0.1"),
        PARAM("SERVER_PORT", s->server_port),
        PARAM("SERVER_NAME", s->server_name),
        PARAM("REDIRECT_STATUS", "200"),
        PARAM("SCRIPT_FILENAME", s->script_filename),
        PARAM("PATH_INFO", path_info),
        PARAM("HTTP_HOST", s->server_name),
    };
#undef PARAM
    rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof fixed / sizeof fixed[0]; i++)
        if (fixed[i].value != NULL || route_override(r, fixed[i].name))
            rc = add(req, r, fixed[i].name, fixed[i].name_length,
                     fixed[i].value ? fixed[i].value : "", err);
    cegate_free(path);
    for (size_t i = 0; rc == 0 && i < msg->count; i++)
        if (ce_ascii_prefix(msg->names[i], "ce-"))
            rc = add_ce_header(req, msg->names[i], msg->values[i], err);
    /* The decoded S3 key, for apps that want the object's real name. */
    const char *type = cegate_event_get_string(ev, "type");
    const char *subject = cegate_event_get_string(ev, "subject");
    if (rc == 0 && type && subject &&
        strncmp(type, "com.amazonaws.s3.", 17) == 0 &&
        request_decode_s3_key(subject, &key) == 0)
        rc = upstream_request_add(req, "CEGATE_S3_KEY", key.data ? key.data : "",
                                  key.length, err);
    /* Extra params the route sets that are not standard names. */
    for (size_t i = 0; rc == 0 && i < r->param_count; i++)
        if (upstream_request_get(req, r->params[i].name) == NULL)
            rc = upstream_request_add(req, r->params[i].name, r->params[i].value,
                                      strlen(r->params[i].value), err);
    if (rc == 0) {
        req->body = msg->body.data ? msg->body.data : "";
        req->body_length = msg->body.length;
    }
    goto done;
nomem:
    cegate_error_set(err, CEGATE_ERR_NOMEM, NULL, "out of memory");
    rc = -1;
done:
    cegate_free(root);
    cegate_buffer_free(&uri);
    cegate_buffer_free(&key);
    return rc;
}
