/* SPDX-License-Identifier: Apache-2.0 */
/* request.h - a CloudEvent plus its route become the request the app sees:
 * CGI/1.1 params as a web server sends them, the event's attributes as
 * HTTP_CE_* (binary mode) and the data as the body; or, in structured mode,
 * the whole event in the JSON format as the body. */
#ifndef CEGATE_GATEWAY_REQUEST_H
#define CEGATE_GATEWAY_REQUEST_H

#include "cegate/format.h"
#include "route.h"
#include "upstream/upstream.h"

typedef struct request_settings {
    const char *script_filename; /* SCRIPT_FILENAME; NULL: not sent */
    const char *document_root;   /* NULL: the script's directory */
    const char *server_name;     /* SERVER_NAME and HTTP_HOST */
    const char *server_port;     /* SERVER_PORT */
} request_settings;

/* Defaults: no script, server localhost:80. */
void request_settings_default(request_settings *s);

/* Build the request. `msg` receives the HTTP encoding of the event (its
 * body is what req->body points to): free it with cegate_http_message_free
 * after the request. Errors name the attribute or the route's path. */
int request_build(const cegate_event *ev, const route *r,
                  const request_settings *s, upstream_request *req,
                  cegate_http_message *msg, cegate_error *err);

/* Decode an S3 object key as S3 sends it (form-encoding: '+' is a space,
 * then %XX). Returns 0, or -1 when the result would hold a control
 * character or invalid UTF-8 (such a key is then not passed decoded). */
int request_decode_s3_key(const char *key, cegate_buffer *out);

#endif
