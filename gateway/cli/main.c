/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - the cegate command: global options and subcommand dispatch. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"normalize", cli_normalize,
     "print the CloudEvents an input becomes, as a JSON array"},
    {"replay", cli_replay,
     "deliver each event of an input to a FastCGI or CGI app"},
    {"adapters", cli_adapters,
     "list the loaded adapters (name, ABI, description, file)"},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: cegate COMMAND [OPTION]... [ARG]...\n"
            "       cegate --help | --version\n"
            "\n"
            "cegate turns cloud events (CloudEvents, S3, SNS, SQS, EventBridge,\n"
            "Pub/Sub, Event Grid) into requests for a FastCGI or CGI app.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(to, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(to,
            "\n"
            "Run 'cegate COMMAND --help' for a command's options.\n"
            "Exit status: 0 success, 64 usage, 65 bad input, 66 no input file,\n"
            "69 app unavailable, 75 temporary failure, 78 bad configuration.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("cegate %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cegate: unknown command '%s' (try 'cegate --help')\n", name);
    return EX_USAGE;
}
