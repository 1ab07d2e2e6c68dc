/* SPDX-License-Identifier: Apache-2.0 */
/* options.c - default limits and options, and the event list. */
#include "config.h"

#include <string.h>

#include "cegate/format.h"

void cegate_limits_default(cegate_limits *limits)
{
    limits->max_input_bytes = 32u << 20;
    limits->max_attribute_bytes = 16u << 10;
    limits->max_attributes = 128;
    limits->max_events = 10000;
    limits->max_depth = 64;
    limits->max_output_bytes = 64u << 20;
}

void cegate_options_init(cegate_options *options)
{
    memset(options, 0, sizeof *options);
    cegate_limits_default(&options->limits);
}

void cegate_event_list_init(cegate_event_list *list)
{
    memset(list, 0, sizeof *list);
}

void cegate_event_list_free(cegate_event_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        cegate_event_free(list->events[i]);
    cegate_free(list->events);
    cegate_event_list_init(list);
}

int cegate_event_list_append(cegate_event_list *list, cegate_event *ev,
                             cegate_error *err)
{
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 4;
        cegate_event **p = cegate_malloc(cap * sizeof *p);
        if (p == NULL) {
            cegate_event_free(ev);
            return cegate_error_set(err, CEGATE_ERR_NOMEM, NULL,
                                    "out of memory for %zu events", cap), -1;
        }
        if (list->count)
            memcpy(p, list->events, list->count * sizeof *p);
        cegate_free(list->events);
        list->events = p;
        list->capacity = cap;
    }
    list->events[list->count++] = ev;
    return 0;
}
