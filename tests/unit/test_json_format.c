/* SPDX-License-Identifier: Apache-2.0 */
/* test_json_format.c - the CloudEvents JSON event format (cegate/format.h).
 *
 * Decoding (single events and batches, v0.3 input, data vs data_base64,
 * limits, known extension types), encoding (member order, implied
 * datacontenttype, exact bytes) and encode -> decode round trips.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cegate/cegate.h"
#include "helpers.h"
#include "core/text.h"

/* ---- helpers ------------------------------------------------------------ */

static int decode_text(const char *json, const cegate_options *opt,
                       cegate_event_list *list, cegate_error *err)
{
    cegate_error_clear(err);
    return cegate_json_decode(json, strlen(json), opt, list, err);
}

/* Decode `json`, expect exactly one event and hand back a copy of it. */
static cegate_event *decode_one_opt(const char *json,
                                    const cegate_options *opt)
{
    return json_decode_one(json, strlen(json), opt);
}

static cegate_event *decode_one(const char *json)
{
    return decode_one_opt(json, NULL);
}

static cegate_error decode_fail(const char *json)
{
    return json_decode_fail(json, strlen(json), NULL);
}

/* Encode one event; the result is NUL-terminated and freed with cegate_free. */
static char *encode(const cegate_event *ev)
{
    cegate_buffer buf;
    cegate_buffer_init(&buf, OUTPUT_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_json_encode_event(ev, &buf, &err);
    cr_assert_eq(rc, 0, "encode failed: %s at '%s': %s",
                 cegate_error_code_name(err.code), err.path, err.text);
    char *s = cegate_buffer_steal(&buf, NULL);
    cr_assert_not_null(s);
    cegate_buffer_free(&buf);
    return s;
}

/* Encode and parse back with jansson, to look at members. */
static json_t *encode_tree(const cegate_event *ev)
{
    char *s = encode(ev);
    json_error_t jerr;
    json_t *root = json_loads(s, 0, &jerr);
    cr_assert_not_null(root, "encoder wrote invalid JSON (%s): %s", jerr.text,
                       s);
    cr_assert(json_is_object(root), "encoder wrote a non-object: %s", s);
    cegate_free(s);
    return root;
}

/* ---- defaults ----------------------------------------------------------- */

Test(options, documented_defaults)
{
    cegate_limits l;
    memset(&l, 0, sizeof l);
    cegate_limits_default(&l);
    cr_assert_eq(l.max_input_bytes, (size_t)32 * 1024 * 1024);
    cr_assert_eq(l.max_attribute_bytes, (size_t)16 * 1024);
    cr_assert_eq(l.max_attributes, 128);
    cr_assert_eq(l.max_events, 10000);
    cr_assert_eq(l.max_depth, 64);
    cr_assert_eq(l.max_output_bytes, (size_t)64 * 1024 * 1024);

    cegate_options opt;
    memset(&opt, 0x5a, sizeof opt);
    cegate_options_init(&opt);
    cr_assert_eq(memcmp(&opt.limits, &l, sizeof l), 0);
    cr_assert_null(opt.extensions);
    cr_assert_eq(opt.extension_count, 0);
}

/* ---- decoding: attributes ----------------------------------------------- */

Test(decode, minimal_event)
{
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS "}");
    expect_string_attr(ev, "specversion", "1.0");
    expect_string_attr(ev, "id", "1");
    expect_string_attr(ev, "source", "/s");
    expect_string_attr(ev, "type", "t");
    cr_assert_eq(cegate_event_attribute_count(ev), 4);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_NONE);
    cegate_event_free(ev);
}

Test(decode, null_optional_attributes_are_absent)
{
    cegate_event *ev = decode_one(
        "{" MINIMAL_MEMBERS ",\"subject\":null,\"time\":null,"
        "\"dataschema\":null,\"datacontenttype\":null,\"myext\":null}");
    cr_assert_null(cegate_event_get(ev, "subject"));
    cr_assert_null(cegate_event_get(ev, "time"));
    cr_assert_null(cegate_event_get(ev, "dataschema"));
    cr_assert_null(cegate_event_get(ev, "datacontenttype"));
    cr_assert_null(cegate_event_get(ev, "myext"));
    cr_assert_eq(cegate_event_attribute_count(ev), 4);
    cegate_event_free(ev);
}

Test(decode, untyped_extensions_take_the_json_type)
{
    cegate_event *ev = decode_one(
        "{" MINIMAL_MEMBERS ",\"extint\":-10,\"extbool\":false,"
        "\"extstr\":\"2023-03-31T15:12:00Z\",\"extbig\":2147483647}");
    const cegate_value *v = cegate_event_get(ev, "extint");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, CEGATE_TYPE_INTEGER);
    cr_assert_eq(v->u.integer, -10);
    v = cegate_event_get(ev, "extbool");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, CEGATE_TYPE_BOOLEAN);
    cr_assert_eq(v->u.boolean, 0);
    /* A string that looks like a timestamp stays a String when unknown. */
    v = cegate_event_get(ev, "extstr");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, CEGATE_TYPE_STRING);
    cr_assert_eq(cegate_event_get(ev, "extbig")->u.integer, INT32_MAX);
    cegate_event_free(ev);
}

Test(decode, wrong_json_types_rejected)
{
    cegate_error err = decode_fail(
        "{\"specversion\":\"1.0\",\"id\":25,\"source\":\"/s\",\"type\":\"t\"}");
    assert_error(err, CEGATE_ERR_TYPE, "id");
    err = decode_fail("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                      "\"type\":[\"t\"]}");
    assert_error(err, CEGATE_ERR_TYPE, "type");
    err = decode_fail("{" MINIMAL_MEMBERS ",\"subject\":true}");
    assert_error(err, CEGATE_ERR_TYPE, "subject");
    err = decode_fail("{" MINIMAL_MEMBERS ",\"time\":1522949460}");
    assert_error(err, CEGATE_ERR_TYPE, "time");
}

