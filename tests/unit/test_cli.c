/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli.c - the cegate command as a user runs it.
 *
 * Every test runs $CEGATE_BIN as a real process (posix_spawn), feeds its
 * standard input through a pipe and captures standard output, standard error
 * and the exit status. CEGATE_PLUGIN_PATH and CEGATE_DEBUG are removed from
 * the child's environment so that the caller's shell cannot change the
 * outcome.
 *
 * The contract under test: `cegate normalize` prints a pretty-printed JSON
 * array of events on stdout and exits 0; bad input exits 65 with exactly one
 * line on stderr, "cegate: normalize: [FILE: ]adapter NAME: FIELD: message"
 * when an adapter reported it, "cegate: normalize: no adapter recognised the
 * payload: ..." when none did, "cegate: normalize: invalid JSON: ..." for a
 * syntax error; 66 for a file that cannot be read (the message names it);
 * 64 for usage errors; 0 for --help and --version.
 *
 * Environment (set by `make check`): CEGATE_BIN, CEGATE_TEST_DATA.
 */
#define _GNU_SOURCE /* strcasestr */
#include <criterion/criterion.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/run.h"

#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66

/* ---- running the command ------------------------------------------------- */

/* What the caller's shell may set that would change the outcome. */
static const char *const caller_settings[] = {"CEGATE_PLUGIN_PATH", "CEGATE_DEBUG",
                                              NULL};

/* Run $CEGATE_BIN with `args` (NULL-terminated, without argv[0]); `input`
 * (may be NULL: empty) goes to its standard input through a pipe. */
static run_output run_input(const char *input, size_t input_len,
                            const char *const *args)
{
    const char *bin = run_need_env("CEGATE_BIN");
    size_t argc = 0;
    while (args[argc] != NULL)
        argc++;
    char **argv = calloc(argc + 2, sizeof *argv);
    cr_assert_not_null(argv);
    argv[0] = (char *)bin;
    for (size_t i = 0; i < argc; i++)
        argv[i + 1] = (char *)args[i];
    char **env = run_child_env(caller_settings, NULL);
    run_output p = run_capture(argv, env, input, input_len, NULL);
    free(env);
    free(argv);
    cr_assert_neq(p.status, 127, "could not run %s: %s", bin, p.err);
    return p;
}

#define RUN(...) run_input(NULL, 0, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_STDIN(text, ...)                                                  \
    run_input((text), strlen(text), (const char *const[]){__VA_ARGS__, NULL})

static char *data_path(const char *rel)
{
    return run_asprintf("%s/%s", run_need_env("CEGATE_TEST_DATA"), rel);
}

static char *read_all(const char *path)
{
    char *text = run_slurp(path, NULL);
    cr_assert_not_null(text, "%s: %s", path, strerror(errno));
    return text;
}

/* A file in a fresh directory under /tmp; remove_temp() deletes both. */
static char temp_dir[64];
static char temp_file[128];

static const char *write_temp(const char *name, const char *text)
{
    run_make_dir(temp_dir, sizeof temp_dir, "/tmp/cegate-test-cli-XXXXXX");
    snprintf(temp_file, sizeof temp_file, "%s/%s", temp_dir, name);
    run_write_file(temp_file, text, strlen(text));
    return temp_file;
}

static void remove_temp(void)
{
    if (temp_file[0])
        unlink(temp_file);
    if (temp_dir[0])
        rmdir(temp_dir);
    temp_file[0] = temp_dir[0] = '\0';
}

/* ---- checking the output ---------------------------------------------------- */

/* Exit 0, nothing on stderr. */
static void expect_success(const run_output *p)
{
    cr_assert_eq(p->status, EX_OK, "exit %d; stderr: %s", p->status, p->err);
    cr_assert_eq(p->err_len, 0, "stderr: %s", p->err);
}

