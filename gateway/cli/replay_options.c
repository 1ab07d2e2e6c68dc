/* SPDX-License-Identifier: Apache-2.0 */
/* replay_options.c - `cegate replay`'s options and configuration file
 * (see replay_options.h). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/replay_options.h"
#include "options.h"

#define COMMAND "replay"

/* The general text is written here; each flag's line comes from the
 * option table, with its default and range, so that --help cannot drift
 * from what the flags and the file accept. */
static void usage(FILE *to)
{
    fprintf(to,
            "Usage: cegate replay --app ADDR [--script PATH] [--route-path TEMPLATE]\n"
            "                     [-c CONFIG] [OPTION]... [FILE|-]\n"
            "\n"
            "Normalize the input (FILE, or standard input) into CloudEvents and\n"
            "deliver each one to the app as an HTTP request over FastCGI or CGI.\n"
            "Input is one message, or NDJSON: one JSON payload per line (detected\n"
            "when the first line is a whole JSON document; forced with --ndjson).\n"
            "Prints one JSON line per event as it completes: id, type, status\n"
            "(delivered, failed, rejected, invalid, skipped), code (the app's HTTP\n"
            "status), attempts, ms, and error and error_code when it did not\n"
            "succeed. A summary goes to stderr, with a progress line while a long\n"
            "run goes on when stderr is a terminal. SIGINT or SIGTERM stops the\n"
            "reading; what was read but not attempted is reported skipped.\n"
            "\n"
            "  -c, --config FILE      the apps and routes (JSON; see the README);\n"
            "                         the options below override its default app.\n"
            "                         Each option is a key of the file, with the\n"
            "                         same default and range\n"
            "\n"
            "The app:\n");
    option_help(to, OPTION_APP);
    fprintf(to, "\n"
                "The request (the default route, used when the configuration has no\n"
                "routes):\n");
    option_help(to, OPTION_REQUEST);
    fprintf(to, "\n"
                "Retries (5xx, 408, 429, timeouts, refused or reset connections):\n");
    option_help(to, OPTION_RETRY);
    option_help(to, OPTION_ROUTE);
    fprintf(to, "\n"
                "Stopping:\n");
    option_help(to, OPTION_TOP);
    fprintf(to,
            "\n"
            "The input (as for cegate normalize):\n"
            "  -H, --header 'Name: value'   --adapter NAME   --plugin-dir DIR\n"
            "  --path PATH   --adapter-option ADAPTER.OPTION=VALUE   --ndjson\n"
            "  --show-response        add the app's response body (\"response\") to\n"
            "                         each line\n"
            "  -h, --help             show this help and exit\n"
            "\n"
            "Exit status: 0 every event delivered, 64 usage, 65 bad input or an\n"
            "event the app rejected (4xx), 66 the input cannot be read, 69 the app\n"
            "was unreachable, 74 the outcome lines could not be written, 75 an\n"
            "event still failed after its attempts or was skipped, 78 bad\n"
            "configuration.\n");
}

/* ---- options ------------------------------------------------------------------ */

/* getopt values: a setting's is OPT_SETTING + its index in the table. */
enum { OPT_NDJSON = 256, OPT_SHOW_RESPONSE, OPT_SETTING = 2000 };

/* The options that are not settings. */
static const struct option other_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"ndjson", no_argument, NULL, OPT_NDJSON},
    {"show-response", no_argument, NULL, OPT_SHOW_RESPONSE},
    CLI_INPUT_OPTIONS,
    {"help", no_argument, NULL, 'h'},
};

#define OTHER_COUNT (sizeof other_options / sizeof other_options[0])
#define LONG_OPTIONS_MAX (OPTION_TABLE_MAX + OTHER_COUNT + 1)

/* getopt_long's table: every flag of the option table, then the others,
 * then the terminating zeros. */
static void long_options(struct option *out)
{
    size_t n = 0;
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        if (o->flag == NULL)
            continue;
        out[n++] = (struct option){o->flag + 2, /* past "--" */
                                   o->type == OPTION_BOOL ? no_argument
                                                          : required_argument,
                                   NULL, OPT_SETTING + (int)i};
    }
    for (size_t i = 0; i < OTHER_COUNT; i++)
        out[n++] = other_options[i];
    out[n] = (struct option){NULL, 0, NULL, 0};
}

/* -c FILE wherever it is on the line: the other options override the
 * file, so it is read first. Returns its path or NULL. */
static const char *config_path(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
            i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
        else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
            path = argv[i] + 2;
    }
    return path;
}

