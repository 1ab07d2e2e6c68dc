/* normalize.c - `cegate normalize`: print the CloudEvents an input becomes. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "core/text.h"

#define COMMAND "normalize"

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: cegate normalize [--adapter NAME] [--plugin-dir DIR] [--path PATH]\n"
            "                        [-H 'Name: value']... [FILE|-]\n"
            "\n"
            "Read one message (FILE, or standard input when FILE is '-' or\n"
            "absent) and print the CloudEvents it becomes as a JSON array in the\n"
            "CloudEvents JSON event format (specversion 1.0).\n"
            "\n"
            "Every loaded adapter looks at the message (its headers and body) and\n"
            "the most confident one normalizes it; envelopes (SNS, SQS) hand their\n"
            "inner payload back for another round. CloudEvents input follows the\n"
            "HTTP binding: a Content-Type of application/cloudevents+json is\n"
            "structured mode, application/cloudevents-batch+json a batch, and ce-*\n"
            "headers mean binary mode, where the body is the data. Without\n"
            "headers a JSON event object or an array of events is read.\n"
            "\n"
            "Options:\n"
            "  -H, --header 'Name: value'  an HTTP header of the message (repeatable)\n"
            "  --adapter NAME              use only this adapter (see cegate adapters)\n"
            "  --plugin-dir DIR            also load the adapters in DIR (repeatable)\n"
            "  --path PATH                 the request path, for adapters that read it\n"
            "                              (Pub/Sub: .../projects/P/topics/T)\n"
            "  --adapter-option A.OPT=VAL  set an adapter's option (repeatable; see\n"
            "                              cegate adapters), e.g. gcp-pubsub.topic=T\n"
            "  -h, --help                  show this help and exit\n"
            "\n"
            "Exit status: 0 events printed, 64 usage, 65 bad input (stderr names\n"
            "the adapter and the field, or lists why each adapter declined), 66 the\n"
            "file cannot be read, 78 an adapter could not be loaded.\n"
            "\n"
            "Example:\n"
            "  printf hello | cegate normalize -H 'ce-specversion: 1.0' \\\n"
            "      -H 'ce-id: 1' -H 'ce-source: /demo' -H 'ce-type: demo.hello' \\\n"
            "      -H 'Content-Type: text/plain'\n");
}

/* Print the events as an indented JSON array: encode once in the JSON
 * format, then lay that out (with cegate's own writer, which keeps reals
 * as short as they came). */
static int print_events(const cegate_event_list *events)
{
    cegate_options options;
    cegate_options_init(&options);
    cegate_buffer out, pretty;
    cegate_buffer_init(&out, options.limits.max_output_bytes);
    cegate_buffer_init(&pretty, options.limits.max_output_bytes * 2);
    cegate_error err;
    cegate_error_clear(&err);
    json_t *tree = NULL;
    int rc = 0;
    if (cegate_json_encode_batch(events->events, events->count, &out, &err) < 0 ||
        (tree = cegate_json_parse(out.data, out.length, &options.limits,
                                  &err)) == NULL ||
        ce_append_json_indented(&pretty, tree, 2, &err) < 0 ||
        cegate_buffer_append_byte(&pretty, '\n', "output", &err) < 0) {
        cli_report(COMMAND, NULL, &err);
        rc = err.code == CEGATE_ERR_NOMEM ? EX_OSERR : EX_DATAERR;
    } else if (fwrite(pretty.data, 1, pretty.length, stdout) != pretty.length ||
               fflush(stdout) != 0) {
        cli_error(COMMAND, "writing standard output failed");
        rc = EX_IOERR;
    }
    json_decref(tree);
    cegate_buffer_free(&out);
    cegate_buffer_free(&pretty);
    return rc;
}

int cli_normalize(int argc, char **argv)
{
    static const struct option long_options[] = {
        CLI_INPUT_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_input_args args;
    memset(&args, 0, sizeof args);
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "H:h", long_options, NULL)) != -1) {
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
    if (argc - optind > 1) {
        cli_error(COMMAND, "one input at a time (got %d)", argc - optind);
        return EX_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    const char *name = (path == NULL || strcmp(path, "-") == 0) ? NULL : path;

    cegate_options options;
    cegate_options_init(&options);
    registry *reg;
    if ((rc = cli_open_registry(COMMAND, &args, &options, &reg)) != 0)
        return rc;
    cegate_error err;
    cegate_error_clear(&err);
    cegate_buffer input;
    cegate_buffer_init(&input, options.limits.max_input_bytes);
    rc = cli_read_input(COMMAND, path, &input);
    if (rc != 0) {
        cegate_buffer_free(&input);
        registry_free(reg);
        return rc;
    }
    cegate_event_list events;
    cegate_event_list_init(&events);
    const char *body = input.data ? input.data : "";
    int failed = registry_normalize(reg, args.headers, args.header_count, body,
                                    input.length, args.path, &events, &err);
    cegate_buffer_free(&input);
    registry_free(reg);
    if (failed) {
        cli_report(COMMAND, name, &err);
        rc = err.code == CEGATE_ERR_NOMEM ? EX_OSERR : EX_DATAERR;
    } else {
        rc = print_events(&events);
    }
    cegate_event_list_free(&events);
    return rc;
}
