/* replay_options.c - `cegate replay`'s options and configuration file
 * (see replay_options.h). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/replay_options.h"

#define COMMAND "replay"

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
            "Prints one JSON line per event: id, type, status (delivered, failed,\n"
            "rejected, invalid), code (the app's HTTP status), attempts, ms, and\n"
            "error when it did not succeed. A summary goes to stderr, with a\n"
            "progress line while a long run goes on when stderr is a terminal.\n"
            "\n"
            "  -c, --config FILE      the apps and routes (JSON; see the README);\n"
            "                         the options below override its default app\n"
            "\n"
            "The app:\n"
            "  --app ADDR             unix:/path/app.sock | HOST:PORT | cgi:/path/to/program\n"
            "  --script PATH          SCRIPT_FILENAME (php-fpm and fcgiwrap need it);\n"
            "                         the request path then becomes PATH_INFO\n"
            "  --document-root DIR    DOCUMENT_ROOT (default: the script's directory)\n"
            "  --workers N            the app's worker processes: connections kept\n"
            "                         open and events in flight at once (default 1)\n"
            "  --no-keep-alive        a new connection per request\n"
            "  --idle-timeout MS      close a kept connection idle this long\n"
            "                         (default 2000), so it pins no app worker\n"
            "  --timeout MS           per attempt (default 30000)\n"
            "\n"
            "The request (the default route, used when the configuration has no\n"
            "routes):\n"
            "  --route-path TEMPLATE  path, e.g. /uploads/{subject} (default /);\n"
            "                         {attr} is the attribute, percent-encoded\n"
            "  --method METHOD        default POST\n"
            "  --mode binary|structured  HTTP content mode (default binary: ce-*\n"
            "                         headers as HTTP_CE_*, body = the data)\n"
            "  --param NAME=VALUE     an extra CGI parameter (repeatable)\n"
            "\n"
            "Retries (5xx, 408, 429, timeouts, refused or reset connections):\n"
            "  --attempts N           tries per event (default 5)\n"
            "  --retry-initial-ms MS  first backoff (default 200), doubling with\n"
            "  --retry-max-ms MS      full jitter up to this cap (default 10000)\n"
            "  --outcome STATUS=OUTCOME  what a status (404) or class (4xx) means:\n"
            "                         delivered, retry or reject (repeatable)\n"
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
            "was unreachable, 75 an event still failed after its attempts, 78 bad\n"
            "configuration.\n");
}

/* ---- options ------------------------------------------------------------------ */