/* One setting's flag, checked and set by the same code as the file's key:
 * "--workers '0': must be a whole number from 1 to 1024". */
static int take_setting(replay_settings *s, const option_def *o, const char *arg)
{
    option_target t = {&s->cfg, &s->cfg.apps[0], &s->route};
    cegate_error err;
    cegate_error_clear(&err);
    if (option_is_route(o)) {
        s->route_options = 1;
        if (s->route_flag == NULL)
            s->route_flag = o->flag;
    }
    if (option_set_text(o, &t, arg, &err) == 0)
        return 0;
    if (arg != NULL)
        cli_error(COMMAND, "%s '%s': %s", o->flag, arg, err.text);
    else
        cli_error(COMMAND, "%s: %s", o->flag, err.text);
    return EX_USAGE;
}

static int parse_options(int argc, char **argv, replay_settings *s)
{
    struct option options[LONG_OPTIONS_MAX];
    long_options(options);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:H:h", options, NULL)) != -1) {
        int rc = 0;
        if (c >= OPT_SETTING && (size_t)(c - OPT_SETTING) < option_table_size)
            rc = take_setting(s, &option_table[c - OPT_SETTING], optarg);
        else if (c == 'c')
            continue; /* read before (config_path) */
        else if (c == OPT_NDJSON)
            s->ndjson = 1;
        else if (c == OPT_SHOW_RESPONSE)
            s->show_response = 1;
        else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            int taken = cli_input_option(COMMAND, &s->input, c, optarg);
            if (taken == 0)
                usage(stderr);
            rc = taken == 1 ? 0 : EX_USAGE;
        }
        if (rc != 0)
            return rc;
    }
    if (argc - optind > 1) {
        cli_error(COMMAND, "one input at a time (got %d)", argc - optind);
        return EX_USAGE;
    }
    return 0;
}

/* The routes: the file's, or the one the options describe; and every app
 * a route uses must have an address. */
static int settle_routes(replay_settings *s, const char *config_file)
{
    cegate_error err;
    cegate_error_clear(&err);
    if (s->cfg.route_count > 0 && s->route_options) {
        cli_error(COMMAND, "%s sets routes: %s, like the other request, retry "
                           "and outcome options, describes the one route used "
                           "without them; set it in the file's routes",
                  config_file, s->route_flag);
        return EX_USAGE;
    }
    if (s->cfg.route_count == 0 && config_add_route(&s->cfg, &s->route, 0, &err) < 0) {
        cli_report(COMMAND, NULL, &err);
        return EX_OSERR;
    }
    for (size_t i = 0; i < s->cfg.route_count; i++)
        if (s->cfg.apps[s->cfg.routes[i].app].address == NULL) {
            cli_error(COMMAND, "--app ADDR is required (unix:/path.sock, "
                               "HOST:PORT or cgi:/path/to/program), or \"app\" "
                               "in the configuration file");
            return EX_USAGE;
        }
    return 0;
}

int replay_settings_load(int argc, char **argv, replay_settings *s)
{
    memset(s, 0, sizeof *s);
    cegate_error err;
    cegate_error_clear(&err);
    if (config_init(&s->cfg, &err) < 0 || route_init_default(&s->route, &err) < 0 ||
        option_defaults_route(&s->route, &err) < 0) {
        cli_report(COMMAND, NULL, &err);
        return EX_OSERR;
    }
    int rc = 0;
    const char *config_file = config_path(argc, argv);
    if (config_file != NULL && config_load_file(&s->cfg, config_file, &err) < 0) {
        /* A file that is not JSON: FILE:LINE:COLUMN, as compilers say it. */
        char where[4096];
        char *repeated = strstr(err.text, " (line ");
        if (err.line > 0 && repeated != NULL) {
            *repeated = '\0';
            snprintf(where, sizeof where, "%.4000s:%d:%d", config_file, err.line,
                     err.column);
        }
        else
            snprintf(where, sizeof where, "%.4000s", config_file);
        cli_report(COMMAND, where, &err);
        rc = err.code == CEGATE_ERR_IO ? EX_NOINPUT : EX_CONFIG;
    }
    if (rc == 0)
        rc = parse_options(argc, argv, s);
    if (rc == 0)
        rc = settle_routes(s, config_file);
    if (rc == 0) {
        s->drain_timeout_ms = s->cfg.drain_timeout_ms;
        s->input_path = optind < argc ? argv[optind] : NULL;
    }
    return rc == 1 ? -1 : rc;
}

void replay_settings_free(replay_settings *s)
{
    route_free(&s->route);
    config_free(&s->cfg);
}