Test(decode, non_integral_extension_rejected)
{
    cegate_error err = decode_fail("{" MINIMAL_MEMBERS ",\"myext\":1.5}");
    cr_assert(err.code == CEGATE_ERR_TYPE || err.code == CEGATE_ERR_VALUE,
              "code %s", cegate_error_code_name(err.code));
    cr_assert_str_eq(err.path, "myext");
}

Test(decode, out_of_range_integer_extension_rejected)
{
    cegate_error err = decode_fail("{" MINIMAL_MEMBERS ",\"myext\":2147483648}");
    assert_error(err, CEGATE_ERR_VALUE, "myext");
    err = decode_fail("{" MINIMAL_MEMBERS ",\"myext\":-2147483649}");
    assert_error(err, CEGATE_ERR_VALUE, "myext");
}

Test(decode, specversion_checks)
{
    cegate_error err = decode_fail(
        "{\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}");
    assert_error(err, CEGATE_ERR_MISSING, "specversion");
    err = decode_fail("{\"specversion\":\"0.9\",\"id\":\"1\",\"source\":\"/s\","
                      "\"type\":\"t\"}");
    assert_error(err, CEGATE_ERR_SPECVERSION, "specversion");
}

Test(decode, missing_required_attributes_named)
{
    cegate_error err = decode_fail(
        "{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}");
    assert_error(err, CEGATE_ERR_MISSING, "id");
    err = decode_fail("{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}");
    assert_error(err, CEGATE_ERR_MISSING, "source");
    err = decode_fail("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"}");
    assert_error(err, CEGATE_ERR_MISSING, "type");
    err = decode_fail("{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"/s\","
                      "\"type\":\"t\"}");
    assert_error(err, CEGATE_ERR_EMPTY, "id");
}

Test(decode, to_event_from_tree)
{
    json_t *root = json_loads("{" MINIMAL_MEMBERS ",\"subject\":\"x\"}", 0,
                              NULL);
    cr_assert_not_null(root);
    cegate_event *ev = NULL;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_to_event(root, NULL, &ev, &err), 0, "%s",
                 err.text);
    cr_assert_not_null(ev);
    expect_string_attr(ev, "subject", "x");
    cegate_event_free(ev);
    json_decref(root);

    /* The result is validated. */
    root = json_loads("{\"specversion\":\"1.0\",\"source\":\"/s\","
                      "\"type\":\"t\"}", 0, NULL);
    ev = NULL;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_to_event(root, NULL, &ev, &err), -1);
    assert_error(err, CEGATE_ERR_MISSING, "id");
    json_decref(root);
}

Test(decode, to_event_needs_an_object)
{
    json_t *root = json_loads("[1]", 0, NULL);
    cegate_event *ev = NULL;
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_to_event(root, NULL, &ev, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_TYPE, "code %s",
                 cegate_error_code_name(err.code));
    json_decref(root);
}

/* ---- decoding: data ----------------------------------------------------- */

Test(data, base64_is_binary)
{
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"datacontenttype\":\"image/png\","
                                  "\"data_base64\":\"AAEC/w==\"}");
    expect_bytes(ev, CEGATE_DATA_BINARY, "\x00\x01\x02\xff", 4);
    cegate_event_free(ev);
}

Test(data, base64_without_content_type_is_not_json)
{
    /* json-format (main): no datacontenttype with data_base64 does not mean
     * JSON; cegate keeps it as bytes. */
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"data_base64\":\"eyJhIjoxfQ==\"}");
    expect_bytes(ev, CEGATE_DATA_BINARY, "{\"a\":1}", 7);
    cegate_event_free(ev);
}

Test(data, invalid_base64_named)
{
    const char *bad[] = {"TWE", "T!E=", "TWE=TWE=x", "====", "TW E="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{" MINIMAL_MEMBERS ",\"data_base64\":\"%s\"}", bad[i]);
        cegate_error err = decode_fail(json);
        cr_assert_eq(err.code, CEGATE_ERR_ENCODING, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "data_base64", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(data, json_when_no_content_type)
{
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"data\":{\"a\":[1,2,{\"b\":null}]}}");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    json_t *want = json_loads("{\"a\":[1,2,{\"b\":null}]}", 0, NULL);
    cr_assert(json_equal(cegate_event_data_json(ev), want));
    cr_assert_str_eq(cegate_event_effective_content_type(ev),
                     "application/json");
    json_decref(want);
    cegate_event_free(ev);
}

Test(data, json_string_is_not_parsed_again)
{
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"data\":\"{\\\"a\\\":1}\"}");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    json_t *d = cegate_event_data_json(ev);
    cr_assert(json_is_string(d), "a JSON string stays a string");
    cr_assert_str_eq(json_string_value(d), "{\"a\":1}");
    cegate_event_free(ev);
}

Test(data, json_for_json_suffix_types)
{
    cegate_event *ev = decode_one(
        "{" MINIMAL_MEMBERS ",\"datacontenttype\":\"application/vnd.foo+json\","
        "\"data\":[true,1.5]}");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cr_assert_eq(json_array_size(cegate_event_data_json(ev)), 2);
    cegate_event_free(ev);
}

Test(data, text_for_non_json_types)
{
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"datacontenttype\":\"text/plain\","
                                  "\"data\":\"Simple text \\u20ac\"}");
    expect_bytes(ev, CEGATE_DATA_TEXT, "Simple text \xe2\x82\xac", 15);
    cegate_event_free(ev);
}

