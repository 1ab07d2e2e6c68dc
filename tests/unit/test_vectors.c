/* SPDX-License-Identifier: Apache-2.0 */
/* test_vectors.c - the adapter vector suite: every folder
 * tests/vectors/<adapter>/{valid,invalid}/<case>/ is one test.
 *
 *   input          the message body (bytes)
 *   headers        optional, one "Name: value" per line
 *   path           optional, the request path (--path)
 *   expected.json  valid cases: the events, a JSON array in the JSON format
 *                  (read as cegate reads input: big integers are kept)
 *   error          invalid cases: each line must occur in the error message
 *                  ("adapter <name>: <field>: <text>")
 *
 * Valid cases are normalized twice, once with every adapter probing and once
 * with the folder's adapter forced, and both must give the expected events
 * in order. Invalid cases must fail both ways; the forced run's message must
 * hold every line of `error`. Adding a case means adding a folder. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/run.h"
#include "adapters.h"

#define MAX_CASES 2048
#define MAX_HEADERS 64

struct vector_case {
    char adapter[48];
    char kind[8];   /* "valid" or "invalid" */
    char name[128];
};

static const char *vectors_root(void)
{
    const char *root = getenv("CEGATE_VECTORS");
    return root ? root : "tests/vectors";
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_cases(const void *a, const void *b)
{
    const struct vector_case *x = a, *y = b;
    int c = strcmp(x->adapter, y->adapter);
    if (c == 0)
        c = strcmp(x->kind, y->kind);
    return c ? c : strcmp(x->name, y->name);
}

static void collect(const char *adapter, const char *kind,
                    struct vector_case *cases, size_t *n)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s/%s", vectors_root(), adapter, kind);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && *n < MAX_CASES) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || !is_dir(path))
            continue;
        struct vector_case *c = &cases[(*n)++];
        snprintf(c->adapter, sizeof c->adapter, "%.*s",
                 (int)sizeof c->adapter - 1, adapter);
        snprintf(c->kind, sizeof c->kind, "%s", kind);
        snprintf(c->name, sizeof c->name, "%.*s", (int)sizeof c->name - 1,
                 e->d_name);
    }
    closedir(d);
}

static void free_cases(struct criterion_test_params *params)
{
    cr_free(params->params);
}

ParameterizedTestParameters(vectors, case)
{
    struct vector_case *cases = cr_malloc(MAX_CASES * sizeof *cases);
    size_t n = 0;
    DIR *d = opendir(vectors_root());
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            collect(e->d_name, "valid", cases, &n);
            collect(e->d_name, "invalid", cases, &n);
        }
        closedir(d);
    }
    qsort(cases, n, sizeof *cases, compare_cases);
    return cr_make_param_array(struct vector_case, cases, n, free_cases);
}

/* Read a whole file; NULL when it does not exist. */
static char *slurp(const char *dir, const char *file, size_t *length)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return run_slurp(path, length);
}

/* Split the headers file in place into name/value pairs. */
static size_t parse_headers(char *text, cegate_header *headers)
{
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < MAX_HEADERS;
         line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        char *colon = strchr(line, ':');
        cr_assert_not_null(colon, "headers: line without ':': %s", line);
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        headers[n].name = line;
        headers[n].value = value;
        n++;
    }
    return n;
}

static void format_error(const cegate_error *err, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s%s%s%s", err->origin[0] ? "adapter " : "",
             err->origin, err->origin[0] ? ": " : "", err->path,
             err->path[0] ? ": " : "", err->text);
}

/* Normalize once; returns 0 or -1 with `message` filled. */
static int run(const char *force, const cegate_header *headers, size_t nh,
               const char *body, size_t length, const char *path,
               cegate_event_list *out, char *message, size_t size)
{
    registry *reg = registry_new(NULL);
    cr_assert_not_null(reg);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(registry_load_defaults(reg, &err), 0, "loading adapters: %s",
                 err.text);
    if (force != NULL)
        cr_assert_eq(registry_force(reg, force, &err), 0,
                     "no adapter named %s: %s", force, err.text);
    int rc = registry_normalize(reg, headers, nh, body, length, path, out, &err);
    if (rc < 0)
        format_error(&err, message, size);
    registry_free(reg);
    return rc;
}

