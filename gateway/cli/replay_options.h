/* SPDX-License-Identifier: Apache-2.0 */
/* replay_options.h - `cegate replay`'s settings: the configuration file,
 * the command-line options that override it, and --help. */
#ifndef CEGATE_CLI_REPLAY_OPTIONS_H
#define CEGATE_CLI_REPLAY_OPTIONS_H

#include "cli/cli.h"
#include "config_file.h"

typedef struct replay_settings {
    config cfg;          /* the file's apps and routes, then the options' */
    route route;         /* the default route the options describe */
    int route_options;   /* were any of them given? */
    const char *route_flag; /* the first one given, to name it */
    cli_input_args input;
    int ndjson;
    int show_response;
    int drain_timeout_ms; /* after SIGINT/SIGTERM, in-flight attempts get this long */
    const char *input_path; /* FILE, or NULL for standard input */
} replay_settings;

/* Read -c CONFIG, then the options over it, then settle the routes.
 * Returns 0, -1 after --help was printed (exit 0), or a sysexits code after
 * printing the error. replay_settings_free in every case. */
int replay_settings_load(int argc, char **argv, replay_settings *s);
void replay_settings_free(replay_settings *s);

#endif
