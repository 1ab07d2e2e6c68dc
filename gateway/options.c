/* SPDX-License-Identifier: Apache-2.0 */
/* options.c - the settings of `cegate replay` (see options.h).
 *
 * One range per setting, for the file and the flag alike:
 *   workers            1..1024     (a FastCGI pool of at most that many)
 *   idle_timeout_ms    1..3600000  0 is refused rather than read as
 *                                  "never": a connection kept idle for
 *                                  ever pins an app worker, and
 *                                  --no-keep-alive is the way to keep none
 *   connect_timeout_ms 1..3600000  0 would be a connect that always fails
 *   timeout_ms         1..3600000  the same for a whole attempt
 *   retry.attempts     1..1000     1: no retry
 *   retry.initial_ms   0..3600000  0: retry at once (tests, local apps)
 *   retry.max_ms       0..3600000
 *   drain_timeout_ms   0..3600000  0: cancel what is in flight at once */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "options.h"

#define HOUR_MS 3600000

/* ---- setters ---------------------------------------------------------------------- */

static int set_address(const option_def *o, const option_target *t,
                       const option_value *v, cegate_error *err)
{
    (void)o;
    return config_app_set(t->app, &t->app->address, v->text, err);
}

static int set_script(const option_def *o, const option_target *t,
                      const option_value *v, cegate_error *err)
{
    (void)o;
    return config_app_set(t->app, &t->app->script_filename, v->text, err);
}

static int set_document_root(const option_def *o, const option_target *t,
                             const option_value *v, cegate_error *err)
{
    (void)o;
    return config_app_set(t->app, &t->app->document_root, v->text, err);
}

static int set_workers(const option_def *o, const option_target *t,
                       const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->app->options.workers = (size_t)v->number;
    return 0;
}

static int set_keep_alive(const option_def *o, const option_target *t,
                          const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->app->options.keep_alive = (int)v->number;
    return 0;
}

static int set_idle_timeout(const option_def *o, const option_target *t,
                            const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->app->options.idle_timeout_ms = (int)v->number;
    return 0;
}

static int set_connect_timeout(const option_def *o, const option_target *t,
                               const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->app->options.connect_timeout_ms = (int)v->number;
    return 0;
}

static int set_timeout(const option_def *o, const option_target *t,
                       const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->app->options.timeout_ms = (int)v->number;
    return 0;
}

static int set_path(const option_def *o, const option_target *t,
                    const option_value *v, cegate_error *err)
{
    (void)o;
    return route_set_path(t->route, v->text, err);
}

static int set_method(const option_def *o, const option_target *t,
                      const option_value *v, cegate_error *err)
{
    (void)o;
    return route_set_method(t->route, v->text, err);
}

static const char *const mode_words[] = {"binary", "structured", NULL};
static const cegate_http_mode modes[] = {CEGATE_HTTP_BINARY, CEGATE_HTTP_STRUCTURED};

static int set_mode(const option_def *o, const option_target *t,
                    const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->route->mode = modes[v->number];
    return 0;
}

static int set_param(const option_def *o, const option_target *t,
                     const option_value *v, cegate_error *err)
{
    (void)o;
    return route_add_param(t->route, v->text, v->value, err);
}

static int set_attempts(const option_def *o, const option_target *t,
                        const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->route->retry.attempts = (int)v->number;
    return 0;
}

static int set_initial(const option_def *o, const option_target *t,
                       const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->route->retry.initial_ms = (int)v->number;
    return 0;
}

static int set_max(const option_def *o, const option_target *t,
                   const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->route->retry.max_ms = (int)v->number;
    return 0;
}

static int set_outcome(const option_def *o, const option_target *t,
                       const option_value *v, cegate_error *err)
{
    (void)o;
    return route_set_outcome(t->route, v->text, v->value, err);
}

static int set_drain_timeout(const option_def *o, const option_target *t,
                             const option_value *v, cegate_error *err)
{
    (void)o, (void)err;
    t->cfg->drain_timeout_ms = (int)v->number;
    return 0;
}