/* stdout as the JSON array of events, with `count` elements. */
static json_t *events_out(const run_output *p, size_t count)
{
    expect_success(p);
    json_error_t jerr;
    json_t *root = json_loadb(p->out, p->out_len, 0, &jerr);
    cr_assert_not_null(root, "stdout is not JSON (%s): %s", jerr.text, p->out);
    cr_assert(json_is_array(root), "stdout is not a JSON array: %s", p->out);
    cr_assert_eq(json_array_size(root), count, "%zu events, want %zu: %s",
                 json_array_size(root), count, p->out);
    return root;
}

static const char *member(const json_t *event, const char *name)
{
    const char *s = json_string_value(json_object_get(event, name));
    cr_assert_not_null(s, "no string member %s", name);
    return s;
}

/* Exit `status`, nothing on stdout, exactly one line on stderr, which
 * starts with `prefix`. Returns the line. */
static const char *one_error_line(const run_output *p, int status, const char *prefix)
{
    cr_assert_eq(p->status, status, "exit %d, want %d; stderr: %s", p->status,
                 status, p->err);
    cr_assert_eq(p->out_len, 0, "stdout on failure: %s", p->out);
    cr_assert_gt(p->err_len, 0, "no message on stderr");
    cr_assert_eq(p->err[p->err_len - 1], '\n', "stderr does not end a line: %s",
                 p->err);
    cr_assert_null(memchr(p->err, '\n', p->err_len - 1),
                   "more than one line on stderr:\n%s", p->err);
    cr_assert_eq(strncmp(p->err, prefix, strlen(prefix)), 0,
                 "stderr line:\n  %s\ndoes not start with\n  %s", p->err,
                 prefix);
    return p->err;
}

#define MINIMAL_EVENT                                                         \
    "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}"

/* ---- normalize: success ------------------------------------------------- */

static void check_order_created(const run_output *p)
{
    json_t *root = events_out(p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "specversion"), "1.0");
    cr_assert_str_eq(member(ev, "id"), "A234-1234-1234");
    cr_assert_str_eq(member(ev, "source"), "https://shop.example.com/orders");
    cr_assert_str_eq(member(ev, "type"), "com.example.order.created");
    cr_assert_str_eq(member(ev, "subject"), "orders/1042");
    cr_assert_str_eq(member(ev, "datacontenttype"), "application/json");
    cr_assert_str_eq(member(ev, "tenant"), "acme");
    json_t *data = json_object_get(ev, "data");
    cr_assert(json_is_object(data), "data is not an object");
    cr_assert_eq(json_integer_value(json_object_get(data, "order")), 1042);
    cr_assert_str_eq(member(data, "currency"), "EUR");
    json_decref(root);
}

Test(normalize, file_argument)
{
    char *path = data_path("samples/order-created.json");
    run_output p = RUN("normalize", path);
    check_order_created(&p);
    run_output_free(&p);
    free(path);
}

Test(normalize, standard_input_without_and_with_dash)
{
    char *path = data_path("samples/order-created.json");
    char *text = read_all(path);
    run_output p = RUN_STDIN(text, "normalize");
    check_order_created(&p);
    run_output_free(&p);
    p = RUN_STDIN(text, "normalize", "-");
    check_order_created(&p);
    run_output_free(&p);
    free(text);
    free(path);
}

Test(normalize, output_is_a_pretty_printed_array)
{
    run_output p = RUN_STDIN(MINIMAL_EVENT, "normalize");
    json_t *root = events_out(&p, 1);
    json_decref(root);
    /* Laid out over several indented lines, ending with a newline. */
    cr_assert(p.out[0] == '[', "stdout does not start with '[': %s", p.out);
    cr_assert_eq(p.out[p.out_len - 1], '\n');
    cr_assert_not_null(strstr(p.out, "\n  "), "not indented: %s", p.out);
    size_t lines = 0;
    for (size_t i = 0; i < p.out_len; i++)
        lines += p.out[i] == '\n';
    cr_assert_geq(lines, 6, "%zu lines: %s", lines, p.out);
    run_output_free(&p);
}

