/* SPDX-License-Identifier: Apache-2.0 */
/* cegate/cegate.h - everything public in one include. */
#ifndef CEGATE_CEGATE_H
#define CEGATE_CEGATE_H

#include "cegate/error.h"
#include "cegate/buffer.h"
#include "cegate/event.h"
#include "cegate/format.h"

#endif