/* ---- the table ---------------------------------------------------------------------- */

/* In the order --help lists them. */
const option_def option_table[] = {
    {"address", OPTION_APP, "--app", OPTION_STRING, 0, 0, NULL, 0, NULL, "ADDR",
     "unix:/path/app.sock | HOST:PORT | cgi:/path/to/program", set_address},
    {"script", OPTION_APP, "--script", OPTION_STRING, 0, 0, NULL, 0, NULL, "PATH",
     "SCRIPT_FILENAME (php-fpm and fcgiwrap need it); the request path then "
     "becomes PATH_INFO", set_script},
    {"document_root", OPTION_APP, "--document-root", OPTION_STRING, 0, 0, NULL, 0,
     NULL, "DIR", "DOCUMENT_ROOT (default: the script's directory)",
     set_document_root},
    {"workers", OPTION_APP, "--workers", OPTION_INT, 1, 1024, NULL, 0, "1", "N",
     "the app's worker processes: connections kept open and events in flight "
     "at once", set_workers},
    {"keep_alive", OPTION_APP, "--no-keep-alive", OPTION_BOOL, 0, 1, NULL, 1, "true",
     NULL, "a new connection per request (\"keep_alive\": false)", set_keep_alive},
    {"idle_timeout_ms", OPTION_APP, "--idle-timeout", OPTION_INT, 1, HOUR_MS, NULL, 0,
     "2000", "MS", "close a kept connection idle this long, so that it pins no "
     "app worker", set_idle_timeout},
    {"connect_timeout_ms", OPTION_APP, "--connect-timeout", OPTION_INT, 1, HOUR_MS,
     NULL, 0, "2000", "MS", "give up connecting to the app after this long; the "
     "attempt then fails and is retried", set_connect_timeout},
    {"timeout_ms", OPTION_APP, "--timeout", OPTION_INT, 1, HOUR_MS, NULL, 0, "30000",
     "MS", "one attempt's deadline: connecting, writing the request and reading "
     "the answer", set_timeout},

    {"path", OPTION_REQUEST, "--route-path", OPTION_STRING, 0, 0, NULL, 0, "/",
     "TEMPLATE", "the request path, e.g. /uploads/{subject}: {attr} is the "
     "attribute, percent-encoded", set_path},
    {"method", OPTION_REQUEST, "--method", OPTION_STRING, 0, 0, NULL, 0, "POST",
     "METHOD", "the request method", set_method},
    {"mode", OPTION_REQUEST, "--mode", OPTION_ENUM, 0, 0, mode_words, 0, "binary",
     NULL, "HTTP content mode: binary sends the attributes as HTTP_CE_* "
     "and the data as the body, structured the event as "
     "application/cloudevents+json", set_mode},
    {"params", OPTION_REQUEST, "--param", OPTION_PAIRS, 0, 0, NULL, 0, NULL,
     "NAME=VALUE", "an extra CGI parameter", set_param},

    {"attempts", OPTION_RETRY, "--attempts", OPTION_INT, 1, 1000, NULL, 0, "5", "N",
     "tries per event", set_attempts},
    {"initial_ms", OPTION_RETRY, "--retry-initial-ms", OPTION_INT, 0, HOUR_MS, NULL,
     0, "200", "MS", "the first backoff, doubling with full jitter", set_initial},
    {"max_ms", OPTION_RETRY, "--retry-max-ms", OPTION_INT, 0, HOUR_MS, NULL, 0,
     "10000", "MS", "the cap on one backoff", set_max},
    {"outcomes", OPTION_ROUTE, "--outcome", OPTION_PAIRS, 0, 0, NULL, 0, NULL,
     "STATUS=OUTCOME", "what a status (404) or a class (4xx) means: delivered, "
     "retry or reject", set_outcome},

    {"drain_timeout_ms", OPTION_TOP, "--drain-timeout", OPTION_INT, 0, HOUR_MS, NULL,
     0, "5000", "MS", "after SIGINT or SIGTERM, how long the attempts in flight "
     "may still take", set_drain_timeout},
};

