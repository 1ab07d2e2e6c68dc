/* run.h - what the unit and end-to-end tests share for files, directories,
 * the environment, sockets and child processes.
 *
 * Failures to do what a test needs (out of memory, a required variable not
 * set, a program that cannot be started) fail the calling test through
 * Criterion's assertions. */
#ifndef CEGATE_TESTS_RUN_H
#define CEGATE_TESTS_RUN_H

#include <stddef.h>
#include <sys/types.h>

/* Seconds on the monotonic clock. */
double run_now(void);

/* Sleep `ms` milliseconds, through signals. */
void run_nap_ms(long ms);

/* A malloc'ed printf. */
char *run_asprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* An environment variable that `make check` sets: asserts that it is set and
 * not empty. */
const char *run_need_env(const char *name);

/* A whole file, NUL-terminated, its length in *length (may be NULL); NULL
 * when it cannot be opened. free() it. */
char *run_slurp(const char *path, size_t *length);

/* Write `n` bytes to `path` (created or truncated). */
void run_write_file(const char *path, const void *data, size_t n);

/* mkdtemp() into dir (size bytes) from template ("/tmp/NAME-XXXXXX"). */
void run_make_dir(char *dir, size_t size, const char *template);

/* Remove `dir` and everything below it, as far as possible. */
void run_remove_tree(const char *dir);

/* A child's environment: environ without the variables named in `drop`
 * (names, NULL-ended; may be NULL) and without those `extra` sets, plus
 * `extra` ("NAME=value", NULL-ended; may be NULL). The array is malloc'ed,
 * the strings are borrowed: free() the array only. */
char **run_child_env(const char *const *drop, const char *const *extra);

/* Does connect() to this unix socket path, or "127.0.0.1:PORT", succeed
 * now? */
int run_can_connect(const char *socket_path);

/* ---- running a program to completion ------------------------------------- */

typedef struct run_output {
    int status; /* the exit status, or 128 + signal */
    char *out;  /* stdout and stderr, NUL-terminated */
    size_t out_len;
    char *err;
    size_t err_len;
} run_output;

/* Run argv (argv[0] is looked up in PATH unless it holds a '/') with the
 * environment envp (NULL: environ) until it exits, capturing its stdout and
 * stderr. Its stdin is the file `input_file` when given, else the
 * `input_len` bytes of `input` (may be NULL: empty) through a pipe. */
run_output run_capture(char *const argv[], char *const envp[], const char *input,
                       size_t input_len, const char *input_file);

void run_output_free(run_output *o);

#endif
