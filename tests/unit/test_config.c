/* SPDX-License-Identifier: Apache-2.0 */
/* test_config.c - the configuration file (gateway/config_file.c): what a
 * valid file sets, which route takes an event, and the error each mistake
 * gets, naming its key. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "cegate/cegate.h"
#include "config_file.h"
#include "../common/run.h"

#define N(arr) (sizeof(arr) / sizeof *(arr))

static config load(const char *text, cegate_error *err)
{
    config c;
    cegate_error_clear(err);
    cr_assert_eq(config_init(&c, err), 0);
    config_load_text(&c, text, strlen(text), err);
    return c;
}

static cegate_event *event_of(const char *json)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(json, strlen(json), NULL, &list, &err), 0, "%s",
                 err.text);
    cr_assert_eq(list.count, 1);
    cegate_event *ev = list.events[0];
    list.count = 0;
    cegate_event_list_free(&list);
    return ev;
}

static const char FULL[] =
    "{\n"
    "  \"app\": {\"address\": \"unix:/run/app.sock\", \"script\": \"/srv/index.php\",\n"
    "          \"document_root\": \"/srv\", \"workers\": 4, \"keep_alive\": false,\n"
    "          \"idle_timeout_ms\": 500, \"connect_timeout_ms\": 100, \"timeout_ms\": 9000},\n"
    "  \"routes\": [\n"
    "    {\"name\": \"uploads\", \"match\": {\"type\": \"com.amazonaws.s3.ObjectCreated:*\"},\n"
    "     \"request\": {\"method\": \"PUT\", \"path\": \"/uploads/{subject}\",\n"
    "                 \"mode\": \"structured\", \"params\": {\"APP_ENV\": \"prod\", \"X\": \"1\"}},\n"
    "     \"retry\": {\"attempts\": 3, \"initial_ms\": 50, \"max_ms\": 400}},\n"
    "    {\"match\": {\"source\": \"/orders\", \"type\": \"com.example.order.created\"},\n"
    "     \"app\": \"orders\"},\n"
    "    {}\n"
    "  ],\n"
    "  \"apps\": {\"orders\": \"127.0.0.1:9000\"}\n"
    "}\n";

Test(config, a_full_file_sets_every_field)
{
    cegate_error err;
    config c = load(FULL, &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s: %s", err.path, err.text);
    cr_assert_eq(c.app_count, 2);
    const config_app *a = &c.apps[0];
    cr_assert_str_eq(a->address, "unix:/run/app.sock");
    cr_assert_str_eq(a->options.request.script_filename, "/srv/index.php");
    cr_assert_str_eq(a->options.request.document_root, "/srv");
    cr_assert_eq(a->options.workers, 4);
    cr_assert_eq(a->options.keep_alive, 0);
    cr_assert_eq(a->options.idle_timeout_ms, 500);
    cr_assert_eq(a->options.connect_timeout_ms, 100);
    cr_assert_eq(a->options.timeout_ms, 9000);
    cr_assert_str_eq(c.apps[1].name, "orders");
    cr_assert_str_eq(c.apps[1].address, "127.0.0.1:9000");
    cr_assert_eq(c.apps[1].options.workers, 1, "defaults for what is not set");

    cr_assert_eq(c.route_count, 3);
    const route *r = &c.routes[0].route;
    cr_assert_str_eq(r->name, "uploads");
    cr_assert_str_eq(r->method, "PUT");
    cr_assert_str_eq(r->path, "/uploads/{subject}");
    cr_assert_eq(r->mode, CEGATE_HTTP_STRUCTURED);
    cr_assert_eq(r->param_count, 2);
    cr_assert_str_eq(r->params[0].name, "APP_ENV");
    cr_assert_str_eq(r->params[1].value, "1");
    cr_assert_eq(r->retry.attempts, 3);
    cr_assert_eq(r->retry.initial_ms, 50);
    cr_assert_eq(r->retry.max_ms, 400);
    cr_assert_eq(c.routes[0].app, 0);
    cr_assert_eq(c.routes[1].app, 1, "\"app\": \"orders\" is apps[1]");
    cr_assert_str_eq(c.routes[1].route.name, "routes[1]", "unnamed routes are named by place");
    /* An empty route is the defaults: POST /, binary, 5 attempts. */
    const route *d = &c.routes[2].route;
    cr_assert_str_eq(d->method, "POST");
    cr_assert_str_eq(d->path, "/");
    cr_assert_eq(d->mode, CEGATE_HTTP_BINARY);
    cr_assert_eq(d->retry.attempts, 5);
    config_free(&c);
}

