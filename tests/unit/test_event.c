/* SPDX-License-Identifier: Apache-2.0 */
/* test_event.c - the CloudEvent model of cegate/event.h.
 *
 * Covers: core attributes and their fixed types, typed extensions, attribute
 * naming, the String/Integer/URI/Timestamp rules of the CloudEvents v1.0.2
 * type system, validation, equality, copy, removal, iteration order, data and
 * media types. Every rejected value is checked for its error code and for the
 * attribute named in err.path, since callers report both to users.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cegate/cegate.h"
#include "helpers.h"

/* ---- helpers ------------------------------------------------------------ */

/* Some inputs break two rules at once (a UTF-8-encoded surrogate is both bad
 * UTF-8 and a forbidden code point); the header lets either code win. */
#define assert_error_either(err, code1, code2, want_path)                     \
    do {                                                                      \
        cr_assert((err).code == (code1) || (err).code == (code2),             \
                  "error code: got %s, want %s or %s (path '%s', text '%s')", \
                  cegate_error_code_name((err).code),                         \
                  cegate_error_code_name(code1),                              \
                  cegate_error_code_name(code2), (err).path, (err).text);     \
        cr_assert_str_eq((err).path, (want_path),                             \
                         "error path: got '%s', want '%s' (text '%s')",       \
                         (err).path, (want_path), (err).text);                \
    } while (0)

static const cegate_value *expect_attr_type(const cegate_event *ev,
                                            const char *name, cegate_type want)
{
    const cegate_value *v = cegate_event_get(ev, name);
    cr_assert_not_null(v, "%s: absent", name);
    cr_assert_eq(v->type, want, "%s: type %s, want %s", name,
                 cegate_type_name(v->type), cegate_type_name(want));
    return v;
}

/* Set `n` bytes of `s` and expect a failure naming `name`; the attribute
 * must stay unset afterwards (a rejected value is never stored). */
static cegate_error reject_set_string(const char *name, const char *s,
                                      size_t n, cegate_type ext_type)
{
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_event_set_string(ev, name, s, n, ext_type, &err);
    cr_assert_eq(rc, -1, "%s: value of %zu bytes was accepted", name, n);
    cr_assert_null(cegate_event_get(ev, name),
                   "%s: rejected value was stored", name);
    cegate_event_free(ev);
    return err;
}

static void accept_set_string(const char *name, const char *s, size_t n,
                              cegate_type ext_type)
{
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_event_set_string(ev, name, s, n, ext_type, &err);
    cr_assert_eq(rc, 0, "%s: '%.*s' rejected: %s: %s", name, (int)n, s,
                 cegate_error_code_name(err.code), err.text);
    cegate_event_free(ev);
}

/* The header allows a rule to be checked either when the attribute is set or
 * by cegate_event_validate(); either way the event must not pass, and the
 * error must carry `code` and name `name`. */
static void expect_rejected_at_set_or_validate(const char *name,
                                               const char *s,
                                               cegate_error_code code)
{
    cegate_event *ev = sample_minimal_event("1");
    cegate_error err;
    cegate_error_clear(&err);
    int rc = cegate_event_set_string(ev, name, s, strlen(s), 0, &err);
    if (rc == 0) {
        rc = cegate_event_validate(ev, &err);
        cr_assert_eq(rc, -1, "%s='%s' passed both set and validate", name, s);
    }
    assert_error(err, code, name);
    cegate_event_free(ev);
}

/* ---- core attributes ---------------------------------------------------- */

Test(core, new_event_has_specversion_1_0_only)
{
    cegate_event *ev = new_event();
    expect_string_attr(ev, "specversion", "1.0");
    expect_attr_type(ev, "specversion", CEGATE_TYPE_STRING);
    cr_assert_eq(cegate_event_attribute_count(ev), 1);
    cr_assert_null(cegate_event_get(ev, "id"));
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_NONE);
    cegate_event_free(ev);
}

Test(core, every_core_attribute_has_its_type)
{
    cegate_event *ev = new_event();
    set_str(ev, "id", "A234-1234-1234", 0);
    set_str(ev, "source", "https://example.com/orders", 0);
    set_str(ev, "type", "com.example.order", 0);
    set_str(ev, "subject", "orders/1", 0);
    set_str(ev, "datacontenttype", "text/plain", 0);
    set_str(ev, "dataschema", "https://example.com/schema", 0);
    set_str(ev, "time", "2018-04-05T17:31:00Z", 0);

    expect_attr_type(ev, "id", CEGATE_TYPE_STRING);
    expect_attr_type(ev, "source", CEGATE_TYPE_URI_REF);
    expect_attr_type(ev, "type", CEGATE_TYPE_STRING);
    expect_attr_type(ev, "subject", CEGATE_TYPE_STRING);
    expect_attr_type(ev, "datacontenttype", CEGATE_TYPE_STRING);
    expect_attr_type(ev, "dataschema", CEGATE_TYPE_URI);
    expect_attr_type(ev, "time", CEGATE_TYPE_TIMESTAMP);

    expect_string_attr(ev, "id", "A234-1234-1234");
    expect_string_attr(ev, "source", "https://example.com/orders");
    expect_string_attr(ev, "type", "com.example.order");
    expect_string_attr(ev, "subject", "orders/1");
    expect_string_attr(ev, "datacontenttype", "text/plain");
    expect_string_attr(ev, "dataschema", "https://example.com/schema");
    expect_string_attr(ev, "time", "2018-04-05T17:31:00Z");
    cr_assert_eq(cegate_event_validate(ev, NULL), 0);
    cegate_event_free(ev);
}

Test(core, set_with_typed_values)
{
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    cegate_value id = {.type = CEGATE_TYPE_STRING, .u.string = "x1"};
    cegate_value src = {.type = CEGATE_TYPE_URI_REF, .u.string = "/sensors/1"};
    cegate_value ty = {.type = CEGATE_TYPE_STRING, .u.string = "t"};
    cegate_value tm = {.type = CEGATE_TYPE_TIMESTAMP,
                       .u.string = "2018-04-05T17:31:00Z"};
    cegate_value ds = {.type = CEGATE_TYPE_URI,
                       .u.string = "https://example.com/s"};
    cr_assert_eq(cegate_event_set(ev, "id", &id, &err), 0, "%s", err.text);
    cr_assert_eq(cegate_event_set(ev, "source", &src, &err), 0, "%s", err.text);
    cr_assert_eq(cegate_event_set(ev, "type", &ty, &err), 0, "%s", err.text);
    cr_assert_eq(cegate_event_set(ev, "time", &tm, &err), 0, "%s", err.text);
    cr_assert_eq(cegate_event_set(ev, "dataschema", &ds, &err), 0, "%s",
                 err.text);
    expect_string_attr(ev, "id", "x1");
    expect_string_attr(ev, "source", "/sensors/1");
    expect_attr_type(ev, "time", CEGATE_TYPE_TIMESTAMP);
    cr_assert_eq(cegate_event_validate(ev, &err), 0, "%s", err.text);
    cegate_event_free(ev);
}

