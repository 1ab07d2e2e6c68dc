/* cli.h - what the subcommands of the cegate command share. */
#ifndef CEGATE_CLI_H
#define CEGATE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "cegate/cegate.h"

#include "adapters.h"

/* Each subcommand: argv[0] is its name; returns a sysexits.h code. */
int cli_normalize(int argc, char **argv);
int cli_adapters(int argc, char **argv);
int cli_replay(int argc, char **argv);

/* The adapter registry every command uses: the built-in adapters, then
 * CEGATE_PLUGIN_PATH, then each --plugin-dir. Returns 0, or a sysexits code
 * after printing the error (*out is NULL then). */
int cli_load_adapters(const char *command, char *const *plugin_dirs,
                      size_t dir_count, const cegate_options *options,
                      registry **out);

/* Apply --adapter-option settings; 0 or EX_USAGE after printing why. */
int cli_set_adapter_options(const char *command, registry *reg,
                            char *const *settings, size_t count);

/* Open an input ("-" or NULL: standard input). Returns 0, or a sysexits
 * code after printing the error (66 when the file is missing or not
 * readable). */
int cli_open_input(const char *command, const char *path, FILE **out);

/* Read a whole file ("-" or NULL: standard input) into `out`, at most
 * out->max bytes. Returns 0, or a sysexits code after printing the error. */
int cli_read_input(const char *command, const char *path, cegate_buffer *out);

/* Print "cegate: <command>: <message>" as one line on stderr. */
void cli_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print a library error as one line:
 * "cegate: <command>: [<input>: ][adapter <origin>: ][<path>: ]<text>". */
void cli_report(const char *command, const char *input, const cegate_error *err);

#endif
