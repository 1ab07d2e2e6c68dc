/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_file_lines.c - the file ingress's line reader (gateway/ingress/file.c),
 * held to a plain split on '\n'.
 *
 * The first byte sets the limit (1 to 64 bytes, so that lines over it are
 * common), the rest is the input, read through a real descriptor. Property:
 * every line comes back byte for byte, in order, with its number; a line
 * over the limit comes back as "over" with its length, and none of it kept;
 * the end comes after the last line. abort() otherwise.
 *
 * libFuzzer: ./configure CC=clang --enable-fuzz && make tests/fuzz/fuzz_file_lines
 * Without libFuzzer, tests/fuzz/replay_file_lines replays the corpus
 * (tests/fuzz/corpus/file_lines) in make check. */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ingress/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_file_lines: %s\n", what);
    abort();
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            fail("cannot write the input");
        p += k;
        n -= (size_t)k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t max = 1 + data[0] % 64;
    const uint8_t *text = data + 1;
    size_t n = size - 1;
    int fd = memfd_create("fuzz_file_lines", MFD_CLOEXEC);
    if (fd < 0)
        fail("memfd_create");
    write_all(fd, text, n);
    if (lseek(fd, 0, SEEK_SET) != 0)
        fail("lseek");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    file_input in;
    cegate_error err;
    cegate_error_clear(&err);
    if (file_input_open(&in, path, max, &err) < 0)
        fail(err.text);

    size_t at = 0, number = 0;
    for (;;) {
        const char *line = NULL;
        size_t length = 0, over = 0;
        int k = file_input_next_line(&in, NULL, &line, &length, &over);
        if (at == n) {
            if (k != 0)
                fail("a line after the end");
            break;
        }
        const uint8_t *nl = memchr(text + at, '\n', n - at);
        size_t want = nl != NULL ? (size_t)(nl - (text + at)) : n - at;
        number++;
        if (want > max) {
            if (k != -2 || over != want)
                fail("a line over the limit was not reported as over, with its length");
        } else if (k != 1 || length != want || memcmp(line, text + at, want) != 0) {
            fail("a line did not come back byte for byte");
        }
        if (in.line != number)
            fail("the line number is wrong");
        at += want + (nl != NULL);
    }
    file_input_close(&in);
    close(fd);
    return 0;
}
