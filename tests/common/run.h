/* SPDX-License-Identifier: Apache-2.0 */
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

/* ---- running a program under watch ----------------------------------------- */

/* A condition on something outside the child, so that a test acts on
 * what happened rather than on a guess of how long it takes: open once
 * `file` exists and holds `text` (e.g. a line of a server's log), always
 * open when `file` is NULL. */
typedef struct run_gate {
    const char *file;
    const char *text;
} run_gate;

/* A piece of a child's stdin: `len` bytes of `data`, `repeat` times over
 * (0: once), or when `file` is set, that file's contents, streamed in small
 * reads; either way a large input never sits in the test's memory (see
 * run_watched). It is written `delay_ms` after the previous piece was
 * written whole (the first: after the start) and its gate opened. */
typedef struct run_piece {
    const char *data;
    size_t len;
    size_t repeat;
    const char *file;
    long delay_ms;
    run_gate gate;
} run_piece;

typedef struct run_watch_spec {
    char *const *argv;     /* argv[0]: a path, or looked up in PATH */
    char *const *envp;     /* NULL: environ */
    const char *stdin_file; /* stdin from this file, or else */
    const run_piece *pieces; /* these pieces through a pipe, then EOF */
    size_t piece_count;    /* (none: an empty stdin) */
    const char *stdout_file; /* stdout opened from this file (e.g. /dev/full)
                              * instead of captured */
    int signal;            /* when non-zero, sent once, `signal_after_ms`
                            * after the start and the opening of its gate */
    long signal_after_ms;
    run_gate signal_gate;
    double kill_after_s;   /* SIGKILL once this long has passed (0: 120 s),
                            * so that a test never hangs */
} run_watch_spec;

typedef struct run_watch_result {
    int status;          /* the exit status, or 128 + signal */
    int killed;          /* it was still running at kill_after_s */
    double seconds;      /* wall time from the start to its exit */
    double signalled_at; /* when the signal was sent (from the start), or -1 */
    long max_rss_kib;    /* its peak RSS (wait4's ru_maxrss) */
    char *out;           /* stdout (unless stdout_file) and stderr, */
    size_t out_len;      /* NUL-terminated */
    char *err;
    size_t err_len;
} run_watch_result;

/* Run spec->argv to its exit, feeding and signalling it as the spec says,
 * capturing its output, its wall time and its peak RSS.
 *
 * The peak RSS counts what the child inherited: Linux starts a spawned
 * child's high-water mark at its parent's RSS (exec keeps the larger of the
 * two), so a test that measures it must not hold large buffers itself;
 * large inputs go through files. */
void run_watched(const run_watch_spec *spec, run_watch_result *r);

void run_watch_free(run_watch_result *r);

#endif