Test(data, explicit_null_is_data)
{
    cegate_event *with_null = decode_one("{" MINIMAL_MEMBERS ",\"data\":null}");
    cegate_event *without = decode_one("{" MINIMAL_MEMBERS "}");
    cr_assert_eq(cegate_event_data_kind(with_null), CEGATE_DATA_JSON);
    cr_assert(json_is_null(cegate_event_data_json(with_null)));
    cr_assert_eq(cegate_event_data_kind(without), CEGATE_DATA_NONE);
    cr_assert_not(cegate_event_equal(with_null, without));
    cegate_event_free(with_null);
    cegate_event_free(without);
}

Test(data, data_and_data_base64_conflict)
{
    cegate_error err = decode_fail("{" MINIMAL_MEMBERS
                                   ",\"data\":\"text\","
                                   "\"data_base64\":\"TWE=\"}");
    cr_assert_eq(err.code, CEGATE_ERR_CONFLICT, "code %s",
                 cegate_error_code_name(err.code));
    cr_assert(strcmp(err.path, "data") == 0 ||
                  strcmp(err.path, "data_base64") == 0,
              "path '%s' should name data or data_base64", err.path);
    /* null data_base64 is absent, so no conflict. */
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"data\":1,\"data_base64\":null}");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cegate_event_free(ev);
}

/* ---- v0.3 input --------------------------------------------------------- */

Test(v03, converted_to_1_0)
{
    cegate_event *ev = decode_one(
        "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
        "\"schemaurl\":\"https://example.com/schema\","
        "\"datacontenttype\":\"application/octet-stream\","
        "\"datacontentencoding\":\"base64\",\"data\":\"TWE=\"}");
    expect_string_attr(ev, "specversion", "1.0");
    expect_string_attr(ev, "dataschema", "https://example.com/schema");
    cr_assert_null(cegate_event_get(ev, "schemaurl"));
    expect_bytes(ev, CEGATE_DATA_BINARY, "Ma", 2);
    expect_string_attr(ev, "datacontenttype", "application/octet-stream");
    cegate_event_free(ev);
}

Test(v03, json_data_stays_json)
{
    cegate_event *ev = decode_one(
        "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
        "\"subject\":\"sub\",\"data\":{\"k\":\"v\"}}");
    expect_string_attr(ev, "specversion", "1.0");
    expect_string_attr(ev, "subject", "sub");
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cr_assert_str_eq(
        json_string_value(json_object_get(cegate_event_data_json(ev), "k")),
        "v");
    cegate_event_free(ev);
}

/* ---- batches ------------------------------------------------------------ */

Test(batch, decodes_every_element)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    const char *json = "[{" MINIMAL_MEMBERS "},"
                       "{\"specversion\":\"1.0\",\"id\":\"2\","
                       "\"source\":\"/other\",\"type\":\"u\","
                       "\"datacontenttype\":\"text/plain\",\"data\":\"x\"}]";
    cr_assert_eq(decode_text(json, NULL, &list, &err), 0, "%s", err.text);
    cr_assert_eq(list.count, 2);
    expect_string_attr(list.events[0], "id", "1");
    expect_string_attr(list.events[1], "id", "2");
    expect_string_attr(list.events[1], "source", "/other");
    cegate_event_list_free(&list);
}

Test(batch, empty_batch)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cr_assert_eq(decode_text("[]", NULL, &list, &err), 0, "%s", err.text);
    cr_assert_eq(list.count, 0);
    cegate_event_list_free(&list);
}

Test(batch, appends_to_existing_list)
{
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cr_assert_eq(decode_text("{" MINIMAL_MEMBERS "}", NULL, &list, &err), 0);
    cr_assert_eq(decode_text("[{" MINIMAL_MEMBERS "},{" MINIMAL_MEMBERS "}]",
                             NULL, &list, &err),
                 0);
    cr_assert_eq(list.count, 3);
    /* A failing batch leaves what was there before untouched. */
    cr_assert_eq(decode_text("[{" MINIMAL_MEMBERS "},{\"id\":\"x\"}]", NULL,
                             &list, &err),
                 -1);
    cr_assert_eq(list.count, 3, "nothing is appended on error");
    cegate_event_list_free(&list);
}

Test(batch, error_names_the_element)
{
    cegate_error err = decode_fail(
        "[{" MINIMAL_MEMBERS "},"
        "{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}]");
    assert_error(err, CEGATE_ERR_MISSING, "[1].id");
    err = decode_fail("[{" MINIMAL_MEMBERS "},{" MINIMAL_MEMBERS "},"
                      "{" MINIMAL_MEMBERS ",\"time\":\"lunchtime\"}]");
    assert_error(err, CEGATE_ERR_VALUE, "[2].time");
}

Test(batch, non_object_element_rejected)
{
    cegate_error err = decode_fail("[\"not an object\",{" MINIMAL_MEMBERS "}]");
    cr_assert_eq(err.code, CEGATE_ERR_TYPE, "code %s",
                 cegate_error_code_name(err.code));
    cr_assert_str_eq(err.path, "[0]");
}

Test(batch, mixed_specversion_rejected)
{
    /* Each element alone is a valid event (v0.3 is read); together they
     * break "all events of a batch must share specversion". */
    const char *v03 = "{\"specversion\":\"0.3\",\"id\":\"2\",\"source\":\"/s\","
                      "\"type\":\"t\"}";
    cegate_event *alone = decode_one(v03);
    cegate_event_free(alone);

    char json[512];
    snprintf(json, sizeof json, "[{" MINIMAL_MEMBERS "},%s]", v03);
    cegate_error err = decode_fail(json);
    cr_assert(err.code == CEGATE_ERR_SPECVERSION ||
                  err.code == CEGATE_ERR_CONFLICT,
              "code %s", cegate_error_code_name(err.code));
    cr_assert_eq(strncmp(err.path, "[1]", 3), 0,
                 "path '%s' should name element [1]", err.path);
}

