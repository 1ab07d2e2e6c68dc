/* SPDX-License-Identifier: Apache-2.0 */
/* test_route.c - routes on their own (gateway/route.c): which events a
 * route's match entries take (exact, prefix*, glob, a missing attribute,
 * several entries that must all hold), which route config_pick gives (the
 * first that matches), and path templates: what a value becomes in the
 * path and which values are refused, above all the ones that are, hold or
 * percent-decode once to a "." or ".." segment. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "cegate/cegate.h"
#include "config_file.h"
#include "route.h"

#include "helpers.h"

#define N(arr) (sizeof(arr) / sizeof *(arr))

/* ---- helpers ------------------------------------------------------------- */

/* One event from its JSON format (the core tests' helper). */
static cegate_event *event_of(const char *json)
{
    return json_decode_one(json, strlen(json), NULL);
}

/* An event with this subject (NULL: none) and an Integer extension. */
static cegate_event *event_with_subject(const char *subject)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i}", "specversion", "1.0",
                          "id", "e1", "source", "/shop",
                          "type", "com.example.order.created", "seq", 42);
    cr_assert_not_null(o);
    if (subject != NULL)
        json_object_set_new(o, "subject", json_string(subject));
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cegate_options options;
    cegate_options_init(&options);
    cr_assert_eq(cegate_json_to_events(o, &options, &list, &err), 0, "%s",
                 err.text);
    json_decref(o);
    cegate_event *ev = list.events[0];
    list.count = 0;
    cegate_event_list_free(&list);
    return ev;
}

static route new_route(void)
{
    route r;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_init_default(&r, &err), 0, "%s", err.text);
    return r;
}

static void add_match(route *r, const char *attribute, const char *pattern)
{
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_add_match(r, attribute, pattern, &err), 0, "%s",
                 err.text);
}

static int one_match(const char *attribute, const char *pattern,
                     const cegate_event *ev)
{
    route r = new_route();
    add_match(&r, attribute, pattern);
    int m = route_matches(&r, ev);
    route_free(&r);
    return m;
}

/* The template expanded for a subject: a malloc'ed string, or NULL with
 * *err filled. */
static char *expand_for(const char *template_, const char *subject,
                        cegate_error *err)
{
    route r = new_route();
    cegate_error_clear(err);
    cr_assert_eq(route_set_path(&r, template_, err), 0, "%s: %s", template_,
                 err->text);
    cegate_event *ev = event_with_subject(subject);
    cegate_buffer out;
    cegate_buffer_init(&out, 4096);
    char *path = NULL;
    if (route_expand_path(&r, ev, &out, err) == 0) {
        path = strdup(out.data ? out.data : "");
        cr_assert_not_null(path);
    }
    cegate_buffer_free(&out);
    cegate_event_free(ev);
    route_free(&r);
    return path;
}

static void expect_path(const char *template_, const char *subject,
                        const char *want)
{
    cegate_error err;
    char *path = expand_for(template_, subject, &err);
    cr_assert_not_null(path, "%s with subject '%s': %s: %s", template_,
                       subject, err.path, err.text);
    cr_assert_str_eq(path, want, "%s with subject '%s'", template_, subject);
    free(path);
}

static void expect_refused(const char *template_, const char *subject,
                           const char *path_named)
{
    cegate_error err;
    char *path = expand_for(template_, subject, &err);
    cr_assert_null(path, "%s with subject '%s' gave %s", template_, subject,
                   path);
    cr_assert_eq(err.code, CEGATE_ERR_VALUE, "subject '%s': code %s (%s)",
                 subject, cegate_error_code_name(err.code), err.text);
    cr_assert_str_eq(err.path, path_named, "subject '%s': %s", subject,
                     err.text);
}

#define ORDER                                                                 \
    "{\"specversion\":\"1.0\",\"id\":\"o1\",\"source\":\"/shop/eu\","      \
    "\"type\":\"com.example.order.created\",\"subject\":\"orders/7\"}"

/* ---- matching ------------------------------------------------------------ */

Test(match, exact_values)
{
    cegate_event *ev = event_of(ORDER);
    cr_assert(one_match("type", "com.example.order.created", ev));
    cr_assert_not(one_match("type", "com.example.order", ev),
                  "an exact value is not a prefix");
    cr_assert_not(one_match("type", "com.example.order.created.v2", ev));
    cr_assert_not(one_match("type", "COM.EXAMPLE.ORDER.CREATED", ev),
                  "values are case-sensitive");
    cr_assert(one_match("id", "o1", ev));
    cegate_event_free(ev);
}

