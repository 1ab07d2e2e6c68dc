/* SPDX-License-Identifier: Apache-2.0 */
/* test_json_read.c - cegate's JSON reader (gateway/core/json_read.c),
 * through the public cegate_json_parse.
 *
 * Accepted text must become exactly the tree jansson's json_loadb builds
 * (values, JSON types, member order); refused text must give a syntax
 * error that says what is wrong and where (line, column, byte position);
 * limits must hold for input of any size or depth. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cegate/cegate.h"
#include "helpers.h"

static json_t *parse(const char *text, size_t length, size_t max_depth,
                     cegate_error *err)
{
    cegate_limits limits;
    cegate_limits_default(&limits);
    limits.max_depth = max_depth;
    limits.max_input_bytes = length + 1;
    cegate_error_clear(err);
    return cegate_json_parse(text, length, &limits, err);
}

/* The compact text of a tree, members in their order. */
static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
}

/* ---- what is accepted ---------------------------------------------------------- */

static const char *const accepted[] = {
    "{}", "[]", "null", "true", "false", "0", "-0", "-0.0", "7", "-7",
    "9223372036854775807", "-9223372036854775808", "1.5", "-2.25e-3", "1E+2",
    "1e-400", "0.1000000000000000055511151231257827", "1" "234567890123456",
    "\"\"", "\"plain ascii\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\\u00e9\\u20AC\\ud83d\\ude00\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
    "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", " \t\r\n[ 1 , { \"a\" : [ ] } ] \n",
    "{\"b\":1,\"a\":2,\"c\":{\"z\":[],\"y\":{}}}", "{\"\":0}",
    "{\"\\u0061b\":\"escaped key\",\"ab2\":1}", "[[[[[[[[[[1]]]]]]]]]]",
    "{\"Records\":[{\"s3\":{\"object\":{\"key\":\"a%20b+c\",\"size\":1024}}}]}",
};

Test(accepted, same_tree_as_jansson)
{
    for (size_t i = 0; i < N(accepted); i++) {
        const char *text = accepted[i];
        cegate_error err;
        json_t *ours = parse(text, strlen(text), 64, &err);
        cr_assert_not_null(ours, "refused %s: %s", text, err.text);
        json_t *theirs = json_loads(text, JSON_DECODE_ANY, NULL);
        cr_assert_not_null(theirs, "jansson refuses %s", text);
        cr_assert(json_equal(ours, theirs), "different trees for %s", text);
        char *a = dump(ours), *b = dump(theirs);
        cr_assert_str_eq(a, b, "different dumps for %s", text);
        free(a);
        free(b);
        json_decref(ours);
        json_decref(theirs);
    }
}

Test(accepted, integers_and_reals_keep_their_json_type)
{
    cegate_error err;
    json_t *v = parse("[1, 1.0, 1e0, -0, 9223372036854775807]", 38, 64, &err);
    cr_assert_not_null(v, "%s", err.text);
    cr_assert(json_is_integer(json_array_get(v, 0)));
    cr_assert(json_is_real(json_array_get(v, 1)));
    cr_assert(json_is_real(json_array_get(v, 2)));
    cr_assert(json_is_integer(json_array_get(v, 3)));
    cr_assert_eq(json_integer_value(json_array_get(v, 4)), 9223372036854775807LL);
    json_decref(v);
}

Test(accepted, escaped_text_is_decoded)
{
    cegate_error err;
    const char *text = "{\"k\\n\\u00e9\":\"a\\u0041\\ud83d\\ude00\\t\"}";
    json_t *v = parse(text, strlen(text), 64, &err);
    cr_assert_not_null(v, "%s", err.text);
    json_t *member = json_object_get(v, "k\n\xc3\xa9");
    cr_assert_not_null(member, "the escaped member name is not decoded");
    cr_assert_str_eq(json_string_value(member), "aA\xf0\x9f\x98\x80\t");
    json_decref(v);
}

/* ---- what is refused, and the message --------------------------------------- */

typedef struct refusal {
    const char *text;
    size_t length; /* 0: strlen */
    const char *message;
    int line, column;
} refusal;