Test(batch, to_events_from_tree)
{
    json_t *root = json_loads("[{" MINIMAL_MEMBERS "},{" MINIMAL_MEMBERS "}]",
                              0, NULL);
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_to_events(root, NULL, &list, &err), 0, "%s",
                 err.text);
    cr_assert_eq(list.count, 2);
    json_decref(root);

    /* A single object is one event. */
    root = json_loads("{" MINIMAL_MEMBERS "}", 0, NULL);
    cr_assert_eq(cegate_json_to_events(root, NULL, &list, &err), 0, "%s",
                 err.text);
    cr_assert_eq(list.count, 3);
    json_decref(root);
    cegate_event_list_free(&list);
}

/* ---- syntax errors ------------------------------------------------------ */

Test(syntax, position_reported)
{
    const char *json = "{\n  \"id\": \"1\",\n  oops\n}";
    cegate_error err = decode_fail(json);
    cr_assert_eq(err.code, CEGATE_ERR_SYNTAX, "code %s",
                 cegate_error_code_name(err.code));
    cr_assert_eq(err.line, 3, "line %d", err.line);
    cr_assert_gt(err.column, 0);
    cr_assert_gt(err.position, 0);
}

Test(syntax, not_json)
{
    cegate_error err = decode_fail("this is not json");
    cr_assert_eq(err.code, CEGATE_ERR_SYNTAX);
    err = decode_fail("");
    cr_assert_eq(err.code, CEGATE_ERR_SYNTAX);
    err = decode_fail("{" MINIMAL_MEMBERS "} trailing");
    cr_assert_eq(err.code, CEGATE_ERR_SYNTAX);
}

/* ---- limits ------------------------------------------------------------- */

static cegate_options limited(void)
{
    cegate_options opt;
    cegate_options_init(&opt);
    return opt;
}

Test(limits, max_input_bytes)
{
    const char *json = "{" MINIMAL_MEMBERS "}";
    size_t n = strlen(json);
    cegate_options opt = limited();
    opt.limits.max_input_bytes = n;
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cr_assert_eq(decode_text(json, &opt, &list, &err), 0,
                 "input of exactly max_input_bytes rejected: %s", err.text);
    cegate_event_list_free(&list);

    opt.limits.max_input_bytes = n - 1;
    err = json_decode_fail(json, n, &opt);
    assert_limit_error(err, "max_input_bytes");
}

/* `depth` nested arrays as data. */
static char *nested_data_event(size_t depth)
{
    size_t cap = 2 * depth + 128;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    size_t n = (size_t)sprintf(s, "{" MINIMAL_MEMBERS ",\"data\":");
    memset(s + n, '[', depth);
    n += depth;
    memset(s + n, ']', depth);
    n += depth;
    strcpy(s + n, "}");
    return s;
}

Test(limits, max_depth)
{
    char *deep = nested_data_event(100);
    cegate_error err = decode_fail(deep);
    assert_limit_error(err, "max_depth");
    free(deep);

    char *shallow = nested_data_event(50);
    cegate_event *ev = decode_one(shallow);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cegate_event_free(ev);
    free(shallow);

    /* A tighter configured limit applies too. */
    cegate_options opt = limited();
    opt.limits.max_depth = 8;
    char *mid = nested_data_event(20);
    err = json_decode_fail(mid, strlen(mid), &opt);
    assert_limit_error(err, "max_depth");
    free(mid);
}

Test(limits, json_parse_applies_limits)
{
    cegate_limits l;
    cegate_limits_default(&l);
    char *deep = nested_data_event(100);
    cegate_error err;
    cegate_error_clear(&err);
    json_t *root = cegate_json_parse(deep, strlen(deep), &l, &err);
    cr_assert_null(root);
    assert_limit_error(err, "max_depth");
    free(deep);

    const char *ok = "{\"a\":[1,2,3]}";
    cegate_error_clear(&err);
    root = cegate_json_parse(ok, strlen(ok), &l, &err);
    cr_assert_not_null(root, "%s", err.text);
    cr_assert_eq(json_array_size(json_object_get(root, "a")), 3);
    json_decref(root);

    l.max_input_bytes = 5;
    cegate_error_clear(&err);
    cr_assert_null(cegate_json_parse(ok, strlen(ok), &l, &err));
    assert_limit_error(err, "max_input_bytes");
}

Test(limits, max_attribute_bytes)
{
    cegate_options opt = limited();
    opt.limits.max_attribute_bytes = 10;
    cegate_event *ev = decode_one_opt(
        "{" MINIMAL_MEMBERS ",\"subject\":\"1234567890\"}", &opt);
    cegate_event_free(ev);

    const char *json = "{" MINIMAL_MEMBERS ",\"subject\":\"12345678901\"}";
    cegate_error err = json_decode_fail(json, strlen(json), &opt);
    assert_error(err, CEGATE_ERR_LIMIT, "subject");

    json = "{" MINIMAL_MEMBERS ",\"myext\":\"12345678901\"}";
    err = json_decode_fail(json, strlen(json), &opt);
    assert_error(err, CEGATE_ERR_LIMIT, "myext");
}

Test(limits, max_attributes)
{
    cegate_options opt = limited();
    opt.limits.max_attributes = 5;
    /* Four required attributes and one extension fit. */
    cegate_event *ev = decode_one_opt("{" MINIMAL_MEMBERS ",\"a\":\"1\"}", &opt);
    cegate_event_free(ev);
    /* Seven do not, whether or not specversion is counted. */
    const char *json = "{" MINIMAL_MEMBERS ",\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}";
    cegate_error err = json_decode_fail(json, strlen(json), &opt);
    assert_limit_error(err, "max_attributes");
}