const size_t option_table_size = sizeof option_table / sizeof option_table[0];

_Static_assert(sizeof option_table / sizeof option_table[0] <= OPTION_TABLE_MAX,
               "OPTION_TABLE_MAX is too small for the table");

/* ---- looking settings up ------------------------------------------------------------- */

const option_def *option_find(option_scope scope, const char *key)
{
    for (size_t i = 0; i < option_table_size; i++)
        if (option_table[i].scope == scope && strcmp(option_table[i].key, key) == 0)
            return &option_table[i];
    return NULL;
}

const option_def *option_find_flag(const char *flag)
{
    for (size_t i = 0; i < option_table_size; i++)
        if (option_table[i].flag != NULL && strcmp(option_table[i].flag, flag) == 0)
            return &option_table[i];
    return NULL;
}

int option_is_route(const option_def *o)
{
    return o->scope == OPTION_ROUTE || o->scope == OPTION_REQUEST ||
           o->scope == OPTION_RETRY;
}

const char *option_scope_name(option_scope scope)
{
    switch (scope) {
    case OPTION_TOP: return "the top level";
    case OPTION_APP: return "an app";
    case OPTION_ROUTE: return "a route";
    case OPTION_REQUEST: return "a route's request";
    case OPTION_RETRY: return "a route's retry";
    }
    return "?";
}

/* Append `s` to the string in buf (size bytes), cut short if need be. */
static void append(char *buf, size_t size, const char *s)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s", s);
}

void option_scope_keys(option_scope scope, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < option_table_size; i++)
        if (option_table[i].scope == scope) {
            if (buf[0] != '\0')
                append(buf, size, ", ");
            append(buf, size, option_table[i].key);
        }
}

/* "a, b or c" of an enum's words. */
static void words_text(const option_def *o, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; o->words[i] != NULL; i++) {
        if (i > 0)
            append(buf, size, o->words[i + 1] == NULL ? " or " : ", ");
        append(buf, size, o->words[i]);
    }
}

const char *option_arg_name(const option_def *o, char *buf, size_t size)
{
    if (o->arg != NULL || o->type != OPTION_ENUM)
        return o->arg;
    buf[0] = '\0';
    for (size_t i = 0; o->words[i] != NULL; i++) {
        if (i > 0)
            append(buf, size, "|");
        append(buf, size, o->words[i]);
    }
    return buf;
}

/* ---- checking values: the same code for the file and the flag ---------------------- */

/* Errors are recorded with path `where` (the key's path or the flag). */

static int check_int(const option_def *o, int is_number, long long n,
                     const char *where, option_value *v, cegate_error *err)
{
    if (!is_number || n < o->min || n > o->max)
        return cegate_error_set(err, CEGATE_ERR_VALUE, where,
                                "must be a whole number from %d to %d", o->min,
                                o->max), -1;
    v->number = n;
    return 0;
}

static int check_word(const option_def *o, const char *s, const char *where,
                      option_value *v, cegate_error *err)
{
    for (size_t i = 0; s != NULL && o->words[i] != NULL; i++)
        if (strcmp(o->words[i], s) == 0) {
            v->number = (long long)i;
            v->text = o->words[i];
            return 0;
        }
    char words[256];
    words_text(o, words, sizeof words);
    return cegate_error_set(err, s == NULL ? CEGATE_ERR_TYPE : CEGATE_ERR_VALUE,
                            where, "%s", words), -1;
}

/* The setter's errors are put at `where`: a setter names its own field
 * (route.c says "path"), the caller knows the key or the flag. */
static int store(const option_def *o, const option_target *t, const option_value *v,
                 const char *where, cegate_error *err)
{
    if (o->set(o, t, v, err) == 0)
        return 0;
    cegate_error_set_path(err, where);
    return -1;
}

/* ---- from the file -------------------------------------------------------------------- */

static int json_text(const json_t *v, const char *where, const char **out,
                     cegate_error *err)
{
    if (!json_is_string(v))
        return cegate_error_set(err, CEGATE_ERR_TYPE, where, "must be a string"), -1;
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v))
        return cegate_error_set(err, CEGATE_ERR_VALUE, where,
                                "may not contain NUL"), -1;
    return 0;
}

