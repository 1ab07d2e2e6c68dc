/* SPDX-License-Identifier: Apache-2.0 */
/* options.h - every setting of `cegate replay`, declared once.
 *
 * A setting lives in one place of the configuration file (its scope: the
 * top level, an app object, a route, a route's "request" or its "retry")
 * under one key, and may have a command-line flag. Both are read by the
 * code here, so that the file and the flag accept the same values, give
 * the same errors and have the same default; --help is printed from the
 * same table. The shape of the file around the settings ("apps",
 * "routes", a route's "match") is config_file.c's. */
#ifndef CEGATE_GATEWAY_OPTIONS_H
#define CEGATE_GATEWAY_OPTIONS_H

#include <jansson.h>
#include <stdio.h>

#include "config_file.h"

typedef enum option_scope {
    OPTION_TOP,     /* the file's top level: struct config */
    OPTION_APP,     /* an app object ("app", "apps.NAME"): config_app */
    OPTION_ROUTE,   /* a route object ("routes[N]"): route */
    OPTION_REQUEST, /* a route's "request": route */
    OPTION_RETRY    /* a route's "retry": route.retry */
} option_scope;

typedef enum option_type {
    OPTION_INT,    /* a whole number from min to max */
    OPTION_BOOL,   /* true or false; the flag takes no argument */
    OPTION_STRING,
    OPTION_ENUM,   /* one of `words`; the value is the word's index */
    OPTION_PAIRS   /* a file object of strings; NAME=VALUE flags, repeatable */
} option_type;

/* A value, checked against its setting's type and range. */
typedef struct option_value {
    long long number;  /* INT; BOOL 0 or 1; ENUM the word's index */
    const char *text;  /* STRING, ENUM the word; PAIRS the name */
    const char *value; /* PAIRS: the value */
} option_value;

/* What a setting is set on: the caller fills the members its scopes need
 * (a route's settings need `route`, an app's `app`, the top's `cfg`). */
typedef struct option_target {
    config *cfg;
    config_app *app;
    route *route;
} option_target;

typedef struct option_def option_def;

/* Store a checked value. Errors may name anything: the caller puts the
 * key's path or the flag in their place. */
typedef int (*option_setter)(const option_def *o, const option_target *t,
                             const option_value *v, cegate_error *err);

struct option_def {
    const char *key;          /* in the file, inside its scope */
    option_scope scope;
    const char *flag;         /* "--workers", or NULL: the file only */
    option_type type;
    int min, max;             /* OPTION_INT */
    const char *const *words; /* OPTION_ENUM: NULL-ended */
    int invert;               /* OPTION_BOOL: the flag sets false */
    const char *def;          /* the default as a flag would give it, or NULL
                               * (none, or one the help line tells) */
    const char *arg;          /* the flag's argument in --help: "N", "MS" */
    const char *help;         /* one line for --help */
    option_setter set;
};

extern const option_def option_table[];
extern const size_t option_table_size;

/* The most settings there may be, for a caller's fixed arrays (getopt's
 * long options). */
#define OPTION_TABLE_MAX 48

/* The setting of `key` in `scope`, or NULL. */
const option_def *option_find(option_scope scope, const char *key);
/* The setting whose flag is `flag` ("--workers"), or NULL. */
const option_def *option_find_flag(const char *flag);
/* A route's settings: the command line's set the default route. */
int option_is_route(const option_def *o);
/* How --help shows the flag's argument: o->arg, or the words a|b. */
const char *option_arg_name(const option_def *o, char *buf, size_t size);

/* Set from a file's value: `path` is the key's ("routes[0].retry.attempts")
 * and names every error. 0, or -1 with err set. */
int option_set_json(const option_def *o, const option_target *t,
                    const json_t *v, const char *path, cegate_error *err);
/* Set from a flag's argument (NULL for a BOOL flag, which takes none);
 * errors are named by the flag. 0, or -1 with err set. */
int option_set_text(const option_def *o, const option_target *t,
                    const char *text, cegate_error *err);

/* Set every default of an app / a route / the top level. */
int option_defaults_app(config_app *a, cegate_error *err);
int option_defaults_route(route *r, cegate_error *err);
int option_defaults_top(config *c, cegate_error *err);

/* "path.key" into out (CEGATE_ERROR_PATH_LENGTH bytes), cut short if
 * need be: an error path is for people. */
void option_path_join(char *out, const char *path, const char *key);

/* The keys of a scope, ", "-separated, into buf: for "unknown key" errors. */
void option_scope_keys(option_scope scope, char *buf, size_t size);
/* What a scope is called in errors: "an app", "a route's retry". */
const char *option_scope_name(option_scope scope);

/* --help's lines for the flags of a scope, in table order:
 * "  --workers N            the app's worker processes (default 1; 1 to 1024)",
 * wrapped at 79 columns. */
void option_help(FILE *to, option_scope scope);

#endif