Test(limits, max_events)
{
    cegate_options opt = limited();
    opt.limits.max_events = 2;
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cr_assert_eq(decode_text("[{" MINIMAL_MEMBERS "},{" MINIMAL_MEMBERS "}]",
                             &opt, &list, &err),
                 0, "%s", err.text);
    cr_assert_eq(list.count, 2);
    cegate_event_list_free(&list);

    const char *json = "[{" MINIMAL_MEMBERS "},{" MINIMAL_MEMBERS "},"
                       "{" MINIMAL_MEMBERS "}]";
    err = json_decode_fail(json, strlen(json), &opt);
    assert_limit_error(err, "max_events");
}

Test(limits, output_buffer_maximum)
{
    cegate_event *ev = minimal_event("1");
    cegate_buffer buf;
    cegate_buffer_init(&buf, 10);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_encode_event(ev, &buf, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT, "code %s",
                 cegate_error_code_name(err.code));
    cr_assert_leq(buf.length, 10);
    cegate_buffer_free(&buf);
    cegate_event_free(ev);
}

/* ---- known extension types ---------------------------------------------- */

Test(known_extensions, typed_by_options)
{
    cegate_options opt = sample_options();
    cegate_event *ev = decode_one_opt(
        "{" MINIMAL_MEMBERS ",\"extinteger\":10,\"extboolean\":true,"
        "\"extstring\":\"text\",\"exturi\":\"https://cloudevents.io\","
        "\"exturiref\":\"//authority/path\","
        "\"exttimestamp\":\"2023-03-31T15:12:00Z\",\"extbinary\":\"TWE=\"}",
        &opt);
    struct {
        const char *name;
        cegate_type type;
    } want[] = {
        {"extinteger", CEGATE_TYPE_INTEGER},   {"extboolean", CEGATE_TYPE_BOOLEAN},
        {"extstring", CEGATE_TYPE_STRING},     {"exturi", CEGATE_TYPE_URI},
        {"exturiref", CEGATE_TYPE_URI_REF},
        {"exttimestamp", CEGATE_TYPE_TIMESTAMP}, {"extbinary", CEGATE_TYPE_BINARY},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const cegate_value *v = cegate_event_get(ev, want[i].name);
        cr_assert_not_null(v, "%s absent", want[i].name);
        cr_assert_eq(v->type, want[i].type, "%s: type %s", want[i].name,
                     cegate_type_name(v->type));
    }
    const cegate_value *b = cegate_event_get(ev, "extbinary");
    cr_assert_eq(b->u.binary.length, 2);
    cr_assert_arr_eq(b->u.binary.bytes, "Ma", 2);
    cr_assert_eq(cegate_event_get(ev, "extinteger")->u.integer, 10);
    cegate_event_free(ev);
}

Test(known_extensions, string_values_read_as_the_type)
{
    cegate_options opt = sample_options();
    cegate_event *ev = decode_one_opt(
        "{" MINIMAL_MEMBERS ",\"extinteger\":\"-5\",\"extboolean\":\"false\"}",
        &opt);
    const cegate_value *v = cegate_event_get(ev, "extinteger");
    cr_assert_eq(v->type, CEGATE_TYPE_INTEGER);
    cr_assert_eq(v->u.integer, -5);
    v = cegate_event_get(ev, "extboolean");
    cr_assert_eq(v->type, CEGATE_TYPE_BOOLEAN);
    cr_assert_eq(v->u.boolean, 0);
    cegate_event_free(ev);
}

