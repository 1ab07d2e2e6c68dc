/* SPDX-License-Identifier: Apache-2.0 */
/* fcgi_address.c - parsing and resolving a FastCGI app's address. */
#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "upstream/fcgi_address.h"

static int parse_port(const char *s, char *out, size_t out_size)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    snprintf(out, out_size, "%ld", v);
    return 0;
}

int fcgi_address_parse(fcgi_address *out, const char *address,
                       cegate_error *err)
{
    memset(out, 0, sizeof *out);
    if (address == NULL || address[0] == '\0')
        return cegate_error_set(err, CEGATE_ERR_USAGE, "address",
                                "no address: give unix:/path/app.sock or "
                                "HOST:PORT"), -1;
    if (strncmp(address, "unix:", 5) == 0) {
        const char *path = address + 5;
        struct sockaddr_un *sa = (struct sockaddr_un *)&out->addrs[0];
        if (path[0] != '/')
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "a unix socket path must be absolute, as "
                                    "in unix:/run/app.sock"), -1;
        if (strlen(path) >= sizeof sa->sun_path)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "the unix socket path is longer than %zu "
                                    "bytes", sizeof sa->sun_path - 1), -1;
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path, path, strlen(path) + 1);
        out->lengths[0] = (socklen_t)sizeof *sa;
        out->count = 1;
        out->is_unix = 1;
        return 0;
    }

    char host[256], port[8];
    const char *port_text;
    int numeric = 0;
    if (address[0] == '[') {
        const char *close = strchr(address, ']');
        if (close == NULL || close[1] != ':')
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "an IPv6 address is written [ADDR]:PORT, "
                                    "as in [::1]:9000"), -1;
        size_t n = (size_t)(close - address - 1);
        if (n == 0 || n >= sizeof host)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "invalid IPv6 address"), -1;
        memcpy(host, address + 1, n);
        host[n] = '\0';
        port_text = close + 2;
        numeric = 1;
    } else {
        const char *colon = strrchr(address, ':');
        if (colon == NULL)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "expected unix:/path/app.sock or "
                                    "HOST:PORT"), -1;
        size_t n = (size_t)(colon - address);
        if (memchr(address, ':', n) != NULL)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "an IPv6 address goes in brackets, as in "
                                    "[::1]:9000"), -1;
        if (n == 0 || n >= sizeof host)
            return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                    "the host is empty or too long"), -1;
        memcpy(host, address, n);
        host[n] = '\0';
        port_text = colon + 1;
    }
    if (parse_port(port_text, port, sizeof port) < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                "the port must be a number from 1 to 65535"),
               -1;

    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0)
        return cegate_error_set(err,
                                rc == EAI_AGAIN ? CEGATE_ERR_UNAVAILABLE
                                                : CEGATE_ERR_VALUE,
                                "address", "cannot resolve \"%s\": %s", host,
                                gai_strerror(rc)),
               -1;
    for (struct addrinfo *a = list; a && out->count < FCGI_MAX_ADDRESSES;
         a = a->ai_next) {
        if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
            a->ai_addrlen > sizeof out->addrs[0])
            continue;
        memcpy(&out->addrs[out->count], a->ai_addr, a->ai_addrlen);
        out->lengths[out->count] = a->ai_addrlen;
        out->count++;
    }
    freeaddrinfo(list);
    if (out->count == 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "address",
                                "\"%s\" has no IPv4 or IPv6 address", host),
               -1;
    return 0;
}