Test(core, values_are_copied_in)
{
    /* The caller's buffer may be reused right after the call. */
    char buf[16];
    strcpy(buf, "first");
    cegate_event *ev = new_event();
    cegate_value v = {.type = CEGATE_TYPE_STRING, .u.string = buf};
    cr_assert_eq(cegate_event_set(ev, "subject", &v, NULL), 0);
    cr_assert_eq(cegate_event_set_string(ev, "ext", buf, 5, 0, NULL), 0);
    strcpy(buf, "XXXXX");
    expect_string_attr(ev, "subject", "first");
    expect_string_attr(ev, "ext", "first");
    cegate_event_free(ev);
}

Test(core, set_string_honours_length)
{
    cegate_event *ev = new_event();
    cr_assert_eq(cegate_event_set_string(ev, "id", "abcdef", 3, 0, NULL), 0);
    expect_string_attr(ev, "id", "abc");
    cegate_event_free(ev);
}

Test(core, wrong_value_type_for_core_attribute)
{
    cegate_event *ev = new_event();
    cegate_error err;

    cegate_value num = {.type = CEGATE_TYPE_INTEGER, .u.integer = 25};
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set(ev, "id", &num, &err), -1);
    assert_error(err, CEGATE_ERR_TYPE, "id");

    cegate_value flag = {.type = CEGATE_TYPE_BOOLEAN, .u.boolean = 1};
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set(ev, "source", &flag, &err), -1);
    assert_error(err, CEGATE_ERR_TYPE, "source");

    unsigned char bytes[] = {1, 2};
    cegate_value bin = {.type = CEGATE_TYPE_BINARY,
                        .u.binary = {.bytes = bytes, .length = 2}};
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set(ev, "time", &bin, &err), -1);
    assert_error(err, CEGATE_ERR_TYPE, "time");

    cr_assert_null(cegate_event_get(ev, "id"));
    cr_assert_null(cegate_event_get(ev, "source"));
    cr_assert_null(cegate_event_get(ev, "time"));
    cegate_event_free(ev);
}

Test(core, specversion_only_1_0)
{
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set_string(ev, "specversion", "0.3", 3, 0, &err),
                 -1);
    assert_error(err, CEGATE_ERR_SPECVERSION, "specversion");
    expect_string_attr(ev, "specversion", "1.0");
    set_str(ev, "specversion", "1.0", 0);
    expect_string_attr(ev, "specversion", "1.0");
    cegate_event_free(ev);
}

Test(core, is_core)
{
    const char *core[] = {"id", "source", "specversion", "type",
                          "datacontenttype", "dataschema", "subject", "time"};
    for (size_t i = 0; i < sizeof core / sizeof *core; i++)
        cr_assert(cegate_attribute_is_core(core[i]), "%s not core", core[i]);
    cr_assert_not(cegate_attribute_is_core("tenant"));
    cr_assert_not(cegate_attribute_is_core("extinteger"));
    cr_assert_not(cegate_attribute_is_core("times"));
}

Test(core, type_names)
{
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_STRING), "String");
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_BOOLEAN), "Boolean");
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_INTEGER), "Integer");
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_URI), "URI");
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_URI_REF), "URI-reference");
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_TIMESTAMP), "Timestamp");
    cr_assert_str_eq(cegate_type_name(CEGATE_TYPE_BINARY), "Binary");
}

/* ---- extensions of every type ------------------------------------------- */

Test(extensions, typed_values_of_all_seven_types)
{
    cegate_event *ev = sample_minimal_event("ext");
    cegate_error err;
    cegate_error_clear(&err);
    unsigned char bytes[] = {0x4d, 0x00, 0x61};
    cegate_value vals[] = {
        {.type = CEGATE_TYPE_STRING, .u.string = "text"},
        {.type = CEGATE_TYPE_BOOLEAN, .u.boolean = 1},
        {.type = CEGATE_TYPE_INTEGER, .u.integer = -7},
        {.type = CEGATE_TYPE_URI, .u.string = "https://cloudevents.io"},
        {.type = CEGATE_TYPE_URI_REF, .u.string = "//authority/path"},
        {.type = CEGATE_TYPE_TIMESTAMP, .u.string = "2023-03-31T15:12:00Z"},
        {.type = CEGATE_TYPE_BINARY,
         .u.binary = {.bytes = bytes, .length = sizeof bytes}},
    };
    const char *names[] = {"extstring", "extboolean", "extinteger", "exturi",
                           "exturiref", "exttimestamp", "extbinary"};
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(cegate_event_set(ev, names[i], &vals[i], &err), 0,
                     "%s: %s", names[i], err.text);

    expect_attr_type(ev, "extstring", CEGATE_TYPE_STRING);
    expect_string_attr(ev, "extstring", "text");
    cr_assert_eq(expect_attr_type(ev, "extboolean", CEGATE_TYPE_BOOLEAN)
                     ->u.boolean != 0, 1);
    cr_assert_eq(expect_attr_type(ev, "extinteger", CEGATE_TYPE_INTEGER)
                     ->u.integer, -7);
    expect_attr_type(ev, "exturi", CEGATE_TYPE_URI);
    expect_string_attr(ev, "exturi", "https://cloudevents.io");
    expect_attr_type(ev, "exturiref", CEGATE_TYPE_URI_REF);
    expect_string_attr(ev, "exturiref", "//authority/path");
    expect_attr_type(ev, "exttimestamp", CEGATE_TYPE_TIMESTAMP);
    const cegate_value *b = expect_attr_type(ev, "extbinary",
                                             CEGATE_TYPE_BINARY);
    cr_assert_eq(b->u.binary.length, 3);
    cr_assert_arr_eq(b->u.binary.bytes, bytes, 3);
    /* Only string-typed values have a string form. */
    cr_assert_null(cegate_event_get_string(ev, "extboolean"));
    cr_assert_null(cegate_event_get_string(ev, "extinteger"));
    cr_assert_null(cegate_event_get_string(ev, "extbinary"));
    cr_assert_eq(cegate_event_validate(ev, &err), 0, "%s", err.text);
    cegate_event_free(ev);
}