static const refusal refused[] = {
    {"", 0, "unexpected end of input", 1, 1},
    {"   ", 0, "unexpected end of input", 1, 4},
    {"{\"a\":1,}", 0, "expected a member name", 1, 8},
    {"[1,]", 0, "unexpected character", 1, 4},
    {"[1 2]", 0, "expected ',' or ']'", 1, 4},
    {"{\"a\" 1}", 0, "expected ':' after a member name", 1, 6},
    {"{\"a\":1 \"b\":2}", 0, "expected ',' or '}'", 1, 8},
    {"{a:1}", 0, "expected a member name", 1, 2},
    {"['a']", 0, "unexpected character", 1, 2},
    {"[1]x", 0, "more after the JSON value", 1, 4},
    {"1 2", 0, "more after the JSON value", 1, 3},
    {"null\0", 5, "more after the JSON value", 1, 5},
    {"tru", 0, "unexpected end of input", 1, 1},
    {"nul1", 0, "unexpected character", 1, 1},
    {"01", 0, "leading zero", 1, 1},
    {"-", 0, "invalid number", 1, 1},
    {"+1", 0, "unexpected character", 1, 1},
    {"1.", 0, "no digit after '.'", 1, 1},
    {"1e+", 0, "no digit in the exponent", 1, 1},
    {"NaN", 0, "unexpected character", 1, 1},
    {"[1e309]", 0, "number out of range", 1, 2},
    {"\"abc", 0, "unterminated string", 1, 1},
    {"\"abc\\", 0, "unterminated string", 1, 5},
    {"\"\\x41\"", 0, "invalid escape", 1, 2},
    {"\"\\u12g4\"", 0, "invalid \\u escape", 1, 2},
    {"\"\\u12\"", 0, "invalid \\u escape", 1, 2},
    {"\"\\ud83d\"", 0, "high surrogate without a low one", 1, 2},
    {"\"\\ud83d\\ud83d\"", 0, "high surrogate without a low one", 1, 2},
    {"\"\\ude00\"", 0, "lone low surrogate", 1, 2},
    {"\"a\\u0000b\"", 0, "\\u0000 is not allowed", 1, 3},
    {"\"a\tb\"", 0, "control character 0x09", 1, 3},
    {"\"a\nb\"", 0, "control character 0x0a", 1, 3},
    {"\"a\0b\"", 5, "control character 0x00", 1, 3},
    {"\"\xc0\xaf\"", 0, "invalid UTF-8 (byte 0xc0)", 1, 2},
    {"\"\xed\xa0\x80\"", 0, "invalid UTF-8 (byte 0xed)", 1, 2},
    {"\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8 (byte 0xf4)", 1, 2},
    {"\"\xe2\x82\"", 0, "invalid UTF-8 (byte 0xe2)", 1, 2},
    {"\"\x80\"", 0, "invalid UTF-8 (byte 0x80)", 1, 2},
    {"\xff", 0, "invalid UTF-8 (byte 0xff)", 1, 1},
    {"\xef\xbb\xbf{}", 0, "unexpected character", 1, 1},
    {"{\"a\":1,\"a\":2}", 0, "duplicate member name", 1, 8},
    {"{\"a\":1,\"\\u0061\":2}", 0, "duplicate member name", 1, 8},
    {"{\n  \"a\": 1,\n  \"b\": x\n}", 0, "unexpected character", 3, 8},
};

Test(refused, syntax_errors_say_what_and_where)
{
    for (size_t i = 0; i < N(refused); i++) {
        const refusal *r = &refused[i];
        size_t length = r->length ? r->length : strlen(r->text);
        cegate_error err;
        json_t *v = parse(r->text, length, 64, &err);
        cr_assert_null(v, "case %zu accepted", i);
        cr_assert_eq(err.code, CEGATE_ERR_SYNTAX, "case %zu: code %s: %s", i,
                     cegate_error_code_name(err.code), err.text);
        cr_assert(strstr(err.text, r->message) != NULL,
                  "case %zu: '%s' lacks '%s'", i, err.text, r->message);
        cr_assert(strncmp(err.text, "invalid JSON: ", 14) == 0, "case %zu: %s", i,
                  err.text);
        cr_assert_eq(err.line, r->line, "case %zu: line %d, want %d (%s)", i,
                     err.line, r->line, err.text);
        cr_assert_eq(err.column, r->column, "case %zu: column %d, want %d (%s)", i,
                     err.column, r->column, err.text);
        cr_assert(err.position <= length, "case %zu: position past the input", i);
        /* jansson refuses all of these too (but "null\0", a quirk of its own). */
        if (i != 11)
            cr_assert_null(json_loadb(r->text, length, JSON_DECODE_ANY |
                                      JSON_REJECT_DUPLICATES, NULL),
                           "case %zu: jansson accepts it", i);
    }
}

