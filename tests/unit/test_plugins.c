/* SPDX-License-Identifier: Apache-2.0 */
/* test_plugins.c - the plugin ABI seen from outside: what the built
 * adapters export, building adapters/skeleton.c the way an outside author
 * would (against the staged install's cegate.pc), loading it with
 * --plugin-dir and CEGATE_PLUGIN_PATH, the loader refusing bad plugins, and
 * the messages a user sees when no adapter (or no such adapter) fits.
 *
 * Real processes: nm, sh + $CC + pkg-config, and the cegate command, each
 * run with posix_spawn and its stdout, stderr and exit status captured.
 * Every test makes its own directory under /tmp (mkdtemp) and removes it in
 * its .fini, so tests are independent of each other and of their order.
 *
 * Environment (set by `make check`, see AM_TESTS_ENVIRONMENT):
 *   CEGATE_BIN, CEGATE_BUILDDIR, CEGATE_SRCDIR, CEGATE_STAGED,
 *   CEGATE_STAGED_PKGCONFIG, CC.
 */
#define _GNU_SOURCE /* vasprintf */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/run.h"
#include "adapters.h"

extern char **environ;

/* Criterion 2.4's runner strdup()s the CRITERION_OUTPUTS value in
 * criterion_handle_args() and never frees it; under ASan that one leak
 * fails the whole program at exit. Suppress exactly that frame (it is not
 * an ancestor of any test body, so no leak of ours can hide behind it).
 * Criterion's .timeout leaks too, hence no timeouts below. */
const char *__lsan_default_suppressions(void);
__attribute__((used, visibility("default")))
const char *__lsan_default_suppressions(void)
{
    return "leak:criterion_handle_args\n";
}

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_CONFIG 78

/* The built-in adapters, as Makefile.am ships them. */
static const char *const builtin_adapters[] = {
    "cloudevents", "aws-s3", "aws-sns", "aws-sqs",
    "aws-eventbridge", "gcp-pubsub", "azure-eventgrid",
};
#define BUILTIN_COUNT (sizeof builtin_adapters / sizeof builtin_adapters[0])

#define SKELETON_INPUT                                                        \
    "{\"skeleton\": {\"id\": \"42\", \"message\": \"hello\",\n"               \
    "  \"time\": \"2026-11-23T10:00:00Z\", \"subject\": \"greetings\",\n"     \
    "  \"extra\": [1, 2]}}\n"

/* ---- small utilities ----------------------------------------------------- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : fallback;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    cr_assert_not_null(in, "%s: %s", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    cr_assert_not_null(out, "%s: %s", to, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- the per-test temporary directory ------------------------------------ */

static char tmpdir[64];

static void make_tmpdir(void)
{
    run_make_dir(tmpdir, sizeof tmpdir, "/tmp/cegate-test-plugins-XXXXXX");
}

static void remove_tmpdir(void)
{
    run_remove_tree(tmpdir);
    tmpdir[0] = '\0';
}