Test(config, the_first_matching_route_takes_the_event)
{
    cegate_error err;
    config c = load(FULL, &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s", err.text);
    cegate_event *s3 = event_of("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                                "\"type\":\"com.amazonaws.s3.ObjectCreated:Put\"}");
    cegate_event *order = event_of("{\"specversion\":\"1.0\",\"id\":\"2\","
                                   "\"source\":\"/orders\","
                                   "\"type\":\"com.example.order.created\"}");
    cegate_event *other_source = event_of("{\"specversion\":\"1.0\",\"id\":\"3\","
                                          "\"source\":\"/other\","
                                          "\"type\":\"com.example.order.created\"}");
    cr_assert_eq(config_pick(&c, s3), &c.routes[0]);
    cr_assert_eq(config_pick(&c, order), &c.routes[1]);
    cr_assert_eq(config_pick(&c, other_source), &c.routes[2],
                 "every match entry must hold; the catch-all takes the rest");
    config_free(&c);

    c = load("{\"routes\":[{\"match\":{\"type\":\"a\"}}]}", &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s", err.text);
    cr_assert_null(config_pick(&c, s3), "no route matches: none is picked");
    config_free(&c);
    cegate_event_free(s3);
    cegate_event_free(order);
    cegate_event_free(other_source);
}

Test(config, an_empty_file_object_keeps_the_defaults)
{
    cegate_error err;
    config c = load(" {} ", &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s", err.text);
    cr_assert_eq(c.app_count, 1);
    cr_assert_null(c.apps[0].address);
    cr_assert_eq(c.apps[0].options.workers, 1);
    cr_assert_eq(c.apps[0].options.keep_alive, 1);
    cr_assert_eq(c.route_count, 0);
    config_free(&c);
}

typedef struct mistake {
    const char *text;
    cegate_error_code code;
    const char *path;
    const char *message;
} mistake;

static const mistake mistakes[] = {
    {"", CEGATE_ERR_SYNTAX, "", "unexpected end of input"},
    {"{\"routes\": [ x ]}", CEGATE_ERR_SYNTAX, "", "(line 1, column 14)"},
    {"[]", CEGATE_ERR_TYPE, "", "must be a JSON object"},
    {"{\"rotues\": []}", CEGATE_ERR_USAGE, "rotues", "unknown key"},
    {"{\"app\": 7}", CEGATE_ERR_TYPE, "app", "must be an object"},
    {"{\"app\": {\"adress\": \"unix:/x\"}}", CEGATE_ERR_USAGE, "app.adress", "unknown key"},
    {"{\"app\": {\"workers\": 2}}", CEGATE_ERR_MISSING, "app", "needs an \"address\""},
    {"{\"app\": {\"address\": \"unix:/x\", \"workers\": 0}}", CEGATE_ERR_VALUE,
     "app.workers", "from 1 to 1024"},
    {"{\"app\": {\"address\": \"unix:/x\", \"workers\": \"4\"}}", CEGATE_ERR_VALUE,
     "app.workers", "whole number"},
    {"{\"app\": {\"address\": \"unix:/x\", \"keep_alive\": 1}}", CEGATE_ERR_TYPE,
     "app.keep_alive", "true or false"},
    {"{\"app\": {\"address\": \"a\\u0000b\"}}", CEGATE_ERR_SYNTAX, "", "\\u0000"},
    {"{\"apps\": {\"app\": \"unix:/x\"}}", CEGATE_ERR_NAME, "apps.app", "not \"app\""},
    {"{\"apps\": {\"a.b\": \"unix:/x\"}}", CEGATE_ERR_NAME, "apps.a.b", "no '.'"},
    {"{\"apps\": []}", CEGATE_ERR_TYPE, "apps", "must be an object"},
    {"{\"routes\": {}}", CEGATE_ERR_TYPE, "routes", "must be an array"},
    {"{\"routes\": [7]}", CEGATE_ERR_TYPE, "routes[0]", "must be an object"},
    {"{\"routes\": [{}, {\"dead_letter\": {}}]}", CEGATE_ERR_USAGE,
     "routes[1].dead_letter", "not supported yet"},
    {"{\"routes\": [{\"timeout_ms\": 5}]}", CEGATE_ERR_USAGE, "routes[0].timeout_ms",
     "unknown key"},
    {"{\"routes\": [{\"match\": {\"Type\": \"a\"}}]}", CEGATE_ERR_NAME,
     "routes[0].match.Type", "attribute name"},
    {"{\"routes\": [{\"match\": {\"type\": 1}}]}", CEGATE_ERR_TYPE,
     "routes[0].match.type", "must be a string"},
    {"{\"routes\": [{\"request\": {\"mode\": \"batch\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].request.mode", "binary or structured"},
    {"{\"routes\": [{\"request\": {\"path\": \"/{a\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].request.path", "unterminated"},
    {"{\"routes\": [{\"request\": {\"method\": \"GE T\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].request.method", ""},
    {"{\"routes\": [{\"request\": {\"params\": {\"HTTP_PROXY\": \"x\"}}}]}",
     CEGATE_ERR_NAME, "routes[0].request.params.HTTP_PROXY", "reserved"},
    {"{\"routes\": [{\"request\": {\"params\": {\"http_ce_id\": \"x\"}}}]}",
     CEGATE_ERR_NAME, "routes[0].request.params.http_ce_id", "reserved"},
    {"{\"routes\": [{\"request\": {\"params\": {\"A\": \"x\\r\\nB: y\"}}}]}",
     CEGATE_ERR_VALUE, "routes[0].request.params.A", "CR or LF"},
    {"{\"routes\": [{\"retry\": {\"attempts\": 0}}]}", CEGATE_ERR_VALUE,
     "routes[0].retry.attempts", "from 1 to 1000"},
    {"{\"routes\": [{\"retry\": {\"backoff\": 1}}]}", CEGATE_ERR_USAGE,
     "routes[0].retry.backoff", "unknown key"},
    {"{\"routes\": [{\"app\": \"orders\"}]}", CEGATE_ERR_VALUE, "routes[0].app",
     "no app of that name"},
    {"{\"routes\": [{\"outcomes\": {\"404\": \"ignore\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].outcomes.404", "delivered, retry or reject"},
    {"{\"routes\": [{\"outcomes\": {\"600\": \"retry\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].outcomes.600", "from 100 to 599"},
    {"{\"routes\": [{\"outcomes\": {\"4x\": \"retry\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].outcomes.4x", "from 100 to 599"},
    {"{\"routes\": [{\"outcomes\": {\"40a\": \"retry\"}}]}", CEGATE_ERR_VALUE,
     "routes[0].outcomes.40a", "from 100 to 599"},
    {"{\"routes\": [{\"outcomes\": []}]}", CEGATE_ERR_TYPE, "routes[0].outcomes",
     "must be an object"},
};

Test(config, each_mistake_names_its_key)
{
    for (size_t i = 0; i < N(mistakes); i++) {
        const mistake *m = &mistakes[i];
        cegate_error err;
        config c = load(m->text, &err);
        cr_assert_eq(err.code, m->code, "case %zu (%s): code %s, want %s: %s: %s", i,
                     m->text, cegate_error_code_name(err.code),
                     cegate_error_code_name(m->code), err.path, err.text);
        cr_assert_str_eq(err.path, m->path, "case %zu (%s): path", i, m->text);
        cr_assert(strstr(err.text, m->message) != NULL, "case %zu: '%s' lacks '%s'",
                  i, err.text, m->message);
        config_free(&c);
    }
}

Test(config, a_missing_file_is_an_io_error)
{
    config c;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(config_init(&c, &err), 0);
    cr_assert_eq(config_load_file(&c, "/nonexistent/cegate.json", &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_IO);
    config_free(&c);
}

Test(config, the_readme_example_loads)
{
    /* The README's example must stay a file cegate accepts. */
    char *path = run_asprintf("%s/README.md", run_need_env("CEGATE_SRCDIR"));
    char *readme = run_slurp(path, NULL);
    cr_assert_not_null(readme, "cannot read %s", path);
    const char *section = strstr(readme, "#### The configuration file");
    cr_assert_not_null(section, "the README has no configuration section");
    const char *start = strstr(section, "```json\n");
    cr_assert_not_null(start);
    start += 8;
    const char *end = strstr(start, "```");
    cr_assert_not_null(end);
    config c;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(config_init(&c, &err), 0);
    cr_assert_eq(config_load_text(&c, start, (size_t)(end - start), &err), 0,
                 "%s: %s", err.path, err.text);
    cr_assert_eq(c.route_count, 2);
    cr_assert_eq(c.app_count, 2);
    config_free(&c);
    free(readme);
    free(path);
}

Test(config, outcomes_override_the_rules_exact_before_class)
{
    cegate_error err;
    config c = load("{\"routes\": [{\"outcomes\": {\"4xx\": \"retry\", "
                    "\"409\": \"delivered\", \"503\": \"reject\", "
                    "\"2xx\": \"reject\", \"204\": \"delivered\"}}]}",
                    &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s: %s", err.path, err.text);
    const route *r = &c.routes[0].route;
    cr_assert_eq(route_status_outcome(r, 404), ROUTE_OUTCOME_RETRY);
    cr_assert_eq(route_status_outcome(r, 409), ROUTE_OUTCOME_DELIVERED);
    cr_assert_eq(route_status_outcome(r, 503), ROUTE_OUTCOME_REJECT);
    cr_assert_eq(route_status_outcome(r, 500), ROUTE_OUTCOME_DEFAULT);
    cr_assert_eq(route_status_outcome(r, 200), ROUTE_OUTCOME_REJECT);
    cr_assert_eq(route_status_outcome(r, 204), ROUTE_OUTCOME_DELIVERED);
    cr_assert_eq(route_status_outcome(r, 99), ROUTE_OUTCOME_DEFAULT);
    cr_assert_eq(route_status_outcome(r, 600), ROUTE_OUTCOME_DEFAULT);
    config_free(&c);
}

/* ---- a request built again in place (replay's recycled slots) ------------------- */

/* Build `ev` into `dr` and return the request's CONTENT_LENGTH. */
static const char *build_into(app *a, const route *r, const cegate_event *ev,
                              delivery_request *dr)
{
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(delivery_request_build(a, r, ev, dr, &err), 0, "%s", err.text);
    const char *length = upstream_request_get(&dr->req, "CONTENT_LENGTH");
    cr_assert_not_null(length);
    return length;
}

Test(delivery_request, rebuilt_in_place_it_is_the_new_event_and_keeps_no_large_body)
{
    app_options o;
    app_options_default(&o);
    cegate_error err;
    cegate_error_clear(&err);
    app *a = app_open("unix:/nonexistent/cegate-test.sock", &o, -1, &err);
    cr_assert_not_null(a, "%s", err.text);
    route r;
    cr_assert_eq(route_init_default(&r, &err), 0, "%s", err.text);

    /* A 1 MiB body, then a small one, then the large one again. */
    size_t big_size = 1u << 20;
    char *big_json = malloc(big_size + 200);
    cr_assert_not_null(big_json);
    int head = snprintf(big_json, 200, "{\"specversion\":\"1.0\",\"id\":\"big\","
                                       "\"source\":\"/s\",\"type\":\"t\","
                                       "\"datacontenttype\":\"text/plain\",\"data\":\"");
    memset(big_json + head, 'x', big_size);
    strcpy(big_json + head + big_size, "\"}");
    cegate_event *big = event_of(big_json);
    cegate_event *small = event_of("{\"specversion\":\"1.0\",\"id\":\"small\","
                                   "\"source\":\"/s\",\"type\":\"t\","
                                   "\"datacontenttype\":\"text/plain\",\"data\":\"hi\"}");
    delivery_request dr, fresh;
    delivery_request_init(&dr);
    delivery_request_init(&fresh);

    cr_assert_str_eq(build_into(a, &r, big, &dr), "1048576");
    cr_assert_str_eq(build_into(a, &r, small, &dr), "2");
    cr_assert_eq(dr.req.body_length, 2);
    cr_assert_arr_eq(dr.req.body, "hi", 2);
    cr_assert_str_eq(upstream_request_get(&dr.req, "HTTP_CE_ID"), "small");
    cr_assert_leq(dr.msg.body.capacity, 64u << 10,
                  "a recycled request kept a %zu-byte body buffer", dr.msg.body.capacity);
    /* The same params, in the same order, as a request built afresh. */
    build_into(a, &r, small, &fresh);
    cr_assert_eq(dr.req.param_count, fresh.req.param_count);
    for (size_t i = 0; i < fresh.req.param_count; i++) {
        cr_assert_str_eq(dr.req.params[i].name, fresh.req.params[i].name);
        cr_assert_str_eq(dr.req.params[i].value, fresh.req.params[i].value);
    }
    cr_assert_str_eq(build_into(a, &r, big, &dr), "1048576");
    cr_assert_eq(dr.req.body_length, big_size);

    delivery_request_free(&dr);
    delivery_request_free(&fresh);
    cegate_event_free(big);
    cegate_event_free(small);
    free(big_json);
    route_free(&r);
    app_close(a);
}

/* ---- the option table: one declaration per setting ---------------------------- */

#include "options.h"

/* A file setting `key` of `scope` to the JSON `value`, and the path its
 * errors must name. */
static void file_with(const option_def *o, const char *value, char *text, size_t size,
                      char *path)
{
    switch (o->scope) {
    case OPTION_TOP:
        snprintf(text, size, "{\"%s\": %s}", o->key, value);
        snprintf(path, CEGATE_ERROR_PATH_LENGTH, "%s", o->key);
        break;
    case OPTION_APP:
        /* An app needs an address: unix:/x, unless the setting is it. */
        if (strcmp(o->key, "address") == 0)
            snprintf(text, size, "{\"app\": {\"address\": %s}}", value);
        else
            snprintf(text, size, "{\"app\": {\"address\": \"unix:/x\", \"%s\": %s}}",
                     o->key, value);
        snprintf(path, CEGATE_ERROR_PATH_LENGTH, "app.%s", o->key);
        break;
    case OPTION_ROUTE:
        snprintf(text, size, "{\"routes\": [{\"%s\": %s}]}", o->key, value);
        snprintf(path, CEGATE_ERROR_PATH_LENGTH, "routes[0].%s", o->key);
        break;
    case OPTION_REQUEST:
    case OPTION_RETRY: {
        const char *part = o->scope == OPTION_REQUEST ? "request" : "retry";
        snprintf(text, size, "{\"routes\": [{\"%s\": {\"%s\": %s}}]}", part, o->key,
                 value);
        snprintf(path, CEGATE_ERROR_PATH_LENGTH, "routes[0].%s.%s", part, o->key);
        break;
    }
    }
}

/* What the command line sets: a config and the default route, as
 * replay_options.c has them. */
typedef struct flag_side {
    config cfg;
    route route;
} flag_side;

static void flag_side_init(flag_side *f)
{
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(config_init(&f->cfg, &err), 0, "%s", err.text);
    cr_assert_eq(route_init_default(&f->route, &err), 0, "%s", err.text);
    cr_assert_eq(option_defaults_route(&f->route, &err), 0, "%s", err.text);
    /* As file_with's app has. */
    cr_assert_eq(config_app_set(&f->cfg.apps[0], &f->cfg.apps[0].address, "unix:/x",
                                &err), 0);
}

static void flag_side_free(flag_side *f)
{
    route_free(&f->route);
    config_free(&f->cfg);
}

static int flag_set(flag_side *f, const option_def *o, const char *arg,
                    cegate_error *err)
{
    option_target t = {&f->cfg, &f->cfg.apps[0], &f->route};
    cegate_error_clear(err);
    return option_set_text(o, &t, arg, err);
}

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Did the file and the flag set the same thing? */
static int same_effect(const option_def *o, const config *file, const flag_side *f)
{
    if (o->scope == OPTION_TOP)
        return file->drain_timeout_ms == f->cfg.drain_timeout_ms;
    if (o->scope == OPTION_APP) {
        const config_app *a = &file->apps[0], *b = &f->cfg.apps[0];
        return a->options.workers == b->options.workers &&
               a->options.keep_alive == b->options.keep_alive &&
               a->options.idle_timeout_ms == b->options.idle_timeout_ms &&
               a->options.connect_timeout_ms == b->options.connect_timeout_ms &&
               a->options.timeout_ms == b->options.timeout_ms &&
               same_string(a->address, b->address) &&
               same_string(a->script_filename, b->script_filename) &&
               same_string(a->document_root, b->document_root);
    }
    const route *a = &file->routes[0].route, *b = &f->route;
    int same_params = a->param_count == b->param_count;
    for (size_t i = 0; same_params && i < a->param_count; i++)
        same_params = same_string(a->params[i].name, b->params[i].name) &&
                      same_string(a->params[i].value, b->params[i].value);
    return same_params && a->retry.attempts == b->retry.attempts &&
           a->retry.initial_ms == b->retry.initial_ms &&
           a->retry.max_ms == b->retry.max_ms && a->mode == b->mode &&
           same_string(a->method, b->method) && same_string(a->path, b->path) &&
           memcmp(a->status_outcome, b->status_outcome, sizeof a->status_outcome) == 0 &&
           memcmp(a->class_outcome, b->class_outcome, sizeof a->class_outcome) == 0;
}

/* The file's `json` and the flag's `arg` are both accepted, with the same
 * effect. */
static void both_accept(const option_def *o, const char *json, const char *arg)
{
    char text[512], path[CEGATE_ERROR_PATH_LENGTH];
    cegate_error err;
    file_with(o, json, text, sizeof text, path);
    config c = load(text, &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s: %s refused: %s: %s", o->key, json, err.path,
                 err.text);
    flag_side f;
    flag_side_init(&f);
    if (o->flag != NULL) {
        cr_assert_eq(flag_set(&f, o, arg, &err), 0, "%s %s refused: %s: %s", o->flag,
                     arg ? arg : "", err.path, err.text);
        cr_assert(same_effect(o, &c, &f), "%s: %s and %s %s differ", o->key, json,
                  o->flag, arg ? arg : "");
    }
    flag_side_free(&f);
    config_free(&c);
}

/* Both refuse, naming the key's path and the flag, with the same words. */
static void both_refuse(const option_def *o, const char *json, const char *arg,
                        const char *message)
{
    char text[512], path[CEGATE_ERROR_PATH_LENGTH];
    cegate_error err;
    file_with(o, json, text, sizeof text, path);
    config c = load(text, &err);
    cr_assert_neq(err.code, CEGATE_OK, "%s: %s accepted", o->key, json);
    cr_assert_str_eq(err.path, path, "%s: %s", json, err.text);
    cr_assert(strstr(err.text, message) != NULL, "%s: '%s' lacks '%s'", path, err.text,
              message);
    char file_text[CEGATE_ERROR_TEXT_LENGTH];
    snprintf(file_text, sizeof file_text, "%s", err.text);
    config_free(&c);
    if (o->flag == NULL || arg == NULL)
        return;
    flag_side f;
    flag_side_init(&f);
    cr_assert_eq(flag_set(&f, o, arg, &err), -1, "%s %s accepted", o->flag, arg);
    cr_assert_str_eq(err.path, o->flag, "%s %s: %s", o->flag, arg, err.text);
    cr_assert(strstr(err.text, message) != NULL, "%s %s: '%s' lacks '%s'", o->flag, arg,
              err.text, message);
    flag_side_free(&f);
}

Test(options, every_number_has_one_range_for_the_file_and_the_flag)
{
    size_t checked = 0;
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        if (o->type != OPTION_INT)
            continue;
        char lo[32], hi[32], below[32], above[32], range[64];
        snprintf(lo, sizeof lo, "%d", o->min);
        snprintf(hi, sizeof hi, "%d", o->max);
        snprintf(below, sizeof below, "%lld", (long long)o->min - 1);
        snprintf(above, sizeof above, "%lld", (long long)o->max + 1);
        snprintf(range, sizeof range, "a whole number from %d to %d", o->min, o->max);
        both_accept(o, lo, lo);
        both_accept(o, hi, hi);
        both_refuse(o, below, below, range);
        both_refuse(o, above, above, range);
        both_refuse(o, "\"5\"", "5x", range);
        both_refuse(o, "1.5", "1.5", range);
        checked++;
    }
    cr_assert_geq(checked, 8, "the table lost its numbers: %zu", checked);
}

Test(options, every_other_type_is_read_alike_by_the_file_and_the_flag)
{
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        switch (o->type) {
        case OPTION_INT: break;
        case OPTION_ENUM:
            for (size_t w = 0; o->words[w] != NULL; w++) {
                char json[64];
                snprintf(json, sizeof json, "\"%s\"", o->words[w]);
                both_accept(o, json, o->words[w]);
            }
            both_refuse(o, "\"nope\"", "nope", o->words[0]);
            both_refuse(o, "1", NULL, o->words[0]);
            break;
        case OPTION_BOOL:
            /* The flag says the opposite of the default; the file the same. */
            both_accept(o, o->invert ? "false" : "true", NULL);
            both_refuse(o, "1", NULL, "true or false");
            break;
        case OPTION_STRING: {
            const char *sample = strcmp(o->key, "method") == 0 ? "PUT" : "/x";
            char json[64];
            snprintf(json, sizeof json, "\"%s\"", sample);
            both_accept(o, json, sample);
            both_refuse(o, "7", NULL, "must be a string");
            break;
        }
        case OPTION_PAIRS: {
            int outcomes = strcmp(o->key, "outcomes") == 0;
            both_accept(o, outcomes ? "{\"409\": \"delivered\"}" : "{\"X\": \"1\"}",
                        outcomes ? "409=delivered" : "X=1");
            both_refuse(o, "[]", "409", "");
            break;
        }
        }
    }
}

Test(options, the_mode_is_one_of_its_words_and_nothing_else)
{
    const option_def *mode = option_find(OPTION_REQUEST, "mode");
    cr_assert_not_null(mode);
    both_refuse(mode, "\"batch\"", "batch", "binary or structured");
    both_refuse(mode, "\"Binary\"", "Binary", "binary or structured");
}

Test(options, a_setting_is_refused_outside_its_object_saying_where_it_belongs)
{
    static const option_scope scopes[] = {OPTION_TOP, OPTION_APP, OPTION_ROUTE,
                                          OPTION_REQUEST, OPTION_RETRY};
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        for (size_t s = 0; s < N(scopes); s++) {
            if (scopes[s] == o->scope || option_find(scopes[s], o->key) != NULL)
                continue;
            option_def elsewhere = *o;
            elsewhere.scope = scopes[s];
            char text[512], path[CEGATE_ERROR_PATH_LENGTH];
            file_with(&elsewhere, "1", text, sizeof text, path);
            cegate_error err;
            config c = load(text, &err);
            cr_assert_eq(err.code, CEGATE_ERR_USAGE, "%s: %s", text, err.text);
            cr_assert_str_eq(err.path, path, "%s", text);
            cr_assert(strstr(err.text, "unknown key here") != NULL, "%s: %s", path,
                      err.text);
            cr_assert(strstr(err.text, option_scope_name(o->scope)) != NULL,
                      "%s: '%s' does not say where it belongs", path, err.text);
            config_free(&c);
        }
    }
}

static const mistake unknown_keys[] = {
    {"{\"foo\": 1}", CEGATE_ERR_USAGE, "foo", "unknown key; the top level takes app, "
                                               "apps, routes, drain_timeout_ms"},
    {"{\"app\": {\"address\": \"unix:/x\", \"foo\": 1}}", CEGATE_ERR_USAGE, "app.foo",
     "unknown key; an app takes address, script"},
    {"{\"apps\": {\"x\": {\"address\": \"unix:/x\", \"foo\": 1}}}", CEGATE_ERR_USAGE,
     "apps.x.foo", "unknown key; an app takes address"},
    {"{\"routes\": [{\"foo\": 1}]}", CEGATE_ERR_USAGE, "routes[0].foo",
     "unknown key; a route takes name, match, app, request, retry, outcomes"},
    {"{\"routes\": [{\"request\": {\"foo\": 1}}]}", CEGATE_ERR_USAGE,
     "routes[0].request.foo", "unknown key; a route's request takes path, method, mode, "
                              "params"},
    {"{\"routes\": [{\"retry\": {\"foo\": 1}}]}", CEGATE_ERR_USAGE, "routes[0].retry.foo",
     "unknown key; a route's retry takes attempts, initial_ms, max_ms"},
    /* The key the old reader's last `else` took for timeout_ms. */
    {"{\"app\": {\"address\": \"unix:/x\", \"timeout\": 5}}", CEGATE_ERR_USAGE,
     "app.timeout", "unknown key"},
    {"{\"app\": {\"address\": \"unix:/x\", \"dead_letter\": {}}}", CEGATE_ERR_USAGE,
     "app.dead_letter", "not supported yet"},
};

Test(options, an_unknown_key_is_refused_by_its_path_in_every_object)
{
    for (size_t i = 0; i < N(unknown_keys); i++) {
        const mistake *m = &unknown_keys[i];
        cegate_error err;
        config c = load(m->text, &err);
        cr_assert_eq(err.code, m->code, "%s: %s", m->text, err.text);
        cr_assert_str_eq(err.path, m->path, "%s", m->text);
        cr_assert(strstr(err.text, m->message) != NULL, "'%s' lacks '%s'", err.text,
                  m->message);
        cr_assert_eq(c.apps[0].options.timeout_ms, 30000, "%s set the timeout", m->text);
        config_free(&c);
    }
}

Test(options, the_table_declares_each_key_and_flag_once_with_help)
{
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        cr_assert_not_null(o->key);
        cr_assert_not_null(o->set, "%s", o->key);
        cr_assert(o->help != NULL && o->help[0] != '\0', "%s has no help", o->key);
        cr_assert_eq(option_find(o->scope, o->key), o, "%s twice in its scope", o->key);
        if (o->flag != NULL) {
            cr_assert_eq(strncmp(o->flag, "--", 2), 0, "%s", o->flag);
            cr_assert_eq(option_find_flag(o->flag), o, "%s twice", o->flag);
            char words[128];
            cr_assert(o->type == OPTION_BOOL || option_arg_name(o, words, sizeof words),
                      "%s has no argument name", o->flag);
        }
        if (o->type == OPTION_INT) {
            cr_assert_leq(o->min, o->max, "%s", o->key);
            if (o->def != NULL) {
                int d = atoi(o->def);
                cr_assert(d >= o->min && d <= o->max, "%s: default %s out of range",
                          o->key, o->def);
            }
        }
        if (o->type == OPTION_ENUM)
            cr_assert(o->words != NULL && o->words[0] != NULL, "%s", o->key);
    }
    /* What the issue asks for, at least. */
    static const char *const flags[] = {
        "--app", "--script", "--document-root", "--workers", "--no-keep-alive",
        "--idle-timeout", "--connect-timeout", "--timeout", "--route-path", "--method",
        "--mode", "--param", "--attempts", "--retry-initial-ms", "--retry-max-ms",
        "--outcome", "--drain-timeout"};
    for (size_t i = 0; i < N(flags); i++)
        cr_assert_not_null(option_find_flag(flags[i]), "%s is not in the table", flags[i]);
}

Test(options, the_tables_defaults_are_the_librarys)
{
    /* The table's defaults are applied over deliver.c's and route.c's; both
     * must agree, or a caller of the library alone (a future daemon) would
     * not behave as replay does. */
    app_options lib;
    app_options_default(&lib);
    cegate_error err;
    config c = load("{}", &err);
    cr_assert_eq(err.code, CEGATE_OK, "%s", err.text);
    const app_options *o = &c.apps[0].options;
    cr_assert_eq(o->workers, lib.workers);
    cr_assert_eq(o->keep_alive, lib.keep_alive);
    cr_assert_eq(o->idle_timeout_ms, lib.idle_timeout_ms);
    cr_assert_eq(o->connect_timeout_ms, lib.connect_timeout_ms);
    cr_assert_eq(o->timeout_ms, lib.timeout_ms);
    cr_assert_eq(c.drain_timeout_ms, 5000);
    config_free(&c);

    route plain, table;
    cr_assert_eq(route_init_default(&plain, &err), 0);
    cr_assert_eq(route_init_default(&table, &err), 0);
    cr_assert_eq(option_defaults_route(&table, &err), 0, "%s", err.text);
    cr_assert_eq(plain.retry.attempts, table.retry.attempts);
    cr_assert_eq(plain.retry.initial_ms, table.retry.initial_ms);
    cr_assert_eq(plain.retry.max_ms, table.retry.max_ms);
    cr_assert_eq(plain.mode, table.mode);
    cr_assert_str_eq(plain.method, table.method);
    cr_assert_str_eq(plain.path, table.path);
    route_free(&plain);
    route_free(&table);
}

Test(options, help_has_a_line_per_flag_with_its_default_and_range)
{
    char *text = NULL;
    size_t length = 0;
    FILE *f = open_memstream(&text, &length);
    cr_assert_not_null(f);
    option_help(f, OPTION_APP);
    fclose(f);
    cr_assert_not_null(strstr(text, "\n  --workers N "), "%s", text);
    cr_assert_not_null(strstr(text, "(default 1; 1 to 1024)"), "%s", text);
    cr_assert_not_null(strstr(text, "(default 2000; 1 to 3600000)"), "%s", text);
    for (const char *line = text; *line; line = strchr(line, '\n') + 1)
        cr_assert_leq(strcspn(line, "\n"), 79, "a line wider than 79: %s", line);
    free(text);
}

Test(options, the_readmes_table_of_settings_is_the_tables)
{
    /* The README lists every flag with its default and range; a change to
     * the table must be a change to the README. */
    char *path = run_asprintf("%s/README.md", run_need_env("CEGATE_SRCDIR"));
    char *readme = run_slurp(path, NULL);
    cr_assert_not_null(readme, "cannot read %s", path);
    for (size_t i = 0; i < option_table_size; i++) {
        const option_def *o = &option_table[i];
        if (o->flag == NULL)
            continue;
        char cell[64], range[64] = "", def[64] = "";
        snprintf(cell, sizeof cell, "| `%s", o->flag);
        const char *row = strstr(readme, cell);
        cr_assert_not_null(row, "the README's table has no row for %s", o->flag);
        char *line = strndup(row, strcspn(row, "\n"));
        if (o->type == OPTION_INT)
            snprintf(range, sizeof range, "| %d to %d |", o->min, o->max);
        if (o->def != NULL)
            snprintf(def, sizeof def, "| %s |", o->def);
        cr_assert_not_null(strstr(line, range), "%s: the README says '%s', not '%s'",
                           o->flag, line, range);
        cr_assert_not_null(strstr(line, def), "%s: the README says '%s', not '%s'",
                           o->flag, line, def);
        free(line);
    }
    free(readme);
    free(path);
}
