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