/* A directory inside the test's directory (made if need be). */
static char *subdir(const char *name)
{
    char *dir = run_asprintf("%s/%s", tmpdir, name);
    cr_assert(mkdir(dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", dir,
              strerror(errno));
    return dir;
}

/* ---- running a process ---------------------------------------------------- */

/* What the caller's shell may set that would change the outcome. */
static const char *const caller_settings[] = {"CEGATE_PLUGIN_PATH", "CEGATE_DEBUG",
                                              NULL};

/* Run argv (argv[0] is looked up in PATH unless it holds a '/') with the
 * current environment, minus CEGATE_PLUGIN_PATH and CEGATE_DEBUG (so that
 * the caller's shell cannot change the outcome), plus `setenv`, a
 * NULL-terminated list of "NAME=value" strings. stdin is /dev/null, or
 * the file `input` when given. */
static run_output run_env(char *const *setenv_list, const char *input,
                          char *const argv[])
{
    char **envp = run_child_env(caller_settings, (const char *const *)setenv_list);
    run_output p = run_capture(argv, envp, NULL, 0, input ? input : "/dev/null");
    free(envp);
    return p;
}

#define RUN(...) run_env(NULL, NULL, (char *const[]){__VA_ARGS__, NULL})
#define RUN_ENV(env, ...)                                                     \
    run_env((char *const[]){env, NULL}, NULL, (char *const[]){__VA_ARGS__, NULL})

static char *cegate_bin(void) { return (char *)run_need_env("CEGATE_BIN"); }

static const char *cc(void) { return env_or("CC", "cc"); }

/* ---- building plugins ------------------------------------------------------ */

/* The out-of-tree build, word for word as docs/ADAPTERS.md gives it,
 * against the staged install's cegate.pc. */
static void build_like_an_outsider(const char *source, const char *so)
{
    char *pc_path = run_asprintf("PKG_CONFIG_PATH=%s",
                                 run_need_env("CEGATE_STAGED_PKGCONFIG"));
    char *sysroot = run_asprintf("PKG_CONFIG_SYSROOT_DIR=%s",
                                 run_need_env("CEGATE_STAGED"));
    char *cc_env = run_asprintf("CC=%s", cc());
    run_output p = run_env((char *const[]){pc_path, sysroot, cc_env, NULL}, NULL,
                           (char *const[]){"sh", "-c",
                                     "$CC -shared -fPIC "
                                     "$(pkg-config --cflags cegate) "
                                     "\"$1\" -o \"$2\"",
                                     "sh", (char *)source, (char *)so, NULL});
    cr_assert_eq(p.status, 0, "building %s failed (%d): %s", source, p.status,
                 p.err);
    cr_assert(exists(so), "%s was not written", so);
    run_output_free(&p);
    free(pc_path);
    free(sysroot);
    free(cc_env);
}

/* A throw-away plugin from C source, compiled against the source tree's
 * headers. Returns the path of the .so (in `dir`). */
static char *build_plugin(const char *dir, const char *name, const char *code)
{
    char *src = run_asprintf("%s/%s.c", tmpdir, name);
    char *so = run_asprintf("%s/%s.so", dir, name);
    char *inc = run_asprintf("%s/include", run_need_env("CEGATE_SRCDIR"));
    run_write_file(src, code, strlen(code));
    char *cc_env = run_asprintf("CC=%s", cc());
    run_output p = run_env((char *const[]){cc_env, NULL}, NULL,
                           (char *const[]){"sh", "-c",
                                     "$CC -shared -fPIC -I\"$1\" \"$2\" "
                                     "-o \"$3\"",
                                     "sh", inc, src, so, NULL});
    cr_assert_eq(p.status, 0, "building %s failed (%d): %s", src, p.status,
                 p.err);
    run_output_free(&p);
    free(cc_env);
    free(inc);
    free(src);
    return so;
}

/* The in-tree build of adapters/skeleton.c (tests/plugins/skeleton.la). */
static char *built_skeleton(void)
{
    char *so = run_asprintf("%s/tests/plugins/.libs/skeleton.so",
                            run_need_env("CEGATE_BUILDDIR"));
    cr_assert(exists(so), "%s is missing (make check builds it)", so);
    return so;
}

/* A directory holding only a copy of the in-tree skeleton plugin. */
static char *skeleton_dir(const char *name)
{
    char *dir = subdir(name);
    char *so = built_skeleton();
    char *copy = run_asprintf("%s/skeleton.so", dir);
    copy_file(so, copy);
    free(copy);
    free(so);
    return dir;
}

static char *write_input(const char *name, const char *text)
{
    char *path = run_asprintf("%s/%s", tmpdir, name);
    run_write_file(path, text, strlen(text));
    return path;
}

/* ---- checks ------------------------------------------------------------ */

/* `nm -D --defined-only FILE` must list exactly one symbol: cegate_adapter. */
static void assert_exports_only_descriptor(const char *file)
{
    run_output p = RUN("nm", "-D", "--defined-only", (char *)file);
    cr_assert_eq(p.status, 0, "nm %s failed: %s", file, p.err);
    size_t symbols = 0;
    char *save = NULL;
    for (char *line = strtok_r(p.out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        /* "0000000000003d60 D cegate_adapter": the name is the last word. */
        char *name = strrchr(line, ' ');
        name = name ? name + 1 : line;
        if (*name == '\0')
            continue;
        symbols++;
        cr_expect_str_eq(name, "cegate_adapter",
                         "%s exports '%s' besides cegate_adapter", file, name);
    }
    cr_assert_eq(symbols, 1, "%s: %zu defined dynamic symbols, expected "
                 "exactly one (cegate_adapter)", file, symbols);
    run_output_free(&p);
}

/* stderr must be the one line "cegate: COMMAND: loading adapter [NAME ]from
 * FILE: REASON...", naming the file and holding the reason. */
static void assert_refused(const run_output *p, const char *command,
                           const char *file, const char *reason)
{
    cr_assert_eq(p->status, EX_CONFIG, "exit status %d, expected 78; stderr: "
                 "%s", p->status, p->err);
    char *prefix = run_asprintf("cegate: %s: loading adapter ", command);
    cr_assert_eq(strncmp(p->err, prefix, strlen(prefix)), 0,
                 "stderr does not start with '%s': %s", prefix, p->err);
    char *from = run_asprintf("from %s: ", file);
    cr_assert_not_null(strstr(p->err, from), "stderr does not name %s: %s",
                       file, p->err);
    cr_assert_not_null(strstr(p->err, reason),
                       "stderr lacks the reason '%s': %s", reason, p->err);
    const char *nl = strchr(p->err, '\n');
    cr_assert(nl != NULL && nl[1] == '\0', "not one line: %s", p->err);
    free(prefix);
    free(from);
}

/* Find the row of `cegate adapters` for adapter `name`; returns its ABI
 * and file columns (copied into the buffers), 0 when not listed. */
static int adapters_row(const char *listing, const char *name, char *abi,
                        size_t abi_size, char *file, size_t file_size)
{
    char *copy = strdup(listing);
    cr_assert_not_null(copy);
    char *save = NULL;
    int found = 0;
    for (char *line = strtok_r(copy, "\n", &save); line && !found;
         line = strtok_r(NULL, "\n", &save)) {
        size_t len = strcspn(line, " ");
        if (len != strlen(name) || strncmp(line, name, len) != 0)
            continue;
        const char *p = line + len;
        p += strspn(p, " ");
        size_t alen = strcspn(p, " ");
        snprintf(abi, abi_size, "%.*s", (int)alen, p);
        const char *last = strrchr(line, ' ');
        snprintf(file, file_size, "%s", last ? last + 1 : "");
        found = 1;
    }
    free(copy);
    return found;
}

/* stdout of `cegate normalize` on SKELETON_INPUT: one event, as skeleton.c
 * promises. */
static void assert_skeleton_event(const char *stdout_text)
{
    json_error_t jerr;
    json_t *root = json_loads(stdout_text, 0, &jerr);
    cr_assert_not_null(root, "stdout is not JSON (%s): %s", jerr.text,
                       stdout_text);
    cr_assert(json_is_array(root) && json_array_size(root) == 1,
              "expected an array of one event: %s", stdout_text);
    json_t *ev = json_array_get(root, 0);
    static const char *const want[][2] = {
        {"specversion", "1.0"},
        {"id", "42"},
        {"source", "/skeleton"},
        {"type", "com.example.skeleton.message"},
        {"datacontenttype", "application/json"},
        {"subject", "greetings"},
        {"time", "2026-11-23T10:00:00Z"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_str_eq(json_string_value(json_object_get(ev, want[i][0]))
                             ? json_string_value(json_object_get(ev, want[i][0]))
                             : "(absent)",
                         want[i][1], "%s", want[i][0]);
    json_t *expected_data = json_loads(
        "{\"id\": \"42\", \"message\": \"hello\", \"time\": "
        "\"2026-11-23T10:00:00Z\", \"subject\": \"greetings\", "
        "\"extra\": [1, 2]}", 0, NULL);
    cr_expect(json_equal(json_object_get(ev, "data"), expected_data),
              "data is not the inner object: %s", stdout_text);
    cr_expect_eq(json_object_size(ev), 8, "unexpected members: %s",
                 stdout_text);
    json_decref(expected_data);
    json_decref(root);
}

/* Look for a path under `root` ending in `suffix` (a file or directory). */
static const char *find_suffix;
static int find_is_dir;
static char found_path[4096];

static int find_visit(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)ftw;
    size_t n = strlen(path), m = strlen(find_suffix);
    int is_dir = flag == FTW_D || flag == FTW_DP;
    (void)st;
    if (n >= m && strcmp(path + n - m, find_suffix) == 0 &&
        is_dir == find_is_dir) {
        snprintf(found_path, sizeof found_path, "%s", path);
        return 1;
    }
    return 0;
}

static char *find_under(const char *root, const char *suffix, int is_dir)
{
    find_suffix = suffix;
    find_is_dir = is_dir;
    found_path[0] = '\0';
    nftw(root, find_visit, 16, FTW_PHYS);
    return found_path[0] ? strdup(found_path) : NULL;
}

/* ---- a. one exported symbol per plugin ----------------------------------- */

TestSuite(symbols, .init = make_tmpdir, .fini = remove_tmpdir);

Test(symbols, builtin_adapters_export_only_cegate_adapter)
{
    const char *build = run_need_env("CEGATE_BUILDDIR");
    for (size_t i = 0; i < BUILTIN_COUNT; i++) {
        char *so = run_asprintf("%s/adapters/.libs/%s.so", build,
                                builtin_adapters[i]);
        cr_assert(exists(so), "built-in adapter %s is missing: %s",
                  builtin_adapters[i], so);
        assert_exports_only_descriptor(so);
        free(so);
    }
}

Test(symbols, skeleton_exports_only_cegate_adapter)
{
    char *so = built_skeleton();
    assert_exports_only_descriptor(so);
    free(so);
}

Test(symbols, out_of_tree_build_exports_only_cegate_adapter)
{
    /* No -export-symbols-regex here: `static` alone must do it. */
    char *src = run_asprintf("%s/adapters/skeleton.c", run_need_env("CEGATE_SRCDIR"));
    char *so = run_asprintf("%s/skeleton.so", tmpdir);
    build_like_an_outsider(src, so);
    assert_exports_only_descriptor(so);
    free(src);
    free(so);
}

/* ---- b. building and loading an adapter out of the tree ------------------ */

TestSuite(out_of_tree, .init = make_tmpdir, .fini = remove_tmpdir);

/* Build adapters/skeleton.c into a fresh plugin directory. */
static char *outsider_dir(void)
{
    char *dir = subdir("plugins");
    char *src = run_asprintf("%s/adapters/skeleton.c", run_need_env("CEGATE_SRCDIR"));
    char *so = run_asprintf("%s/skeleton.so", dir);
    build_like_an_outsider(src, so);
    free(src);
    free(so);
    return dir;
}

Test(out_of_tree, pkg_config_points_at_the_staged_install)
{
    char *pc_path = run_asprintf("PKG_CONFIG_PATH=%s",
                                 run_need_env("CEGATE_STAGED_PKGCONFIG"));
    char *sysroot = run_asprintf("PKG_CONFIG_SYSROOT_DIR=%s",
                                 run_need_env("CEGATE_STAGED"));
    run_output p = run_env((char *const[]){pc_path, sysroot, NULL}, NULL,
                           (char *const[]){"pkg-config", "--cflags", "cegate", NULL});
    cr_assert_eq(p.status, 0, "pkg-config --cflags cegate: %s", p.err);
    char *want = run_asprintf("-I%s/", run_need_env("CEGATE_STAGED"));
    cr_assert_not_null(strstr(p.out, want), "cflags '%s' lack %s", p.out, want);
    /* ...and the header it points at is the ABI header. */
    char *inc = strstr(p.out, want) + 2;
    inc[strcspn(inc, " \n")] = '\0';
    char *header = run_asprintf("%s/cegate/adapter.h", inc);
    cr_assert(exists(header), "%s is not installed", header);
    run_output_free(&p);
    free(header);
    free(want);
    free(pc_path);
    free(sysroot);
}

Test(out_of_tree, listed_by_cegate_adapters)
{
    char *dir = outsider_dir();
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", dir);
    cr_assert_eq(p.status, 0, "cegate adapters: %d: %s", p.status, p.err);
    char abi[16], file[4096];
    cr_assert(adapters_row(p.out, "skeleton", abi, sizeof abi, file,
                           sizeof file),
              "skeleton is not listed:\n%s", p.out);
    /* Built against the installed header: the host's own ABI version. */
    char *host_abi = run_asprintf("%d.%d", CEGATE_ADAPTER_ABI_MAJOR,
                                  CEGATE_ADAPTER_ABI_MINOR);
    cr_expect_str_eq(abi, host_abi);
    free(host_abi);
    char *want = run_asprintf("%s/skeleton.so", dir);
    cr_expect_str_eq(file, want);
    /* The built-in adapters are still there. */
    for (size_t i = 0; i < BUILTIN_COUNT; i++)
        cr_expect(adapters_row(p.out, builtin_adapters[i], abi, sizeof abi,
                               file, sizeof file),
                  "%s is not listed:\n%s", builtin_adapters[i], p.out);
    free(want);
    run_output_free(&p);
    free(dir);
}

Test(out_of_tree, normalize_with_plugin_dir_and_adapter)
{
    char *dir = outsider_dir();
    char *input = write_input("in.json", SKELETON_INPUT);
    run_output p = RUN(cegate_bin(), "normalize", "--plugin-dir", dir, "--adapter",
                       "skeleton", input);
    cr_assert_eq(p.status, 0, "normalize: %d: %s", p.status, p.err);
    cr_expect_str_empty(p.err);
    assert_skeleton_event(p.out);
    run_output_free(&p);
    free(input);
    free(dir);
}

Test(out_of_tree, normalize_with_plugin_path)
{
    char *dir = outsider_dir();
    char *empty = subdir("empty");
    char *input = write_input("in.json", SKELETON_INPUT);
    /* Two directories, colon-separated; no --adapter: skeleton must win the
     * probe on its own. */
    char *env = run_asprintf("CEGATE_PLUGIN_PATH=%s:%s", empty, dir);
    run_output p = RUN_ENV(env, cegate_bin(), "normalize", input);
    cr_assert_eq(p.status, 0, "normalize: %d: %s", p.status, p.err);
    assert_skeleton_event(p.out);
    run_output_free(&p);

    p = RUN_ENV(env, cegate_bin(), "adapters");
    cr_assert_eq(p.status, 0, "adapters: %d: %s", p.status, p.err);
    char abi[16], file[4096];
    cr_assert(adapters_row(p.out, "skeleton", abi, sizeof abi, file,
                           sizeof file), "not listed:\n%s", p.out);
    char *want = run_asprintf("%s/skeleton.so", dir);
    cr_expect_str_eq(file, want);
    run_output_free(&p);

    /* Standard input works as well. */
    p = run_env((char *const[]){env, NULL}, input,
                (char *const[]){cegate_bin(), "normalize", "-", NULL});
    cr_assert_eq(p.status, 0, "normalize -: %d: %s", p.status, p.err);
    assert_skeleton_event(p.out);
    run_output_free(&p);
    free(want);
    free(env);
    free(input);
    free(empty);
    free(dir);
}

Test(out_of_tree, staged_install_adapters_load)
{
    const char *staged = run_need_env("CEGATE_STAGED");
    /* The staged tree is DESTDIR + the configured prefix; find the plugin
     * directory and the binary rather than assuming /usr/local. */
    char *adapters = find_under(staged, "/cegate/adapters", 1);
    cr_assert_not_null(adapters, "no .../cegate/adapters under %s", staged);
    for (size_t i = 0; i < BUILTIN_COUNT; i++) {
        char *so = run_asprintf("%s/%s.so", adapters, builtin_adapters[i]);
        cr_assert(exists(so), "%s is not installed", so);
        assert_exports_only_descriptor(so);
        char *la = run_asprintf("%s/%s.la", adapters, builtin_adapters[i]);
        cr_expect(!exists(la), "%s is installed (libtool archives are not "
                  "needed)", la);
        free(la);
        free(so);
    }

    /* The loader (the cegate binary's own code) takes them all, from there. */
    registry *reg = registry_new(NULL);
    cr_assert_not_null(reg);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(registry_load_dir(reg, adapters, 1, &err), 0, "%s", err.text);
    cr_assert_eq(registry_count(reg), BUILTIN_COUNT, "%zu adapters loaded",
                 registry_count(reg));
    for (size_t i = 0; i < BUILTIN_COUNT; i++) {
        int seen = 0;
        for (size_t k = 0; k < registry_count(reg); k++) {
            const registry_entry *e = registry_get(reg, k);
            if (strcmp(e->descriptor->name, builtin_adapters[i]) == 0) {
                seen = 1;
                cr_expect_eq(strncmp(e->file, adapters, strlen(adapters)), 0,
                             "%s loaded from %s", builtin_adapters[i], e->file);
                cr_expect_eq(e->descriptor->abi_major, CEGATE_ADAPTER_ABI_MAJOR);
                cr_expect_eq(e->descriptor->abi_minor, CEGATE_ADAPTER_ABI_MINOR);
            }
        }
        cr_expect(seen, "%s not loaded from %s", builtin_adapters[i], adapters);
    }
    registry_free(reg);

    /* The installed program runs. (It looks for its adapters in the
     * configured prefix, not under DESTDIR, so it is not asked to load
     * any here.) */
    char *bin = find_under(staged, "/bin/cegate", 0);
    cr_assert_not_null(bin, "no .../bin/cegate under %s", staged);
    run_output p = RUN(bin, "--version");
    cr_assert_eq(p.status, 0, "%s --version: %s", bin, p.err);
    cr_expect_eq(strncmp(p.out, "cegate ", 7), 0, "%s", p.out);
    run_output_free(&p);
    p = RUN(bin, "adapters", "--help");
    cr_expect_eq(p.status, 0, "%s adapters --help: %s", bin, p.err);
    cr_expect_not_null(strstr(p.out, "--plugin-dir"), "%s", p.out);
    run_output_free(&p);
    free(bin);
    free(adapters);
}

/* ---- the skeleton's behaviour (errors with paths, probe reasons) -------- */

TestSuite(skeleton, .init = make_tmpdir, .fini = remove_tmpdir);

static run_output normalize_with_skeleton(const char *text)
{
    char *dir = skeleton_dir("plugins");
    char *input = write_input("in.json", text);
    run_output p = RUN(cegate_bin(), "normalize", "--plugin-dir", dir, "--adapter",
                       "skeleton", input);
    free(input);
    free(dir);
    return p;
}

Test(skeleton, missing_id_names_the_field)
{
    run_output p = normalize_with_skeleton("{\"skeleton\": {\"message\": \"m\"}}");
    cr_assert_eq(p.status, EX_DATAERR, "%d: %s", p.status, p.err);
    cr_expect_str_empty(p.out);
    cr_expect_not_null(strstr(p.err, "adapter skeleton: skeleton.id: "),
                       "%s", p.err);
    run_output_free(&p);
}

Test(skeleton, wrong_type_names_the_field)
{
    run_output p = normalize_with_skeleton(
        "{\"skeleton\": {\"id\": \"1\", \"message\": [\"m\"]}}");
    cr_assert_eq(p.status, EX_DATAERR, "%d: %s", p.status, p.err);
    cr_expect_not_null(strstr(p.err, "adapter skeleton: skeleton.message: "
                                     "must be a string, not an array"),
                       "%s", p.err);
    run_output_free(&p);
}

Test(skeleton, bad_time_names_the_input_field)
{
    run_output p = normalize_with_skeleton(
        "{\"skeleton\": {\"id\": \"1\", \"message\": \"m\", "
        "\"time\": \"yesterday\"}}");
    cr_assert_eq(p.status, EX_DATAERR, "%d: %s", p.status, p.err);
    cr_expect_not_null(strstr(p.err, "adapter skeleton: skeleton.time: "),
                       "%s", p.err);
    run_output_free(&p);
}

Test(skeleton, minimal_message)
{
    run_output p = normalize_with_skeleton(
        "{\"skeleton\": {\"id\": \"7\", \"message\": \"m\"}}");
    cr_assert_eq(p.status, 0, "%d: %s", p.status, p.err);
    json_t *root = json_loads(p.out, 0, NULL);
    cr_assert(json_is_array(root) && json_array_size(root) == 1, "%s", p.out);
    json_t *ev = json_array_get(root, 0);
    cr_expect_str_eq(json_string_value(json_object_get(ev, "id")), "7");
    cr_expect_null(json_object_get(ev, "time"));
    cr_expect_null(json_object_get(ev, "subject"));
    json_decref(root);
    run_output_free(&p);
}

Test(skeleton, declines_with_reasons)
{
    static const char *const cases[][2] = {
        {"{\"other\": 1}", "skeleton (no skeleton member)"},
        {"{\"skeleton\": \"x\"}", "skeleton (skeleton is not an object)"},
        {"[1, 2]", "skeleton (the body is not a JSON object)"},
        {"plain text", "skeleton (the body is not JSON)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_output p = normalize_with_skeleton(cases[i][0]);
        cr_expect_eq(p.status, EX_DATAERR, "%s: %d: %s", cases[i][0], p.status,
                     p.err);
        cr_expect_not_null(strstr(p.err, cases[i][1]), "%s: %s", cases[i][0],
                           p.err);
        run_output_free(&p);
    }
}

/* ---- c. the loader refuses bad plugins ----------------------------------- */

TestSuite(refused, .init = make_tmpdir, .fini = remove_tmpdir);

/* The source of a plugin named `file` whose descriptor ends with
 * `initializer`. */
static char *descriptor_code(const char *file, const char *initializer)
{
    return run_asprintf(
        "#include \"cegate/adapter.h\"\n"
        "static int probe(const cegate_host *h, const cegate_message *m,\n"
        "                 const char **reason)\n"
        "{ (void)h; (void)m; *reason = \"test\"; return 0; }\n"
        "static cegate_adapter_result normalize(const cegate_host *h,\n"
        "    cegate_call *c, const cegate_message *m, cegate_error *e)\n"
        "{ (void)h; (void)c; (void)m; (void)e; return CEGATE_ADAPTER_DECLINED; }\n"
        "CEGATE_ADAPTER_EXPORT = {\n"
        "    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,\n"
        "    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,\n"
        "    .struct_size = sizeof(cegate_adapter_descriptor),\n"
        "    .name = \"%s\", .description = \"a test plugin\",\n"
        "    .probe = probe, .normalize = normalize,\n"
        "    %s\n"
        "};\n", file, initializer);
}

/* A plugin with the given descriptor initializer, name `name`. */
static char *descriptor_plugin(const char *dir, const char *file,
                               const char *initializer)
{
    char *code = descriptor_code(file, initializer);
    char *so = build_plugin(dir, file, code);
    free(code);
    return so;
}

/* Both commands that load plugins must refuse it the same way. */
static void assert_dir_refused(const char *dir, const char *file,
                               const char *reason)
{
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", (char *)dir);
    assert_refused(&p, "adapters", file, reason);
    cr_expect_str_empty(p.out);
    run_output_free(&p);
    char *input = write_input("in.json", SKELETON_INPUT);
    p = RUN(cegate_bin(), "normalize", "--plugin-dir", (char *)dir, input);
    assert_refused(&p, "normalize", file, reason);
    cr_expect_str_empty(p.out);
    run_output_free(&p);
    char *env = run_asprintf("CEGATE_PLUGIN_PATH=%s", dir);
    p = RUN_ENV(env, cegate_bin(), "adapters");
    assert_refused(&p, "adapters", file, reason);
    run_output_free(&p);
    free(env);
    free(input);
}

/* A plugin built from `code` into a directory of its own is refused. */
static void assert_code_refused(const char *file, const char *code,
                                const char *reason)
{
    char *dir = subdir("plugins");
    char *so = build_plugin(dir, file, code);
    assert_dir_refused(dir, so, reason);
    free(so);
    free(dir);
}

/* A plugin whose descriptor has `initializer` (see descriptor_plugin), in a
 * directory of its own, is refused. */
static void assert_descriptor_refused(const char *file, const char *initializer,
                                      const char *reason)
{
    char *code = descriptor_code(file, initializer);
    assert_code_refused(file, code, reason);
    free(code);
}

Test(refused, abi_major_2)
{
    /* Later members override the earlier designated initializers. */
    assert_descriptor_refused("major-two", ".abi_major = 2,",
                              "ABI major version 2, this cegate speaks 1");
}

Test(refused, newer_minor)
{
    char *reason = run_asprintf("built for ABI 1.99, newer than this cegate's "
                                "%d.%d", CEGATE_ADAPTER_ABI_MAJOR,
                                CEGATE_ADAPTER_ABI_MINOR);
    assert_descriptor_refused("minor-99", ".abi_minor = 99,", reason);
    free(reason);
}

Test(loaded, older_minor_still_loads)
{
    /* An adapter built against ABI 1.0 keeps working with a newer 1.x host:
     * members are only ever appended. */
    char *dir = subdir("plugins");
    char *so = descriptor_plugin(dir, "minor-0", ".abi_minor = 0,");
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", dir);
    cr_assert_eq(p.status, 0, "cegate adapters: %d: %s", p.status, p.err);
    char abi[16], file[4096];
    cr_assert(adapters_row(p.out, "minor-0", abi, sizeof abi, file, sizeof file),
              "minor-0 is not listed:\n%s", p.out);
    cr_expect_str_eq(abi, "1.0");
    free(so);
    free(dir);
}

Test(refused, struct_size_too_small)
{
    /* A genuinely short descriptor: the host must stop at the version
     * fields and never read past the 16 bytes that exist. */
    assert_code_refused("tiny",
        "#include <stdint.h>\n"
        "struct tiny { uint16_t major, minor; uint32_t size;\n"
        "              const char *name; };\n"
        "__attribute__((visibility(\"default\")))\n"
        "const struct tiny cegate_adapter = {1, 0, sizeof(struct tiny),\n"
        "                                    \"tiny\"};\n",
        "descriptor of 16 bytes is too small for ABI 1.0");
}

Test(refused, no_descriptor_symbol)
{
    assert_code_refused("not-an-adapter",
                        "int not_an_adapter(void);\n"
                        "int not_an_adapter(void) { return 1; }\n",
                        "no 'cegate_adapter' symbol");
}

Test(refused, invalid_name)
{
    assert_descriptor_refused("bad-name", ".name = \"Bad_Name!\",",
                              "name must be [a-z0-9-]+");
}

Test(refused, long_name)
{
    assert_descriptor_refused(
        "long-name", ".name = \"a-name-of-forty-one-characters-is-too-long\",",
        "at most 40 characters");
}

Test(refused, missing_probe)
{
    char *dir = subdir("plugins");
    char *so = descriptor_plugin(dir, "no-probe", ".probe = 0,");
    assert_dir_refused(dir, so, "probe, normalize and description are "
                                "required");
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", dir);
    cr_expect_not_null(strstr(p.err, "loading adapter no-probe from "), "%s",
                       p.err);
    run_output_free(&p);
    free(so);
    free(dir);
}

Test(refused, missing_normalize)
{
    assert_descriptor_refused("no-normalize", ".normalize = 0,",
                              "probe, normalize and description are required");
}

Test(refused, unresolved_symbol)
{
    /* RTLD_NOW: a missing function is found at load time, not at the
     * first message. */
    const char *code =
        "#include \"cegate/adapter.h\"\n"
        "const char *cegate_no_such_function(void);\n"
        "static int probe(const cegate_host *h, const cegate_message *m,\n"
        "                 const char **reason)\n"
        "{ (void)h; (void)m; *reason = cegate_no_such_function(); return 0; }\n"
        "static cegate_adapter_result normalize(const cegate_host *h,\n"
        "    cegate_call *c, const cegate_message *m, cegate_error *e)\n"
        "{ (void)h; (void)c; (void)m; (void)e; return CEGATE_ADAPTER_DECLINED; }\n"
        "CEGATE_ADAPTER_EXPORT = {\n"
        "    .abi_major = 1, .abi_minor = 0,\n"
        "    .struct_size = sizeof(cegate_adapter_descriptor),\n"
        "    .name = \"unresolved\", .description = \"x\",\n"
        "    .probe = probe, .normalize = normalize,\n"
        "};\n";
    assert_code_refused("unresolved", code, "cegate_no_such_function");
}

Test(refused, not_a_shared_object)
{
    char *dir = subdir("plugins");
    char *so = run_asprintf("%s/garbage.so", dir);
    static const char garbage[] = "this is not an ELF file\n";
    run_write_file(so, garbage, strlen(garbage));
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", dir);
    assert_refused(&p, "adapters", so, "");
    run_output_free(&p);
    free(so);
    free(dir);
}

Test(refused, duplicate_name)
{
    char *dir = subdir("plugins");
    char *skel = built_skeleton();
    char *a = run_asprintf("%s/a.so", dir), *b = run_asprintf("%s/b.so", dir);
    copy_file(skel, a);
    copy_file(skel, b);
    /* Files load in name order: a.so first, then b.so is the duplicate. */
    char *reason = run_asprintf("already loaded from %s", a);
    assert_dir_refused(dir, b, reason);
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", dir);
    cr_expect_not_null(strstr(p.err, "loading adapter skeleton from "), "%s",
                       p.err);
    run_output_free(&p);
    free(reason);
    free(a);
    free(b);
    free(skel);
    free(dir);
}

Test(refused, duplicate_of_a_builtin)
{
    char *reason = run_asprintf("already loaded from %s/adapters/.libs/"
                                "cloudevents.so", run_need_env("CEGATE_BUILDDIR"));
    assert_descriptor_refused("cloudevents", "", reason);
    free(reason);
}

Test(refused, missing_plugin_dir)
{
    char *dir = run_asprintf("%s/does-not-exist", tmpdir);
    run_output p = RUN(cegate_bin(), "adapters", "--plugin-dir", dir);
    cr_expect_eq(p.status, EX_CONFIG, "%d: %s", p.status, p.err);
    cr_expect_not_null(strstr(p.err, dir), "%s", p.err);
    run_output_free(&p);
    free(dir);
}

/* ---- d. nobody recognises the payload ------------------------------------ */

TestSuite(unrecognised, .init = make_tmpdir, .fini = remove_tmpdir);

/* Every built-in adapter appears as "NAME (REASON)" with a non-empty
 * reason. */
static void assert_every_reason(const char *err, const char *const *names,
                                size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char *item = run_asprintf("%s (", names[i]);
        const char *at = strstr(err, item);
        cr_expect_not_null(at, "%s is not listed with a reason: %s", names[i],
                           err);
        if (at != NULL) {
            at += strlen(item);
            size_t len = strcspn(at, ")");
            cr_expect(len > 0 && at[len] == ')',
                      "%s: empty or unterminated reason: %s", names[i], err);
        }
        free(item);
    }
}

static void assert_unrecognised(const char *text)
{
    char *input = write_input("in.json", text);
    run_output p = RUN(cegate_bin(), "normalize", input);
    cr_assert_eq(p.status, EX_DATAERR, "%d: %s", p.status, p.err);
    cr_expect_str_empty(p.out);
    cr_expect_not_null(strstr(p.err, "no adapter recognised the payload: "),
                       "%s", p.err);
    cr_expect_not_null(strstr(p.err, input), "the input is not named: %s",
                       p.err);
    const char *nl = strchr(p.err, '\n');
    cr_expect(nl != NULL && nl[1] == '\0', "not one line: %s", p.err);
    assert_every_reason(p.err, builtin_adapters, BUILTIN_COUNT);
    run_output_free(&p);
    free(input);
}

Test(unrecognised, json_object)
{
    assert_unrecognised("{\"nobody\": \"knows me\"}\n");
}

Test(unrecognised, json_array)
{
    assert_unrecognised("[{\"nobody\": \"knows me\"}]\n");
}

Test(unrecognised, not_json)
{
    assert_unrecognised("hello, world\n");
}

Test(unrecognised, plugins_are_listed_too)
{
    char *dir = skeleton_dir("plugins");
    char *input = write_input("in.json", "{\"nobody\": \"knows me\"}");
    run_output p = RUN(cegate_bin(), "normalize", "--plugin-dir", dir, input);
    cr_assert_eq(p.status, EX_DATAERR, "%d: %s", p.status, p.err);
    assert_every_reason(p.err, builtin_adapters, BUILTIN_COUNT);
    cr_expect_not_null(strstr(p.err, "skeleton (no skeleton member)"), "%s",
                       p.err);
    run_output_free(&p);
    free(input);
    free(dir);
}

/* ---- e. --adapter with an unknown name ------------------------------------ */

TestSuite(unknown_adapter, .init = make_tmpdir, .fini = remove_tmpdir);

static void assert_lists_loaded(const char *err)
{
    const char *loaded = strstr(err, "(loaded: ");
    cr_assert_not_null(loaded, "the loaded adapters are not listed: %s", err);
    for (size_t i = 0; i < BUILTIN_COUNT; i++)
        cr_expect_not_null(strstr(loaded, builtin_adapters[i]),
                           "%s is not listed: %s", builtin_adapters[i], err);
}

Test(unknown_adapter, exits_64_listing_the_adapters)
{
    char *input = write_input("in.json", SKELETON_INPUT);
    run_output p = RUN(cegate_bin(), "normalize", "--adapter", "nosuch", input);
    cr_assert_eq(p.status, EX_USAGE, "%d: %s", p.status, p.err);
    cr_expect_str_empty(p.out);
    cr_expect_not_null(strstr(p.err, "no adapter named 'nosuch'"), "%s",
                       p.err);
    assert_lists_loaded(p.err);
    run_output_free(&p);
    free(input);
}

Test(unknown_adapter, lists_plugins_too)
{
    char *dir = skeleton_dir("plugins");
    char *input = write_input("in.json", SKELETON_INPUT);
    run_output p = RUN(cegate_bin(), "normalize", "--plugin-dir", dir, "--adapter",
                       "nosuch", input);
    cr_assert_eq(p.status, EX_USAGE, "%d: %s", p.status, p.err);
    assert_lists_loaded(p.err);
    cr_expect_not_null(strstr(strstr(p.err, "(loaded: "), "skeleton"), "%s",
                       p.err);
    run_output_free(&p);
    free(input);
    free(dir);
}