Test(refused, messages_never_quote_the_input)
{
    /* Error text reaches one log line: hostile bytes must not. */
    const char *text = "{\"a\r\nX-Injected: 1\":1,\"a\r\nX-Injected: 1\":2}";
    cegate_error err;
    cr_assert_null(parse(text, strlen(text), 64, &err));
    cr_assert_null(strchr(err.text, '\r'));
    cr_assert_null(strchr(err.text, '\n'));
    cr_assert_null(strstr(err.text, "Injected"));
}

/* ---- limits ----------------------------------------------------------------- */

static char *nested_arrays(size_t depth, size_t *length)
{
    char *s = malloc(2 * depth + 2);
    cr_assert_not_null(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    *length = 2 * depth;
    return s;
}

Test(limits, depth_is_counted_per_level)
{
    cegate_error err;
    const char *four = "{\"a\":[{\"b\":[1]}]}";
    json_t *v = parse(four, strlen(four), 4, &err);
    cr_assert_not_null(v, "%s", err.text);
    json_decref(v);
    cr_assert_null(parse(four, strlen(four), 3, &err));
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT, "%s", err.text);
    cr_assert(strstr(err.text, "max_depth (3)") != NULL, "%s", err.text);
    /* cegate_json_parse reads batches: the array around them is not counted. */
    const char *batch = "[{\"a\":{}}]";
    v = parse(batch, strlen(batch), 2, &err);
    cr_assert_not_null(v, "%s", err.text);
    json_decref(v);
}

Test(limits, megabytes_of_brackets_stop_at_the_limit)
{
    size_t length;
    char *s = nested_arrays(10 * 1024 * 1024, &length);
    cegate_error err;
    cr_assert_null(parse(s, length, 64, &err));
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT, "%s", err.text);
    /* Even a caller's huge limit cannot make the reader recurse without end. */
    cr_assert_null(parse(s, length, (size_t)1 << 40, &err));
    cr_assert_eq(err.code, CEGATE_ERR_LIMIT, "%s", err.text);
    free(s);
}

Test(limits, ten_megabyte_values)
{
    size_t n = 10 * 1024 * 1024;
    char *s = malloc(n + 3);
    cr_assert_not_null(s);
    s[0] = '"';
    memset(s + 1, 'x', n);
    s[n + 1] = '"';
    s[n + 2] = '\0';
    cegate_error err;
    json_t *v = parse(s, n + 2, 64, &err);
    cr_assert_not_null(v, "%s", err.text);
    cr_assert_eq(json_string_length(v), n);
    json_decref(v);
    /* 10 MB of digits: an integer kept whole, a real that reads. */
    memset(s, '7', n + 2);
    v = parse(s, n + 2, 64, &err);
    cr_assert_not_null(v, "%s", err.text);
    size_t digits;
    cr_assert_not_null(cegate_json_big_integer(v, &digits));
    cr_assert_eq(digits, n + 2);
    json_decref(v);
    s[1] = '.';
    v = parse(s, n + 2, 64, &err);
    cr_assert_not_null(v, "%s", err.text);
    cr_assert(json_is_real(v));
    json_decref(v);
    free(s);
}

/* ---- integers beyond 64 bits ------------------------------------------------ */

/* jansson refuses them ("too big integer"); cegate keeps their text, as a
 * string of a NUL byte and the digits, so that event data can carry them
 * intact (cegate_json_big_integer). */
