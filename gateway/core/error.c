/* SPDX-License-Identifier: Apache-2.0 */
/* error.c - filling the cegate_error struct (first error wins, no allocation). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cegate/error.h"

void cegate_error_clear(cegate_error *err)
{
    if (err == NULL)
        return;
    memset(err, 0, sizeof *err);
}

/* Copy at most size-1 bytes, never cutting a UTF-8 sequence in half, so a
 * truncated path or message is still valid text. Paths and messages quote
 * outside input (attribute names, values), so control characters become '?':
 * an error is always one line and cannot forge log lines. */
static void copy_truncated(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    dst[n] = '\0';
}

cegate_error_code cegate_error_set(cegate_error *err, cegate_error_code code,
                                   const char *path, const char *fmt, ...)
{
    if (err == NULL || err->code != CEGATE_OK)
        return code;
    char text[CEGATE_ERROR_TEXT_LENGTH * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    err->code = code;
    copy_truncated(err->path, sizeof err->path, path != NULL ? path : "");
    copy_truncated(err->text, sizeof err->text, text);
    return code;
}

void cegate_error_prefix_path(cegate_error *err, const char *prefix)
{
    if (err == NULL || err->code == CEGATE_OK || prefix == NULL || !*prefix)
        return;
    char joined[CEGATE_ERROR_PATH_LENGTH * 2];
    const char *sep = (err->path[0] == '\0' || err->path[0] == '[') ? "" : ".";
    snprintf(joined, sizeof joined, "%s%s%s", prefix, sep, err->path);
    copy_truncated(err->path, sizeof err->path, joined);
}

void cegate_error_set_path(cegate_error *err, const char *path)
{
    if (err == NULL || err->code == CEGATE_OK)
        return;
    copy_truncated(err->path, sizeof err->path, path != NULL ? path : "");
}

void cegate_error_set_origin(cegate_error *err, const char *origin)
{
    if (err == NULL || err->code == CEGATE_OK || err->origin[0] != '\0')
        return;
    copy_truncated(err->origin, sizeof err->origin, origin != NULL ? origin : "");
}

void cegate_error_set_position(cegate_error *err, int line, int column,
                               size_t position)
{
    if (err == NULL || err->code == CEGATE_OK)
        return;
    err->line = line;
    err->column = column;
    err->position = position;
    /* A reader's message ends in its own "(line L, column C)": it follows. */
    char *at = strstr(err->text, " (line ");
    if (at != NULL && strchr(at, ')') != NULL && strchr(at, ')')[1] == '\0')
        snprintf(at, sizeof err->text - (size_t)(at - err->text),
                 " (line %d, column %d)", line, column);
}

void cegate_error_copy(cegate_error *dst, const cegate_error *src)
{
    if (dst == NULL || src == NULL || dst->code != CEGATE_OK || dst == src)
        return;
    *dst = *src;
}

const char *cegate_error_code_name(cegate_error_code code)
{
    switch (code) {
    case CEGATE_OK: return "ok";
    case CEGATE_ERR_SYNTAX: return "syntax";
    case CEGATE_ERR_MISSING: return "missing";
    case CEGATE_ERR_EMPTY: return "empty";
    case CEGATE_ERR_TYPE: return "type";
    case CEGATE_ERR_VALUE: return "value";
    case CEGATE_ERR_NAME: return "name";
    case CEGATE_ERR_SPECVERSION: return "specversion";
    case CEGATE_ERR_ENCODING: return "encoding";
    case CEGATE_ERR_CONFLICT: return "conflict";
    case CEGATE_ERR_LIMIT: return "limit";
    case CEGATE_ERR_MODE: return "mode";
    case CEGATE_ERR_NOMEM: return "nomem";
    case CEGATE_ERR_IO: return "io";
    case CEGATE_ERR_USAGE: return "usage";
    case CEGATE_ERR_UNAVAILABLE: return "unavailable";
    case CEGATE_ERR_TIMEOUT: return "timeout";
    case CEGATE_ERR_PROTOCOL: return "protocol";
    case CEGATE_ERR_CONNECT: return "connect";
    case CEGATE_ERR_APP_TRANSIENT: return "app-transient";
    case CEGATE_ERR_APP_REJECTED: return "app-rejected";
    case CEGATE_ERR_CANCELLED: return "cancelled";
    }
    return "unknown";
}