static void assert_events_equal(const cegate_event_list *got,
                                const cegate_event_list *want, const char *how)
{
    cegate_buffer text;
    cegate_buffer_init(&text, 1 << 24);
    cegate_json_encode_batch(got->events, got->count, &text, NULL);
    cr_assert_eq(got->count, want->count, "%s: %zu events, expected %zu: %s",
                 how, got->count, want->count, text.data);
    for (size_t i = 0; i < got->count; i++) {
        if (!cegate_event_equal(got->events[i], want->events[i])) {
            cegate_buffer one;
            cegate_buffer_init(&one, 1 << 24);
            cegate_json_encode_event(got->events[i], &one, NULL);
            cr_assert_fail("%s: event %zu differs from expected.json; got %s",
                           how, i, one.data);
        }
    }
    cegate_buffer_free(&text);
}

ParameterizedTest(struct vector_case *c, vectors, case)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s/%s/%s", vectors_root(), c->adapter,
             c->kind, c->name);
    cr_log_info("%s/%s/%s", c->adapter, c->kind, c->name);
    size_t length = 0;
    char *body = slurp(dir, "input", &length);
    cr_assert_not_null(body, "%s: no input file", dir);
    char *header_text = slurp(dir, "headers", NULL);
    cegate_header headers[MAX_HEADERS];
    size_t nh = header_text ? parse_headers(header_text, headers) : 0;
    char *path = slurp(dir, "path", NULL);
    if (path != NULL)
        path[strcspn(path, "\r\n")] = '\0';

    char message[1024] = "";
    int valid = strcmp(c->kind, "valid") == 0;
    for (int forced = 0; forced < 2; forced++) {
        cegate_event_list got;
        cegate_event_list_init(&got);
        const char *how = forced ? "with --adapter" : "with every adapter";
        int rc = run(forced ? c->adapter : NULL, headers, nh, body, length,
                     path, &got, message, sizeof message);
        if (valid) {
            cr_assert_eq(rc, 0, "%s: %s: normalize failed: %s", dir, how, message);
            size_t elen;
            char *expected = slurp(dir, "expected.json", &elen);
            cr_assert_not_null(expected, "%s: no expected.json", dir);
            cegate_event_list want;
            cegate_event_list_init(&want);
            cegate_error err;
            cegate_error_clear(&err);
            /* cegate's reader, not jansson's: expected data may hold
             * integers beyond 64 bits, which jansson refuses. */
            json_t *root = cegate_json_parse(expected, elen, NULL, &err);
            cr_assert(json_is_array(root), "%s: expected.json is not an array: %s",
                      dir, err.text);
            cr_assert_eq(cegate_json_to_events(root, NULL, &want, &err), 0,
                         "%s: expected.json: %s: %s", dir, err.path, err.text);
            json_decref(root);
            assert_events_equal(&got, &want, how);
            cegate_event_list_free(&want);
            free(expected);
        } else {
            cr_assert_neq(rc, 0, "%s: %s: accepted invalid input", dir, how);
            if (forced) {
                char *lines = slurp(dir, "error", NULL);
                cr_assert_not_null(lines, "%s: no error file", dir);
                char *save = NULL;
                for (char *l = strtok_r(lines, "\n", &save); l;
                     l = strtok_r(NULL, "\n", &save))
                    cr_assert_not_null(strstr(message, l),
                                       "%s: error \"%s\" lacks \"%s\"", dir,
                                       message, l);
                free(lines);
            }
        }
        cegate_event_list_free(&got);
    }
    free(body);
    free(header_text);
    free(path);
}
