/* SPDX-License-Identifier: Apache-2.0 */
/* test_faults.c - `cegate replay` against a FastCGI app that misbehaves
 * (tests/peers/fcgi_peer): each fault ends in the outcome and exit status
 * the contract gives, within the attempt's deadline plus a margin, with
 * bounded memory. Then what the run itself must survive: a shutdown signal,
 * an unwritable stdout, inputs beyond the input limit, a bad NDJSON line.
 *
 * Time bounds are the documented deadline plus faults_margin(): a test
 * fails on time only when cegate ignores its deadline, never because the
 * machine is slow. */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"

TestSuite(faults, .init = faults_setup, .fini = faults_teardown);

/* The options of a single attempt with a 1 s deadline. */
#define ONE_ATTEMPT "--timeout", "1000", "--attempts", "1"
#define DEADLINE 1.0

#define MiB (1024 * 1024)

/* A text/plain event up to the first byte of its data string. */
#define BIG_EVENT_HEAD(id)                                                            \
    "{\"specversion\":\"1.0\",\"id\":\"" id "\",\"source\":\"/t\",\"type\":\"t\","       \
    "\"datacontenttype\":\"text/plain\",\"data\":\""

/* One event e1 through `app` in `attempts` attempts of 1 s each, 50 to
 * 100 ms apart; asserts that it ended within its deadlines plus the margin,
 * with bounded memory, and returns its one line. */
static json_t *replay_one(faults_run *run, const char *app, int attempts)
{
    char count[16];
    snprintf(count, sizeof count, "%d", attempts);
    const char *args[] = {"--timeout", "1000", "--attempts", count,
                          "--retry-initial-ms", "50", "--retry-max-ms", "100", NULL};
    double bound = attempts * (DEADLINE + 0.1) + faults_margin();
    faults_replay(run, faults_stdin_text(FAULTS_EVENT_LINE("e1")), app, bound, args);
    faults_assert_ended(run);
    faults_assert_rss_below(run, FAULTS_SMALL_RSS_MIB);
    json_t *line = faults_only_line(run);
    cr_assert_str_eq(faults_str(line, "id"), "e1");
    cr_assert_leq(faults_int(line, "attempts"), attempts, "attempts: %s", run->r.out);
    return line;
}

/* The fault ends the event as `status`/`error_code` and the run with `exit`. */
static void expect_fault(const char *app, const char *status, const char *error_code,
                         int exit_code)
{
    faults_run run;
    json_t *line = replay_one(&run, app, 1);
    faults_assert_outcome(line, status, error_code);
    faults_assert_exit(&run, exit_code);
}

/* ---- the answer is too slow or never ends: cut at the deadline ---------------- */

Test(faults, drip_is_cut_at_the_deadline)
{
    /* One byte every 100 ms, forever: the deadline is over the whole
     * attempt, not restarted at every byte. */
    expect_fault(FAULTS_PEER("drip", "--interval-ms", "100"), "failed", "timeout", 75);
}

Test(faults, endless_stderr_is_cut_and_its_excerpt_bounded)
{
    faults_run run;
    json_t *line = replay_one(&run, faults_peer("endless-stderr", NULL), 1);
    faults_assert_outcome(line, "failed", "timeout");
    faults_assert_exit(&run, 75);
    /* What the app logged is kept, escaped (it holds a byte that is not
     * UTF-8 and two-byte characters a cap may cut), and bounded: 64 KiB of
     * stderr, with room for the escaping. */
    json_t *log = json_object_get(line, "app_stderr");
    cr_assert(json_is_string(log), "no app_stderr: %s", run.r.out);
    size_t len = json_string_length(log);
    cr_assert(len > 0 && len <= 2 * 64 * 1024 + 1024, "app_stderr of %zu bytes", len);
    cr_assert_not_null(strstr(json_string_value(log), "endless stderr: caf"),
                       "app_stderr: %.200s", json_string_value(log));
}

Test(faults, endless_stdout_is_cut_with_bounded_memory)
{
    faults_run run;
    json_t *line = replay_one(&run, faults_peer("endless-stdout", NULL), 1);
    const char *status = faults_str(line, "status");
    cr_assert(strcmp(status, "failed") == 0 || strcmp(status, "rejected") == 0,
              "status %s: %s", status, run.r.out);
    faults_assert_outcome(line, status, NULL);
    const char *code = faults_str(line, "error_code");
    cr_assert(strcmp(code, "timeout") == 0 || strcmp(code, "limit") == 0,
              "error_code %s: %s", code, run.r.out);
    cr_assert(run.r.status == 65 || run.r.status == 75, "exit %d", run.r.status);
}

