/* SPDX-License-Identifier: Apache-2.0 */
/* buffer.c - bounded growing buffer, and the library's allocator. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "cegate/buffer.h"

/* Allocate through jansson's functions so that json_set_alloc_funcs() governs
 * the whole library (the allocation-failure test relies on it). */
void *cegate_malloc(size_t n)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    return m(n == 0 ? 1 : n);
}

void cegate_free(void *p)
{
    if (p == NULL)
        return;
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    f(p);
}

void cegate_buffer_init(cegate_buffer *buf, size_t max)
{
    buf->data = NULL;
    buf->length = 0;
    buf->capacity = 0;
    buf->max = max;
}

void cegate_buffer_free(cegate_buffer *buf)
{
    cegate_free(buf->data);
    cegate_buffer_init(buf, buf->max);
}

void cegate_buffer_reset(cegate_buffer *buf)
{
    buf->length = 0;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

/* jansson has no realloc hook, so growing is malloc + copy + free. */
static int grow(cegate_buffer *buf, size_t need, const char *what,
                cegate_error *err)
{
    /* From 256 bytes: most buffers hold a header, a line or a small body,
     * and growing one by doubling from less is several allocations an
     * event for nothing. */
    size_t cap = buf->capacity < 256 ? 256 : buf->capacity;
    while (cap < need + 1) {
        if (cap > SIZE_MAX / 2) {
            cap = need + 1;
            break;
        }
        cap *= 2;
    }
    /* Never more than the maximum allows (careful: max may be SIZE_MAX). */
    if (buf->max < SIZE_MAX && cap > buf->max + 1)
        cap = buf->max + 1;
    char *p = cegate_malloc(cap);
    if (p == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, what,
                                "out of memory growing a buffer to %zu bytes",
                                cap), -1;
    if (buf->length)
        memcpy(p, buf->data, buf->length);
    p[buf->length] = '\0';
    cegate_free(buf->data);
    buf->data = p;
    buf->capacity = cap;
    return 0;
}

int cegate_buffer_reserve(cegate_buffer *buf, size_t n, const char *what,
                          cegate_error *err)
{
    if (n > buf->max - buf->length || buf->length > buf->max) {
        cegate_error_set(err, CEGATE_ERR_LIMIT, what,
                         "larger than the limit of %zu bytes", buf->max);
        return -1;
    }
    size_t need = buf->length + n;
    if (need + 1 > buf->capacity && grow(buf, need, what, err) < 0)
        return -1;
    return 0;
}

int cegate_buffer_append(cegate_buffer *buf, const void *bytes, size_t n,
                         const char *what, cegate_error *err)
{
    if (cegate_buffer_reserve(buf, n, what, err) < 0)
        return -1;
    size_t need = buf->length + n;
    if (n)
        memcpy(buf->data + buf->length, bytes, n);
    buf->length = need;
    buf->data[need] = '\0';
    return 0;
}

int cegate_buffer_append_str(cegate_buffer *buf, const char *s,
                             const char *what, cegate_error *err)
{
    return cegate_buffer_append(buf, s, strlen(s), what, err);
}

int cegate_buffer_append_byte(cegate_buffer *buf, char c, const char *what,
                              cegate_error *err)
{
    if (buf->length + 1 < buf->capacity && buf->length < buf->max) {
        buf->data[buf->length++] = c;
        buf->data[buf->length] = '\0';
        return 0;
    }
    return cegate_buffer_append(buf, &c, 1, what, err);
}

char *cegate_buffer_steal(cegate_buffer *buf, size_t *length)
{
    char *p = buf->data;
    if (length != NULL)
        *length = buf->length;
    if (p == NULL) {
        p = cegate_malloc(1);
        if (p != NULL)
            p[0] = '\0';
    }
    cegate_buffer_init(buf, buf->max);
    return p;
}