void option_path_join(char *out, const char *path, const char *key)
{
    size_t room = CEGATE_ERROR_PATH_LENGTH - 1, used = 0;
    const char *parts[3] = {path, *path ? "." : "", key};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > room - used)
            n = room - used;
        memcpy(out + used, parts[i], n);
        used += n;
    }
    out[used] = '\0';
}

/* An object of strings: one store per member, each named path.NAME. */
static int json_pairs(const option_def *o, const option_target *t, const json_t *v,
                      const char *path, cegate_error *err)
{
    if (!json_is_object(v))
        return cegate_error_set(err, CEGATE_ERR_TYPE, path, "must be an object"), -1;
    const char *name;
    json_t *m;
    json_object_foreach((json_t *)v, name, m) {
        char at[CEGATE_ERROR_PATH_LENGTH];
        option_path_join(at, path, name);
        option_value pair = {0, name, NULL};
        if (json_text(m, at, &pair.value, err) < 0 || store(o, t, &pair, at, err) < 0)
            return -1;
    }
    return 0;
}

int option_set_json(const option_def *o, const option_target *t, const json_t *v,
                    const char *path, cegate_error *err)
{
    option_value value = {0, NULL, NULL};
    int rc = 0;
    switch (o->type) {
    case OPTION_PAIRS: return json_pairs(o, t, v, path, err);
    case OPTION_INT:
        rc = check_int(o, json_is_integer(v), json_is_integer(v) ? json_integer_value(v) : 0,
                       path, &value, err);
        break;
    case OPTION_BOOL:
        if (!json_is_boolean(v))
            return cegate_error_set(err, CEGATE_ERR_TYPE, path,
                                    "must be true or false"), -1;
        value.number = json_is_true(v);
        break;
    case OPTION_STRING: rc = json_text(v, path, &value.text, err); break;
    case OPTION_ENUM:
        rc = check_word(o, json_is_string(v) ? json_string_value(v) : NULL, path,
                        &value, err);
        break;
    }
    return rc < 0 ? -1 : store(o, t, &value, path, err);
}

/* ---- from a flag ---------------------------------------------------------------------- */

static int text_int(const option_def *o, const char *text, const char *where,
                    option_value *v, cegate_error *err)
{
    /* strtoll alone would take " 12", "+12" and "12abc"'s prefix. */
    const char *digits = text[0] == '-' ? text + 1 : text;
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    int ok = *digits >= '0' && *digits <= '9' && *end == '\0' && errno == 0;
    return check_int(o, ok, n, where, v, err);
}

/* NAME=VALUE: the name is copied out (the argument stays as given, for
 * the error message). */
static int text_pair(const option_def *o, const option_target *t, const char *text,
                     cegate_error *err)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, o->flag, "expected %s",
                                o->arg), -1;
    char *name = ce_strndup(text, (size_t)(eq - text));
    if (name == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, o->flag, "out of memory"), -1;
    option_value pair = {0, name, eq + 1};
    int rc = store(o, t, &pair, o->flag, err);
    cegate_free(name);
    return rc;
}

/* A value as a flag gives it; BOOL as "true" or "false" (the table's
 * defaults: a BOOL flag itself takes no argument). */
static int text_value(const option_def *o, const char *text, option_value *v,
                      cegate_error *err)
{
    switch (o->type) {
    case OPTION_INT: return text_int(o, text, o->flag, v, err);
    case OPTION_ENUM: return check_word(o, text, o->flag, v, err);
    case OPTION_STRING: v->text = text; return 0;
    case OPTION_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return cegate_error_set(err, CEGATE_ERR_VALUE, o->flag,
                                    "must be true or false"), -1;
        v->number = text[0] == 't';
        return 0;
    case OPTION_PAIRS: break;
    }
    return cegate_error_set(err, CEGATE_ERR_USAGE, o->flag, "takes NAME=VALUE"), -1;
}