Test(faults, slow_reader_of_a_large_body_is_cut_at_the_deadline)
{
    /* A 16 MiB body read at 64 KiB per 100 ms would take 25 s: the
     * deadline covers writing the request too. */
    const char *input =
        faults_write_padded("big.json", BIG_EVENT_HEAD("big"), 16 * MiB, "\"}\n");
    const char *app = faults_peer("slow-reader", NULL);
    faults_run run;
    FAULTS_REPLAY(&run, (run_watch_spec){0}, app, DEADLINE + faults_margin(), ONE_ATTEMPT, input);
    faults_assert_ended(&run);
    /* The input (16 MiB), its event and the request body, with room. */
    faults_assert_rss_below(&run, 160);
    json_t *line = faults_only_line(&run);
    cr_assert_str_eq(faults_str(line, "id"), "big");
    faults_assert_outcome(line, "failed", "timeout");
    faults_assert_exit(&run, 75);
}

/* ---- the answer breaks the protocol: rejected at once ---------------------------- */

Test(faults, wrong_request_id_is_a_protocol_error)
{
    expect_fault(faults_peer("wrong-id", NULL), "rejected", "protocol", 65);
}

Test(faults, unknown_record_type_is_a_protocol_error)
{
    expect_fault(faults_peer("unknown-type", NULL), "rejected", "protocol", 65);
}

Test(faults, unknown_type_record_instead_of_stdout_is_a_protocol_error)
{
    expect_fault(FAULTS_PEER("unknown-type", "--type", "11", "--instead"), "rejected",
                 "protocol", 65);
}

Test(faults, get_values_result_in_a_response_is_a_protocol_error)
{
    expect_fault(FAULTS_PEER("unknown-type", "--type", "10"), "rejected", "protocol", 65);
}

Test(faults, unknown_role_is_a_protocol_error)
{
    expect_fault(FAULTS_PEER("protocol-status", "--protocol-status", "3"), "rejected",
                 "protocol", 65);
}

Test(faults, huge_header_block_is_refused_with_bounded_memory)
{
    faults_run run;
    json_t *line = replay_one(&run, faults_peer("huge-headers", NULL), 1);
    faults_assert_outcome(line, "rejected", NULL);
    const char *code = faults_str(line, "error_code");
    cr_assert(strcmp(code, "limit") == 0 || strcmp(code, "protocol") == 0,
              "error_code %s: %s", code, run.r.out);
    faults_assert_exit(&run, 65);
}

/* ---- the app is busy or goes away: retried, then failed ---------------------------- */

/* The event fails after all its `attempts`. */
static void expect_retried_then_failed(const char *app, int attempts, const char *error_code)
{
    faults_run run;
    json_t *line = replay_one(&run, app, attempts);
    faults_assert_outcome(line, "failed", error_code);
    cr_assert_eq(faults_int(line, "attempts"), attempts, "attempts: %s", run.r.out);
    faults_assert_exit(&run, 75);
}

Test(faults, overloaded_is_retried_then_failed)
{
    expect_retried_then_failed(FAULTS_PEER("protocol-status", "--protocol-status", "2"),
                               2, NULL);
}

Test(faults, cant_mpx_conn_is_retried_then_failed)
{
    expect_retried_then_failed(FAULTS_PEER("protocol-status", "--protocol-status", "1"),
                               2, NULL);
}

Test(faults, reset_mid_record_is_unavailable)
{
    expect_retried_then_failed(faults_peer("reset", NULL), 1, "unavailable");
}

Test(faults, close_before_answering_is_unavailable)
{
    expect_retried_then_failed(faults_peer("close", NULL), 1, "unavailable");
}

Test(faults, app_stderr_survives_a_cut_character_and_bytes_not_utf8)
{
    /* 200 KB of stderr with two-byte characters and 0xff bytes, then a
     * 503: the excerpt is kept (capped anywhere, escaped), not dropped. */
    faults_run run;
    json_t *line = replay_one(
        &run, FAULTS_PEER("ok", "--status", "503", "--stderr-bytes", "200001"), 1);
    faults_assert_outcome(line, "failed", "app-transient");
    cr_assert_eq(faults_int(line, "code"), 503, "code: %s", run.r.out);
    json_t *log = json_object_get(line, "app_stderr");
    cr_assert(json_is_string(log), "no app_stderr: %s", run.r.out);
    size_t len = json_string_length(log);
    cr_assert(len > 0 && len <= 2 * 64 * 1024 + 1024, "app_stderr of %zu bytes", len);
    cr_assert_not_null(strstr(json_string_value(log), "stderr: caf"),
                       "app_stderr: %.200s", json_string_value(log));
    faults_assert_exit(&run, 75);
}