Test(normalize, binary_mode_headers)
{
    run_output p = RUN_STDIN("hello", "normalize", "-H", "ce-specversion: 1.0", "-H",
                             "ce-id: 1", "-H", "ce-source: /s", "-H", "ce-type: t",
                             "-H", "Content-Type: text/plain");
    json_t *root = events_out(&p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "id"), "1");
    cr_assert_str_eq(member(ev, "source"), "/s");
    cr_assert_str_eq(member(ev, "type"), "t");
    cr_assert_str_eq(member(ev, "datacontenttype"), "text/plain");
    cr_assert_str_eq(member(ev, "data"), "hello");
    cr_assert_null(json_object_get(ev, "data_base64"));
    json_decref(root);
    run_output_free(&p);
}

Test(normalize, binary_mode_header_values_percent_decoded)
{
    run_output p = RUN_STDIN("{\"k\":[1,2]}", "normalize", "-H",
                             "ce-specversion: 1.0", "-H", "ce-id: 1", "-H",
                             "ce-source: /s", "-H", "ce-type: Object%20Created", "-H",
                             "ce-subject: Euro%20%E2%82%AC", "-H",
                             "content-type: application/json");
    json_t *root = events_out(&p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "type"), "Object Created");
    cr_assert_str_eq(member(ev, "subject"), "Euro \xe2\x82\xac");
    json_t *data = json_object_get(ev, "data");
    cr_assert(json_is_object(data), "JSON body is not JSON data");
    cr_assert_eq(json_array_size(json_object_get(data, "k")), 2);
    json_decref(root);
    run_output_free(&p);
}

Test(normalize, structured_mode_header)
{
    run_output p = RUN_STDIN("{\"specversion\":\"1.0\",\"id\":\"s1\",\"source\":\"/s\","
                             "\"type\":\"t\",\"subject\":\"sub\"}",
                             "normalize", "-H",
                             "Content-Type: application/cloudevents+json");
    json_t *root = events_out(&p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "id"), "s1");
    cr_assert_str_eq(member(ev, "subject"), "sub");
    json_decref(root);
    run_output_free(&p);
}

Test(normalize, batch_file_keeps_the_order, .fini = remove_temp)
{
    const char *path = write_temp(
        "batch.json",
        "[{\"specversion\":\"1.0\",\"id\":\"first\",\"source\":\"/s\",\"type\":\"t\"},\n"
        " {\"specversion\":\"1.0\",\"id\":\"second\",\"source\":\"/s\",\"type\":\"t\",\n"
        "  \"datacontenttype\":\"text/plain\",\"data\":\"two\"},\n"
        " {\"specversion\":\"1.0\",\"id\":\"third\",\"source\":\"/s\",\"type\":\"t\",\n"
        "  \"data\":{\"n\":3}}]\n");
    run_output p = RUN("normalize", path);
    json_t *root = events_out(&p, 3);
    cr_assert_str_eq(member(json_array_get(root, 0), "id"), "first");
    cr_assert_str_eq(member(json_array_get(root, 1), "id"), "second");
    cr_assert_str_eq(member(json_array_get(root, 1), "data"), "two");
    cr_assert_str_eq(member(json_array_get(root, 2), "id"), "third");
    /* The implied content type is written out. */
    cr_assert_str_eq(member(json_array_get(root, 2), "datacontenttype"),
                     "application/json");
    json_decref(root);
    run_output_free(&p);

    /* The same as a batched-mode HTTP message. */
    char *text = read_all(path);
    p = RUN_STDIN(text, "normalize", "-H",
                  "Content-Type: application/cloudevents-batch+json");
    root = events_out(&p, 3);
    cr_assert_str_eq(member(json_array_get(root, 2), "id"), "third");
    json_decref(root);
    run_output_free(&p);
    free(text);
}

