/* SPDX-License-Identifier: Apache-2.0 */
/* sha256.h - SHA-256 (FIPS 180-4), streaming, no dependencies.
 *
 * Written for cegate's echo app from the standard's description; public
 * domain style: use it for anything. */
#ifndef CEGATE_APPS_SHA256_H
#define CEGATE_APPS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LENGTH 32
#define SHA256_HEX_LENGTH 65 /* 64 hex digits and a NUL */

typedef struct sha256_ctx {
    uint32_t state[8];
    uint64_t length;        /* bytes hashed so far */
    unsigned char block[64];
    size_t used;            /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const void *data, size_t n);
void sha256_final(sha256_ctx *ctx, unsigned char digest[SHA256_DIGEST_LENGTH]);

/* The digest as lower-case hex. */
void sha256_hex(const unsigned char digest[SHA256_DIGEST_LENGTH],
                char hex[SHA256_HEX_LENGTH]);

#endif
