/* SPDX-License-Identifier: Apache-2.0 */
/* replay_main.c - run a fuzz target over its corpus once, without libFuzzer.
 *
 * Linked with one fuzz target (which supplies LLVMFuzzerTestOneInput) into
 * tests/fuzz/replay_<name>; `make check` runs it. The corpus is
 * $CEGATE_FUZZ_CORPUS/<name>, <name> being this program's name without its
 * "replay_" prefix (and without libtool's "lt-" one). Each file, in name
 * order, is handed to the target in a buffer of exactly its size (as
 * libFuzzer does, so ASan sees over-reads) and reported as one TAP line.
 * A target that finds a broken property aborts, which fails the test.
 *
 * A corpus that is missing or empty is a failure: the replay must test
 * something.
 *
 * Given arguments, it replays those files (or the files of those
 * directories) instead:  tests/fuzz/replay_json_format crash-1234
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct file_list {
    char **paths;
    size_t count;
    size_t capacity;
} file_list;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "replay: out of memory\n");
        exit(99);
    }
    return p;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = xmalloc(a + b + 2);
    memcpy(s, dir, a);
    s[a] = '/';
    memcpy(s + a + 1, name, b + 1);
    return s;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = xmalloc(n);
    memcpy(c, s, n);
    return c;
}

static void add(file_list *list, char *path)
{
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 64;
        char **p = xmalloc(cap * sizeof *p);
        if (list->count)
            memcpy(p, list->paths, list->count * sizeof *p);
        free(list->paths);
        list->paths = p;
        list->capacity = cap;
    }
    list->paths[list->count++] = path;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the regular files of `dir` (not hidden ones, not subdirectories),
 * sorted by name. Returns -1 when the directory cannot be read. */
static int add_directory(file_list *list, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    size_t first = list->count;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = join(dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            add(list, path);
        else
            free(path);
    }
    closedir(d);
    if (list->count - first > 1)
        qsort(list->paths + first, list->count - first, sizeof *list->paths,
              by_name);
    return 0;
}

/* The whole file in a buffer of exactly its size; NULL on error. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            uint8_t *bigger = xmalloc(cap * 2);
            memcpy(bigger, buf, n);
            free(buf);
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    uint8_t *exact = xmalloc(n);
    memcpy(exact, buf, n);
    free(buf);
    *size = n;
    return exact;
}

/* "…/.libs/lt-replay_json_format" -> "json_format". */
static const char *corpus_name(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    if (strncmp(base, "lt-", 3) == 0)
        base += 3;
    if (strncmp(base, "replay_", 7) == 0)
        base += 7;
    return base;
}

int main(int argc, char **argv)
{
    file_list list = {NULL, 0, 0};
    char *where = NULL;

    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            struct stat st;
            if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
                add_directory(&list, argv[i]);
            else
                add(&list, copy_string(argv[i]));
        }
        where = copy_string("(arguments)");
    } else {
        const char *root = getenv("CEGATE_FUZZ_CORPUS");
        char name[256];
        const char *n = corpus_name(argc > 0 ? argv[0] : "replay_");
        size_t len = strlen(n);
        if (len >= 4 && strcmp(n + len - 4, ".exe") == 0)
            len -= 4;
        if (len == 0 || len >= sizeof name) {
            printf("1..1\nnot ok 1 - cannot tell the corpus from the program "
                   "name \"%s\"\n", argc > 0 ? argv[0] : "");
            return 1;
        }
        memcpy(name, n, len);
        name[len] = '\0';
        if (root == NULL || root[0] == '\0') {
            printf("1..1\nnot ok 1 - CEGATE_FUZZ_CORPUS is not set (run "
                   "through make check, or give files as arguments)\n");
            return 1;
        }
        where = join(root, name);
        if (add_directory(&list, where) < 0) {
            printf("1..1\nnot ok 1 - corpus %s: %s\n", where,
                   strerror(errno));
            free(where);
            return 1;
        }
    }
    if (list.count == 0) {
        printf("1..1\nnot ok 1 - corpus %s has no files\n", where);
        free(where);
        return 1;
    }

    int failed = 0;
    printf("1..%zu\n", list.count);
    fflush(stdout);
    for (size_t i = 0; i < list.count; i++) {
        const char *path = list.paths[i];
        const char *label = strrchr(path, '/');
        label = label ? label + 1 : path;
        size_t size = 0;
        uint8_t *data = read_file(path, &size);
        if (data == NULL) {
            printf("not ok %zu - %s: %s\n", i + 1, label, strerror(errno));
            failed = 1;
        } else {
            /* Should the target abort, the log names the input. */
            fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
            LLVMFuzzerTestOneInput(data, size);
            free(data);
            printf("ok %zu - %s\n", i + 1, label);
        }
        fflush(stdout);
        free(list.paths[i]);
    }
    free(list.paths);
    free(where);
    return failed;
}
