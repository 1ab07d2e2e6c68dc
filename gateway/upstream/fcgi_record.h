/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_record.h - FastCGI records: name-value lengths, request encoding and
 * the parser of the app's answer. (Named so that it cannot be mistaken for
 * libfcgi's <fastcgi.h>, which fcgi_record.c includes for the record
 * structs.)
 *
 * Records carry at most 65528 content bytes and a name-value pair never
 * spans two PARAMS records. Only END_REQUEST ends a response. */
#ifndef CEGATE_UPSTREAM_FCGI_RECORD_H
#define CEGATE_UPSTREAM_FCGI_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "upstream/upstream.h"

#define FCGI_MAX_CONTENT 65528u /* multiple of 8: no padding needed */

/* Length of a FastCGI name or value length field: 1 byte below 128, else 4.
 * The one helper both the sizing and the writing pass use. */
size_t fcgi_length_size(size_t length);
/* Write that field at `out`; returns the bytes written (1 or 4). */
size_t fcgi_length_write(unsigned char *out, size_t length);

/* Encode the request (BEGIN_REQUEST, PARAMS..., empty PARAMS, STDIN...,
 * empty STDIN) into `out`, request id 1, keep-alive flag as given. */
int fcgi_encode_request(const upstream_request *req, int keep_conn,
                        cegate_buffer *out, cegate_error *err);

/* Resumable parser of the app's record stream for request id 1: STDOUT goes
 * through a CGI response parser, STDERR into resp->log, END_REQUEST ends it.
 * Feed bytes in any pieces. */
typedef struct fcgi_response_parser {
    cgi_response_parser cgi;
    upstream_response *resp;
    int state;                   /* private */
    unsigned char header[8];     /* private */
    size_t have;                 /* private */
    size_t content_left, padding_left; /* private */
    int type;                    /* private */
    unsigned char end_body[8];   /* private */
    int done;                    /* 1 once END_REQUEST was read */
    uint32_t app_status;         /* from END_REQUEST */
    int protocol_status;         /* from END_REQUEST */
    int trailing;                /* bytes came after END_REQUEST (an error,
                                    but the answer before them is whole) */
} fcgi_response_parser;

void fcgi_response_parser_init(fcgi_response_parser *p, upstream_response *resp);
void fcgi_response_parser_free(fcgi_response_parser *p);
/* Returns 0, or -1 with CEGATE_ERR_PROTOCOL naming the field ("version",
 * "record type", "request id", "contentLength", "protocolStatus"; or the
 * CGI parser's "Status", "header", "headers") or CEGATE_ERR_UNAVAILABLE for
 * END_REQUEST protocolStatus OVERLOADED / CANT_MPX_CONN, or CEGATE_ERR_LIMIT
 * naming "body". Bytes after END_REQUEST are an error too, naming
 * "END_REQUEST" (we never pipeline). At END_REQUEST with protocolStatus 0
 * the CGI response must be complete. STDERR beyond resp->log's maximum is
 * dropped, never an error. */
int fcgi_response_parser_feed(fcgi_response_parser *p, const char *bytes,
                              size_t n, cegate_error *err);

#endif