Test(extensions, canonical_strings_of_all_seven_types)
{
    cegate_event *ev = sample_minimal_event("ext");
    set_str(ev, "extstring", "text", CEGATE_TYPE_STRING);
    set_str(ev, "extdefault", "text", 0);
    set_str(ev, "exttrue", "true", CEGATE_TYPE_BOOLEAN);
    set_str(ev, "extfalse", "false", CEGATE_TYPE_BOOLEAN);
    set_str(ev, "extinteger", "10", CEGATE_TYPE_INTEGER);
    set_str(ev, "extneg", "-2147483648", CEGATE_TYPE_INTEGER);
    set_str(ev, "extmax", "2147483647", CEGATE_TYPE_INTEGER);
    set_str(ev, "extzero", "0", CEGATE_TYPE_INTEGER);
    set_str(ev, "exturi", "https://cloudevents.io", CEGATE_TYPE_URI);
    set_str(ev, "exturiref", "//authority/path", CEGATE_TYPE_URI_REF);
    set_str(ev, "exttimestamp", "2023-03-31T15:12:00Z", CEGATE_TYPE_TIMESTAMP);
    set_str(ev, "extbinary", "TWE=", CEGATE_TYPE_BINARY);

    expect_attr_type(ev, "extstring", CEGATE_TYPE_STRING);
    expect_attr_type(ev, "extdefault", CEGATE_TYPE_STRING); /* 0 = String */
    expect_string_attr(ev, "extdefault", "text");
    cr_assert(expect_attr_type(ev, "exttrue", CEGATE_TYPE_BOOLEAN)->u.boolean);
    cr_assert_not(
        expect_attr_type(ev, "extfalse", CEGATE_TYPE_BOOLEAN)->u.boolean);
    cr_assert_eq(
        expect_attr_type(ev, "extinteger", CEGATE_TYPE_INTEGER)->u.integer, 10);
    cr_assert_eq(expect_attr_type(ev, "extneg", CEGATE_TYPE_INTEGER)->u.integer,
                 INT32_MIN);
    cr_assert_eq(expect_attr_type(ev, "extmax", CEGATE_TYPE_INTEGER)->u.integer,
                 INT32_MAX);
    cr_assert_eq(
        expect_attr_type(ev, "extzero", CEGATE_TYPE_INTEGER)->u.integer, 0);
    expect_attr_type(ev, "exturi", CEGATE_TYPE_URI);
    expect_attr_type(ev, "exturiref", CEGATE_TYPE_URI_REF);
    expect_attr_type(ev, "exttimestamp", CEGATE_TYPE_TIMESTAMP);
    const cegate_value *b = expect_attr_type(ev, "extbinary",
                                             CEGATE_TYPE_BINARY);
    const unsigned char ma[] = {0x4d, 0x61};
    cr_assert_eq(b->u.binary.length, 2);
    cr_assert_arr_eq(b->u.binary.bytes, ma, 2);
    cegate_event_free(ev);
}

Test(extensions, integer_extremes_via_value)
{
    cegate_event *ev = new_event();
    cegate_value lo = {.type = CEGATE_TYPE_INTEGER, .u.integer = INT32_MIN};
    cegate_value hi = {.type = CEGATE_TYPE_INTEGER, .u.integer = INT32_MAX};
    cr_assert_eq(cegate_event_set(ev, "lo", &lo, NULL), 0);
    cr_assert_eq(cegate_event_set(ev, "hi", &hi, NULL), 0);
    cr_assert_eq(cegate_event_get(ev, "lo")->u.integer, INT32_MIN);
    cr_assert_eq(cegate_event_get(ev, "hi")->u.integer, INT32_MAX);
    cegate_event_free(ev);
}

