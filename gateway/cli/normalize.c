/* normalize.c - `cegate normalize`: print the CloudEvents an input becomes. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"

#define COMMAND "normalize"
#define MAX_HEADERS 256

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: cegate normalize [-H 'Name: value']... [FILE|-]\n"
            "\n"
            "Read one message (FILE, or standard input when FILE is '-' or\n"
            "absent) and print the CloudEvents it holds as a JSON array in the\n"
            "CloudEvents JSON event format (specversion 1.0).\n"
            "\n"
            "Without -H the input is JSON: an event (structured mode) or an array\n"
            "of events (a batch). With -H it is an HTTP message body and the\n"
            "headers decide, as the CloudEvents HTTP binding says: a Content-Type\n"
            "of application/cloudevents+json is structured mode,\n"
            "application/cloudevents-batch+json a batch, anything else binary\n"
            "mode, where the ce-* headers carry the attributes and the body is\n"
            "the data.\n"
            "\n"
            "Options:\n"
            "  -H, --header 'Name: value'  an HTTP header of the message (repeatable)\n"
            "  -h, --help                  show this help and exit\n"
            "\n"
            "Exit status: 0 events printed, 64 usage, 65 the input is not a valid\n"
            "CloudEvent (stderr names the field), 66 the file cannot be read.\n"
            "\n"
            "Example:\n"
            "  printf hello | cegate normalize -H 'ce-specversion: 1.0' \\\n"
            "      -H 'ce-id: 1' -H 'ce-source: /demo' -H 'ce-type: demo.hello' \\\n"
            "      -H 'Content-Type: text/plain'\n");
}

/* Split "Name: value" in place; returns -1 when it is not a header. */
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

/* Print the events as an indented JSON array: encode once in the JSON
 * format, then let jansson lay it out. */
static int print_events(const cegate_event_list *events)
{
    cegate_options options;
    cegate_options_init(&options);
    cegate_buffer out;
    cegate_buffer_init(&out, options.limits.max_output_bytes);
    cegate_error err;
    cegate_error_clear(&err);
    if (cegate_json_encode_batch(events->events, events->count, &out, &err) < 0) {
        cli_report(COMMAND, NULL, &err);
        cegate_buffer_free(&out);
        return err.code == CEGATE_ERR_NOMEM ? EX_OSERR : EX_DATAERR;
    }
    json_t *tree = json_loadb(out.data, out.length, 0, NULL);
    cegate_buffer_free(&out);
    if (tree == NULL) {
        cli_error(COMMAND, "out of memory laying out the output");
        return EX_OSERR;
    }
    int rc = json_dumpf(tree, stdout, JSON_INDENT(2)) == 0 ? 0 : EX_IOERR;
    json_decref(tree);
    if (rc == 0 && (fputc('\n', stdout) == EOF || fflush(stdout) != 0))
        rc = EX_IOERR;
    if (rc != 0)
        cli_error(COMMAND, "writing standard output failed");
    return rc;
}

int cli_normalize(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"header", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cegate_header headers[MAX_HEADERS];
    size_t header_count = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "H:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'H':
            if (header_count == MAX_HEADERS) {
                cli_error(COMMAND, "more than %d -H options", MAX_HEADERS);
                return EX_USAGE;
            }
            if (parse_header(optarg, &headers[header_count]) < 0) {
                cli_error(COMMAND, "-H '%s': expected 'Name: value'", optarg);
                return EX_USAGE;
            }
            header_count++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (argc - optind > 1) {
        cli_error(COMMAND, "one input at a time (got %d)", argc - optind);
        return EX_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    const char *name = (path == NULL || strcmp(path, "-") == 0) ? NULL : path;

    cegate_options options;
    cegate_options_init(&options);
    cegate_buffer input;
    cegate_buffer_init(&input, options.limits.max_input_bytes);
    int rc = cli_read_input(COMMAND, path, &input);
    if (rc != 0) {
        cegate_buffer_free(&input);
        return rc;
    }
    cegate_event_list events;
    cegate_event_list_init(&events);
    cegate_error err;
    cegate_error_clear(&err);
    const char *body = input.data ? input.data : "";
    int failed = header_count > 0
                     ? cegate_http_decode(headers, header_count, body,
                                          input.length, &options, &events, &err)
                     : cegate_json_decode(body, input.length, &options, &events,
                                          &err);
    cegate_buffer_free(&input);
    if (failed) {
        cli_report(COMMAND, name, &err);
        rc = err.code == CEGATE_ERR_NOMEM ? EX_OSERR : EX_DATAERR;
    } else {
        rc = print_events(&events);
    }
    cegate_event_list_free(&events);
    return rc;
}
