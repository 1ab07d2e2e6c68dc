/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_address.h - where a FastCGI app listens: "unix:/path/app.sock",
 * "HOST:PORT" or "[IPv6]:PORT", resolved once into socket addresses. */
#ifndef CEGATE_UPSTREAM_FCGI_ADDRESS_H
#define CEGATE_UPSTREAM_FCGI_ADDRESS_H

#include <sys/socket.h>

#include "cegate/error.h"

#define FCGI_MAX_ADDRESSES 8

typedef struct fcgi_address {
    int is_unix;
    size_t count;      /* addresses to try in order (a host may have several) */
    struct sockaddr_storage addrs[FCGI_MAX_ADDRESSES];
    socklen_t lengths[FCGI_MAX_ADDRESSES];
} fcgi_address;

/* Parse and resolve `text`. Returns 0, or -1 with err naming "address":
 * CEGATE_ERR_USAGE (none given), CEGATE_ERR_VALUE (malformed, unknown
 * host), CEGATE_ERR_UNAVAILABLE (the resolver failed for now). */
int fcgi_address_parse(fcgi_address *a, const char *text, cegate_error *err);

#endif
