/* SPDX-License-Identifier: Apache-2.0 */
/* normalize.c - `cegate normalize`: print the CloudEvents an input becomes. */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
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

/* Lay out compact JSON text (our own encoding, so valid and without
 * blanks) as ce_append_json_indented() would, `indent` spaces a level from
 * `level` on, by copying it with line breaks after the structural
 * characters: no tree is built again, so nothing of the output is parsed
 * under the input's limits. */
static int newline(cegate_buffer *out, int level, cegate_error *err)
{
    if (cegate_buffer_append_byte(out, '\n', "output", err) < 0)
        return -1;
    for (int i = 0; i < 2 * level; i++)
        if (cegate_buffer_append_byte(out, ' ', "output", err) < 0)
            return -1;
    return 0;
}

static int reindent(cegate_buffer *out, const char *s, size_t n, int level,
                    cegate_error *err)
{
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') { /* a string: copied as it is, escapes and all */
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            continue;
        }
        if (c != '{' && c != '[' && c != '}' && c != ']' && c != ',' &&
            c != ':')
            continue;
        if (cegate_buffer_append(out, s + run, i - run, "output", err) < 0)
            return -1;
        run = i + 1;
        int rc;
        if ((c == '{' || c == '[') && i + 1 < n && s[i + 1] == (c == '{' ? '}' : ']')) {
            rc = cegate_buffer_append(out, s + i, 2, "output", err); /* {} [] */
            run = ++i + 1;
        } else if (c == '{' || c == '[') {
            rc = cegate_buffer_append_byte(out, c, "output", err) < 0
                     ? -1 : newline(out, ++level, err);
        } else if (c == '}' || c == ']') {
            rc = newline(out, --level, err) < 0
                     ? -1 : cegate_buffer_append_byte(out, c, "output", err);
        } else if (c == ',') {
            rc = cegate_buffer_append_byte(out, c, "output", err) < 0
                     ? -1 : newline(out, level, err);
        } else {
            rc = cegate_buffer_append(out, ": ", 2, "output", err);
        }
        if (rc < 0)
            return -1;
    }
    return cegate_buffer_append(out, s + run, n - run, "output", err);
}

static int write_out(const cegate_buffer *b)
{
    return b->length == 0 || fwrite(b->data, 1, b->length, stdout) == b->length
               ? 0 : -1;
}

/* Print the events as an indented JSON array, one event at a time: the
 * output of a message is often larger than the message (attributes added,
 * JSON bodies inlined, base64), so it is not held whole nor held to the
 * input's limit. Each event is built from the input's bytes, which
 * max_input_bytes bounds: the buffers for one event need no cap of their
 * own. */
static int print_events(const cegate_event_list *events)
{
    cegate_buffer one, pretty;
    cegate_buffer_init(&one, SIZE_MAX);
    cegate_buffer_init(&pretty, SIZE_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = 0, io = 0;
    if (cegate_buffer_append_byte(&pretty, '[', "output", &err) < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && io == 0 && i < events->count; i++) {
        cegate_buffer_reset(&one);
        if ((i > 0 && cegate_buffer_append_byte(&pretty, ',', "output",
                                                &err) < 0) ||
            newline(&pretty, 1, &err) < 0 ||
            cegate_json_encode_event(events->events[i], &one, &err) < 0 ||
            reindent(&pretty, one.data, one.length, 1, &err) < 0) {
            rc = -1;
            break;
        }
        io = write_out(&pretty);
        cegate_buffer_reset(&pretty);
    }
    if (rc == 0 && io == 0 &&
        ((events->count > 0 && newline(&pretty, 0, &err) < 0) ||
         cegate_buffer_append(&pretty, "]\n", 2, "output", &err) < 0))
        rc = -1;
    if (rc == 0 && io == 0)
        io = write_out(&pretty);
    cegate_buffer_free(&one);
    cegate_buffer_free(&pretty);
    if (rc < 0) {
        cli_report(COMMAND, NULL, &err);
        return err.code == CEGATE_ERR_NOMEM ? EX_OSERR : EX_DATAERR;
    }
    if (io < 0 || fflush(stdout) != 0) {
        cli_error(COMMAND, "writing standard output failed");
        return EX_IOERR;
    }
    return 0;
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