Test(extensions, non_canonical_integers_rejected)
{
    /* Integer canonical form: JSON integer part, optional '-', 32-bit. */
    const char *bad[] = {"2147483648", "-2147483649", "+1",  "01",
                         "1.0",        "1e3",         "-",   " 1",
                         "1 ",         "0x10",        "ten", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_error err = reject_set_string("extint", bad[i], strlen(bad[i]),
                                             CEGATE_TYPE_INTEGER);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "extint", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(extensions, non_canonical_booleans_rejected)
{
    const char *bad[] = {"True", "FALSE", "1", "0", "yes", "true "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_error err = reject_set_string("extbool", bad[i], strlen(bad[i]),
                                             CEGATE_TYPE_BOOLEAN);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "extbool", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(extensions, invalid_base64_rejected)
{
    const char *bad[] = {"TWE", "T!E=", "TW=E", "TWE==="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_error err = reject_set_string("extbin", bad[i], strlen(bad[i]),
                                             CEGATE_TYPE_BINARY);
        cr_assert_eq(err.code, CEGATE_ERR_ENCODING, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "extbin", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(extensions, bad_timestamp_extension_rejected)
{
    cegate_error err = reject_set_string("extts", "lunchtime", 9,
                                         CEGATE_TYPE_TIMESTAMP);
    assert_error(err, CEGATE_ERR_VALUE, "extts");
}

/* ---- attribute names ---------------------------------------------------- */

Test(names, only_lower_case_letters_and_digits)
{
    const char *bad[] = {"MyExt", "my.ext", "my_ext", "my-ext", "ext ",
                         "\xc3\xa9t\xc3\xa9"};
    cegate_value v = {.type = CEGATE_TYPE_STRING, .u.string = "x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_event *ev = new_event();
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_event_set(ev, bad[i], &v, &err), -1,
                     "name '%s' accepted", bad[i]);
        assert_error(err, CEGATE_ERR_NAME, bad[i]);

        cegate_error_clear(&err);
        cr_assert_eq(cegate_event_set_string(ev, bad[i], "x", 1, 0, &err), -1,
                     "name '%s' accepted by set_string", bad[i]);
        assert_error(err, CEGATE_ERR_NAME, bad[i]);
        cr_assert_eq(cegate_event_attribute_count(ev), 1);
        cegate_event_free(ev);
    }
}

Test(names, empty_name_rejected)
{
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set_string(ev, "", "x", 1, 0, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_NAME, "code %s",
                 cegate_error_code_name(err.code));
    cegate_event_free(ev);
}

Test(names, digits_anywhere_are_fine)
{
    /* v1.0.2 dropped the "start with a letter" rule of v0.3. */
    cegate_event *ev = new_event();
    set_str(ev, "ext1", "a", 0);
    set_str(ev, "1ext", "b", 0);
    set_str(ev, "42", "c", 0);
    expect_string_attr(ev, "ext1", "a");
    expect_string_attr(ev, "1ext", "b");
    expect_string_attr(ev, "42", "c");
    cegate_event_free(ev);
}

/* ---- String values ------------------------------------------------------ */

struct bad_string {
    const char *label;
    const char *bytes;
    size_t n;
};

#define BAD(label, lit) {label, lit, sizeof lit - 1}

/* Forbidden code points that are valid UTF-8: a String rule (VALUE). */
static const struct bad_string forbidden_code_points[] = {
    BAD("U+0000", "a\0b"),
    BAD("U+0001", "a\x01"),
    BAD("U+0009 tab", "a\tb"),
    BAD("U+000A LF", "a\nb"),
    BAD("U+000D CR", "a\rb"),
    BAD("U+001F", "\x1f"),
    BAD("U+007F", "a\x7f"),
    BAD("U+0080", "a\xc2\x80"),
    BAD("U+009F", "\xc2\x9f" "b"),
    BAD("U+FDD0", "\xef\xb7\x90"),
    BAD("U+FDEF", "x\xef\xb7\xaf"),
    BAD("U+FFFE", "\xef\xbf\xbe"),
    BAD("U+FFFF", "\xef\xbf\xbf"),
    BAD("U+1FFFE", "\xf0\x9f\xbf\xbe"),
    BAD("U+10FFFF", "\xf4\x8f\xbf\xbf"),
};

/* Byte sequences that are not UTF-8 at all (ENCODING). */
static const struct bad_string bad_utf8[] = {
    BAD("C3 28", "\xc3\x28"),
    BAD("lone continuation", "a\x80"),
    BAD("truncated", "\xe2\x82"),
    BAD("overlong C0 A0", "\xc0\xa0"),
    BAD("FF", "\xff"),
    BAD("beyond U+10FFFF", "\xf4\x90\x80\x80"),
};

/* Unpaired surrogates in (CESU-style) UTF-8: both bad UTF-8 and forbidden
 * String code points. */
static const struct bad_string surrogates[] = {
    BAD("U+D800", "\xed\xa0\x80"),
    BAD("U+DBFF", "a\xed\xaf\xbf"),
    BAD("U+DC00", "\xed\xb0\x80"),
    BAD("U+DFFF", "\xed\xbf\xbf" "z"),
};

static void check_bad_strings(const struct bad_string *cases, size_t count,
                              cegate_error_code code1,
                              cegate_error_code code2)
{
    const char *names[] = {"subject", "id", "type", "extstr"};
    for (size_t i = 0; i < count; i++) {
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            cegate_error err = reject_set_string(names[k], cases[i].bytes,
                                                 cases[i].n, 0);
            cr_assert(err.code == code1 || err.code == code2,
                      "%s in %s: code %s, want %s", cases[i].label, names[k],
                      cegate_error_code_name(err.code),
                      cegate_error_code_name(code1));
            cr_assert_str_eq(err.path, names[k], "%s in %s: path '%s'",
                             cases[i].label, names[k], err.path);
        }
    }
}

Test(strings, forbidden_code_points_rejected)
{
    check_bad_strings(forbidden_code_points,
                      sizeof forbidden_code_points /
                          sizeof *forbidden_code_points,
                      CEGATE_ERR_VALUE, CEGATE_ERR_VALUE);
}

Test(strings, invalid_utf8_rejected)
{
    check_bad_strings(bad_utf8, sizeof bad_utf8 / sizeof *bad_utf8,
                      CEGATE_ERR_ENCODING, CEGATE_ERR_ENCODING);
}

Test(strings, unpaired_surrogates_rejected)
{
    check_bad_strings(surrogates, sizeof surrogates / sizeof *surrogates,
                      CEGATE_ERR_ENCODING, CEGATE_ERR_VALUE);
}

Test(strings, forbidden_code_points_rejected_via_value)
{
    cegate_value v = {.type = CEGATE_TYPE_STRING, .u.string = "line1\r\nline2"};
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set(ev, "subject", &v, &err), -1);
    assert_error(err, CEGATE_ERR_VALUE, "subject");
    cegate_error_clear(&err);
    v.u.string = "\xef\xb7\x90";
    cr_assert_eq(cegate_event_set(ev, "myext", &v, &err), -1);
    assert_error(err, CEGATE_ERR_VALUE, "myext");
    cegate_event_free(ev);
}

Test(strings, neighbours_of_forbidden_ranges_accepted)
{
    const struct bad_string ok[] = {
        BAD("space", "a b"),
        BAD("U+007E", "~"),
        BAD("U+00A0", "\xc2\xa0"),
        BAD("U+FDCF", "\xef\xb7\x8f"),
        BAD("U+FDF0", "\xef\xb7\xb0"),
        BAD("U+FFFD", "\xef\xbf\xbd"),
        BAD("U+D7FF", "\xed\x9f\xbf"),
        BAD("U+E000", "\xee\x80\x80"),
        BAD("euro and emoji", "Euro \xe2\x82\xac \xf0\x9f\x98\x80"),
        BAD("U+1FFFD", "\xf0\x9f\xbf\xbd"),
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        accept_set_string("subject", ok[i].bytes, ok[i].n, 0);
        accept_set_string("extstr", ok[i].bytes, ok[i].n, CEGATE_TYPE_STRING);
    }
}

/* ---- timestamps --------------------------------------------------------- */

static cegate_timestamp parse_ok(const char *s)
{
    cegate_timestamp ts;
    cegate_error err;
    cegate_error_clear(&err);
    memset(&ts, 0x55, sizeof ts);
    int rc = cegate_timestamp_parse(s, strlen(s), &ts, "time", &err);
    cr_assert_eq(rc, 0, "'%s' rejected: %s: %s", s,
                 cegate_error_code_name(err.code), err.text);
    return ts;
}

static void expect_instant(const char *s, int64_t seconds, int32_t nanos,
                           int offset_minutes)
{
    cegate_timestamp ts = parse_ok(s);
    cr_assert_eq(ts.seconds, seconds, "'%s': seconds %lld, want %lld", s,
                 (long long)ts.seconds, (long long)seconds);
    cr_assert_eq(ts.nanoseconds, nanos, "'%s': nanoseconds %d, want %d", s,
                 (int)ts.nanoseconds, (int)nanos);
    cr_assert_eq(ts.offset_minutes, offset_minutes,
                 "'%s': offset %d, want %d", s, (int)ts.offset_minutes,
                 offset_minutes);
}

/* 2018-04-05T17:31:00Z, as `date -u -d ... +%s` gives it. */
#define T_2018 INT64_C(1522949460)

Test(timestamp, utc_and_offsets)
{
    expect_instant("2018-04-05T17:31:00Z", T_2018, 0, 0);
    expect_instant("2018-04-05t17:31:00z", T_2018, 0, 0);
    expect_instant("2018-04-05T18:31:00+01:00", T_2018, 0, 60);
    expect_instant("2018-04-05T16:31:00-01:00", T_2018, 0, -60);
    expect_instant("2018-04-05T23:01:00+05:30", T_2018, 0, 330);
    expect_instant("2018-04-05T17:31:00+00:00", T_2018, 0, 0);
    /* An offset that moves the instant across midnight and a month end. */
    expect_instant("2018-04-06T02:31:00+09:00", T_2018, 0, 540);
    expect_instant("2018-03-31T23:00:00-02:00", INT64_C(1522544400), 0, -120);
}

Test(timestamp, fractional_digits)
{
    expect_instant("2018-04-05T17:31:00.5Z", T_2018, 500000000, 0);
    expect_instant("2018-04-05T17:31:00.000Z", T_2018, 0, 0);
    expect_instant("2018-04-05T17:31:00.000000000Z", T_2018, 0, 0);
    expect_instant("2018-04-05T17:31:00.123Z", T_2018, 123000000, 0);
    expect_instant("2018-04-05T17:31:00.1234567Z", T_2018, 123456700, 0);
    expect_instant("2018-04-05T17:31:00.123456789Z", T_2018, 123456789, 0);
    /* Digits beyond nanoseconds are ignored, not rounded. */
    expect_instant("2018-04-05T17:31:00.9999999999999Z", T_2018, 999999999, 0);
    expect_instant("2018-04-05T18:31:00.25+01:00", T_2018, 250000000, 60);
}

Test(timestamp, calendar)
{
    expect_instant("1970-01-01T00:00:00Z", 0, 0, 0);
    expect_instant("1969-12-31T23:59:59Z", -1, 0, 0);
    expect_instant("2024-02-29T00:00:00Z", INT64_C(1709164800), 0, 0);
    expect_instant("2000-02-29T12:00:00Z", INT64_C(951825600), 0, 0);
    expect_instant("2023-03-31T15:12:00Z", INT64_C(1680275520), 0, 0);
    expect_instant("0001-01-01T00:00:00Z", INT64_C(-62135596800), 0, 0);
    expect_instant("9999-12-31T23:59:59Z", INT64_C(253402300799), 0, 0);
}

Test(timestamp, honours_length)
{
    const char *s = "2018-04-05T17:31:00Zjunk";
    cegate_timestamp ts;
    cr_assert_eq(cegate_timestamp_parse(s, 20, &ts, "time", NULL), 0);
    cr_assert_eq(ts.seconds, T_2018);
    /* Cut before the offset: no longer a date-time. */
    cr_assert_eq(cegate_timestamp_parse(s, 19, &ts, "time", NULL), -1);
}

Test(timestamp, invalid_forms_rejected)
{
    const char *bad[] = {
        "2023-02-29T00:00:00Z",      /* 2023 is no leap year */
        "1900-02-29T00:00:00Z",      /* nor is 1900 */
        "2018-04-31T00:00:00Z",      /* April has 30 days */
        "2018-13-01T00:00:00Z",      /* month 13 */
        "2018-00-10T00:00:00Z",      /* month 0 */
        "2018-04-00T00:00:00Z",      /* day 0 */
        "2018-04-05T24:00:00Z",      /* hour 24 */
        "2018-04-05T17:60:00Z",      /* minute 60 */
        "2018-04-05T18:31:00+25:00", /* offset out of range */
        "2018-04-05T18:31:00+01:60", /* offset minutes out of range */
        "2018-04-05T18:31Z",         /* no seconds */
        "lunchtime",
        "2018-04-05T18:31:00+05",    /* offset without minutes */
        "2018-04-05T18:31:00X",
        "2018-04-05T18:31:00+xx:00",
        "2018-04-05T18:31:00",       /* no offset at all */
        "2018-04-05 18:31:00Z",      /* space instead of T */
        "2018-04-05T18:31:00.Z",     /* '.' without digits */
        "18-04-05T18:31:00Z",        /* two-digit year */
        "2018-4-05T18:31:00Z",       /* one-digit month */
        "2018-04-05T18:31:00+0100",  /* offset without colon */
        "2018-04-05",                /* date only */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_timestamp ts;
        cegate_error err;
        cegate_error_clear(&err);
        int rc = cegate_timestamp_parse(bad[i], strlen(bad[i]), &ts, "when",
                                        &err);
        cr_assert_eq(rc, -1, "'%s' accepted", bad[i]);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "when", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(timestamp, time_attribute_checked_when_set)
{
    cegate_error err = reject_set_string("time", "2023-02-29T00:00:00Z", 20, 0);
    assert_error(err, CEGATE_ERR_VALUE, "time");
    err = reject_set_string("time", "lunchtime", 9, 0);
    assert_error(err, CEGATE_ERR_VALUE, "time");
}

/* ---- URI and URI-reference ---------------------------------------------- */

Test(uri, absolute_uri_for_dataschema)
{
    const char *ok[] = {"https://cloudevents.io/dataschema",
                        "urn:ietf:rfc:3986", "http://a/b?c=d",
                        "mailto:someone@example.com"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        accept_set_string("dataschema", ok[i], strlen(ok[i]), 0);

    /* Relative references and fragments are not absolute URIs. */
    const char *bad[] = {"#fragment", "/x", "//authority/path",
                         "https://a/b#frag", "http://a b", "relative/path",
                         "1-555-123-4567"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_error err = reject_set_string("dataschema", bad[i],
                                             strlen(bad[i]), 0);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "dataschema", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(uri, uri_reference_for_source)
{
    /* The spec names relative refs, URNs, mailto: and even a phone number
     * as legal sources. */
    const char *ok[] = {"#fragment",         "/x",
                        "//authority/path",  "https://cloudevents.io",
                        "https://a/b#frag",  "urn:uuid:6e8bc430-9c3a",
                        "mailto:cncf@example.com", "1-555-123-4567",
                        "../../etc/passwd",  "?q=1"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        accept_set_string("source", ok[i], strlen(ok[i]), 0);

    const char *bad[] = {"http://a b", "/a b", "http://a/<b>", "a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cegate_error err = reject_set_string("source", bad[i], strlen(bad[i]),
                                             0);
        cr_assert_eq(err.code, CEGATE_ERR_VALUE, "'%s': code %s", bad[i],
                     cegate_error_code_name(err.code));
        cr_assert_str_eq(err.path, "source", "'%s': path '%s'", bad[i],
                         err.path);
    }
}

Test(uri, extension_uri_types)
{
    accept_set_string("exturi", "https://cloudevents.io", 22, CEGATE_TYPE_URI);
    accept_set_string("exturiref", "#fragment", 9, CEGATE_TYPE_URI_REF);
    accept_set_string("exturiref", "/x", 2, CEGATE_TYPE_URI_REF);

    cegate_error err = reject_set_string("exturi", "#fragment", 9,
                                         CEGATE_TYPE_URI);
    assert_error(err, CEGATE_ERR_VALUE, "exturi");
    err = reject_set_string("exturi", "/x", 2, CEGATE_TYPE_URI);
    assert_error(err, CEGATE_ERR_VALUE, "exturi");
    err = reject_set_string("exturi", "http://a b", 10, CEGATE_TYPE_URI);
    assert_error(err, CEGATE_ERR_VALUE, "exturi");
    err = reject_set_string("exturiref", "http://a b", 10,
                            CEGATE_TYPE_URI_REF);
    assert_error(err, CEGATE_ERR_VALUE, "exturiref");
}

/* ---- datacontenttype ---------------------------------------------------- */

Test(datacontenttype, media_types_accepted)
{
    const char *ok[] = {"text/plain", "text/plain; charset=utf-8",
                        "application/json", "application/vnd.foo+json",
                        "application/cloudevents+json; charset=UTF-8"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        cegate_event *ev = sample_minimal_event("1");
        set_str(ev, "datacontenttype", ok[i], 0);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_event_validate(ev, &err), 0, "'%s': %s", ok[i],
                     err.text);
        expect_string_attr(ev, "datacontenttype", ok[i]);
        cegate_event_free(ev);
    }
}

Test(datacontenttype, non_media_types_rejected)
{
    expect_rejected_at_set_or_validate("datacontenttype", "xyz",
                                       CEGATE_ERR_VALUE);
    expect_rejected_at_set_or_validate("datacontenttype", "text/",
                                       CEGATE_ERR_VALUE);
    expect_rejected_at_set_or_validate("datacontenttype", "/plain",
                                       CEGATE_ERR_VALUE);
}

/* ---- validate ----------------------------------------------------------- */

Test(validate, minimal_event_is_valid)
{
    cegate_event *ev = sample_minimal_event("1");
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_validate(ev, &err), 0, "%s", err.text);
    cr_assert_eq(err.code, CEGATE_OK);
    cegate_event_free(ev);
}

Test(validate, each_missing_required_attribute_named)
{
    const char *required[] = {"id", "source", "type"};
    for (size_t i = 0; i < 3; i++) {
        cegate_event *ev = sample_minimal_event("1");
        cr_assert_eq(cegate_event_remove(ev, required[i]), 1);
        cegate_error err;
        cegate_error_clear(&err);
        cr_assert_eq(cegate_event_validate(ev, &err), -1,
                     "event without %s passed", required[i]);
        assert_error(err, CEGATE_ERR_MISSING, required[i]);
        cegate_event_free(ev);
    }
}

Test(validate, empty_event_names_a_required_attribute)
{
    cegate_event *ev = new_event();
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_validate(ev, &err), -1);
    cr_assert_eq(err.code, CEGATE_ERR_MISSING);
    cr_assert(strcmp(err.path, "id") == 0 || strcmp(err.path, "source") == 0 ||
                  strcmp(err.path, "type") == 0,
              "path '%s'", err.path);
    cegate_event_free(ev);
}

Test(validate, empty_required_attributes_named)
{
    expect_rejected_at_set_or_validate("id", "", CEGATE_ERR_EMPTY);
    expect_rejected_at_set_or_validate("source", "", CEGATE_ERR_EMPTY);
    expect_rejected_at_set_or_validate("type", "", CEGATE_ERR_EMPTY);
}

/* ---- equality and copy -------------------------------------------------- */

static cegate_event *timed_event(const char *time)
{
    cegate_event *ev = sample_minimal_event("minimalWithTime");
    set_str(ev, "time", time, 0);
    return ev;
}

static void expect_equal(const cegate_event *a, const cegate_event *b,
                         int want, const char *what)
{
    cr_assert_eq(cegate_event_equal(a, b) != 0, want, "%s: equal gave %d",
                 what, !want);
    cr_assert_eq(cegate_event_equal(b, a) != 0, want,
                 "%s (swapped): equal gave %d", what, !want);
}

Test(equal, timestamps_compare_by_instant)
{
    cegate_event *z = timed_event("2018-04-05T17:31:00Z");
    const char *same[] = {"2018-04-05T18:31:00+01:00",
                          "2018-04-05T16:31:00-01:00",
                          "2018-04-05T17:31:00.000000000Z",
                          "2018-04-05t17:31:00z"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        cegate_event *o = timed_event(same[i]);
        expect_equal(z, o, 1, same[i]);
        cegate_event_free(o);
    }
    const char *other[] = {"2018-04-05T17:31:00.000000001Z",
                           "2018-04-05T17:31:00+01:00",
                           "2018-04-05T17:31:01Z"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        cegate_event *o = timed_event(other[i]);
        expect_equal(z, o, 0, other[i]);
        cegate_event_free(o);
    }
    cegate_event_free(z);
}

Test(equal, attributes_must_match)
{
    cegate_event *a = sample_minimal_event("1");
    cegate_event *b = sample_minimal_event("1");
    expect_equal(a, b, 1, "two minimal events");

    set_str(b, "subject", "s", 0);
    expect_equal(a, b, 0, "extra subject");
    set_str(a, "subject", "t", 0);
    expect_equal(a, b, 0, "different subject");
    set_str(a, "subject", "s", 0);
    expect_equal(a, b, 1, "same subject");

    set_str(a, "ext", "10", CEGATE_TYPE_STRING);
    set_str(b, "ext", "10", CEGATE_TYPE_INTEGER);
    expect_equal(a, b, 0, "String \"10\" vs Integer 10");
    cegate_event_free(a);
    cegate_event_free(b);
}

Test(equal, extension_order_does_not_matter)
{
    /* Attributes are a set: the order they were set in is not content. */
    cegate_event *a = sample_minimal_event("1");
    cegate_event *b = sample_minimal_event("1");
    set_str(a, "exta", "1", CEGATE_TYPE_INTEGER);
    set_str(a, "extb", "x", 0);
    set_str(b, "extb", "x", 0);
    set_str(b, "exta", "1", CEGATE_TYPE_INTEGER);
    expect_equal(a, b, 1, "extensions set in other order");
    cegate_event_free(a);
    cegate_event_free(b);
}

Test(equal, json_data_by_value)
{
    cegate_event *a = sample_minimal_event("1");
    cegate_event *b = sample_minimal_event("1");
    json_t *ja = json_loads("{\"a\":1,\"b\":[1,2,{\"c\":null}]}", 0, NULL);
    json_t *jb = json_loads("{\"b\":[1,2,{\"c\":null}],\"a\":1}", 0, NULL);
    json_t *jc = json_loads("{\"b\":[2,1,{\"c\":null}],\"a\":1}", 0, NULL);
    cr_assert_eq(cegate_event_set_data_json(a, ja, NULL), 0);
    cr_assert_eq(cegate_event_set_data_json(b, jb, NULL), 0);
    expect_equal(a, b, 1, "same JSON, other key order");
    cr_assert_eq(cegate_event_set_data_json(b, jc, NULL), 0);
    expect_equal(a, b, 0, "different array order");
    json_decref(ja);
    json_decref(jb);
    json_decref(jc);
    cegate_event_free(a);
    cegate_event_free(b);
}

Test(equal, null_data_is_not_no_data)
{
    cegate_event *a = sample_minimal_event("1");
    cegate_event *b = sample_minimal_event("1");
    cr_assert_eq(cegate_event_set_data_json(b, json_null(), NULL), 0);
    expect_equal(a, b, 0, "no data vs JSON null data");
    cegate_event_free(a);
    cegate_event_free(b);
}

Test(equal, binary_data_by_bytes)
{
    cegate_event *a = sample_minimal_event("1");
    cegate_event *b = sample_minimal_event("1");
    cr_assert_eq(cegate_event_set_data_binary(a, "a\0b", 3, NULL), 0);
    cr_assert_eq(cegate_event_set_data_binary(b, "a\0b", 3, NULL), 0);
    expect_equal(a, b, 1, "same bytes");
    cr_assert_eq(cegate_event_set_data_binary(b, "a\0c", 3, NULL), 0);
    expect_equal(a, b, 0, "byte after NUL differs");
    cr_assert_eq(cegate_event_set_data_binary(b, "a\0", 2, NULL), 0);
    expect_equal(a, b, 0, "shorter");
    cegate_event_free(a);
    cegate_event_free(b);
}

static cegate_event *rich_event(void)
{
    cegate_event *ev = sample_minimal_event("rich");
    set_str(ev, "subject", "Euro \xe2\x82\xac", 0);
    set_str(ev, "time", "2018-04-05T18:31:00.5+01:00", 0);
    set_str(ev, "dataschema", "https://example.com/s", 0);
    set_str(ev, "datacontenttype", "application/octet-stream", 0);
    set_str(ev, "extint", "-3", CEGATE_TYPE_INTEGER);
    set_str(ev, "extbin", "AAEC", CEGATE_TYPE_BINARY);
    set_str(ev, "extbool", "true", CEGATE_TYPE_BOOLEAN);
    cr_assert_eq(cegate_event_set_data_binary(ev, "\x00\xff\x10", 3, NULL), 0);
    return ev;
}

Test(copy, deep_copy_is_equal_and_independent)
{
    cegate_event *ev = rich_event();
    cegate_event *cp = cegate_event_copy(ev);
    cr_assert_not_null(cp);
    expect_equal(ev, cp, 1, "copy");
    cr_assert_eq(cegate_event_attribute_count(cp),
                 cegate_event_attribute_count(ev));

    set_str(cp, "subject", "changed", 0);
    expect_string_attr(ev, "subject", "Euro \xe2\x82\xac");
    expect_equal(ev, cp, 0, "copy after change");

    /* The copy must not share storage with the original. */
    cegate_event_free(ev);
    expect_string_attr(cp, "id", "rich");
    size_t n = 0;
    const unsigned char *d = cegate_event_data_bytes(cp, &n);
    cr_assert_eq(n, 3);
    cr_assert_arr_eq(d, "\x00\xff\x10", 3);
    cr_assert_eq(cegate_event_get(cp, "extbin")->u.binary.length, 3);
    cegate_event_free(cp);
}

Test(copy, json_data_copied)
{
    cegate_event *ev = sample_minimal_event("1");
    json_t *j = json_pack("{s:i}", "a", 1);
    cr_assert_eq(cegate_event_set_data_json(ev, j, NULL), 0);
    json_decref(j);
    cegate_event *cp = cegate_event_copy(ev);
    cr_assert_not_null(cp);
    cegate_event_free(ev);
    json_t *got = cegate_event_data_json(cp);
    cr_assert_not_null(got);
    cr_assert_eq(json_integer_value(json_object_get(got, "a")), 1);
    cegate_event_free(cp);
}

/* ---- remove and iteration ----------------------------------------------- */

Test(remove, attributes)
{
    cegate_event *ev = sample_minimal_event("1");
    set_str(ev, "subject", "s", 0);
    set_str(ev, "ext", "x", 0);
    size_t before = cegate_event_attribute_count(ev);
    cr_assert_eq(cegate_event_remove(ev, "subject"), 1);
    cr_assert_null(cegate_event_get(ev, "subject"));
    cr_assert_eq(cegate_event_remove(ev, "subject"), 0);
    cr_assert_eq(cegate_event_remove(ev, "ext"), 1);
    cr_assert_null(cegate_event_get(ev, "ext"));
    cr_assert_eq(cegate_event_remove(ev, "nothere"), 0);
    cr_assert_eq(cegate_event_attribute_count(ev), before - 2);
    cegate_event_free(ev);
}

Test(remove, specversion_stays)
{
    cegate_event *ev = sample_minimal_event("1");
    cr_assert_eq(cegate_event_remove(ev, "specversion"), 0);
    expect_string_attr(ev, "specversion", "1.0");
    cegate_event_free(ev);
}

static long position_of(const cegate_event *ev, const char *name)
{
    size_t n = cegate_event_attribute_count(ev);
    for (size_t i = 0; i < n; i++)
        if (strcmp(cegate_event_attribute_name(ev, i), name) == 0)
            return (long)i;
    return -1;
}

Test(iterate, core_in_spec_order_then_extensions_in_set_order)
{
    cegate_event *ev = new_event();
    /* Set everything out of order on purpose. */
    set_str(ev, "zeta", "1", 0);
    set_str(ev, "time", "2018-04-05T17:31:00Z", 0);
    set_str(ev, "alpha", "2", 0);
    set_str(ev, "subject", "s", 0);
    set_str(ev, "type", "t", 0);
    set_str(ev, "mid", "3", 0);
    set_str(ev, "dataschema", "https://x/s", 0);
    set_str(ev, "id", "1", 0);
    set_str(ev, "datacontenttype", "text/plain", 0);
    set_str(ev, "source", "/s", 0);

    cr_assert_eq(cegate_event_attribute_count(ev), 11);
    /* Spec order: id, source, specversion, type, datacontenttype,
     * dataschema, subject, time. specversion's own place is not pinned down
     * by the header beyond "among the required ones". */
    const char *ordered[] = {"id", "source", "type", "datacontenttype",
                             "dataschema", "subject", "time", "zeta", "alpha",
                             "mid"};
    for (size_t i = 1; i < sizeof ordered / sizeof *ordered; i++)
        cr_assert_lt(position_of(ev, ordered[i - 1]),
                     position_of(ev, ordered[i]), "%s should come before %s",
                     ordered[i - 1], ordered[i]);
    long sv = position_of(ev, "specversion");
    cr_assert(sv >= 0 && sv < 4, "specversion at %ld", sv);
    cr_assert_eq(position_of(ev, "zeta"), 8);

    for (size_t i = 0; i < cegate_event_attribute_count(ev); i++) {
        const char *name = cegate_event_attribute_name(ev, i);
        cr_assert_eq(cegate_event_attribute_value(ev, i),
                     cegate_event_get(ev, name), "value %zu (%s)", i, name);
    }
    cegate_event_free(ev);
}

Test(iterate, removal_keeps_extension_order)
{
    cegate_event *ev = sample_minimal_event("1");
    set_str(ev, "a", "1", 0);
    set_str(ev, "b", "2", 0);
    set_str(ev, "c", "3", 0);
    cr_assert_eq(cegate_event_remove(ev, "b"), 1);
    cr_assert_lt(position_of(ev, "a"), position_of(ev, "c"));
    cr_assert_eq(position_of(ev, "b"), -1);
    cegate_event_free(ev);
}

/* ---- data --------------------------------------------------------------- */

Test(data, json_takes_a_reference)
{
    cegate_event *ev = sample_minimal_event("1");
    json_t *j = json_pack("{s:[i,i]}", "list", 1, 2);
    cr_assert_eq(cegate_event_set_data_json(ev, j, NULL), 0);
    cr_assert_eq(j->refcount, 2, "the event must hold its own reference");
    json_decref(j);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    json_t *got = cegate_event_data_json(ev);
    cr_assert_not_null(got);
    cr_assert_eq(json_array_size(json_object_get(got, "list")), 2);
    cr_assert_null(cegate_event_data_bytes(ev, NULL));
    cegate_event_free(ev);
}

Test(data, json_null_is_data)
{
    cegate_event *ev = sample_minimal_event("1");
    cr_assert_eq(cegate_event_set_data_json(ev, json_null(), NULL), 0);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cr_assert(json_is_null(cegate_event_data_json(ev)));
    cegate_event_free(ev);
}

Test(data, text)
{
    cegate_event *ev = sample_minimal_event("1");
    cr_assert_eq(cegate_event_set_data_text(ev, "hello world", 5, NULL), 0);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_TEXT);
    size_t n = 0;
    const unsigned char *b = cegate_event_data_bytes(ev, &n);
    cr_assert_eq(n, 5);
    cr_assert_str_eq((const char *)b, "hello", "NUL-terminated after 5 bytes");
    cr_assert_null(cegate_event_data_json(ev));
    cegate_event_free(ev);
}

Test(data, text_must_be_utf8)
{
    cegate_event *ev = sample_minimal_event("1");
    cegate_error err;
    cegate_error_clear(&err);
    cr_assert_eq(cegate_event_set_data_text(ev, "\xc3\x28", 2, &err), -1);
    assert_error(err, CEGATE_ERR_ENCODING, "data");
    cegate_event_free(ev);
}

Test(data, binary_keeps_every_byte)
{
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    cegate_event *ev = sample_minimal_event("1");
    cr_assert_eq(cegate_event_set_data_binary(ev, bytes, sizeof bytes, NULL), 0);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_BINARY);
    size_t n = 0;
    const unsigned char *b = cegate_event_data_bytes(ev, &n);
    cr_assert_eq(n, 256);
    cr_assert_arr_eq(b, bytes, 256);
    cr_assert_eq(b[256], 0, "bytes are NUL-terminated");
    cegate_event_free(ev);
}

Test(data, setters_replace_and_clear)
{
    cegate_event *ev = sample_minimal_event("1");
    cr_assert_eq(cegate_event_set_data_text(ev, "abc", 3, NULL), 0);
    cr_assert_eq(cegate_event_set_data_binary(ev, "xy", 2, NULL), 0);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_BINARY);
    size_t n = 0;
    cr_assert_arr_eq(cegate_event_data_bytes(ev, &n), "xy", 2);
    cr_assert_eq(n, 2);
    json_t *j = json_integer(5);
    cr_assert_eq(cegate_event_set_data_json(ev, j, NULL), 0);
    json_decref(j);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_JSON);
    cr_assert_null(cegate_event_data_bytes(ev, &n));
    cegate_event_clear_data(ev);
    cr_assert_eq(cegate_event_data_kind(ev), CEGATE_DATA_NONE);
    cr_assert_null(cegate_event_data_json(ev));
    cr_assert_null(cegate_event_data_bytes(ev, &n));
    cegate_event_free(ev);
}

Test(data, effective_content_type_without_data)
{
    /* event.h: with no datacontenttype and no data there is no content
     * type at all (an HTTP request then carries no Content-Type). */
    cegate_event *ev = sample_minimal_event("1");
    cr_assert_null(cegate_event_effective_content_type(ev));
    cegate_event_free(ev);
}

Test(data, effective_content_type)
{
    cegate_event *ev = sample_minimal_event("1");
    /* Absent means application/json in the JSON format. */
    json_t *j = json_true();
    cr_assert_eq(cegate_event_set_data_json(ev, j, NULL), 0);
    cr_assert_str_eq(cegate_event_effective_content_type(ev),
                     "application/json");
    /* ...but binary data of unknown type is not JSON. */
    cr_assert_eq(cegate_event_set_data_binary(ev, "\x01", 1, NULL), 0);
    cr_assert_null(cegate_event_effective_content_type(ev));
    set_str(ev, "datacontenttype", "image/png", 0);
    cr_assert_str_eq(cegate_event_effective_content_type(ev), "image/png");
    cegate_event_free(ev);
}

Test(data, media_type_is_json)
{
    const char *json[] = {"application/json",
                          "APPLICATION/JSON; charset=utf-8",
                          "application/vnd.foo+json", "text/json",
                          "application/cloudevents+json",
                          "Application/Problem+JSON;charset=utf-8"};
    for (size_t i = 0; i < sizeof json / sizeof *json; i++)
        cr_assert(cegate_media_type_is_json(json[i]), "'%s' is JSON", json[i]);
    const char *not_json[] = {"application/jsonx", "text/plain",
                              "application/json-seq", "application/xml",
                              "json", "text/plain; format=json",
                              "application/x-json+xml"};
    for (size_t i = 0; i < sizeof not_json / sizeof *not_json; i++)
        cr_assert_not(cegate_media_type_is_json(not_json[i]),
                      "'%s' is not JSON", not_json[i]);
}
