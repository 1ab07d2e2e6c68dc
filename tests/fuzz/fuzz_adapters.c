/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_adapters.c - libFuzzer target: the adapter dispatch.
 *
 * Built once per adapter (-DFUZZ_ADAPTER="aws-s3": only that adapter takes
 * the outer message; envelopes still re-dispatch to all) and once without
 * FUZZ_ADAPTER: every built-in adapter probes every input.
 *
 * Input: "Name: value" header lines, an empty line, then the body (an input
 * that starts with an empty line has no headers). Properties: no crash, no
 * leak; every event produced is valid and reads back equal from its JSON
 * format encoding.
 *
 * libFuzzer:  tests/fuzz/fuzz_dispatch -max_total_time=600 CORPUS_COPY/
 * make check: tests/fuzz/replay_dispatch, replay_adapter_<name> replay the
 *             corpora in tests/fuzz/corpus/dispatch and adapter_<name>. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"

#define MAX_HEADERS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static registry *shared_registry(void)
{
    static registry *reg;
    if (reg != NULL)
        return reg;
    cegate_error err;
    cegate_error_clear(&err);
    reg = registry_new(NULL);
    if (reg == NULL || registry_load_dir(reg, registry_builtin_dir(), 1, &err) < 0) {
        fprintf(stderr, "fuzz: loading adapters: %s\n", err.text);
        abort();
    }
#ifdef FUZZ_ADAPTER
    if (registry_force(reg, FUZZ_ADAPTER, &err) < 0) {
        fprintf(stderr, "fuzz: %s\n", err.text);
        abort();
    }
#endif
    return reg;
}

/* Split the input into headers and body; returns the body's offset. */
static size_t split(char *text, size_t size, cegate_header *headers,
                    size_t *count)
{
    size_t i = 0;
    *count = 0;
    while (i < size) {
        char *nl = memchr(text + i, '\n', size - i);
        if (nl == NULL)
            return size;
        size_t end = (size_t)(nl - text);
        size_t line_end = (end > i && text[end - 1] == '\r') ? end - 1 : end;
        if (line_end == i)
            return end + 1; /* the empty line */
        text[line_end] = '\0';
        char *colon = memchr(text + i, ':', line_end - i);
        if (*count < MAX_HEADERS) {
            headers[*count].name = text + i;
            headers[*count].value = "";
            if (colon != NULL) {
                *colon = '\0';
                char *v = colon + 1;
                while (*v == ' ')
                    v++;
                headers[*count].value = v;
            }
            (*count)++;
        }
        i = end + 1;
    }
    return size;
}

static void check_event(const cegate_event *ev)
{
    cegate_error err;
    cegate_error_clear(&err);
    if (cegate_event_validate(ev, &err) < 0) {
        fprintf(stderr, "fuzz: an adapter emitted an invalid event: %s: %s\n",
                err.path, err.text);
        abort();
    }
    cegate_buffer b;
    cegate_buffer_init(&b, (size_t)256 << 20);
    cegate_event_list back;
    cegate_event_list_init(&back);
    if (cegate_json_encode_event(ev, &b, &err) < 0 ||
        cegate_json_decode(b.data, b.length, NULL, &back, &err) < 0 ||
        back.count != 1 || !cegate_event_equal(ev, back.events[0])) {
        fprintf(stderr, "fuzz: event does not read back from %s (%s: %s)\n",
                b.data ? b.data : "(nothing)", err.path, err.text);
        abort();
    }
    cegate_event_list_free(&back);
    cegate_buffer_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    registry *reg = shared_registry();
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cegate_header headers[MAX_HEADERS];
    size_t count;
    size_t body = split(text, size, headers, &count);
    cegate_event_list events;
    cegate_event_list_init(&events);
    cegate_error err;
    cegate_error_clear(&err);
    if (registry_normalize(reg, headers, count, text + body, size - body,
                           "/projects/fuzz/topics/fuzz", &events, &err) == 0) {
        for (size_t i = 0; i < events.count; i++)
            check_event(events.events[i]);
    } else if (err.code == CEGATE_OK) {
        fprintf(stderr, "fuzz: normalize failed without an error\n");
        abort();
    }
    cegate_event_list_free(&events);
    free(text);
    return 0;
}
