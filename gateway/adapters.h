/* SPDX-License-Identifier: Apache-2.0 */
/* adapters.h - the adapter registry: loading plugins and dispatching a
 * message to them (probe, normalize, envelope re-dispatch). */
#ifndef CEGATE_GATEWAY_ADAPTERS_H
#define CEGATE_GATEWAY_ADAPTERS_H

#include "cegate/adapter.h"

typedef struct registry registry;

typedef struct registry_entry {
    const cegate_adapter_descriptor *descriptor;
    char *file;
    void *handle;
} registry_entry;

/* An empty registry with these options (copied; NULL: defaults). */
registry *registry_new(const cegate_options *options);
void registry_free(registry *reg);

/* Load one plugin file. Errors read "loading adapter X from FILE: why". */
int registry_load_file(registry *reg, const char *path, cegate_error *err);
/* Load every *.so of a directory, in name order. A missing directory is an
 * error only when `required`. */
int registry_load_dir(registry *reg, const char *dir, int required,
                      cegate_error *err);
/* Load the built-in adapters (from the build tree when this program runs
 * from it, else from the installed plugin directory), then the directories
 * of CEGATE_PLUGIN_PATH (colon-separated). */
int registry_load_defaults(registry *reg, cegate_error *err);

size_t registry_count(const registry *reg);
const registry_entry *registry_get(const registry *reg, size_t i);

/* Restrict dispatch to one adapter by name (--adapter); -1 if unknown. */
int registry_force(registry *reg, const char *name, cegate_error *err);

/* Set one of an adapter's options, "ADAPTER.OPTION=VALUE" (from
 * --adapter-option), checked against the adapter's options table; errors
 * list the options allowed. Later settings of the same option win. */
int registry_set_option(registry *reg, const char *setting, cegate_error *err);

/* Normalize one message into `out`. On failure nothing is appended and err
 * names the adapter and the field; when no adapter recognises the message
 * the error lists each adapter with its reason for declining. */
int registry_normalize(registry *reg, const cegate_header *headers,
                       size_t header_count, const char *body, size_t length,
                       const char *path, cegate_event_list *out,
                       cegate_error *err);

/* The directory built-in adapters are loaded from. */
const char *registry_builtin_dir(void);

#endif