/* ---- a kept connection with a stray answer on it ------------------------------------- */

Test(faults, stray_response_is_never_taken_for_the_next_request)
{
    /* Event 2 comes once the stray answer (150 ms after event 1's) waits
     * on the kept connection, and 250 ms more: over 400 ms after event 1. */
    const char *app = faults_peer("stray", NULL);
    run_piece pieces[] = {
        {.data = FAULTS_EVENT_LINE("e1")},
        {.data = FAULTS_EVENT_LINE("e2"), .delay_ms = 250,
         .gate = faults_peer_logged("stray: sent an unrequested response")}};
    for (size_t i = 0; i < 2; i++)
        pieces[i].len = strlen(pieces[i].data);
    faults_run run;
    FAULTS_REPLAY(&run, ((run_watch_spec){.pieces = pieces, .piece_count = 2}), app,
                  10.0 + faults_margin(), "--show-response", "--idle-timeout", "5000",
                  "--timeout", "1000");
    faults_assert_ended(&run);
    cr_assert_eq(faults_count(&run), 2, "stdout: %s", run.r.out);
    json_t *e1 = faults_line_for_id(&run, "e1"), *e2 = faults_line_for_id(&run, "e2");
    faults_assert_outcome(e1, "delivered", NULL);
    faults_assert_outcome(e2, "delivered", NULL);
    cr_assert_str_eq(faults_str(e1, "response"), "real:e1", "%s", run.r.out);
    cr_assert_str_eq(faults_str(e2, "response"), "real:e2",
                     "event 2 took the stray answer: %s; peer: %s", run.r.out,
                     faults_peer_log());
    cr_assert_eq(faults_int(e2, "code"), 200, "%s", run.r.out);
    faults_assert_exit(&run, 0);
}

/* ---- shutdown -------------------------------------------------------------------------- */

/* NDJSON of n events e0..e<n-1>, one a line. */
static const char *write_events(const char *name, int n)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_not_null(f, "out of memory");
    for (int i = 0; i < n; i++)
        fprintf(f, "{\"specversion\":\"1.0\",\"id\":\"e%d\",\"source\":\"/t\",\"type\":\"t\","
                   "\"data\":{}}\n", i);
    cr_assert_eq(fclose(f), 0);
    const char *path = faults_path(name);
    run_write_file(path, faults_own(text), size);
    return path;
}

Test(faults, sigterm_drains_and_reports_every_event)
{
    /* 200 events at 20 ms each take over 4 s; SIGTERM 1 s after the app
     * answered the first. The drain deadline is 5 s by default. */
    const char *input = write_events("events.ndjson", 200);
    const char *app = FAULTS_PEER("ok", "--delay-ms", "20");
    faults_run run;
    run_watch_spec spec = {.signal = SIGTERM, .signal_after_ms = 1000,
                           .signal_gate = faults_peer_logged("ok id=e0 ")};
    FAULTS_REPLAY(&run, spec, app, 30.0, input);
    faults_assert_ended_after_signal(&run, 5.0 + faults_margin());
    faults_assert_rss_below(&run, FAULTS_SMALL_RSS_MIB);
    cr_assert_eq(faults_count(&run), 200, "%zu outcome lines for 200 events; stderr: %s",
                 faults_count(&run), run.r.err);
    size_t delivered = 0, skipped = 0;
    for (int i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%d", i);
        json_t *line = faults_line_for_id(&run, id);
        cr_assert_eq(faults_int(line, "line"), i + 1, "line of %s: %s", id, run.r.out);
        const char *status = faults_str(line, "status");
        if (strcmp(status, "delivered") == 0) {
            faults_assert_outcome(line, "delivered", NULL);
            delivered++;
        } else {
            faults_assert_outcome(line, "skipped", NULL);
            skipped++;
        }
    }
    cr_assert(delivered > 0 && skipped > 0, "%zu delivered, %zu skipped", delivered, skipped);
    /* With one worker the events delivered are the first ones of the
     * input, and every later one was skipped (lines come as events
     * complete: the one in flight may finish after the skipped ones). */
    for (size_t i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%zu", i);
        cr_assert_str_eq(faults_str(faults_line_for_id(&run, id), "status"),
                         i < delivered ? "delivered" : "skipped", "%s", id);
    }
    cr_assert_not_null(strstr(run.r.err, "200 events"), "no summary: %s", run.r.err);
    faults_assert_exit(&run, 75);
}

