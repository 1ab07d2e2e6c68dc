/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_json_format.c - libFuzzer target: the CloudEvents JSON event format.
 *
 * Input: any bytes, read as a JSON event or batch (cegate_json_decode with
 * the default options). When they decode, every event must survive each way
 * cegate can write it (roundtrip.c); any other outcome aborts with a
 * description on stderr, which libFuzzer saves as crash-<sha1>.
 *
 * libFuzzer:  ./configure CC=clang --enable-fuzz && make fuzz
 *             tests/fuzz/fuzz_json_format -max_total_time=60 CORPUS_COPY/
 * make check: linked with replay_main.c as tests/fuzz/replay_json_format,
 *             which runs every file of tests/fuzz/corpus/json_format once.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cegate_event_list list;
    cegate_error err;

    fuzz_stage = "decode";
    cegate_event_list_init(&list);
    cegate_error_clear(&err);
    if (cegate_json_decode((const char *)data, size, NULL, &list, &err) < 0) {
        /* A rejection must say why and leave nothing behind. */
        if (err.code == CEGATE_OK)
            fuzz_fail("cegate_json_decode failed without an error code", &err,
                 NULL, NULL);
        if (list.count != 0)
            fuzz_fail("cegate_json_decode failed but appended events", &err,
                 NULL, NULL);
        cegate_event_list_free(&list);
        return 0;
    }
    if (err.code != CEGATE_OK)
        fuzz_fail("cegate_json_decode succeeded but set an error", &err, NULL,
             NULL);
    fuzz_check_round_trips(&list);
    cegate_event_list_free(&list);
    return 0;
}
