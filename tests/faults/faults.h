/* SPDX-License-Identifier: Apache-2.0 */
/* faults.h - what the fault tests share: a temporary directory, the
 * fault-injecting FastCGI peer (tests/peers/fcgi_peer) on a unix socket in
 * it, `cegate replay` run against it under watch (wall time, peak RSS, a
 * hard limit), and assertions on its outcome lines.
 *
 * Every test runs in a fresh directory (faults_setup/faults_teardown as its
 * suite's .init/.fini); the teardown stops the peer (SIGTERM to its process
 * group, then SIGKILL) and removes the directory. Nothing else is touched. */
#ifndef CEGATE_TESTS_FAULTS_H
#define CEGATE_TESTS_FAULTS_H

#include <stddef.h>

#include <jansson.h>

#include "../common/run.h"

/* Time bounds, in seconds. A bound asserted on a run is its documented
 * deadline plus FAULTS_MARGIN (doubled under sanitizers): generous, so that
 * a slow or loaded machine does not fail a test. A run still going at
 * FAULTS_HARD_LIMIT past its bound is killed (and the test fails). */
#define FAULTS_MARGIN 3.0
#define FAULTS_HARD_LIMIT 10.0

/* Memory bounds, in MiB of peak RSS, scaled under sanitizers (whose shadow
 * memory and quarantine are not cegate's). */
#define FAULTS_SMALL_RSS_MIB 100 /* a run on a small input */

/* The CloudEvent the tests send, structured JSON; FAULTS_EVENT_LINE(id)
 * with a newline. */
#define FAULTS_EVENT(id) \
    "{\"specversion\":\"1.0\",\"id\":\"" id "\",\"source\":\"/t\",\"type\":\"t\",\"data\":{}}"
#define FAULTS_EVENT_LINE(id) FAULTS_EVENT(id) "\n"

void faults_setup(void);
void faults_teardown(void);

/* Memory freed at teardown (so that a failed assertion leaks nothing);
 * returns its argument. */
void *faults_own(void *p);

/* "<dir>/<name>", freed at teardown. */
const char *faults_path(const char *name);

/* The margin and an RSS bound as this build needs them. */
double faults_margin(void);
long faults_rss_bound_kib(long mib);

/* Start the peer on <dir>/app.sock in `mode` with `args` (NULL-ended, may
 * be NULL) and return once the socket accepts a connection (fails the test
 * if the peer exits first or does not listen within 30 s). Returns the
 * address for --app ("unix:<dir>/app.sock"). */
const char *faults_peer(const char *mode, const char *const *args);
#define FAULTS_PEER(mode, ...) faults_peer((mode), (const char *const[]){__VA_ARGS__, NULL})

/* The peer's stderr so far (its one line per request), freed at teardown. */
const char *faults_peer_log(void);

/* A gate (see run_gate) that opens once the peer has logged `text`. */
run_gate faults_peer_logged(const char *text);

/* Write <dir>/<name>: `prefix`, then `fill` bytes of 'x', then `suffix`;
 * written in small pieces, so that the test never holds a large input (see
 * run_watched on peak RSS). Returns the path. */
const char *faults_write_padded(const char *name, const char *prefix, size_t fill,
                                const char *suffix);

/* A run of `cegate replay`. */
typedef struct faults_run {
    run_watch_result r;
    json_t *lines;  /* its stdout, one JSON object per line (an array) */
    double bound;   /* the time bound asserted by faults_assert_ended */
    int signalled;  /* the spec asked for a signal */
} faults_run;

/* Run `$CEGATE_BIN replay --app ADDR ARGS...` (args NULL-ended) with the
 * stdin, stdout and signal of `spec` (its argv and kill_after_s are set
 * here). `bound` is the seconds it must end within, the margin included
 * (faults_assert_ended); it is killed FAULTS_HARD_LIMIT later. Its stdout
 * must be JSON lines, unless spec->stdout_file is set. */
void faults_replay(faults_run *run, run_watch_spec spec, const char *app, double bound,
                   const char *const *args);
#define FAULTS_REPLAY(run, spec, app, bound, ...) \
    faults_replay((run), (spec), (app), (bound), (const char *const[]){__VA_ARGS__, NULL})

/* A run_watch_spec feeding `text` as the whole stdin. */
run_watch_spec faults_stdin_text(const char *text);

/* It exited with `code` (the message shows its stderr). */
void faults_assert_exit(const faults_run *run, int code);
/* It ended, by itself, within its bound. */
void faults_assert_ended(const faults_run *run);
/* It was sent its signal and ended, by itself, at most `seconds` later. */
void faults_assert_ended_after_signal(const faults_run *run, double seconds);
/* Its peak RSS stayed under `mib` MiB (scaled under sanitizers). */
void faults_assert_rss_below(const faults_run *run, long mib);

/* The number of outcome lines; line i (borrowed, asserting it exists);
 * the one line asserted to be the only one; the one line for an event id
 * or an input line number (asserting there is exactly one). */
size_t faults_count(const faults_run *run);
json_t *faults_line(const faults_run *run, size_t i);
json_t *faults_only_line(const faults_run *run);
json_t *faults_line_for_id(const faults_run *run, const char *id);
json_t *faults_line_for_input(const faults_run *run, long number);

/* A string member ("" when absent or not a string); an integer member
 * (-1 when absent or not an integer). */
const char *faults_str(json_t *line, const char *key);
long faults_int(json_t *line, const char *key);

/* The line is a well-formed outcome (status, id, type, code, attempts, ms
 * of their types; error and error_code when not delivered) with this
 * status and, when error_code is not NULL, this error_code. */
void faults_assert_outcome(json_t *line, const char *status, const char *error_code);

#endif
