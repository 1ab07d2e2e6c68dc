/* test_cli.c - the cegate command as a user runs it.
 *
 * Every test runs $CEGATE_BIN as a real process (fork + exec), feeds its
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
#define _GNU_SOURCE /* pipe2 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66

/* ---- running the command ------------------------------------------------- */

typedef struct proc {
    int status; /* the exit status, or 128 + signal */
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
} proc;

static void proc_free(proc *p)
{
    free(p->out);
    free(p->err);
}

static const char *need_env(const char *name)
{
    const char *v = getenv(name);
    cr_assert(v != NULL && *v != '\0',
              "%s is not set: run this test through `make check`", name);
    return v;
}

static void append_bytes(char **buf, size_t *len, size_t *cap, const char *p,
                         size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 4096;
        *buf = realloc(*buf, *cap);
        cr_assert_not_null(*buf);
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Run $CEGATE_BIN with `args` (NULL-terminated, without argv[0]); `input`
 * (may be NULL: empty) goes to its standard input through a pipe. */
static proc run_input(const char *input, size_t input_len,
                      const char *const *args)
{
    const char *bin = need_env("CEGATE_BIN");
    size_t argc = 0;
    while (args[argc] != NULL)
        argc++;
    char **argv = calloc(argc + 2, sizeof *argv);
    cr_assert_not_null(argv);
    argv[0] = (char *)bin;
    for (size_t i = 0; i < argc; i++)
        argv[i + 1] = (char *)args[i];

    int in[2], out[2], err[2];
    cr_assert_eq(pipe2(in, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    cr_assert_eq(pipe2(out, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    cr_assert_eq(pipe2(err, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
    signal(SIGPIPE, SIG_IGN); /* the child may exit before reading stdin */

    pid_t pid = fork();
    cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
            _exit(127);
        unsetenv("CEGATE_PLUGIN_PATH");
        unsetenv("CEGATE_DEBUG");
        signal(SIGPIPE, SIG_DFL);
        execv(bin, argv);
        _exit(127);
    }
    free(argv);
    close(in[0]);
    close(out[1]);
    close(err[1]);

    proc p = {0};
    size_t out_cap = 0, err_cap = 0, written = 0;
    append_bytes(&p.out, &p.out_len, &out_cap, "", 0);
    append_bytes(&p.err, &p.err_len, &err_cap, "", 0);
    int in_fd = in[1];
    if (input == NULL || input_len == 0) {
        close(in_fd);
        in_fd = -1;
    } else {
        fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    }
    int out_fd = out[0], err_fd = err[0];
    while (out_fd >= 0 || err_fd >= 0) {
        struct pollfd fds[3];
        nfds_t n = 0;
        if (out_fd >= 0)
            fds[n++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
        if (err_fd >= 0)
            fds[n++] = (struct pollfd){.fd = err_fd, .events = POLLIN};
        if (in_fd >= 0)
            fds[n++] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
        if (poll(fds, n, 60000) < 0) {
            cr_assert_eq(errno, EINTR, "poll: %s", strerror(errno));
            continue;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (fds[i].revents == 0)
                continue;
            if (fds[i].fd == in_fd) {
                ssize_t w = write(in_fd, input + written, input_len - written);
                if (w > 0)
                    written += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
                    written == input_len) {
                    close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            char buf[65536];
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            int is_out = fds[i].fd == out_fd;
            if (r <= 0) {
                close(fds[i].fd);
                if (is_out)
                    out_fd = -1;
                else
                    err_fd = -1;
                continue;
            }
            if (is_out)
                append_bytes(&p.out, &p.out_len, &out_cap, buf, (size_t)r);
            else
                append_bytes(&p.err, &p.err_len, &err_cap, buf, (size_t)r);
        }
    }
    if (in_fd >= 0)
        close(in_fd);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    p.status = WIFEXITED(status) ? WEXITSTATUS(status)
                                 : 128 + WTERMSIG(status);
    cr_assert_neq(p.status, 127, "could not run %s: %s", bin, p.err);
    return p;
}

#define RUN(...) run_input(NULL, 0, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_STDIN(text, ...)                                                  \
    run_input((text), strlen(text), (const char *const[]){__VA_ARGS__, NULL})

static char *data_path(const char *rel)
{
    const char *dir = need_env("CEGATE_TEST_DATA");
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *path = malloc(n);
    cr_assert_not_null(path);
    snprintf(path, n, "%s/%s", dir, rel);
    return path;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char chunk[4096];
    size_t n;
    append_bytes(&buf, &len, &cap, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        append_bytes(&buf, &len, &cap, chunk, n);
    fclose(f);
    return buf;
}

/* A file in a fresh directory under /tmp; remove_temp() deletes both. */
static char temp_dir[64];
static char temp_file[128];

static const char *write_temp(const char *name, const char *text)
{
    snprintf(temp_dir, sizeof temp_dir, "/tmp/cegate-test-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(temp_dir), "mkdtemp: %s", strerror(errno));
    snprintf(temp_file, sizeof temp_file, "%s/%s", temp_dir, name);
    FILE *f = fopen(temp_file, "wb");
    cr_assert_not_null(f, "%s: %s", temp_file, strerror(errno));
    cr_assert(fputs(text, f) >= 0);
    cr_assert_eq(fclose(f), 0);
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

/* stdout as the JSON array of events, with `count` elements. */
static json_t *events_out(const proc *p, size_t count)
{
    cr_assert_eq(p->status, EX_OK, "exit %d, stderr: %s", p->status, p->err);
    cr_assert_eq(p->err_len, 0, "stderr on success: %s", p->err);
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
static const char *one_error_line(const proc *p, int status, const char *prefix)
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

static void check_order_created(const proc *p)
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
    proc p = RUN("normalize", path);
    check_order_created(&p);
    proc_free(&p);
    free(path);
}

Test(normalize, standard_input_without_and_with_dash)
{
    char *path = data_path("samples/order-created.json");
    char *text = read_all(path);
    proc p = RUN_STDIN(text, "normalize");
    check_order_created(&p);
    proc_free(&p);
    p = RUN_STDIN(text, "normalize", "-");
    check_order_created(&p);
    proc_free(&p);
    free(text);
    free(path);
}

Test(normalize, output_is_a_pretty_printed_array)
{
    proc p = RUN_STDIN(MINIMAL_EVENT, "normalize");
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
    proc_free(&p);
}

Test(normalize, binary_mode_headers)
{
    proc p = RUN_STDIN("hello", "normalize", "-H", "ce-specversion: 1.0", "-H",
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
    proc_free(&p);
}

Test(normalize, binary_mode_header_values_percent_decoded)
{
    proc p = RUN_STDIN("{\"k\":[1,2]}", "normalize", "-H",
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
    proc_free(&p);
}

Test(normalize, structured_mode_header)
{
    proc p = RUN_STDIN("{\"specversion\":\"1.0\",\"id\":\"s1\",\"source\":\"/s\","
                       "\"type\":\"t\",\"subject\":\"sub\"}",
                       "normalize", "-H",
                       "Content-Type: application/cloudevents+json");
    json_t *root = events_out(&p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "id"), "s1");
    cr_assert_str_eq(member(ev, "subject"), "sub");
    json_decref(root);
    proc_free(&p);
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
    proc p = RUN("normalize", path);
    json_t *root = events_out(&p, 3);
    cr_assert_str_eq(member(json_array_get(root, 0), "id"), "first");
    cr_assert_str_eq(member(json_array_get(root, 1), "id"), "second");
    cr_assert_str_eq(member(json_array_get(root, 1), "data"), "two");
    cr_assert_str_eq(member(json_array_get(root, 2), "id"), "third");
    /* The implied content type is written out. */
    cr_assert_str_eq(member(json_array_get(root, 2), "datacontenttype"),
                     "application/json");
    json_decref(root);
    proc_free(&p);

    /* The same as a batched-mode HTTP message. */
    char *text = read_all(path);
    p = RUN_STDIN(text, "normalize", "-H",
                  "Content-Type: application/cloudevents-batch+json");
    root = events_out(&p, 3);
    cr_assert_str_eq(member(json_array_get(root, 2), "id"), "third");
    json_decref(root);
    proc_free(&p);
    free(text);
}

Test(normalize, v03_event_comes_out_as_1_0)
{
    proc p = RUN_STDIN("{\"specversion\":\"0.3\",\"id\":\"old\",\"source\":\"/s\","
                       "\"type\":\"t\",\"schemaurl\":\"https://example.com/s\"}",
                       "normalize");
    json_t *root = events_out(&p, 1);
    json_t *ev = json_array_get(root, 0);
    cr_assert_str_eq(member(ev, "specversion"), "1.0");
    cr_assert_str_eq(member(ev, "id"), "old");
    cr_assert_str_eq(member(ev, "dataschema"), "https://example.com/s");
    cr_assert_null(json_object_get(ev, "schemaurl"));
    json_decref(root);
    proc_free(&p);
}

/* ---- normalize: bad input ------------------------------------------------- */

Test(bad_input, missing_id_names_adapter_and_field)
{
    proc p = RUN_STDIN("{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}",
                       "normalize");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: id: ");
    proc_free(&p);
}

Test(bad_input, file_name_leads_the_line, .fini = remove_temp)
{
    const char *path = write_temp(
        "no-id.json", "{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}");
    proc p = RUN("normalize", path);
    char prefix[256];
    snprintf(prefix, sizeof prefix,
             "cegate: normalize: %s: adapter cloudevents: id: ", path);
    one_error_line(&p, EX_DATAERR, prefix);
    proc_free(&p);
}

Test(bad_input, bad_time_named)
{
    proc p = RUN_STDIN("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                       "\"type\":\"t\",\"time\":\"lunchtime\"}",
                       "normalize");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: time: ");
    proc_free(&p);
}

Test(bad_input, batch_element_named)
{
    proc p = RUN_STDIN("[" MINIMAL_EVENT ",{\"specversion\":\"1.0\",\"id\":\"2\","
                       "\"source\":\"/s\",\"type\":\"t\",\"time\":\"never\"}]",
                       "normalize");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: [1].time: ");
    proc_free(&p);
}

Test(bad_input, binary_mode_error_names_the_header)
{
    proc p = RUN_STDIN("hello", "normalize", "-H", "ce-specversion: 1.0", "-H",
                       "ce-source: /s", "-H", "ce-type: t");
    one_error_line(&p, EX_DATAERR,
                   "cegate: normalize: adapter cloudevents: ce-id: ");
    proc_free(&p);
}

Test(bad_input, no_adapter_recognises_the_payload)
{
    proc p = RUN_STDIN("{\"a\":1}", "normalize");
    const char *line = one_error_line(
        &p, EX_DATAERR, "cegate: normalize: no adapter recognised the payload: ");
    /* Each adapter says why it declined; the CloudEvents one among them. */
    cr_assert_not_null(strstr(line, "cloudevents ("), "line: %s", line);
    proc_free(&p);
}

Test(bad_input, invalid_json)
{
    proc p = RUN_STDIN("{\"specversion\": \"1.0\", oops}", "normalize");
    one_error_line(&p, EX_DATAERR, "cegate: normalize: invalid JSON: ");
    proc_free(&p);
}

Test(bad_input, missing_file_is_66_and_named)
{
    const char *path = "/nonexistent-cegate-dir/no-such-file.json";
    proc p = RUN("normalize", path);
    const char *line = one_error_line(&p, EX_NOINPUT, "cegate: normalize: ");
    cr_assert_not_null(strstr(line, path), "the file is not named: %s", line);
    proc_free(&p);
}

/* ---- usage ------------------------------------------------------------------ */

static void expect_usage_error(const proc *p)
{
    cr_assert_eq(p->status, EX_USAGE, "exit %d, want 64; stderr: %s",
                 p->status, p->err);
    cr_assert_eq(p->out_len, 0, "stdout on a usage error: %s", p->out);
    cr_assert_gt(p->err_len, 0, "nothing on stderr");
}

Test(usage, unknown_option)
{
    proc p = RUN_STDIN(MINIMAL_EVENT, "normalize", "--no-such-option");
    expect_usage_error(&p);
    cr_assert_not_null(strcasestr(p.err, "usage"), "no usage: %s", p.err);
    cr_assert_not_null(strstr(p.err, "normalize"), "stderr: %s", p.err);
    proc_free(&p);
}

Test(usage, malformed_header_option)
{
    proc p = RUN_STDIN(MINIMAL_EVENT, "normalize", "-H", "no colon here");
    expect_usage_error(&p);
    proc_free(&p);
}

Test(usage, no_command)
{
    /* Without a command there is nothing to do: a usage error, with the
     * usage on stderr. */
    const char *no_args[] = {NULL};
    proc p = run_input(NULL, 0, no_args);
    expect_usage_error(&p);
    cr_assert_not_null(strcasestr(p.err, "usage"), "no usage: %s", p.err);
    cr_assert_not_null(strstr(p.err, "normalize"), "stderr: %s", p.err);
    proc_free(&p);
}

Test(usage, help)
{
    proc p = RUN("--help");
    cr_assert_eq(p.status, EX_OK, "exit %d; stderr: %s", p.status, p.err);
    cr_assert_eq(p.err_len, 0, "stderr: %s", p.err);
    cr_assert_not_null(strcasestr(p.out, "usage"), "stdout: %s", p.out);
    cr_assert_not_null(strstr(p.out, "normalize"), "stdout: %s", p.out);
    proc_free(&p);
}

Test(usage, normalize_help)
{
    proc p = RUN("normalize", "--help");
    cr_assert_eq(p.status, EX_OK, "exit %d; stderr: %s", p.status, p.err);
    cr_assert_eq(p.err_len, 0, "stderr: %s", p.err);
    cr_assert_not_null(strcasestr(p.out, "usage"), "stdout: %s", p.out);
    cr_assert_not_null(strstr(p.out, "normalize"), "stdout: %s", p.out);
    proc_free(&p);
}

Test(usage, version)
{
    proc p = RUN("--version");
    cr_assert_eq(p.status, EX_OK, "exit %d; stderr: %s", p.status, p.err);
    cr_assert_eq(p.err_len, 0, "stderr: %s", p.err);
    cr_assert_eq(strncmp(p.out, "cegate ", 7), 0, "stdout: %s", p.out);
    cr_assert(p.out[7] >= '0' && p.out[7] <= '9', "no version number: %s",
              p.out);
    cr_assert_eq(p.out[p.out_len - 1], '\n');
    cr_assert_null(memchr(p.out, '\n', p.out_len - 1), "more than a line: %s",
                   p.out);
    proc_free(&p);
}

Test(usage, unknown_command)
{
    proc p = RUN("nosuchcommand");
    expect_usage_error(&p);
    cr_assert_not_null(strstr(p.err, "nosuchcommand"), "stderr: %s", p.err);
    proc_free(&p);
}

/* ---- adapters -------------------------------------------------------------- */

Test(adapters, lists_cloudevents)
{
    proc p = RUN("adapters");
    cr_assert_eq(p.status, EX_OK, "exit %d; stderr: %s", p.status, p.err);
    cr_assert_eq(p.err_len, 0, "stderr: %s", p.err);
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
    proc_free(&p);
}