Test(big_integers, kept_digit_for_digit)
{
    static const char *const big[] = {
        "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "123456789012345678901234567890",
        "-100000000000000000000000000000000000000000000000000000000000000000",
    };
    for (size_t i = 0; i < N(big); i++) {
        cegate_error err;
        json_t *v = parse(big[i], strlen(big[i]), 64, &err);
        cr_assert_not_null(v, "%s: %s", big[i], err.text);
        size_t n;
        const char *text = cegate_json_big_integer(v, &n);
        cr_assert_not_null(text, "%s is not kept as a big integer", big[i]);
        cr_assert_eq(n, strlen(big[i]));
        cr_assert_arr_eq(text, big[i], n);
        json_decref(v);
        json_error_t jerr;
        cr_assert_null(json_loads(big[i], JSON_DECODE_ANY, &jerr),
                       "jansson reads %s now: the contract can change", big[i]);
    }
    /* The edges of 64 bits stay ordinary integers. */
    cegate_error err;
    json_t *v = parse("[9223372036854775807,-9223372036854775808]", 42, 64, &err);
    cr_assert_not_null(v);
    cr_assert(json_is_integer(json_array_get(v, 0)));
    cr_assert(json_is_integer(json_array_get(v, 1)));
    json_decref(v);
}

Test(big_integers, only_the_reader_makes_them)
{
    /* A string that merely starts with NUL, or holds no integer, is not
     * one: only the JSON integer grammar is written verbatim. */
    static const char *const not_big[] = {"\0", "\0" "01", "\0" "1.5",
                                          "\0" "-", "\0" "1 ", "x1"};
    static const size_t lengths[] = {1, 3, 4, 2, 3, 2};
    for (size_t i = 0; i < N(not_big); i++) {
        json_t *v = json_stringn(not_big[i], lengths[i]);
        cr_assert_not_null(v);
        cr_assert_null(cegate_json_big_integer(v, NULL), "case %zu", i);
        json_decref(v);
    }
    cr_assert_null(cegate_json_big_integer(NULL, NULL));
    json_t *i = json_integer(5);
    cr_assert_null(cegate_json_big_integer(i, NULL));
    json_decref(i);
}

Test(big_integers, event_data_keeps_them_and_attributes_refuse_them)
{
    const char *event = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                        "\"type\":\"t\",\"data\":{\"n\":123456789012345678901234567890,"
                        "\"m\":[-98765432109876543210,1]}}";
    cegate_event_list list;
    cegate_event_list_init(&list);
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(event, strlen(event), NULL, &list, &err), 0,
                 "%s", err.text);
    cegate_buffer out;
    cegate_buffer_init(&out, 1 << 20);
    cr_assert_eq(cegate_json_encode_event(list.events[0], &out, &err), 0);
    cr_assert_not_null(strstr(out.data, "\"data\":{\"n\":123456789012345678901234567890,"
                                        "\"m\":[-98765432109876543210,1]}"),
                       "%s", out.data);
    cegate_buffer_free(&out);
    cegate_event_list_free(&list);

    /* A CloudEvents Integer has 32 bits: an attribute cannot be one. */
    const char *attribute = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\","
                            "\"type\":\"t\",\"seq\":123456789012345678901234567890}";
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(attribute, strlen(attribute), NULL, &list, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_VALUE, "%s", err.text);
    cr_assert_str_eq(err.path, "seq");
    const char *id = "{\"specversion\":\"1.0\",\"id\":123456789012345678901234567890,"
                     "\"source\":\"/s\",\"type\":\"t\"}";
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(id, strlen(id), NULL, &list, &err), -1);
    cr_assert_str_eq(err.path, "id");
    const char *sv = "{\"specversion\":123456789012345678901234567890,\"id\":\"1\","
                     "\"source\":\"/s\",\"type\":\"t\"}";
    cegate_error_clear(&err);
    cr_assert_eq(cegate_json_decode(sv, strlen(sv), NULL, &list, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_TYPE, "%s", err.text);
    cr_assert(strstr(err.text, "not an integer") != NULL, "%s", err.text);
    cr_assert_eq(list.count, 0);
}
