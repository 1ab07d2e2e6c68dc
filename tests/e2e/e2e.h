/* SPDX-License-Identifier: Apache-2.0 */
/* e2e.h - shared helpers for cegate's end-to-end tests.
 *
 * Every test runs in a fresh temporary directory (e2e_setup/e2e_teardown
 * as its suite's .init/.fini), starts real servers there on unix sockets
 * (each in its own process group), waits until their socket accepts a
 * connection, runs `$CEGATE_BIN replay --show-response ...`, parses the
 * JSON lines it prints and checks, for every run, the counter invariant of
 * its summary line ("N events: D delivered, F failed, R rejected,
 * I invalid": N = D + F + R + I, and N JSON lines). Whatever a test leaves
 * running is stopped (SIGTERM to the process group, then SIGKILL) and
 * reaped by the teardown; the test process is made a child subreaper so
 * that servers' own children (php-fpm, fcgiwrap workers) are reaped too.
 *
 * No sleep-then-assert: waits are polling loops with generous deadlines. */
#ifndef CEGATE_TESTS_E2E_H
#define CEGATE_TESTS_E2E_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "../common/run.h"

/* Deadlines, in seconds: generous, so that slow (sanitized, loaded)
 * machines pass; a healthy run takes a small fraction of them. */
#define E2E_START_SECONDS 60.0
#define E2E_STOP_SECONDS 30.0
#define E2E_RUN_SECONDS 300.0

/* ---- the temporary directory ---------------------------------------------- */

void e2e_setup(void);
void e2e_teardown(void);

/* The test's directory (short enough for sun_path). */
const char *e2e_dir(void);

/* "<dir>/<name>", owned by the test (freed at teardown). */
const char *e2e_path(const char *name);

/* Memory and JSON values the teardown releases (so that a failed
 * assertion leaks nothing); both return their argument. */
void *e2e_own(void *p);
json_t *e2e_own_json(json_t *v);

