/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_http_binding.c - libFuzzer target: the CloudEvents HTTP binding.
 *
 * Input: an HTTP message without its request line, as text:
 *     Name: value\n        (header lines, CRLF accepted too, at most 64 kept)
 *     \n                   (an empty line)
 *     body bytes...
 * A line without a colon is a header with an empty value; input without an
 * empty line is all headers and no body. The message goes to
 * cegate_http_decode (any content mode: binary, structured, batched) with
 * the default options. When it decodes, every event must survive being
 * written again in the JSON format and in the HTTP binding's structured and
 * binary modes (the same checks as fuzz_json_format). Each header value is
 * also run through cegate_header_value_decode, and a value that decodes must
 * decode to the same bytes after cegate_header_value_encode.
 *
 * libFuzzer:  ./configure CC=clang --enable-fuzz && make fuzz
 *             tests/fuzz/fuzz_http_binding -max_total_time=60 CORPUS_COPY/
 * make check: linked with replay_main.c as tests/fuzz/replay_http_binding,
 *             which runs every file of tests/fuzz/corpus/http_binding once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cegate/buffer.h"
#include "cegate/error.h"
#include "cegate/event.h"
#include "cegate/format.h"
#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the target ----------------------------------------------------------- */

#define MAX_HEADERS 64

/* decode(encode(decode(v))) == decode(v) for one header value. */
static void check_header_value(const char *name, const char *value)
{
    cegate_buffer once, encoded, twice;
    cegate_error err;
    size_t n = strlen(value);

    fuzz_stage = "header value";
    cegate_buffer_init(&once, n + 1);
    cegate_buffer_init(&encoded, 3 * n + 1);
    cegate_buffer_init(&twice, n + 1);
    cegate_error_clear(&err);
    if (cegate_header_value_decode(value, n, &once, name, &err) == 0) {
        if (once.length > n)
            fuzz_fail("a decoded header value is longer than the value", NULL,
                 NULL, NULL);
        if (cegate_header_value_encode(once.data ? once.data : "",
                                       once.length, &encoded, &err) < 0)
            fuzz_fail("cegate_header_value_encode failed on a decoded value",
                 &err, NULL, NULL);
        for (size_t i = 0; i < encoded.length; i++) {
            unsigned char c = (unsigned char)encoded.data[i];
            if (c <= 0x20 || c >= 0x7f || c == '"')
                fuzz_fail("cegate_header_value_encode wrote a character it must "
                     "percent-encode", NULL, NULL, NULL);
        }
        if (cegate_header_value_decode(encoded.data ? encoded.data : "",
                                       encoded.length, &twice, name,
                                       &err) < 0)
            fuzz_fail("cegate_header_value_decode rejected what "
                 "cegate_header_value_encode wrote", &err, NULL, NULL);
        if (once.length != twice.length ||
            memcmp(once.data ? once.data : "", twice.data ? twice.data : "",
                   once.length) != 0) {
            fprintf(stderr, "  value: %s\n  encoded: %s\n", value,
                    encoded.data ? encoded.data : "");
            fuzz_fail("a header value changed on an encode/decode round trip",
                 NULL, NULL, NULL);
        }
    } else if (err.code == CEGATE_OK) {
        fuzz_fail("cegate_header_value_decode failed without an error code", &err,
             NULL, NULL);
    }
    cegate_buffer_free(&once);
    cegate_buffer_free(&encoded);
    cegate_buffer_free(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cegate_header headers[MAX_HEADERS];
    size_t count = 0, pos = 0, body_start = size;
    cegate_event_list list;
    cegate_error err;

    /* Header lines are cut in place in a NUL-terminated copy; the body gets
     * its own buffer of exactly its size so that ASan sees any over-read. */
    char *text = fuzz_xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    while (pos < size) {
        char *line = text + pos;
        char *nl = memchr(line, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + (nl != NULL);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0) {
            body_start = pos;
            break;
        }
        line[len] = '\0';
        if (count == MAX_HEADERS)
            continue;
        char *value = strchr(line, ':');
        if (value == NULL) {
            value = line + len; /* "" */
        } else {
            *value++ = '\0';
            value += strspn(value, " \t");
        }
        headers[count].name = line;
        headers[count].value = value;
        count++;
    }
    size_t body_length = size - body_start;
    char *body = fuzz_xmalloc(body_length);
    memcpy(body, data + body_start, body_length);

    for (size_t i = 0; i < count; i++)
        check_header_value(headers[i].name, headers[i].value);

    fuzz_stage = "decode";
    cegate_event_list_init(&list);
    cegate_error_clear(&err);
    (void)cegate_http_mode_of(headers, count);
    if (cegate_http_decode(headers, count, body, body_length, NULL, &list,
                           &err) < 0) {
        if (err.code == CEGATE_OK)
            fuzz_fail("cegate_http_decode failed without an error code", &err,
                 NULL, NULL);
        if (list.count != 0)
            fuzz_fail("cegate_http_decode failed but appended events", &err, NULL,
                 NULL);
    } else {
        if (err.code != CEGATE_OK)
            fuzz_fail("cegate_http_decode succeeded but set an error", &err, NULL,
                 NULL);
        fuzz_check_round_trips(&list);
    }
    cegate_event_list_free(&list);
    free(body);
    free(text);
    return 0;
}