Test(known_extensions, bad_values_rejected)
{
    cegate_options opt = sample_options();
    struct {
        const char *json;
        cegate_error_code code;
        const char *path;
    } cases[] = {
        {"{" MINIMAL_MEMBERS ",\"exttimestamp\":\"lunchtime\"}",
         CEGATE_ERR_VALUE, "exttimestamp"},
        {"{" MINIMAL_MEMBERS ",\"exttimestamp\":\"2023-02-29T00:00:00Z\"}",
         CEGATE_ERR_VALUE, "exttimestamp"},
        {"{" MINIMAL_MEMBERS ",\"exturi\":\"#fragment\"}", CEGATE_ERR_VALUE,
         "exturi"},
        {"{" MINIMAL_MEMBERS ",\"exturiref\":\"http://a b\"}", CEGATE_ERR_VALUE,
         "exturiref"},
        {"{" MINIMAL_MEMBERS ",\"extinteger\":\"01\"}", CEGATE_ERR_VALUE,
         "extinteger"},
        {"{" MINIMAL_MEMBERS ",\"extbinary\":\"TWE\"}", CEGATE_ERR_ENCODING,
         "extbinary"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cegate_error err = json_decode_fail(cases[i].json,
                                            strlen(cases[i].json), &opt);
        cr_assert_eq(err.code, cases[i].code, "%s: code %s", cases[i].json,
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, cases[i].path, "%s: path '%s'",
                         cases[i].json, err.path);
    }
    /* Without the options the same timestamp is only a String. */
    cegate_event *ev = decode_one("{" MINIMAL_MEMBERS
                                  ",\"exttimestamp\":\"lunchtime\"}");
    cr_assert_eq(cegate_event_get(ev, "exttimestamp")->type,
                 CEGATE_TYPE_STRING);
    cegate_event_free(ev);
}

/* ---- encoding ----------------------------------------------------------- */

/* Remove the first `"specversion":"1.0",` so the exact-bytes checks do not
 * depend on where among the required attributes it is written: the header
 * only says "spec order". */
static char *without_specversion(const char *s)
{
    static const char member[] = "\"specversion\":\"1.0\",";
    const char *at = strstr(s, member);
    cr_assert_not_null(at, "no specversion member in %s", s);
    cr_assert_null(strstr(at + 1, "\"specversion\""),
                   "specversion written twice: %s", s);
    size_t n = strlen(s), m = sizeof member - 1, off = (size_t)(at - s);
    char *out = malloc(n - m + 1);
    cr_assert_not_null(out);
    memcpy(out, s, off);
    memcpy(out + off, at + m, n - off - m + 1);
    return out;
}

Test(encode, exact_bytes_json_data)
{
    cegate_event *ev = minimal_event("1");
    set_str(ev, "ext", "x", 0);
    set_str(ev, "time", "2018-04-05T17:31:00Z", 0);
    set_str(ev, "extn", "7", CEGATE_TYPE_INTEGER);
    set_str(ev, "subject", "sub", 0);
    json_t *data = json_pack("{s:i}", "a", 1);
    cr_assert_eq(cegate_event_set_data_json(ev, data, NULL), 0);
    json_decref(data);

    char *s = encode(ev);
    char *rest = without_specversion(s);
    cr_assert_str_eq(rest,
                     "{\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                     "\"datacontenttype\":\"application/json\","
                     "\"subject\":\"sub\",\"time\":\"2018-04-05T17:31:00Z\","
                     "\"ext\":\"x\",\"extn\":7,\"data\":{\"a\":1}}",
                     "full output: %s", s);
    /* Core attributes first: specversion is before datacontenttype. */
    cr_assert_lt(strstr(s, "\"specversion\""), strstr(s, "\"datacontenttype\""));
    free(rest);
    cegate_free(s);
    cegate_event_free(ev);
}

Test(encode, exact_bytes_binary_data)
{
    cegate_event *ev = minimal_event("2");
    set_str(ev, "dataschema", "https://example.com/schema", 0);
    set_str(ev, "datacontenttype", "application/octet-stream", 0);
    cr_assert_eq(cegate_event_set_data_binary(ev, "Ma", 2, NULL), 0);
    char *s = encode(ev);
    char *rest = without_specversion(s);
    cr_assert_str_eq(rest,
                     "{\"id\":\"2\",\"source\":\"/s\",\"type\":\"t\","
                     "\"datacontenttype\":\"application/octet-stream\","
                     "\"dataschema\":\"https://example.com/schema\","
                     "\"data_base64\":\"TWE=\"}",
                     "full output: %s", s);
    free(rest);
    cegate_free(s);
    cegate_event_free(ev);
}

Test(encode, implied_content_type_written_for_json_data)
{
    cegate_event *ev = minimal_event("1");
    json_t *data = json_string("I'm just a string");
    cr_assert_eq(cegate_event_set_data_json(ev, data, NULL), 0);
    json_decref(data);
    json_t *root = encode_tree(ev);
    cr_assert_str_eq(
        json_string_value(json_object_get(root, "datacontenttype")),
        "application/json");
    /* The value is the JSON string itself, not a serialized document. */
    cr_assert_str_eq(json_string_value(json_object_get(root, "data")),
                     "I'm just a string");
    cr_assert_null(json_object_get(root, "data_base64"));
    json_decref(root);
    cegate_event_free(ev);
}

Test(encode, binary_data_as_base64_without_inventing_a_type)
{
    cegate_event *ev = minimal_event("1");
    cr_assert_eq(cegate_event_set_data_binary(ev, "\x00\x01\x02\xff", 4, NULL),
                 0);
    json_t *root = encode_tree(ev);
    cr_assert_str_eq(json_string_value(json_object_get(root, "data_base64")),
                     "AAEC/w==");
    cr_assert_null(json_object_get(root, "data"));
    cr_assert_null(json_object_get(root, "datacontenttype"));
    json_decref(root);
    cegate_event_free(ev);
}

Test(encode, text_data_as_string)
{
    cegate_event *ev = minimal_event("1");
    set_str(ev, "datacontenttype", "text/plain", 0);
    cr_assert_eq(cegate_event_set_data_text(ev, "Simple text", 11, NULL), 0);
    json_t *root = encode_tree(ev);
    cr_assert_str_eq(json_string_value(json_object_get(root, "data")),
                     "Simple text");
    cr_assert_str_eq(
        json_string_value(json_object_get(root, "datacontenttype")),
        "text/plain");
    json_decref(root);
    cegate_event_free(ev);
}

Test(encode, null_data_vs_no_data)
{
    cegate_event *ev = minimal_event("1");
    json_t *root = encode_tree(ev);
    cr_assert_null(json_object_get(root, "data"));
    cr_assert_null(json_object_get(root, "data_base64"));
    json_decref(root);

    cr_assert_eq(cegate_event_set_data_json(ev, json_null(), NULL), 0);
    root = encode_tree(ev);
    json_t *d = json_object_get(root, "data");
    cr_assert_not_null(d, "explicit null data must be written");
    cr_assert(json_is_null(d));
    json_decref(root);
    cegate_event_free(ev);
}

Test(encode, extension_json_types)
{
    cegate_event *ev = minimal_event("1");
    set_str(ev, "extinteger", "-10", CEGATE_TYPE_INTEGER);
    set_str(ev, "extboolean", "true", CEGATE_TYPE_BOOLEAN);
    set_str(ev, "extbinary", "TWE=", CEGATE_TYPE_BINARY);
    set_str(ev, "exttimestamp", "2023-03-31T15:12:00Z", CEGATE_TYPE_TIMESTAMP);
    json_t *root = encode_tree(ev);
    json_t *i = json_object_get(root, "extinteger");
    cr_assert(json_is_integer(i));
    cr_assert_eq(json_integer_value(i), -10);
    cr_assert(json_is_true(json_object_get(root, "extboolean")));
    cr_assert_str_eq(json_string_value(json_object_get(root, "extbinary")),
                     "TWE=");
    cr_assert(json_is_string(json_object_get(root, "exttimestamp")));
    json_decref(root);
    cegate_event_free(ev);
}

Test(encode, member_order)
{
    cegate_event *ev = cegate_event_new();
    set_str(ev, "zzz", "1", 0);
    set_str(ev, "time", "2018-04-05T17:31:00Z", 0);
    set_str(ev, "aaa", "2", 0);
    set_str(ev, "subject", "s", 0);
    set_str(ev, "dataschema", "https://x/s", 0);
    set_str(ev, "type", "t", 0);
    set_str(ev, "datacontenttype", "text/plain", 0);
    set_str(ev, "source", "/s", 0);
    set_str(ev, "id", "1", 0);
    cr_assert_eq(cegate_event_set_data_text(ev, "x", 1, NULL), 0);

    /* jansson keeps object members in document order. */
    json_t *root = encode_tree(ev);
    const char *want[] = {"id", "source", "type", "datacontenttype",
                          "dataschema", "subject", "time", "zzz", "aaa",
                          "data"};
    size_t w = 0;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        (void)value;
        if (strcmp(key, "specversion") == 0)
            continue;
        cr_assert_lt(w, sizeof want / sizeof *want, "extra member %s", key);
        cr_assert_str_eq(key, want[w], "member %zu: got %s, want %s", w, key,
                         want[w]);
        w++;
    }
    cr_assert_eq(w, sizeof want / sizeof *want);
    json_decref(root);
    cegate_event_free(ev);
}