Test(normalize, v03_event_comes_out_as_1_0)
{
    run_output p = RUN_STDIN("{\"specversion\":\"0.3\",\"id\":\"old\",\"source\":\"/s\","
                             "\"type\":\"t\",\"schemaurl\":\"https://example.com/s\"}",
                             "normalize");
    json_t *root = events_out(&p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "specversion"), "1.0");
    cr_assert_str_eq(member(ev, "id"), "old");
    cr_assert_str_eq(member(ev, "dataschema"), "https://example.com/s");
    cr_assert_null(json_object_get(ev, "schemaurl"));
    json_decref(root);
    run_output_free(&p);
}

/* An SQS batch just under max_input_bytes (32 MiB) whose events, with
 * their attributes added, come to more than that: the output is not held
 * to the input's limit (it once was, refused with its own size). */
Test(normalize, output_larger_than_the_input_limit, .timeout = 120)
{
    const size_t records = 10000, body_n = 3150;
    size_t cap = records * (body_n + 256) + 64, n = 0;
    char *input = malloc(cap);
    char *body = malloc(body_n + 1);
    cr_assert(input != NULL && body != NULL);
    memset(body, 'x', body_n);
    body[body_n] = '\0';
    n += (size_t)snprintf(input + n, cap - n, "{\"Records\":[");
    for (size_t i = 0; i < records; i++)
        n += (size_t)snprintf(input + n, cap - n,
                              "%s{\"eventSource\":\"aws:sqs\",\"messageId\":"
                              "\"m%zu\",\"body\":\"%s\",\"eventSourceARN\":"
                              "\"arn:aws:sqs:us-west-2:1:Q\",\"attributes\":"
                              "{\"SentTimestamp\":\"1545082649183\"}}",
                              i ? "," : "", i, body);
    n += (size_t)snprintf(input + n, cap - n, "]}");
    cr_assert_lt(n, (size_t)32 << 20, "input of %zu bytes", n);
    run_output p = run_input(input, n, (const char *const[]){"normalize", NULL});
    cr_assert_gt(p.out_len, (size_t)32 << 20, "output of %zu bytes", p.out_len);
    json_t *root = events_out(&p, records);
    json_t *last = json_array_get(root, records - 1);
    cr_assert_str_eq(member(last, "id"), "m9999");
    cr_assert_str_eq(member(json_object_get(last, "data"), "body"), body);
    json_decref(root);
    run_output_free(&p);
    free(body);
    free(input);
}

Test(normalize, an_empty_batch_prints_an_empty_array)
{
    run_output p = RUN_STDIN("[]", "normalize", "-H",
                             "Content-Type: application/cloudevents-batch+json");
    expect_success(&p);
    cr_assert_str_eq(p.out, "[]\n");
    run_output_free(&p);
}

/* ---- normalize: bad input ------------------------------------------------- */

Test(bad_input, missing_id_names_adapter_and_field)
{
    run_output p = RUN_STDIN("{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}",
                             "normalize");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: id: ");
    run_output_free(&p);
}

Test(bad_input, file_name_leads_the_line, .fini = remove_temp)
{
    const char *path = write_temp(
        "no-id.json", "{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}");
    run_output p = RUN("normalize", path);
    char prefix[256];
    snprintf(prefix, sizeof prefix,
             "cegate: normalize: %s: adapter cloudevents: id: ", path);
    one_error_line(&p, EX_DATAERR, prefix);
    run_output_free(&p);
}

Test(bad_input, bad_time_named)
{
    run_output p = RUN_STDIN("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                             "\"type\":\"t\",\"time\":\"lunchtime\"}",
                             "normalize");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: time: ");
    run_output_free(&p);
}

Test(bad_input, batch_element_named)
{
    run_output p = RUN_STDIN("[" MINIMAL_EVENT ",{\"specversion\":\"1.0\",\"id\":\"2\","
                             "\"source\":\"/s\",\"type\":\"t\",\"time\":\"never\"}]",
                             "normalize");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: [1].time: ");
    run_output_free(&p);
}

