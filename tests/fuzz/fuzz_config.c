/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_config.c - the configuration file reader (gateway/config_file.c).
 *
 * Property: any bytes are either a configuration or an error with a code
 * and a message; a configuration's every route names an app that exists,
 * and its strings hold no CR or LF where they reach the app as params.
 * abort() otherwise; the sanitizers catch the rest (leaks included: a
 * refused file must free what it had read).
 *
 * libFuzzer: ./configure CC=clang --enable-fuzz && make tests/fuzz/fuzz_config
 *            tests/fuzz/fuzz_config corpus-copy/
 * Without libFuzzer, tests/fuzz/replay_config replays the corpus
 * (tests/fuzz/corpus/config) in make check. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_config: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config c;
    cegate_error err;
    cegate_error_clear(&err);
    if (config_init(&c, &err) < 0)
        fail("config_init failed");
    int rc = config_load_text(&c, (const char *)data, size, &err);
    if (rc < 0 && (err.code == CEGATE_OK || err.text[0] == '\0'))
        fail("refused without an error code and message");
    if (rc == 0 && err.code != CEGATE_OK)
        fail("accepted with an error set");
    if (rc == 0) {
        for (size_t i = 0; i < c.route_count; i++) {
            const route *r = &c.routes[i].route;
            if (c.routes[i].app >= c.app_count)
                fail("a route names an app that does not exist");
            for (size_t k = 0; k < r->param_count; k++)
                if (strpbrk(r->params[k].value, "\r\n") != NULL)
                    fail("a param value holds CR or LF");
            if (r->path == NULL || r->path[0] != '/' || r->method == NULL)
                fail("a route without a path or method");
        }
        for (size_t i = 1; i < c.app_count; i++)
            if (c.apps[i].address == NULL)
                fail("a named app without an address");
    }
    config_free(&c);
    return 0;
}
