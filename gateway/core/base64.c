/* SPDX-License-Identifier: Apache-2.0 */
/* base64.c - RFC 4648 base64, standard alphabet, padded (CloudEvents Binary). */
#include "config.h"

#include "core/text.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int ce_base64_encode(const unsigned char *bytes, size_t n, cegate_buffer *out,
                     const char *what, cegate_error *err)
{
    char quad[4];
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)bytes[i] << 16 | (unsigned)bytes[i + 1] << 8 |
                     bytes[i + 2];
        quad[0] = alphabet[v >> 18];
        quad[1] = alphabet[(v >> 12) & 63];
        quad[2] = alphabet[(v >> 6) & 63];
        quad[3] = alphabet[v & 63];
        if (cegate_buffer_append(out, quad, 4, what, err) < 0)
            return -1;
    }
    if (i < n) {
        unsigned v = (unsigned)bytes[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)bytes[i + 1] << 8;
        quad[0] = alphabet[v >> 18];
        quad[1] = alphabet[(v >> 12) & 63];
        quad[2] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        quad[3] = '=';
        if (cegate_buffer_append(out, quad, 4, what, err) < 0)
            return -1;
    }
    return 0;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int ce_base64_decode(const char *s, size_t n, cegate_buffer *out,
                     const char *what, cegate_error *err)
{
    if (n % 4 != 0)
        return cegate_error_set(err, CEGATE_ERR_ENCODING, what,
                                "invalid base64: length %zu is not a multiple "
                                "of 4", n), -1;
    for (size_t i = 0; i < n; i += 4) {
        int last = (i + 4 == n);
        int pad = 0;
        if (last && s[i + 3] == '=')
            pad = (s[i + 2] == '=') ? 2 : 1;
        int v[4];
        for (int k = 0; k < 4 - pad; k++) {
            v[k] = sextet(s[i + k]);
            if (v[k] < 0)
                return cegate_error_set(err, CEGATE_ERR_ENCODING, what,
                                        "invalid base64 character at byte %zu",
                                        i + k), -1;
        }
        unsigned char bytes[3];
        bytes[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad == 2) {
            /* The unused low bits must be zero, so each text has one
             * meaning (RFC 4648 §3.5 lets decoders insist). */
            if (v[1] & 15)
                goto noncanonical;
            if (cegate_buffer_append(out, bytes, 1, what, err) < 0)
                return -1;
            continue;
        }
        bytes[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad == 1) {
            if (v[2] & 3)
                goto noncanonical;
            if (cegate_buffer_append(out, bytes, 2, what, err) < 0)
                return -1;
            continue;
        }
        bytes[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
        if (cegate_buffer_append(out, bytes, 3, what, err) < 0)
            return -1;
    }
    return 0;
noncanonical:
    return cegate_error_set(err, CEGATE_ERR_ENCODING, what,
                            "invalid base64: non-zero padding bits"), -1;
}