Test(bad_input, binary_mode_error_names_the_header)
{
    run_output p = RUN_STDIN("hello", "normalize", "-H", "ce-specversion: 1.0", "-H",
                             "ce-source: /s", "-H", "ce-type: t");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: ce-id: ");
    run_output_free(&p);
}

Test(bad_input, no_adapter_recognises_the_payload)
{
    run_output p = RUN_STDIN("{\"a\":1}", "normalize");
    const char *line = one_error_line(
        &p, EX_DATAERR, "cegate: normalize: no adapter recognised the payload: ");
    /* Each adapter says why it declined; the CloudEvents one among them. */
    cr_assert_not_null(strstr(line, "cloudevents ("), "line: %s", line);
    run_output_free(&p);
}

Test(bad_input, invalid_json)
{
    run_output p = RUN_STDIN("{\"specversion\": \"1.0\", oops}", "normalize");
    one_error_line(&p, EX_DATAERR, "cegate: normalize: invalid JSON: ");
    run_output_free(&p);
}

Test(bad_input, missing_file_is_66_and_named)
{
    const char *path = "/nonexistent-cegate-dir/no-such-file.json";
    run_output p = RUN("normalize", path);
    const char *line = one_error_line(&p, EX_NOINPUT, "cegate: normalize: ");
    cr_assert_not_null(strstr(line, path), "the file is not named: %s", line);
    run_output_free(&p);
}

/* ---- usage ------------------------------------------------------------------ */

static void expect_usage_error(const run_output *p)
{
    cr_assert_eq(p->status, EX_USAGE, "exit %d, want 64; stderr: %s",
                 p->status, p->err);
    cr_assert_eq(p->out_len, 0, "stdout on a usage error: %s", p->out);
    cr_assert_gt(p->err_len, 0, "nothing on stderr");
}

/* The usage text (on stdout or stderr): it says so and names normalize. */
static void expect_usage_text(const char *text)
{
    cr_assert_not_null(strcasestr(text, "usage"), "no usage: %s", text);
    cr_assert_not_null(strstr(text, "normalize"), "no normalize: %s", text);
}

/* --help: the usage on stdout, exit 0. Frees p. */
static void expect_help(run_output p)
{
    expect_success(&p);
    expect_usage_text(p.out);
    run_output_free(&p);
}

Test(usage, unknown_option)
{
    run_output p = RUN_STDIN(MINIMAL_EVENT, "normalize", "--no-such-option");
    expect_usage_error(&p);
    expect_usage_text(p.err);
    run_output_free(&p);
}

Test(usage, malformed_header_option)
{
    run_output p = RUN_STDIN(MINIMAL_EVENT, "normalize", "-H", "no colon here");
    expect_usage_error(&p);
    run_output_free(&p);
}

Test(usage, no_command)
{
    /* Without a command there is nothing to do: a usage error, with the
     * usage on stderr. */
    const char *no_args[] = {NULL};
    run_output p = run_input(NULL, 0, no_args);
    expect_usage_error(&p);
    expect_usage_text(p.err);
    run_output_free(&p);
}

Test(usage, help)
{
    expect_help(RUN("--help"));
}

Test(usage, normalize_help)
{
    expect_help(RUN("normalize", "--help"));
}

Test(usage, version)
{
    run_output p = RUN("--version");
    expect_success(&p);
    cr_assert_eq(strncmp(p.out, "cegate ", 7), 0, "stdout: %s", p.out);
    cr_assert(p.out[7] >= '0' && p.out[7] <= '9', "no version number: %s",
              p.out);
    cr_assert_eq(p.out[p.out_len - 1], '\n');
    cr_assert_null(memchr(p.out, '\n', p.out_len - 1), "more than a line: %s",
                   p.out);
    run_output_free(&p);
}

