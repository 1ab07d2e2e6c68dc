/* SPDX-License-Identifier: Apache-2.0 */
/* adapters.c - `cegate adapters`, and loading the registry for every
 * command. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"

#define COMMAND "adapters"

/* Split "Name: value" in place; -1 when it is not a header. */
static int parse_header(char *arg, cegate_header *out)
{
    char *colon = strchr(arg, ':');
    if (colon == NULL || colon == arg)
        return -1;
    for (char *p = arg; p < colon; p++)
        if (*p <= ' ' || *p == 0x7F)
            return -1;
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    out->name = arg;
    out->value = value;
    return 0;
}

int cli_input_option(const char *command, cli_input_args *a, int option,
                     char *arg)
{
    switch (option) {
    case CLI_OPT_HEADER:
        if (a->header_count == CLI_MAX_HEADERS) {
            cli_error(command, "more than %d -H options", CLI_MAX_HEADERS);
            return EX_USAGE;
        }
        if (parse_header(arg, &a->headers[a->header_count]) < 0) {
            cli_error(command, "-H '%s': expected 'Name: value'", arg);
            return EX_USAGE;
        }
        a->header_count++;
        return 1;
    case CLI_OPT_PLUGIN_DIR:
        if (a->dir_count == CLI_MAX_PLUGIN_DIRS) {
            cli_error(command, "more than %d --plugin-dir options",
                      CLI_MAX_PLUGIN_DIRS);
            return EX_USAGE;
        }
        a->dirs[a->dir_count++] = arg;
        return 1;
    case CLI_OPT_ADAPTER_OPTION:
        if (a->setting_count == CLI_MAX_SETTINGS) {
            cli_error(command, "more than %d --adapter-option settings",
                      CLI_MAX_SETTINGS);
            return EX_USAGE;
        }
        a->settings[a->setting_count++] = arg;
        return 1;
    case CLI_OPT_ADAPTER:
        a->adapter = arg;
        return 1;
    case CLI_OPT_PATH:
        a->path = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_open_registry(const char *command, const cli_input_args *a,
                      const cegate_options *options, registry **out)
{
    *out = NULL;
    registry *reg = registry_new(options);
    if (reg == NULL) {
        cli_error(command, "out of memory");
        return EX_OSERR;
    }
    cegate_error err;
    cegate_error_clear(&err);
    int rc = registry_load_defaults(reg, &err) < 0 ? EX_CONFIG : 0;
    for (size_t i = 0; rc == 0 && i < a->dir_count; i++)
        if (registry_load_dir(reg, a->dirs[i], 1, &err) < 0)
            rc = EX_CONFIG;
    if (rc == 0 && a->adapter != NULL && registry_force(reg, a->adapter, &err) < 0)
        rc = EX_USAGE;
    for (size_t i = 0; rc == 0 && i < a->setting_count; i++)
        if (registry_set_option(reg, a->settings[i], &err) < 0)
            rc = EX_USAGE;
    if (rc != 0) {
        cli_report(command, NULL, &err);
        registry_free(reg);
        return rc;
    }
    *out = reg;
    return 0;
}

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: cegate adapters [--plugin-dir DIR]...\n"
            "\n"
            "List the loaded adapters: name, plugin ABI version, description and\n"
            "the file each was loaded from, then the options adapters take.\n"
            "Built-in adapters come first, then those of the directories in\n"
            "CEGATE_PLUGIN_PATH (colon-separated), then those of each --plugin-dir.\n"
            "\n"
            "Options:\n"
            "  --plugin-dir DIR  also load every *.so adapter in DIR (repeatable)\n"
            "  -h, --help        show this help and exit\n"
            "\n"
            "Exit status: 0 listed, 64 usage, 78 an adapter could not be loaded.\n");
}

int cli_adapters(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"plugin-dir", required_argument, NULL, CLI_OPT_PLUGIN_DIR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_input_args args;
    memset(&args, 0, sizeof args);
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if ((rc = cli_input_option(COMMAND, &args, c, optarg)) == 1)
            continue;
        if (rc != 0)
            return rc;
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return EX_USAGE;
    }
    if (optind < argc) {
        cli_error(COMMAND, "unexpected argument '%s'", argv[optind]);
        return EX_USAGE;
    }
    registry *reg;
    if ((rc = cli_open_registry(COMMAND, &args, NULL, &reg)) != 0)
        return rc;
    int width = (int)strlen("DESCRIPTION");
    for (size_t i = 0; i < registry_count(reg); i++) {
        int n = (int)strlen(registry_get(reg, i)->descriptor->description);
        width = n > width ? n : width;
    }
    printf("%-18s %-5s %-*s %s\n", "NAME", "ABI", width, "DESCRIPTION", "FILE");
    for (size_t i = 0; i < registry_count(reg); i++) {
        const registry_entry *e = registry_get(reg, i);
        char abi[16];
        snprintf(abi, sizeof abi, "%u.%u", e->descriptor->abi_major,
                 e->descriptor->abi_minor);
        printf("%-18s %-5s %-*s %s\n", e->descriptor->name, abi, width,
               e->descriptor->description, e->file);
    }
    /* Options, settable with --adapter-option ADAPTER.OPTION=VALUE. */
    int heading = 0;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const cegate_adapter_descriptor *d = registry_get(reg, i)->descriptor;
        for (size_t k = 0; k < d->option_count; k++) {
            if (!heading++)
                printf("\nOptions (--adapter-option ADAPTER.OPTION=VALUE):\n");
            printf("  %s.%s (default: %s): %s\n", d->name, d->options[k].name,
                   d->options[k].default_value ? d->options[k].default_value
                                               : "none",
                   d->options[k].description ? d->options[k].description : "");
        }
    }
    registry_free(reg);
    return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