Test(match, trailing_star_is_a_prefix)
{
    cegate_event *ev = event_of(ORDER);
    cr_assert(one_match("type", "com.example.*", ev));
    cr_assert(one_match("type", "com.example.order.created*", ev),
                  "a prefix may be the whole value");
    cr_assert(one_match("type", "*", ev), "a lone star takes any value");
    cr_assert_not(one_match("type", "org.example.*", ev));
    cegate_event_free(ev);
}

Test(match, globs)
{
    cegate_event *ev = event_of(ORDER);
    cr_assert(one_match("type", "com.*.order.*", ev));
    cr_assert(one_match("type", "*.created", ev));
    cr_assert(one_match("source", "/shop/??", ev));
    cr_assert(one_match("source", "/shop/[de][ue]", ev));
    cr_assert_not(one_match("source", "/shop/?", ev));
    cr_assert_not(one_match("type", "*.deleted", ev));
    /* No FNM_PATHNAME: a star crosses '/' as it does in a prefix. */
    cr_assert(one_match("subject", "*/7", ev));
    cegate_event_free(ev);
}

Test(match, a_missing_attribute_never_matches)
{
    cegate_event *ev = event_of(ORDER);
    cr_assert_not(one_match("dataschema", "*", ev));
    cr_assert_not(one_match("tenant", "acme", ev));
    cr_assert_not(one_match("tenant", "", ev),
                  "absent is not the empty string");
    cegate_event_free(ev);
}

Test(match, non_string_attributes_by_their_string_form)
{
    cegate_event *ev = event_with_subject("s");
    cr_assert(one_match("seq", "42", ev));
    cr_assert(one_match("seq", "4*", ev));
    cr_assert_not(one_match("seq", "43", ev));
    cegate_event_free(ev);
}

Test(match, every_entry_must_hold)
{
    cegate_event *ev = event_of(ORDER);
    route r = new_route();
    cr_assert(route_matches(&r, ev), "no entry: the route takes everything");
    add_match(&r, "type", "com.example.*");
    add_match(&r, "source", "/shop/*");
    cr_assert(route_matches(&r, ev));
    add_match(&r, "subject", "invoices/*");
    cr_assert_not(route_matches(&r, ev), "one entry fails: no match");
    route_free(&r);
    cegate_event_free(ev);
}