Test(faults, sigkill_loses_at_most_the_lines_of_events_in_flight)
{
    /* Each outcome line is written as its event completes: killed without
     * warning, replay has written a line for every event the app answered
     * but the one (one worker) whose answer it was reading. */
    const char *input = write_events("events.ndjson", 200);
    const char *app = FAULTS_PEER("ok", "--delay-ms", "20");
    faults_run run;
    run_watch_spec spec = {.signal = SIGKILL, .signal_after_ms = 1000,
                           .signal_gate = faults_peer_logged("ok id=e0 ")};
    FAULTS_REPLAY(&run, spec, app, 30.0, input);
    size_t answered = 0;
    for (const char *p = faults_peer_log(); (p = strstr(p, "ok id=")) != NULL; p++)
        answered++;
    cr_assert_gt(answered, 5, "the app answered %zu before the kill", answered);
    cr_assert_geq(faults_count(&run) + 1, answered,
                  "%zu outcome lines for %zu answers", faults_count(&run), answered);
    for (size_t i = 0; i < faults_count(&run); i++)
        faults_assert_outcome(faults_line(&run, i), "delivered", NULL);
}

Test(faults, sigterm_cancels_an_attempt_at_the_drain_deadline)
{
    /* SIGTERM 0.5 s after the app read the request it will never answer:
     * the attempt (its own deadline 60 s) is cancelled at the drain's. */
    const char *app = faults_peer("hang", NULL);
    faults_run run;
    run_watch_spec spec = faults_stdin_text(FAULTS_EVENT_LINE("e1"));
    spec.signal = SIGTERM;
    spec.signal_after_ms = 500;
    spec.signal_gate = faults_peer_logged("hang id=e1: read the request");
    FAULTS_REPLAY(&run, spec, app, 30.0, "--timeout", "60000", "--drain-timeout", "1000");
    faults_assert_ended_after_signal(&run, 1.0 + faults_margin());
    faults_assert_rss_below(&run, FAULTS_SMALL_RSS_MIB);
    json_t *line = faults_only_line(&run);
    cr_assert_str_eq(faults_str(line, "id"), "e1");
    faults_assert_outcome(line, "failed", "cancelled");
    faults_assert_exit(&run, 75);
}

/* ---- output ---------------------------------------------------------------------------- */

Test(faults, unwritable_stdout_exits_74)
{
    const char *app = faults_peer("ok", NULL);
    faults_run run;
    run_watch_spec spec = faults_stdin_text(FAULTS_EVENT_LINE("e1") FAULTS_EVENT_LINE("e2"));
    spec.stdout_file = "/dev/full";
    FAULTS_REPLAY(&run, spec, app, 5.0 + faults_margin(), ONE_ATTEMPT);
    faults_assert_ended(&run);
    faults_assert_exit(&run, 74);
    cr_assert_not_null(strstr(run.r.err, "standard output"), "stderr: %s", run.r.err);
}

/* ---- input beyond the limit (max_input_bytes, 32 MiB) ------------------------------------ */

/* Well under this: the limit twice over and a generous baseline. */
#define INPUT_RSS_MIB 120

/* 64 KiB of 'x', for inputs generated as they are written. */
static const char *filler(void)
{
    static char chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    return chunk;
}

/* Stdin made of `head`, `mib` MiB of 'x' and `tail`, through a pipe. */
static run_watch_spec padded_stdin(run_piece pieces[3], const char *head, size_t mib,
                                   const char *tail)
{
    pieces[0] = (run_piece){.data = head, .len = strlen(head)};
    pieces[1] = (run_piece){.data = filler(), .len = 64 * 1024, .repeat = mib * 16};
    pieces[2] = (run_piece){.data = tail, .len = strlen(tail)};
    return (run_watch_spec){.pieces = pieces, .piece_count = 3};
}

Test(faults, message_beyond_the_limit_is_refused_with_bounded_memory)
{
    /* 64 MiB without a newline, through a pipe. */
    const char *app = faults_peer("ok", NULL);
    run_piece pieces[3];
    faults_run run;
    FAULTS_REPLAY(&run, padded_stdin(pieces, BIG_EVENT_HEAD("huge"), 64, "\"}"), app,
                  30.0 + faults_margin(), ONE_ATTEMPT);
    faults_assert_ended(&run);
    faults_assert_rss_below(&run, INPUT_RSS_MIB);
    json_t *line = faults_only_line(&run);
    faults_assert_outcome(line, "invalid", NULL);
    cr_assert_not_null(strstr(faults_str(line, "error"), "max_input_bytes"), "%s", run.r.out);
    faults_assert_exit(&run, 65);
}