static int parse_int(const char *option, const char *text, int min, int max,
                     int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > max) {
        cli_error(COMMAND, "%s '%s': expected a number from %d to %d", option,
                  text, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

enum {
    OPT_APP = 256, OPT_SCRIPT, OPT_ROOT, OPT_WORKERS, OPT_NO_KEEP_ALIVE,
    OPT_TIMEOUT, OPT_ROUTE_PATH, OPT_METHOD, OPT_MODE, OPT_PARAM, OPT_ATTEMPTS,
    OPT_RETRY_INITIAL, OPT_RETRY_MAX, OPT_NDJSON, OPT_SHOW_RESPONSE,
    OPT_IDLE_TIMEOUT, OPT_OUTCOME
};

/* Split "NAME=VALUE" in place: returns VALUE (arg becomes NAME), or NULL
 * with err saying what `option` expects. */
static char *split_pair(char *arg, const char *option, const char *expected,
                        cegate_error *err)
{
    char *eq = strchr(arg, '=');
    if (eq == NULL) {
        cegate_error_set(err, CEGATE_ERR_USAGE, option, "expected %s", expected);
        return NULL;
    }
    *eq = '\0';
    return eq + 1;
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

static int parse_options(int argc, char **argv, replay_settings *s)
{
    static const struct option long_options[] = {
        {"config", required_argument, NULL, 'c'},
        {"app", required_argument, NULL, OPT_APP},
        {"script", required_argument, NULL, OPT_SCRIPT},
        {"document-root", required_argument, NULL, OPT_ROOT},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"no-keep-alive", no_argument, NULL, OPT_NO_KEEP_ALIVE},
        {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"route-path", required_argument, NULL, OPT_ROUTE_PATH},
        {"method", required_argument, NULL, OPT_METHOD},
        {"mode", required_argument, NULL, OPT_MODE},
        {"param", required_argument, NULL, OPT_PARAM},
        {"attempts", required_argument, NULL, OPT_ATTEMPTS},
        {"outcome", required_argument, NULL, OPT_OUTCOME},
        {"retry-initial-ms", required_argument, NULL, OPT_RETRY_INITIAL},
        {"retry-max-ms", required_argument, NULL, OPT_RETRY_MAX},
        {"ndjson", no_argument, NULL, OPT_NDJSON},
        {"show-response", no_argument, NULL, OPT_SHOW_RESPONSE},
        CLI_INPUT_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cegate_error err;
    cegate_error_clear(&err);
    config_app *main_app = &s->cfg.apps[0];
    int c, workers;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:H:h", long_options, NULL)) != -1) {
        int bad = 0;
        char *eq;
        if ((c >= OPT_ROUTE_PATH && c <= OPT_RETRY_MAX) || c == OPT_OUTCOME)
            s->route_options = 1;
        switch (c) {
        case 'c': break; /* read before (config_path) */
        case OPT_APP: bad = config_app_set(main_app, &main_app->address, optarg, &err) < 0; break;
        case OPT_SCRIPT:
            bad = config_app_set(main_app, &main_app->script_filename, optarg, &err) < 0;
            break;
        case OPT_ROOT:
            bad = config_app_set(main_app, &main_app->document_root, optarg, &err) < 0;
            break;
        case OPT_WORKERS:
            bad = parse_int("--workers", optarg, 1, 1024, &workers);
            main_app->options.workers = (size_t)workers;
            break;
        case OPT_NO_KEEP_ALIVE: main_app->options.keep_alive = 0; break;
        case OPT_IDLE_TIMEOUT:
            bad = parse_int("--idle-timeout", optarg, 1, 3600000,
                            &main_app->options.idle_timeout_ms);
            break;
        case OPT_TIMEOUT:
            bad = parse_int("--timeout", optarg, 1, 3600000, &main_app->options.timeout_ms);
            break;
        case OPT_ROUTE_PATH:
            bad = route_set_path(&s->route, optarg, &err) < 0;
            break;
        case OPT_METHOD: bad = route_set_method(&s->route, optarg, &err) < 0; break;
        case OPT_MODE:
            if (strcmp(optarg, "binary") == 0)
                s->route.mode = CEGATE_HTTP_BINARY;
            else if (strcmp(optarg, "structured") == 0)
                s->route.mode = CEGATE_HTTP_STRUCTURED;
            else
                bad = cegate_error_set(&err, CEGATE_ERR_USAGE, "--mode",
                                       "binary or structured, not '%s'", optarg);
            break;
        case OPT_PARAM:
            bad = (eq = split_pair(optarg, "--param", "NAME=VALUE", &err)) == NULL ||
                  route_add_param(&s->route, optarg, eq, &err) < 0;
            break;
        case OPT_ATTEMPTS:
            bad = parse_int("--attempts", optarg, 1, 1000, &s->route.retry.attempts);
            break;
        case OPT_OUTCOME:
            bad = (eq = split_pair(optarg, "--outcome", "STATUS=OUTCOME, as in "
                                                        "409=delivered", &err)) == NULL;
            if (!bad && route_set_outcome(&s->route, optarg, eq, &err) < 0) {
                err.path[0] = '\0';
                cegate_error_prefix_path(&err, "--outcome");
                bad = 1;
            }
            break;
        case OPT_RETRY_INITIAL:
            bad = parse_int("--retry-initial-ms", optarg, 0, 3600000,
                            &s->route.retry.initial_ms);
            break;
        case OPT_RETRY_MAX:
            bad = parse_int("--retry-max-ms", optarg, 0, 3600000,
                            &s->route.retry.max_ms);
            break;
        case OPT_NDJSON: s->ndjson = 1; break;
        case OPT_SHOW_RESPONSE: s->show_response = 1; break;
        case 'h':
            usage(stdout);
            return 1;
        default: {
            int taken = cli_input_option(COMMAND, &s->input, c, optarg);
            if (taken == 1)
                break;
            if (taken == 0)
                usage(stderr);
            return EX_USAGE;
        }
        }
        if (bad) {
            if (err.code != CEGATE_OK)
                cli_report(COMMAND, NULL, &err);
            return EX_USAGE;
        }
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
        cli_error(COMMAND, "%s sets routes: --route-path, --method, --mode, "
                           "--param, --outcome and the retry options describe "
                           "the one route used without them; set them in the "
                           "file",
                  config_file);
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
    s->drain_timeout_ms = 5000;
    cegate_error err;
    cegate_error_clear(&err);
    if (config_init(&s->cfg, &err) < 0 || route_init_default(&s->route, &err) < 0) {
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
    if (rc == 0)
        s->input_path = optind < argc ? argv[optind] : NULL;
    return rc == 1 ? -1 : rc;
}

void replay_settings_free(replay_settings *s)
{
    route_free(&s->route);
    config_free(&s->cfg);
}

