/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_json_read.c - libFuzzer target: cegate's JSON reader against jansson's.
 *
 * Input: any bytes. cegate_json_parse (gateway/core/json_read.c) and
 * jansson's json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) must agree:
 * both refuse the bytes, or both accept them and build the same tree (the
 * same values, the same JSON types, members in the same order). A refusal
 * must carry an error code, and a syntax error a position inside the input.
 * Three differences are allowed. Nesting: cegate's limit is the caller's,
 * jansson's is 2048 levels, so inputs that reach either are not compared.
 * A NUL byte right after a number or literal: jansson 2.14 swallows it
 * ("null\0" reads as null, "[1]\0" does not), cegate refuses it as a byte
 * after the value, as RFC 8259 says. Integers beyond 64 bits: jansson
 * refuses them ("too big integer"), cegate keeps their digits (event data
 * is delivered intact; cegate_json_big_integer). When jansson refuses for
 * that, the input is read again by jansson with JSON_DECODE_INT_AS_REAL
 * and the trees must still agree, an integer standing for the real it
 * reads as and a kept big integer's digits reading as jansson's real.
 * Any disagreement aborts with a description on stderr.
 *
 * libFuzzer:  ./configure CC=clang --enable-fuzz && make fuzz
 *             tests/fuzz/fuzz_json_read -max_total_time=60 CORPUS_COPY/
 * make check: linked with replay_main.c as tests/fuzz/replay_json_read,
 *             which runs every file of tests/fuzz/corpus/json_read once.
 */
#define _GNU_SOURCE 1 /* strndup */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cegate/error.h"
#include "cegate/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_LIMIT 1000

static void disagree(const char *what, const cegate_error *err,
                     const json_error_t *jerr)
{
    fprintf(stderr, "fuzz_json_read: %s\n", what);
    if (err != NULL)
        fprintf(stderr, "  cegate: code %d: %s\n", (int)err->code, err->text);
    if (jerr != NULL)
        fprintf(stderr, "  jansson: %s (line %d, column %d)\n", jerr->text,
                jerr->line, jerr->column);
    abort();
}

/* Same values and types, and object members in the same order. */
static int same_tree(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia != NULL && ib != NULL;
             ia = json_object_iter_next((json_t *)a, ia),
             ib = json_object_iter_next((json_t *)b, ib)) {
            size_t la = json_object_iter_key_len(ia), lb = json_object_iter_key_len(ib);
            if (la != lb ||
                memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0 ||
                !same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
                return 0;
        }
        return ia == NULL && ib == NULL;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_tree(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

/* The same, against a tree jansson read with JSON_DECODE_INT_AS_REAL:
 * where `a` has an integer, or a big integer's digits, `b` has the real
 * those digits read as. */
static int same_tree_as_reals(const json_t *a, const json_t *b)
{
    size_t n;
    const char *big = cegate_json_big_integer(a, &n);
    if (big != NULL || json_is_integer(a)) {
        if (!json_is_real(b))
            return 0;
        char text[64];
        if (big == NULL) {
            snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(a));
            return strtod(text, NULL) == json_real_value(b);
        }
        char *copy = strndup(big, n);
        int same = copy != NULL && strtod(copy, NULL) == json_real_value(b);
        free(copy);
        return same;
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia != NULL && ib != NULL;
             ia = json_object_iter_next((json_t *)a, ia),
             ib = json_object_iter_next((json_t *)b, ib)) {
            size_t la = json_object_iter_key_len(ia), lb = json_object_iter_key_len(ib);
            if (la != lb ||
                memcmp(json_object_iter_key(ia), json_object_iter_key(ib), la) != 0 ||
                !same_tree_as_reals(json_object_iter_value(ia),
                                    json_object_iter_value(ib)))
                return 0;
        }
        return ia == NULL && ib == NULL;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_tree_as_reals(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

/* Does the tree hold a kept big integer? */
static int holds_big_integer(const json_t *v)
{
    if (cegate_json_big_integer(v, NULL) != NULL)
        return 1;
    const char *key;
    json_t *member;
    size_t i;
    if (json_is_array(v)) {
        json_array_foreach((json_t *)v, i, member)
            if (holds_big_integer(member))
                return 1;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, member)
            if (holds_big_integer(member))
                return 1;
    }
    return 0;
}

/* jansson refused only for a big integer: then cegate must have kept one,
 * and agree with jansson's reading of every integer as a real (which
 * itself fails only when a big integer overflows a double, as 1e400
 * would: then there is nothing to compare). */
static void compare_big(const uint8_t *data, size_t size, const json_t *ours)
{
    if (!holds_big_integer(ours))
        disagree("jansson's too big integer is not kept", NULL, NULL);
    json_error_t jerr;
    json_t *reals = json_loadb((const char *)data, size,
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
                                   JSON_DECODE_INT_AS_REAL, &jerr);
    if (reals == NULL && json_error_code(&jerr) != json_error_numeric_overflow)
        disagree("jansson refuses the input with integers as reals", NULL,
                 &jerr);
    if (reals != NULL && !same_tree_as_reals(ours, reals))
        disagree("the trees differ (integers as reals)", NULL, NULL);
    json_decref(reals);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cegate_limits limits;
    cegate_limits_default(&limits);
    limits.max_depth = DEPTH_LIMIT;
    limits.max_input_bytes = size + 1;
    cegate_error err;
    cegate_error_clear(&err);
    json_t *ours = cegate_json_parse((const char *)data, size, &limits, &err);

    json_error_t jerr;
    json_t *theirs = json_loadb((const char *)data, size,
                                JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    int deep = (ours == NULL && err.code == CEGATE_ERR_LIMIT) ||
               (theirs == NULL && json_error_code(&jerr) == json_error_stack_overflow);

    if (ours == NULL) {
        if (err.code == CEGATE_OK)
            disagree("refused without an error code", &err, NULL);
        if (err.code == CEGATE_ERR_SYNTAX && err.position > size)
            disagree("syntax error positioned past the input", &err, NULL);
    }
    int nul_quirk = ours == NULL && theirs != NULL &&
                    err.code == CEGATE_ERR_SYNTAX && err.position > 0 &&
                    err.position < size && data[err.position] == '\0' &&
                    data[err.position - 1] != '\0' &&
                    strchr("0123456789el", data[err.position - 1]) != NULL;
    int big = ours != NULL && theirs == NULL &&
              json_error_code(&jerr) == json_error_numeric_overflow;
    if (big && !deep)
        compare_big(data, size, ours);
    else if (!deep && !nul_quirk) {
        if (ours == NULL && theirs != NULL)
            disagree("cegate refuses what jansson accepts", &err, NULL);
        if (ours != NULL && theirs == NULL)
            disagree("cegate accepts what jansson refuses", NULL, &jerr);
        if (ours != NULL && !same_tree(ours, theirs))
            disagree("the trees differ", NULL, NULL);
    }
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