Test(faults, ndjson_line_far_beyond_the_limit_is_refused_with_bounded_memory)
{
    /* A 200 MiB line 2 through a pipe: read no further than the limit. */
    const char *app = faults_peer("ok", NULL);
    run_piece pieces[3];
    faults_run run;
    FAULTS_REPLAY(&run,
                  padded_stdin(pieces, FAULTS_EVENT_LINE("e1") BIG_EVENT_HEAD("e2"), 200,
                               "\"}\n" FAULTS_EVENT_LINE("e3")),
                  app, 30.0 + faults_margin(), ONE_ATTEMPT);
    faults_assert_ended(&run);
    faults_assert_rss_below(&run, INPUT_RSS_MIB);
    cr_assert_eq(faults_count(&run), 3, "stdout: %.2000s", run.r.out);
    json_t *bad = faults_line_for_input(&run, 2);
    faults_assert_outcome(bad, "invalid", NULL);
    cr_assert_not_null(strstr(faults_str(bad, "error"), "max_input_bytes"), "%s", run.r.out);
    faults_assert_outcome(faults_line_for_id(&run, "e1"), "delivered", NULL);
    faults_assert_outcome(faults_line_for_id(&run, "e3"), "delivered", NULL);
    faults_assert_exit(&run, 65);
}

Test(faults, ndjson_line_beyond_the_limit_is_refused_and_the_run_goes_on)
{
    /* A 40 MiB line 2 in a file. */
    const char *input = faults_write_padded("lines.ndjson",
                                            FAULTS_EVENT_LINE("e1") BIG_EVENT_HEAD("e2"),
                                            40 * MiB, "\"}\n" FAULTS_EVENT_LINE("e3"));
    const char *app = faults_peer("ok", NULL);
    faults_run run;
    FAULTS_REPLAY(&run, (run_watch_spec){0}, app, 30.0 + faults_margin(), ONE_ATTEMPT, input);
    faults_assert_ended(&run);
    faults_assert_rss_below(&run, INPUT_RSS_MIB);
    cr_assert_eq(faults_count(&run), 3, "stdout: %.2000s", run.r.out);
    json_t *bad = faults_line_for_input(&run, 2);
    faults_assert_outcome(bad, "invalid", NULL);
    cr_assert_not_null(strstr(faults_str(bad, "error"), "max_input_bytes"), "%s", run.r.out);
    faults_assert_outcome(faults_line_for_id(&run, "e1"), "delivered", NULL);
    faults_assert_outcome(faults_line_for_id(&run, "e3"), "delivered", NULL);
    cr_assert_eq(faults_int(faults_line_for_id(&run, "e3"), "line"), 3, "%s", run.r.out);
    faults_assert_exit(&run, 65);
}

/* ---- error positions in NDJSON ---------------------------------------------------------- */

Test(faults, ndjson_error_position_is_the_file_line_and_column)
{
    /* Line 10 misses a comma after its id. */
    static const char bad[] =
        "{\"specversion\":\"1.0\",\"id\":\"e10\" \"source\":\"/t\",\"type\":\"t\"}";
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_not_null(f, "out of memory");
    for (int i = 1; i <= 12; i++)
        if (i == 10)
            fprintf(f, "%s\n", bad);
        else
            fprintf(f, "{\"specversion\":\"1.0\",\"id\":\"e%d\",\"source\":\"/t\","
                       "\"type\":\"t\",\"data\":{}}\n", i);
    cr_assert_eq(fclose(f), 0);
    faults_own(text);
    const char *app = faults_peer("ok", NULL);
    faults_run run;
    FAULTS_REPLAY(&run, faults_stdin_text(text), app, 10.0 + faults_margin(), ONE_ATTEMPT);
    faults_assert_ended(&run);
    cr_assert_eq(faults_count(&run), 12, "stdout: %s", run.r.out);
    json_t *line = faults_line_for_input(&run, 10);
    faults_assert_outcome(line, "invalid", NULL);
    const char *error = faults_str(line, "error");
    const char *at = strstr(error, "line 10");
    cr_assert_not_null(at, "the error does not name line 10: %s", error);
    int column = 0;
    const char *col = strstr(error, "column ");
    cr_assert(col != NULL && sscanf(col, "column %d", &column) == 1, "no column: %s", error);
    cr_assert(column > 1 && (size_t)column <= sizeof bad, "column %d of a %zu-byte line: %s",
              column, sizeof bad - 1, error);
    for (int i = 1; i <= 12; i++)
        if (i != 10)
            faults_assert_outcome(faults_line_for_input(&run, i), "delivered", NULL);
    faults_assert_exit(&run, 65);
}