Test(match, entries_name_attributes)
{
    route r = new_route();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(route_add_match(&r, "Type", "x", &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_NAME);
    cr_assert_str_eq(err.path, "Type");
    cegate_error_clear(&err);
    cr_assert_eq(route_add_match(&r, "", "x", &err), -1);
    cr_assert_eq(r.match_count, 0);
    route_free(&r);
}

/* ---- config_pick: the first route that matches ---------------------------- */

Test(pick, the_first_matching_route_wins)
{
    config c;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(config_init(&c, &err), 0, "%s", err.text);
    const char *const patterns[][2] = {
        {"type", "com.example.invoice.*"}, /* no */
        {"type", "com.example.*"},         /* the first that holds */
        {"source", "/shop/*"},             /* holds too, but later */
    };
    for (size_t i = 0; i < N(patterns); i++) {
        route r = new_route();
        add_match(&r, patterns[i][0], patterns[i][1]);
        cr_assert_eq(config_add_route(&c, &r, 0, &err), 0, "%s", err.text);
    }
    cegate_event *ev = event_of(ORDER);
    cr_assert_eq(config_pick(&c, ev), &c.routes[1]);
    cegate_event *other = event_of(
        "{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/shop/us\","
        "\"type\":\"org.other\"}");
    cr_assert_eq(config_pick(&c, other), &c.routes[2]);
    cegate_event *none = event_of(
        "{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/elsewhere\","
        "\"type\":\"org.other\"}");
    cr_assert_null(config_pick(&c, none), "no route matches: none is picked");
    cegate_event_free(ev);
    cegate_event_free(other);
    cegate_event_free(none);
    config_free(&c);
}

/* ---- path templates ------------------------------------------------------- */

Test(path, values_are_percent_encoded)
{
    expect_path("/hooks/{subject}", "orders/7", "/hooks/orders%2F7");
    expect_path("/hooks/{subject}", "a b?c=d&e#f", "/hooks/a%20b%3Fc%3Dd%26e%23f");
    expect_path("/hooks/{subject}", "Euro \xe2\x82\xac", "/hooks/Euro%20%E2%82%AC");
    expect_path("/hooks/{subject}", "A-Z_a.z~0", "/hooks/A-Z_a.z~0");
    expect_path("/hooks/{subject}", "100%", "/hooks/100%25");
    expect_path("/{type}/{id}", "s", "/com.example.order.created/e1");
    expect_path("/n/{seq}", "s", "/n/42");
}

Test(path, braces_and_query)
{
    expect_path("/a/{{literal}}/{id}", "s", "/a/{literal}/e1");
    expect_path("/a/{id}?x=1&s={subject}", "a&b", "/a/e1?x=1&s=a%26b");
}

Test(path, a_value_of_only_dots_is_refused)
{
    /* "..." is no dot segment, but a normalizing proxy may read it as one. */
    expect_refused("/f/{subject}", "...", "subject");
    expect_refused("/f/{subject}", "....", "subject");
}

Test(path, dot_segments_in_any_form_are_refused)
{
    /* As they are, held, or once percent-decoded: the app decodes
     * PATH_INFO once, and an app that decodes a value again (an S3 key)
     * must not find one either. */
    static const char *const hostile[] = {
        "..", ".", "a/../b", "../x", "x/..", "a/./b", "..%2F..%2Fetc",
        "%2e%2e", "%2E%2E", "%2E.", ".%2e", "%2e", "a%2F..%2Fb",
        "a%2f.%2fb", "..\\x", "a\\..\\b",
    };
    for (size_t i = 0; i < N(hostile); i++)
        expect_refused("/hooks/{subject}", hostile[i], "subject");
}

Test(path, dots_beside_other_characters_pass)
{
    static const struct {
        const char *subject, *path;
    } fine[] = {
        {"a.b", "/hooks/a.b"},
        {"..a", "/hooks/..a"},
        {"a..", "/hooks/a.."},
        {".a/b.", "/hooks/.a%2Fb."},
        {"%2e%2ea", "/hooks/%252e%252ea"},
        {"%zz..", "/hooks/%25zz.."},
    };
    for (size_t i = 0; i < N(fine); i++)
        expect_path("/hooks/{subject}", fine[i].subject, fine[i].path);
}

Test(path, the_expanded_path_is_checked_as_a_whole)
{
    /* The template's own text: a segment made with the value, or an
     * encoded dot segment of its own. */
    expect_refused("/x/.{subject}/y", ".", "subject");
    cegate_error err;
    char *path = expand_for("/x/a.{subject}", "a", &err);
    cr_assert_str_eq(path, "/x/a.a");
    free(path);
}

Test(path, a_missing_attribute_is_named)
{
    cegate_error err;
    char *path = expand_for("/hooks/{subject}", NULL, &err);
    cr_assert_null(path);
    cr_assert_eq(err.code, CEGATE_ERR_MISSING);
    cr_assert_str_eq(err.path, "subject");
}

Test(path, bad_templates_are_refused)
{
    /* A query is no path, and a dot beside a placeholder is no segment. */
    static const char *const fine[] = {"/a?x=/../", "/.{id}", "/{id}.", "/a.b/{id}"};
    for (size_t i = 0; i < N(fine); i++) {
        route r = new_route();
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(route_set_path(&r, fine[i], &err), 0, "%s: %s", fine[i],
                     err.text);
        route_free(&r);
    }
    static const char *const bad[] = {
        "hooks", "/a#b", "/a/{", "/a/}", "/a/{}", "/a/{Subject}",
        "/a/{sub ject}", "/a b", "/\xc3\xa9",
        /* A dot segment of the template's own, as it is or decoded. */
        "/a/../{id}", "/./{id}", "/a/%2e%2e/{id}", "/a/{id}/%2E", "/a%2F..",
    };
    for (size_t i = 0; i < N(bad); i++) {
        route r = new_route();
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(route_set_path(&r, bad[i], &err), -1, "%s", bad[i]);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "%s", bad[i]);
        cr_assert_str_eq(err.path, "path", "%s", bad[i]);
        cr_assert_str_eq(r.path, "/", "a refused template changes nothing");
        route_free(&r);
    }
}

Test(path, has_dot_segment)
{
    static const struct {
        const char *s;
        int dot;
    } cases[] = {
        {"", 0}, {"/", 0}, {"/a/b", 0}, {"/...", 0}, {"/a.", 0},
        {"/.", 1}, {"/..", 1}, {"/./a", 1}, {"/a/../b", 1}, {"..", 1},
        {"/%2e", 1}, {"/%2E%2e/", 1}, {"/a%2F..", 1}, {"/a%5C..%5Cb", 1},
        {"/%252e%252e", 0}, {"/%2", 0}, {"/%", 0}, {"/.%2", 0},
    };
    for (size_t i = 0; i < N(cases); i++)
        cr_assert_eq(route_has_dot_segment(cases[i].s, strlen(cases[i].s)),
                     cases[i].dot, "'%s'", cases[i].s);
}
