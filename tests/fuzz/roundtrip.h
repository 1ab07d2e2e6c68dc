/* SPDX-License-Identifier: Apache-2.0 */
/* roundtrip.h - checks shared by the CloudEvents fuzz targets. */
#ifndef CEGATE_FUZZ_ROUNDTRIP_H
#define CEGATE_FUZZ_ROUNDTRIP_H

#include "cegate/buffer.h"
#include "cegate/error.h"
#include "cegate/event.h"
#include "cegate/format.h"

/* What is being checked, for the report when a property breaks. */
extern const char *fuzz_stage;

/* Report a broken property (with the events, either may be NULL), abort. */
void fuzz_fail(const char *what, const cegate_error *err, const cegate_event *a,
               const cegate_event *b) __attribute__((noreturn));

/* malloc that aborts instead of returning NULL. */
void *fuzz_xmalloc(size_t n);

/* Every event of `list` must survive each way of writing it (see
 * roundtrip.c); aborts otherwise. */
void fuzz_check_round_trips(const cegate_event_list *list);

#endif
