/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h - what the subcommands of the cegate command share. */
#ifndef CEGATE_CLI_H
#define CEGATE_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "cegate/cegate.h"

#include "adapters.h"

/* Each subcommand: argv[0] is its name; returns a sysexits.h code. */
int cli_normalize(int argc, char **argv);
int cli_adapters(int argc, char **argv);
int cli_replay(int argc, char **argv);

/* The options of every command that reads a message: its headers, how to
 * find adapters (--plugin-dir, CEGATE_PLUGIN_PATH), which one to use and
 * their settings. */
#define CLI_MAX_HEADERS 256
#define CLI_MAX_PLUGIN_DIRS 16
#define CLI_MAX_SETTINGS 64

typedef struct cli_input_args {
    cegate_header headers[CLI_MAX_HEADERS];
    size_t header_count;
    char *dirs[CLI_MAX_PLUGIN_DIRS];
    size_t dir_count;
    char *settings[CLI_MAX_SETTINGS];
    size_t setting_count;
    const char *adapter; /* --adapter, or NULL */
    const char *path;    /* --path, or NULL */
} cli_input_args;

/* getopt values of those options; put CLI_INPUT_OPTIONS in a long option
 * table (and "H:" in the short ones) to accept them. */
enum {
    CLI_OPT_HEADER = 'H',
    CLI_OPT_ADAPTER = 1000,
    CLI_OPT_PLUGIN_DIR,
    CLI_OPT_PATH,
    CLI_OPT_ADAPTER_OPTION
};
#define CLI_INPUT_OPTIONS                                                    \
    {"header", required_argument, NULL, CLI_OPT_HEADER},                     \
    {"adapter", required_argument, NULL, CLI_OPT_ADAPTER},                   \
    {"plugin-dir", required_argument, NULL, CLI_OPT_PLUGIN_DIR},             \
    {"path", required_argument, NULL, CLI_OPT_PATH},                         \
    {"adapter-option", required_argument, NULL, CLI_OPT_ADAPTER_OPTION}

/* Take one option if it is one of those: 1 taken, 0 not one of them, or
 * EX_USAGE after printing why. `arg` is modified (headers are split). */
int cli_input_option(const char *command, cli_input_args *a, int option,
                     char *arg);

/* The adapter registry for those options: the built-in adapters, then
 * CEGATE_PLUGIN_PATH, then each --plugin-dir; --adapter and the settings
 * applied. Returns 0, or a sysexits code after printing the error (*out is
 * NULL then). */
int cli_open_registry(const char *command, const cli_input_args *a,
                      const cegate_options *options, registry **out);

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