/* printf into a string owned by the test (freed at teardown). */
const char *e2e_fmt(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

/* Write `n` bytes to <dir>/<name> with `mode`; returns the path. */
const char *e2e_write(const char *name, const void *data, size_t n, mode_t mode);
const char *e2e_write_text(const char *name, const char *text, mode_t mode);

/* The absolute path of the first executable found among `candidates`
 * (NULL-terminated; bare names are looked up in PATH, /usr/sbin, /sbin),
 * or NULL. */
const char *e2e_find_program(const char *const *candidates);

/* $CEGATE_TEST_DATA/samples/<name>. */
const char *e2e_sample(const char *name);

/* The data of samples/order-created.json, as the body of a binary-mode
 * request (the JSON value, compact). */
#define E2E_ORDER_BODY "{\"order\":1042,\"total\":\"19.90\",\"currency\":\"EUR\"}"
#define E2E_ORDER_ID "A234-1234-1234"

/* Write <dir>/<name>: NDJSON of n CloudEvents, event i with id
 * "<id_prefix><i>", type e2e.event, source /e2e, and text/plain data
 * "<data_prefix><i>". Returns its path. */
const char *e2e_write_events(const char *name, int n, const char *id_prefix,
                             const char *data_prefix);

/* ---- processes ------------------------------------------------------------- */

typedef struct e2e_proc {
    pid_t pid;           /* also its process group id */
    char name[64];
    const char *out;     /* its stdout and stderr files */
    const char *err;
    int running;
    int status;          /* wait status once stopped */
} e2e_proc;

/* Start argv[0] (an absolute path) in its own process group, stdin from
 * /dev/null, stdout/stderr into <dir>/<name>.out/.err, with the test's
 * environment minus SOCK and THREADS plus `env_extra` ("NAME=value",
 * NULL-ended; may be NULL). When `socket_path` is given, returns only once
 * that socket accepts a connection (fails the test, with the
 * program's stderr, if it exits first or the deadline passes). */
e2e_proc *e2e_start(const char *name, const char *const *argv,
                    const char *const *env_extra, const char *socket_path);

/* Poll connect() until it succeeds; fails the test if `p` (may be NULL)
 * exits first or `seconds` pass. Sockets here and in e2e_start are a unix
 * socket's path or "127.0.0.1:PORT" (see run_can_connect). */
void e2e_wait_socket(const char *socket_path, e2e_proc *p, double seconds);

/* A loopback TCP port that was free a moment ago. */
int e2e_free_loopback_port(void);

/* SIGTERM to its process group; reap the group (its leader and, through
 * the subreaper, any children it left) until the deadline, then SIGKILL
 * the group. Returns the leader's wait status. Idempotent. */
int e2e_stop(e2e_proc *p);

/* e2e_stop, then assert that the leader exited 0 on SIGTERM and that its
 * stderr holds no sanitizer report (for our own apps). */
void e2e_stop_clean(e2e_proc *p);

/* ---- cegate replay ---------------------------------------------------------- */

typedef struct e2e_run {
    pid_t pid;
    const char *out, *err;  /* files */
    int wait_status;
    int exit_code;          /* -1 when it did not exit normally */
    char *stdout_text;      /* these three are owned by the test */
    char *stderr_text;
    json_t *lines;          /* array: one object per output line */
    size_t total, delivered, failed, rejected, invalid; /* the summary */
} e2e_run;

/* Run `$CEGATE_BIN replay --show-response ARGS...` (args NULL-ended) to
 * completion and check it (see e2e_replay_finish). */
void e2e_replay(e2e_run *r, const char *const *args);
#define E2E_REPLAY(r, ...) e2e_replay((r), (const char *const[]){__VA_ARGS__, NULL})

/* The same in two steps, for tests that act while it runs. */
void e2e_replay_start(e2e_run *r, const char *const *args);
int e2e_replay_running(e2e_run *r);
/* Wait for it to end (deadline E2E_RUN_SECONDS, then it is killed and the
 * test fails); its exit code, -1 if it did not exit normally. Checks
 * nothing else: for runs that are refused before they start. */
int e2e_replay_wait(e2e_run *r);
/* Wait (deadline E2E_RUN_SECONDS), then assert: it exited; no sanitizer
 * report on its stderr; its summary line is there and N = D + F + R + I;
 * stdout is exactly N JSON object lines whose statuses count D, F, R, I. */
void e2e_replay_finish(e2e_run *r);

/* Line i (borrowed), asserting it exists. */
json_t *e2e_line(const e2e_run *r, size_t i);
/* The one line (borrowed) for the event with this id, or for the input
 * line (NDJSON) with this number that produced no event. Lines come in the
 * order outcomes are known, which need not be the input's: an input that
 * does not normalize is reported at once, ahead of events still queued. */
json_t *e2e_line_for(const e2e_run *r, const char *id);
json_t *e2e_line_for_input(const e2e_run *r, size_t number);
/* A string member of a line ("" if absent, for assertion messages). */
const char *e2e_str(json_t *obj, const char *key);
json_int_t e2e_int(json_t *obj, const char *key);
/* The line's "response" parsed as JSON (owned by the test), asserting it. */
json_t *e2e_response_json(json_t *line);

/* Assert that the run exited 0 with all its n events delivered. */
void e2e_assert_delivered(const e2e_run *r, size_t n);

/* Assert a line's "status", "code" (0: no answer) and "attempts". */
void e2e_assert_outcome(json_t *line, const char *status, json_int_t code,
                        json_int_t attempts);

/* ---- params ------------------------------------------------------------------- */

typedef struct e2e_param {
    const char *name;
    const char *value;
} e2e_param;

#define E2E_MAX_PARAMS 64

typedef struct e2e_params {
    e2e_param p[E2E_MAX_PARAMS];
    size_t count;
    char length[32];
} e2e_params;

/* What cegate sends for a request on the default settings (no --script,
 * server localhost:80) before the event's HTTP_CE_* params: the CGI/1.1
 * and nginx-style variables. content_type may be NULL (then not sent). */
void e2e_standard_params(e2e_params *ps, const char *method,
                         const char *request_uri, const char *content_type,
                         size_t content_length);
void e2e_params_add(e2e_params *ps, const char *name, const char *value);
/* Add the HTTP_CE_* params of samples/order-created.json. */
void e2e_order_ce_params(e2e_params *ps);
/* Replace the value of a param, or add it. */
void e2e_params_set(e2e_params *ps, const char *name, const char *value);
/* What --script changes: SCRIPT_NAME is /<script's file name>, the request
 * path becomes PATH_INFO, DOCUMENT_ROOT is the script's directory, and
 * SCRIPT_FILENAME is sent. */
void e2e_script_params(e2e_params *ps, const char *script_filename,
                       const char *request_uri);

/* `got` (an object of strings) holds exactly the expected params, no more,
 * apart from names listed in `ignore` (NULL-ended, may be NULL). */
void e2e_assert_params_exact(json_t *got, const e2e_params *expected,
                             const char *const *ignore);

/* "NAME=value" lines up to a line "--body--": an object of strings (owned
 * by the test); the
 * rest of the text after that line is stored in *body (borrowed pointer
 * into text). For the shell, Perl and CGI apps that print their
 * environment. */
json_t *e2e_parse_env_dump(const char *text, const char **body);

/* Write <dir>/<name>, an executable /bin/sh CGI script answering 200
 * text/plain with its environment (`env`), a line "--body--" and the body
 * it read on stdin (CONTENT_LENGTH bytes). Returns its path. */
const char *e2e_write_env_script(const char *name);

/* The SHA-256 of bytes, as lower-case hex. */
void e2e_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