int option_set_text(const option_def *o, const option_target *t, const char *text,
                    cegate_error *err)
{
    option_value value = {0, NULL, NULL};
    if (o->type == OPTION_BOOL && text == NULL)
        value.number = !o->invert;
    else if (o->type == OPTION_PAIRS)
        return text_pair(o, t, text, err);
    else if (text_value(o, text, &value, err) < 0)
        return -1;
    return store(o, t, &value, o->flag, err);
}

/* ---- defaults ----------------------------------------------------------------------- */

/* Each default is read as a flag's argument would be, so a default out
 * of its own range cannot go unnoticed (the unit tests set them all). */
static int defaults(option_scope scope, const option_target *t, cegate_error *err)
{
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        option_value value = {0, NULL, NULL};
        if (o->scope != scope || o->def == NULL)
            continue;
        if (text_value(o, o->def, &value, err) < 0 ||
            store(o, t, &value, o->key, err) < 0)
            return -1;
    }
    return 0;
}

int option_defaults_app(config_app *a, cegate_error *err)
{
    option_target t = {NULL, a, NULL};
    return defaults(OPTION_APP, &t, err);
}

int option_defaults_route(route *r, cegate_error *err)
{
    option_target t = {NULL, NULL, r};
    return defaults(OPTION_ROUTE, &t, err) < 0 ||
                   defaults(OPTION_REQUEST, &t, err) < 0 ||
                   defaults(OPTION_RETRY, &t, err) < 0
               ? -1
               : 0;
}

int option_defaults_top(config *c, cegate_error *err)
{
    option_target t = {c, NULL, NULL};
    return defaults(OPTION_TOP, &t, err);
}

/* ---- --help ------------------------------------------------------------------------- */

#define HELP_COLUMN 25
#define HELP_WIDTH 79

/* Print `text` from column `col`, wrapped at HELP_WIDTH; continued lines
 * start at HELP_COLUMN. */
static void wrap(FILE *to, const char *text, size_t col)
{
    while (*text != '\0') {
        size_t room = HELP_WIDTH > col ? HELP_WIDTH - col : 1;
        size_t n = strlen(text);
        if (n > room) {
            n = room;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0) /* a word longer than the line: let it overflow */
                n = strcspn(text, " ");
        }
        fprintf(to, "%.*s\n", (int)n, text);
        text += n;
        while (*text == ' ')
            text++;
        if (*text != '\0')
            fprintf(to, "%*s", HELP_COLUMN, "");
        col = HELP_COLUMN;
    }
}

/* The help line and what the table adds: the default and the range. */
static void help_text(const option_def *o, char *buf, size_t size)
{
    snprintf(buf, size, "%s", o->help);
    char extra[128] = "";
    if (o->type == OPTION_INT && o->def != NULL)
        snprintf(extra, sizeof extra, " (default %s; %d to %d)", o->def, o->min, o->max);
    else if (o->type == OPTION_INT)
        snprintf(extra, sizeof extra, " (%d to %d)", o->min, o->max);
    else if (o->type == OPTION_PAIRS)
        snprintf(extra, sizeof extra, " (repeatable)");
    else if (o->type != OPTION_BOOL && o->def != NULL)
        snprintf(extra, sizeof extra, " (default %s)", o->def);
    append(buf, size, extra);
}

static void help_line(FILE *to, const option_def *o)
{
    char left[128], words[128], text[1024];
    const char *arg = option_arg_name(o, words, sizeof words);
    int n = snprintf(left, sizeof left, "  %s%s%s", o->flag, arg ? " " : "",
                     arg ? arg : "");
    help_text(o, text, sizeof text);
    /* Two spaces at least between the flag and its text. */
    size_t col = n + 2 <= HELP_COLUMN ? HELP_COLUMN : (size_t)n + 2;
    fprintf(to, "%-*s", (int)col, left);
    wrap(to, text, col);
}

void option_help(FILE *to, option_scope scope)
{
    for (size_t i = 0; i < option_table_size; i++)
        if (option_table[i].scope == scope && option_table[i].flag != NULL)
            help_line(to, &option_table[i]);
}
