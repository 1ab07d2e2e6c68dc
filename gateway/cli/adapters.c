/* adapters.c - `cegate adapters`, and loading the registry for every
 * command. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"

#define COMMAND "adapters"
#define MAX_PLUGIN_DIRS 16

int cli_load_adapters(const char *command, char *const *plugin_dirs,
                      size_t dir_count, const cegate_options *options,
                      registry **out)
{
    *out = NULL;
    registry *reg = registry_new(options);
    if (reg == NULL) {
        cli_error(command, "out of memory");
        return EX_OSERR;
    }
    cegate_error err;
    cegate_error_clear(&err);
    int rc = registry_load_defaults(reg, &err);
    for (size_t i = 0; rc == 0 && i < dir_count; i++)
        rc = registry_load_dir(reg, plugin_dirs[i], 1, &err);
    if (rc < 0) {
        cli_report(command, NULL, &err);
        registry_free(reg);
        return EX_CONFIG;
    }
    *out = reg;
    return 0;
}

int cli_set_adapter_options(const char *command, registry *reg,
                            char *const *settings, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        cegate_error err;
        cegate_error_clear(&err);
        if (registry_set_option(reg, settings[i], &err) < 0) {
            cli_report(command, NULL, &err);
            return EX_USAGE;
        }
    }
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
        {"plugin-dir", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *dirs[MAX_PLUGIN_DIRS];
    size_t dir_count = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'P':
            if (dir_count == MAX_PLUGIN_DIRS) {
                cli_error(COMMAND, "more than %d --plugin-dir options",
                          MAX_PLUGIN_DIRS);
                return EX_USAGE;
            }
            dirs[dir_count++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        cli_error(COMMAND, "unexpected argument '%s'", argv[optind]);
        return EX_USAGE;
    }
    registry *reg;
    int rc = cli_load_adapters(COMMAND, dirs, dir_count, NULL, &reg);
    if (rc != 0)
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