Test(encode, batch)
{
    cegate_buffer buf;
    cegate_buffer_init(&buf, OUTPUT_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_encode_batch(NULL, 0, &buf, &err), 0, "%s",
                 err.text);
    cr_assert_eq(buf.length, 2);
    cr_assert_str_eq(buf.data, "[]");
    cegate_buffer_free(&buf);

    cegate_event *evs[2] = {minimal_event("a"), minimal_event("b")};
    cegate_buffer_init(&buf, OUTPUT_MAX);
    cr_assert_eq(cegate_json_encode_batch(evs, 2, &buf, &err), 0, "%s",
                 err.text);
    json_t *root = json_loadb(buf.data, buf.length, 0, NULL);
    cr_assert(json_is_array(root), "batch is not an array: %s", buf.data);
    cr_assert_eq(json_array_size(root), 2);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(root, 1), "id")), "b");
    json_decref(root);
    cegate_buffer_free(&buf);
    cegate_event_free(evs[0]);
    cegate_event_free(evs[1]);
}

/* ---- the output buffer -------------------------------------------------- */

Test(buffer, without_a_practical_maximum)
{
    /* SIZE_MAX is the natural "no limit" for cegate_buffer_init. */
    cegate_buffer buf;
    cegate_buffer_init(&buf, SIZE_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(cegate_buffer_append_str(&buf, "0123456789", "out", &err),
                     0, "%s", err.text);
    cr_assert_eq(cegate_buffer_append_byte(&buf, '!', "out", &err), 0);
    cr_assert_eq(buf.length, 1001);
    cr_assert_eq(buf.data[1000], '!');
    cr_assert_eq(buf.data[1001], '\0');
    cegate_buffer_free(&buf);
}

Test(buffer, maximum_is_a_named_limit)
{
    cegate_buffer buf;
    cegate_buffer_init(&buf, 8);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_buffer_append_str(&buf, "12345678", "body", &err), 0);
    cr_assert_eq(cegate_buffer_append_byte(&buf, 'x', "body", &err), -1);
    assert_error(err, CEGATE_ERR_LIMIT, "body");
    cr_assert_eq(buf.length, 8, "unchanged on failure");
    cr_assert_str_eq(buf.data, "12345678");
    size_t n = 0;
    char *s = cegate_buffer_steal(&buf, &n);
    cr_assert_eq(n, 8);
    cr_assert_str_eq(s, "12345678");
    cr_assert_eq(buf.length, 0, "steal leaves the buffer empty");
    cegate_free(s);
    cegate_buffer_free(&buf);
}

/* ---- round trips -------------------------------------------------------- */

typedef cegate_event *(*event_builder)(void);

static cegate_event *ev_minimal(void) { return minimal_event("minimal"); }

static cegate_event *ev_all_core(void)
{
    cegate_event *ev = minimal_event("allCore");
    set_str(ev, "datacontenttype", "text/plain", 0);
    set_str(ev, "dataschema", "https://cloudevents.io/dataschema", 0);
    set_str(ev, "subject", "tests", 0);
    set_str(ev, "time", "2018-04-05T18:31:00.123456789+01:00", 0);
    return ev;
}

static cegate_event *ev_all_extension_types(void)
{
    return all_extension_types_event("text");
}

static cegate_event *ev_unicode(void)
{
    cegate_event *ev = minimal_event("Euro \xe2\x82\xac \xf0\x9f\x98\x80");
    set_str(ev, "subject", "quote \" backslash \\ slash / percent %", 0);
    set_str(ev, "extstring", "\xe4\xb8\xad\xe6\x96\x87", 0);
    return ev;
}

static cegate_event *ev_text(void)
{
    return text_data_event("text", "text/plain; charset=utf-8",
                           "line 1\nline 2 \xe2\x82\xac");
}

static cegate_event *ev_binary_empty(void)
{
    cegate_event *ev = minimal_event("binaryEmpty");
    cr_assert_eq(cegate_event_set_data_binary(ev, "", 0, NULL), 0);
    return ev;
}

/* JSON data with an explicit application/json: an implied one becomes
 * explicit on the way out, which would change the attributes. */
static cegate_event *with_json(const char *id, const char *json)
{
    return json_data_event(id, "application/json", json);
}

static cegate_event *ev_json_object(void)
{
    return with_json("obj", "{\"a\":{\"b\":[1,2.5,\"c\",true,null]},\"e\":{}}");
}
static cegate_event *ev_json_array(void) { return with_json("arr", "[[],[1]]"); }
static cegate_event *ev_json_number(void) { return with_json("num", "-42"); }
static cegate_event *ev_json_string(void)
{
    return with_json("str", "\"I'm just a string\"");
}
static cegate_event *ev_json_false(void) { return with_json("f", "false"); }
static cegate_event *ev_json_null(void) { return with_json("null", "null"); }

