/* SPDX-License-Identifier: Apache-2.0 */
/* cgi.h - running a CGI program for one request (RFC 3875). */
#ifndef CEGATE_GATEWAY_CGI_H
#define CEGATE_GATEWAY_CGI_H

#include "upstream/upstream.h"

typedef struct cgi_config {
    const char *program;       /* absolute path; run without a shell */
    const char *working_dir;   /* NULL: the program's directory */
    int timeout_ms;            /* then SIGTERM, and SIGKILL 1 s later */
    size_t max_response_bytes;
    size_t max_log_bytes;
    int cancel_fd;             /* readable: stop the program now (-1: none) */
} cgi_config;

void cgi_config_default(cgi_config *cfg, const char *program);

/* `resp` must have been set up with upstream_response_init (its buffers'
 * maxima bound what is kept); cgi_run fills it in.
 * Run the program with the request's params as its whole environment (plus
 * PATH=/usr/bin:/bin), the body on stdin, stdout parsed as a CGI response
 * and stderr kept in resp->log. Returns 0 when the program wrote a complete
 * response (its exit status does not matter then), or -1: CEGATE_ERR_TIMEOUT,
 * CEGATE_ERR_UNAVAILABLE (cannot be started, or died before a response),
 * CEGATE_ERR_PROTOCOL (malformed response), CEGATE_ERR_LIMIT. Never leaves
 * a zombie or a descriptor behind. */
int cgi_run(const cgi_config *cfg, const upstream_request *req,
            upstream_response *resp, cegate_error *err);

#endif