Test(usage, unknown_command)
{
    run_output p = RUN("nosuchcommand");
    expect_usage_error(&p);
    cr_assert_not_null(strstr(p.err, "nosuchcommand"), "stderr: %s", p.err);
    run_output_free(&p);
}

/* ---- adapters -------------------------------------------------------------- */

Test(adapters, lists_cloudevents)
{
    run_output p = RUN("adapters");
    expect_success(&p);
    /* A line whose first word is the adapter's name. */
    int found = 0;
    for (const char *line = p.out; line && *line;) {
        if (strncmp(line, "cloudevents", 11) == 0 &&
            (line[11] == ' ' || line[11] == '\t'))
            found = 1;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    cr_assert(found, "no cloudevents line in:\n%s", p.out);
    run_output_free(&p);
}

/* ---- replay: the configuration file ---------------------------------------- */

#define EX_CONFIG 78

Test(config_file, a_bad_key_is_78_and_named, .fini = remove_temp)
{
    const char *path = write_temp("cegate.json",
                                  "{\"routes\": [{\"request\": {\"mode\": \"batch\"}}]}");
    run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "--app", "unix:/nonexistent.sock",
                             "-c", path);
    const char *line = one_error_line(&p, EX_CONFIG, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "cegate.json: routes[0].request.mode: binary or "
                                    "structured"), "line: %s", line);
    run_output_free(&p);
}

Test(config_file, a_file_that_is_not_json_gives_line_and_column, .fini = remove_temp)
{
    const char *path = write_temp("cegate.json", "{\n  \"routes\": [ x ]\n}\n");
    run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "--config", path);
    const char *line = one_error_line(&p, EX_CONFIG, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "cegate.json:2:15: invalid JSON: unexpected "
                                    "character\n"), "line: %s", line);
    run_output_free(&p);
}

Test(config_file, a_missing_file_is_66)
{
    run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "-c", "/nonexistent/cegate.json");
    const char *line = one_error_line(&p, EX_NOINPUT, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "/nonexistent/cegate.json: cannot open"), "%s", line);
    run_output_free(&p);
}

Test(config_file, route_options_cannot_change_the_files_routes, .fini = remove_temp)
{
    const char *path = write_temp("cegate.json", "{\"routes\": [{}]}");
    run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "--app", "unix:/nonexistent.sock",
                             "-c", path, "--route-path", "/x");
    const char *line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "sets routes"), "line: %s", line);
    run_output_free(&p);
}

Test(config_file, the_default_app_needs_an_address, .fini = remove_temp)
{
    const char *path = write_temp("cegate.json",
                                  "{\"apps\": {\"b\": \"unix:/nonexistent.sock\"},"
                                  " \"routes\": [{\"app\": \"b\"}, {}]}");
    run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "-c", path);
    const char *line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "--app ADDR is required"), "line: %s", line);
    run_output_free(&p);
}

/* ---- replay: the options, from the option table --------------------------------- */

#include "options.h"

/* `replay --app unix:/x FLAG ARG --help`: getopt reads the flag before
 * --help, so a refused argument exits 64 and an accepted one reaches
 * --help (exit 0) without delivering anything. */
static run_output replay_flag(const char *flag, const char *arg)
{
    return RUN("replay", "--app", "unix:/nonexistent.sock", flag, arg, "--help");
}

Test(replay_options, every_number_flag_takes_the_tables_range)
{
    size_t checked = 0;
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        if (o->type != OPTION_INT || o->flag == NULL)
            continue;
        long long values[] = {o->min, o->max, (long long)o->min - 1, (long long)o->max + 1};
        for (size_t k = 0; k < 4; k++) {
            char arg[32];
            snprintf(arg, sizeof arg, "%lld", values[k]);
            run_output p = replay_flag(o->flag, arg);
            if (k < 2) {
                cr_assert_eq(p.status, EX_OK, "%s %s refused: %s", o->flag, arg, p.err);
            } else {
                char want[128];
                snprintf(want, sizeof want,
                         "cegate: replay: %s '%s': must be a whole number from %d to %d\n",
                         o->flag, arg, o->min, o->max);
                const char *line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
                cr_assert_str_eq(line, want);
            }
            run_output_free(&p);
        }
        checked++;
    }
    cr_assert_geq(checked, 8);
}