static cegate_event *ev_json_typed(void)
{
    cegate_event *ev = with_json("typed", "{\"x\":1}");
    set_str(ev, "datacontenttype", "application/vnd.foo+json; charset=utf-8",
            0);
    return ev;
}

static const event_builder round_trip_events[] = {
    ev_minimal,     ev_all_core,     ev_all_extension_types,
    ev_unicode,     ev_text,         binary_data_event,
    ev_binary_empty, ev_json_object, ev_json_array,
    ev_json_number, ev_json_string,  ev_json_false,
    ev_json_null,   ev_json_typed,
};
#define N_ROUND_TRIP (sizeof round_trip_events / sizeof *round_trip_events)

Test(round_trip, single_events)
{
    cegate_options opt = sample_options();
    for (size_t i = 0; i < N_ROUND_TRIP; i++) {
        cegate_event *ev = round_trip_events[i]();
        char *s = encode(ev);
        cegate_event *back = decode_one_opt(s, &opt);
        cr_assert(cegate_event_equal(ev, back),
                  "event %zu changed in a round trip: %s", i, s);
        cegate_free(s);
        cegate_event_free(back);
        cegate_event_free(ev);
    }
}

Test(round_trip, batch)
{
    cegate_options opt = sample_options();
    cegate_event *evs[N_ROUND_TRIP];
    for (size_t i = 0; i < N_ROUND_TRIP; i++)
        evs[i] = round_trip_events[i]();
    cegate_buffer buf;
    cegate_buffer_init(&buf, OUTPUT_MAX);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_encode_batch(evs, N_ROUND_TRIP, &buf, &err), 0,
                 "%s", err.text);

    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(buf.data, buf.length, &opt, &list, &err), 0,
                 "%s: %s", err.path, err.text);
    cr_assert_eq(list.count, N_ROUND_TRIP);
    for (size_t i = 0; i < N_ROUND_TRIP; i++) {
        cr_assert(cegate_event_equal(evs[i], list.events[i]),
                  "batch element %zu changed", i);
        cegate_event_free(evs[i]);
    }
    cegate_event_list_free(&list);
    cegate_buffer_free(&buf);
}

Test(round_trip, decode_encode_decode)
{
    /* A decoded event written out and read back is the same event, with the
     * implied content type now explicit. */
    cegate_event *first = decode_one("{" MINIMAL_MEMBERS ",\"data\":{\"k\":1}}");
    char *s = encode(first);
    cegate_event *second = decode_one(s);
    cr_assert_eq(cegate_event_data_kind(second), CEGATE_DATA_JSON);
    cr_assert_str_eq(cegate_event_effective_content_type(second),
                     "application/json");
    cr_assert(json_equal(cegate_event_data_json(first),
                         cegate_event_data_json(second)));
    cegate_free(s);
    cegate_event_free(first);
    cegate_event_free(second);
}

/* ---- numbers in data ----------------------------------------------------------- */

/* What a real must be written as: the fewest of 15 to 17 significant digits
 * that read back as the same double, always with a point or exponent. */
static void reference_real(double v, char *text, size_t size)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, size, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    if (strpbrk(text, ".eE") == NULL)
        strcat(text, ".0");
}

static void assert_written_as(json_t *v, const char *want)
{
    cegate_buffer b;
    cegate_buffer_init(&b, 1024);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(ce_append_json_value(&b, v, &err), 0, "%s", err.text);
    cr_assert_eq(b.length, strlen(want), "wrote '%.*s', want '%s'", (int)b.length,
                 b.data, want);
    cr_assert_eq(memcmp(b.data, want, b.length), 0, "wrote '%.*s', want '%s'",
                 (int)b.length, b.data, want);
    cegate_buffer_free(&b);
    json_decref(v);
}

Test(numbers, reals_are_written_in_their_fewest_digits)
{
    static const double fixed[] = {
        0.0, -0.0, 1.0, -2.0, 37.01, 123.45, -0.5, 0.1, 0.0001, 0.00012345,
        0.00009999, 1e14, 999999999999999.0, 1e15, 1e16, 123456.789012,
        1234567.1234567, 0.1 + 0.2, 1.0 / 3.0, 5e-324, 1.7976931348623157e308,
        9007199254740993.0, 4.35, 1.005, 2.675, 100.0 / 7.0,
    };
    char want[40];
    for (size_t i = 0; i < N(fixed); i++) {
        reference_real(fixed[i], want, sizeof want);
        assert_written_as(json_real(fixed[i]), want);
    }
    /* Amounts, measurements and random bit patterns. */
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 200000; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        double v;
        switch (i % 4) {
        case 0: v = (double)(long long)(state % 100000000) / 100.0; break;
        case 1: v = (double)(long long)(state % 1000000000) / 1e6 - 500.0; break;
        case 2: v = (double)(state % 1000000007) * 1e-4; break;
        default: {
            memcpy(&v, &state, sizeof v);
            if (v != v || v - v != 0)
                continue; /* NaN and infinities are not JSON */
        }
        }
        reference_real(v, want, sizeof want);
        assert_written_as(json_real(v), want);
    }
}

Test(numbers, integers_are_written_in_decimal)
{
    static const struct {
        json_int_t v;
        const char *text;
    } cases[] = {
        {0, "0"}, {7, "7"}, {-7, "-7"}, {1000000, "1000000"},
        {9223372036854775807LL, "9223372036854775807"},
        {-9223372036854775807LL - 1, "-9223372036854775808"},
    };
    for (size_t i = 0; i < N(cases); i++)
        assert_written_as(json_integer(cases[i].v), cases[i].text);
}
