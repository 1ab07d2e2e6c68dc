/* SPDX-License-Identifier: Apache-2.0 */
/* attempt.h - one attempt to deliver an event: one exchange with the app
 * under the app's wall-clock deadline, classified, as a record. */
#ifndef CEGATE_DELIVERY_ATTEMPT_H
#define CEGATE_DELIVERY_ATTEMPT_H

#include "delivery/outcome.h"
#include "upstream/app.h"

/* Exchange `dr` with the app by timeout_ms from now, and fill `rec` (start,
 * duration, result, status, error, excerpts). `resp` (initialized with
 * upstream_response_init; emptied first) receives the whole answer and
 * stderr, for callers that keep more than the excerpts. */
void delivery_attempt_make(app *a, const route *r, const delivery_request *dr,
                           upstream_response *resp, delivery_attempt *rec);

#endif