/* A line of the help that starts with the flag: "  --timeout MS ...". */
static int help_has_flag(const char *help, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *line = help; line != NULL && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, "  ", 2) == 0 && strncmp(line + 2, flag, n) == 0 &&
            (line[2 + n] == ' ' || line[2 + n] == '\n'))
            return 1;
    }
    return 0;
}

Test(replay_options, help_lists_every_flag_of_the_table)
{
    run_output p = RUN("replay", "--help");
    expect_success(&p);
    for (size_t i = 0; i < option_table_size; i++) {
        const char *flag = option_table[i].flag;
        if (flag != NULL)
            cr_assert(help_has_flag(p.out, flag), "--help has no line for %s:\n%s", flag,
                      p.out);
    }
    cr_assert(help_has_flag(p.out, "--show-response"), "%s", p.out);
    run_output_free(&p);
}

Test(replay_options, the_new_flags_are_taken)
{
    run_output p = replay_flag("--connect-timeout", "250");
    expect_success(&p);
    run_output_free(&p);
    p = replay_flag("--drain-timeout", "0");
    expect_success(&p);
    run_output_free(&p);
}

Test(replay_options, a_bad_word_or_pair_names_the_flag_and_the_value)
{
    run_output p = replay_flag("--mode", "batch");
    const char *line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
    cr_assert_str_eq(line, "cegate: replay: --mode 'batch': binary or structured\n");
    run_output_free(&p);
    p = replay_flag("--outcome", "409");
    line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
    cr_assert_str_eq(line, "cegate: replay: --outcome '409': expected STATUS=OUTCOME\n");
    run_output_free(&p);
    p = replay_flag("--param", "HTTP_PROXY=http://proxy:3128");
    line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "--param 'HTTP_PROXY=http://proxy:3128': reserved"),
                       "%s", line);
    run_output_free(&p);
}

Test(config_file, every_route_flag_is_refused_when_the_file_has_routes, .fini = remove_temp)
{
    const char *path = write_temp("cegate.json", "{\"routes\": [{}]}");
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        if (!option_is_route(o) || o->flag == NULL)
            continue;
        /* A value each takes, so that the route rule is what refuses it. */
        const char *arg = o->def != NULL                     ? o->def
                          : strcmp(o->key, "outcomes") == 0 ? "409=delivered"
                                                             : "X=1";
        run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "--app", "unix:/nonexistent.sock",
                                 "-c", path, o->flag, arg);
        const char *line = one_error_line(&p, EX_USAGE, "cegate: replay: ");
        cr_assert_not_null(strstr(line, "sets routes"), "%s: %s", o->flag, line);
        cr_assert_not_null(strstr(line, o->flag), "%s is not named: %s", o->flag, line);
        run_output_free(&p);
    }
}

Test(config_file, a_files_number_out_of_range_is_78_and_named, .fini = remove_temp)
{
    const char *path = write_temp("cegate.json",
                                  "{\"app\": {\"address\": \"unix:/x\", "
                                  "\"idle_timeout_ms\": 0}}");
    run_output p = RUN_STDIN(MINIMAL_EVENT, "replay", "-c", path);
    const char *line = one_error_line(&p, EX_CONFIG, "cegate: replay: ");
    cr_assert_not_null(strstr(line, "cegate.json: app.idle_timeout_ms: must be a whole "
                                    "number from 1 to 3600000\n"), "line: %s", line);
    run_output_free(&p);
}
