/* SPDX-License-Identifier: Apache-2.0 */
/* config_file.c - reading the configuration file (see config_file.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "config_file.h"
#include "options.h"

#define MAX_CONFIG_BYTES (4u << 20)
#define MAX_CONFIG_DEPTH 16

static char *dup_str(const char *s) { return ce_strndup(s, strlen(s)); }

static int nomem(cegate_error *err, const char *path)
{
    return cegate_error_set(err, CEGATE_ERR_NOMEM, path, "out of memory"), -1;
}

static int app_init(config_app *a, const char *name, cegate_error *err)
{
    memset(a, 0, sizeof *a);
    app_options_default(&a->options);
    a->name = dup_str(name);
    if (a->name == NULL)
        return nomem(err, name);
    /* The table's defaults over the library's: --help shows the table's. */
    if (option_defaults_app(a, err) < 0) {
        cegate_free(a->name);
        return -1;
    }
    return 0;
}

static void app_free(config_app *a)
{
    cegate_free(a->name);
    cegate_free(a->address);
    cegate_free(a->script_filename);
    cegate_free(a->document_root);
    memset(a, 0, sizeof *a);
}

int config_init(config *c, cegate_error *err)
{
    memset(c, 0, sizeof *c);
    c->apps = cegate_malloc(sizeof *c->apps);
    if (c->apps == NULL)
        return nomem(err, NULL);
    if (app_init(&c->apps[0], "app", err) < 0) {
        cegate_free(c->apps);
        c->apps = NULL;
        return -1;
    }
    c->app_count = 1;
    if (option_defaults_top(c, err) < 0) {
        config_free(c);
        return -1;
    }
    return 0;
}

void config_free(config *c)
{
    for (size_t i = 0; i < c->app_count; i++)
        app_free(&c->apps[i]);
    for (size_t i = 0; i < c->route_count; i++)
        route_free(&c->routes[i].route);
    cegate_free(c->apps);
    cegate_free(c->routes);
    memset(c, 0, sizeof *c);
}

int config_app_set(config_app *a, char **field, const char *value,
                   cegate_error *err)
{
    char *copy = dup_str(value);
    if (copy == NULL)
        return nomem(err, a->name);
    cegate_free(*field);
    *field = copy;
    a->options.request.script_filename = a->script_filename;
    a->options.request.document_root = a->document_root;
    return 0;
}

int config_add_route(config *c, route *r, size_t app_index, cegate_error *err)
{
    config_route *grown =
        cegate_malloc((c->route_count + 1) * sizeof *grown);
    if (grown == NULL)
        return nomem(err, r->name);
    if (c->route_count > 0)
        memcpy(grown, c->routes, c->route_count * sizeof *grown);
    cegate_free(c->routes);
    c->routes = grown;
    c->routes[c->route_count].route = *r;
    c->routes[c->route_count].app = app_index;
    c->route_count++;
    memset(r, 0, sizeof *r);
    return 0;
}

const config_route *config_pick(const config *c, const cegate_event *ev)
{
    for (size_t i = 0; i < c->route_count; i++)
        if (route_matches(&c->routes[i].route, ev))
            return &c->routes[i];
    return NULL;
}

/* ---- checking the JSON -------------------------------------------------------- */

/* The file's shape: the keys of an object that are not settings of
 * options.c, but read here. Any other key must be a setting of the
 * object's scope. */
static const char *const top_shape[] = {"app", "apps", "routes", NULL};
static const char *const route_shape[] = {"name", "match", "app", "request",
                                          "retry", NULL};
static const char *const no_shape[] = {NULL};

static int in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], key) == 0)
            return 1;
    return 0;
}

/* Where else `key` is a setting, to say so: a misplaced key is the
 * likelier mistake than a misspelt one when it is a setting at all. */
static const char *scope_elsewhere(option_scope scope, const char *key)
{
    for (size_t i = 0; i < option_table_size; i++)
        if (option_table[i].scope != scope && strcmp(option_table[i].key, key) == 0)
            return option_scope_name(option_table[i].scope);
    return NULL;
}

/* Refuse `key` of an object of `scope`, saying what that object takes. */
static int unknown_key(const char *path, const char *key, option_scope scope,
                       const char *const *shape, cegate_error *err)
{
    char where[CEGATE_ERROR_PATH_LENGTH], keys[384] = "", settings[384];
    option_path_join(where, path, key);
    if (strcmp(key, "dead_letter") == 0)
        return cegate_error_set(err, CEGATE_ERR_USAGE, where,
                                "not supported yet: there is no "
                                "dead-letter store in this version"), -1;
    for (size_t i = 0; shape[i] != NULL; i++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s",
                 i > 0 ? ", " : "", shape[i]);
    option_scope_keys(scope, settings, sizeof settings);
    const char *other = scope_elsewhere(scope, key);
    return cegate_error_set(err, CEGATE_ERR_USAGE, where,
                            "unknown key%s%s%s; %s takes %s%s%s", other ? " here (" : "",
                            other ? other : "", other ? "'s setting)" : "",
                            option_scope_name(scope), keys,
                            keys[0] && settings[0] ? ", " : "", settings), -1;
}

static int want_object(const json_t *v, const char *path, cegate_error *err)
{
    if (json_is_object(v))
        return 0;
    return cegate_error_set(err, CEGATE_ERR_TYPE, path, "must be an object"), -1;
}

/* Every member of the object `obj`: a setting of `scope` is set on `t`,
 * a key of `shape` is left to the caller, any other is refused. There is
 * no "the rest must be ..." branch: a key the table does not declare
 * cannot be taken for another. */
static int read_settings(const json_t *obj, const char *path, option_scope scope,
                         const char *const *shape, const option_target *t,
                         cegate_error *err)
{
    if (want_object(obj, path, err) < 0)
        return -1;
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)obj, key, m) {
        if (in_list(shape, key))
            continue;
        const option_def *o = option_find(scope, key);
        if (o == NULL)
            return unknown_key(path, key, scope, shape, err);
        char at[CEGATE_ERROR_PATH_LENGTH];
        option_path_join(at, path, key);
        if (option_set_json(o, t, m, at, err) < 0)
            return -1;
    }
    return 0;
}

static int get_string(const json_t *v, const char *path, const char **out,
                      cegate_error *err)
{
    if (!json_is_string(v))
        return cegate_error_set(err, CEGATE_ERR_TYPE, path, "must be a string"), -1;
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v))
        return cegate_error_set(err, CEGATE_ERR_VALUE, path,
                                "may not contain NUL"), -1;
    return 0;
}

/* A route's "match": attribute to pattern. route.c names what it checks
 * by the bare attribute; in a file the key's path is the place. */
static int read_match(route *r, const json_t *v, const char *path,
                      cegate_error *err)
{
    if (want_object(v, path, err) < 0)
        return -1;
    const char *key, *s;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        char at[CEGATE_ERROR_PATH_LENGTH];
        option_path_join(at, path, key);
        if (get_string(m, at, &s, err) < 0)
            return -1;
        if (route_add_match(r, key, s, err) < 0) {
            cegate_error_set_path(err, at);
            return -1;
        }
    }
    return 0;
}

/* ---- apps --------------------------------------------------------------------- */

/* An app: its address alone, or an object of app settings. */
static int read_app(config_app *a, const json_t *v, const char *path,
                    cegate_error *err)
{
    option_target t = {NULL, a, NULL};
    if (json_is_string(v))
        return option_set_json(option_find(OPTION_APP, "address"), &t, v, path, err);
    if (read_settings(v, path, OPTION_APP, no_shape, &t, err) < 0)
        return -1;
    if (a->address == NULL)
        return cegate_error_set(err, CEGATE_ERR_MISSING, path,
                                "needs an \"address\" (unix:/path.sock, "
                                "HOST:PORT or cgi:/path/to/program)"), -1;
    return 0;
}

static int read_apps(config *c, const json_t *v, cegate_error *err)
{
    if (want_object(v, "apps", err) < 0)
        return -1;
    size_t n = json_object_size(v);
    config_app *grown = cegate_malloc((c->app_count + n) * sizeof *grown);
    if (grown == NULL)
        return nomem(err, "apps");
    memcpy(grown, c->apps, c->app_count * sizeof *grown);
    cegate_free(c->apps);
    c->apps = grown;
    const char *name;
    json_t *m;
    json_object_foreach((json_t *)v, name, m) {
        char at[CEGATE_ERROR_PATH_LENGTH];
        option_path_join(at, "apps", name);
        if (*name == '\0' || strcmp(name, "app") == 0 || strpbrk(name, "\r\n.") != NULL)
            return cegate_error_set(err, CEGATE_ERR_NAME, at,
                                    "an app name is not empty, not \"app\" (the "
                                    "default app's) and has no '.', CR or LF"), -1;
        config_app *a = &c->apps[c->app_count];
        if (app_init(a, name, err) < 0)
            return -1;
        c->app_count++;
        if (read_app(a, m, at, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- routes ------------------------------------------------------------------- */

static int find_app(const config *c, const char *name, size_t *out)
{
    for (size_t i = 1; i < c->app_count; i++)
        if (strcmp(c->apps[i].name, name) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

/* "name", or the route's place when it has none. */
static int read_route_name(route *r, const json_t *v, const char *path,
                           cegate_error *err)
{
    char at[CEGATE_ERROR_PATH_LENGTH];
    const char *s = path;
    const json_t *m = json_object_get(v, "name");
    option_path_join(at, path, "name");
    if (m != NULL && get_string(m, at, &s, err) < 0)
        return -1;
    char *name = dup_str(s);
    if (name == NULL)
        return nomem(err, at);
    cegate_free(r->name);
    r->name = name;
    return 0;
}

/* The route's keys that are objects of settings: "request" and "retry". */
static int read_part(route *r, const json_t *v, const char *path, const char *key,
                     option_scope scope, cegate_error *err)
{
    const json_t *m = json_object_get(v, key);
    if (m == NULL)
        return 0;
    char at[CEGATE_ERROR_PATH_LENGTH];
    option_path_join(at, path, key);
    option_target t = {NULL, NULL, r};
    return read_settings(m, at, scope, no_shape, &t, err);
}

/* "app": an app of "apps" (or "app", the default one). */
static int read_route_app(const config *c, const json_t *v, const char *path,
                          size_t *app_index, cegate_error *err)
{
    const json_t *m = json_object_get(v, "app");
    if (m == NULL)
        return 0;
    char at[CEGATE_ERROR_PATH_LENGTH];
    const char *s;
    option_path_join(at, path, "app");
    if (get_string(m, at, &s, err) < 0)
        return -1;
    if (strcmp(s, "app") != 0 && find_app(c, s, app_index) < 0)
        return cegate_error_set(err, CEGATE_ERR_VALUE, at,
                                "no app of that name in \"apps\""), -1;
    return 0;
}

static int read_route_into(config *c, route *r, const json_t *v, const char *path,
                           size_t *app_index, cegate_error *err)
{
    option_target t = {NULL, NULL, r};
    char at[CEGATE_ERROR_PATH_LENGTH];
    const json_t *m;
    if (read_settings(v, path, OPTION_ROUTE, route_shape, &t, err) < 0 ||
        read_route_name(r, v, path, err) < 0)
        return -1;
    if ((m = json_object_get(v, "match")) != NULL) {
        option_path_join(at, path, "match");
        if (read_match(r, m, at, err) < 0)
            return -1;
    }
    if (read_part(r, v, path, "request", OPTION_REQUEST, err) < 0 ||
        read_part(r, v, path, "retry", OPTION_RETRY, err) < 0)
        return -1;
    return read_route_app(c, v, path, app_index, err);
}

static int read_route(config *c, const json_t *v, size_t index, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH];
    snprintf(path, sizeof path, "routes[%zu]", index);
    if (want_object(v, path, err) < 0)
        return -1;
    route r;
    if (route_init_default(&r, err) < 0)
        return -1;
    size_t app_index = 0;
    int rc = option_defaults_route(&r, err);
    if (rc == 0)
        rc = read_route_into(c, &r, v, path, &app_index, err);
    if (rc == 0)
        rc = config_add_route(c, &r, app_index, err);
    route_free(&r);
    return rc;
}

/* ---- the file ----------------------------------------------------------------- */

static int read_root(config *c, const json_t *root, cegate_error *err)
{
    if (!json_is_object(root))
        return cegate_error_set(err, CEGATE_ERR_TYPE, NULL,
                                "the configuration must be a JSON object"), -1;
    option_target t = {c, NULL, NULL};
    if (read_settings(root, "", OPTION_TOP, top_shape, &t, err) < 0)
        return -1;
    json_t *v;
    if ((v = json_object_get(root, "app")) != NULL &&
        read_app(&c->apps[0], v, "app", err) < 0)
        return -1;
    /* Apps before routes, whatever the order in the file: routes name them. */
    if ((v = json_object_get(root, "apps")) != NULL && read_apps(c, v, err) < 0)
        return -1;
    if ((v = json_object_get(root, "routes")) != NULL) {
        if (!json_is_array(v))
            return cegate_error_set(err, CEGATE_ERR_TYPE, "routes",
                                    "must be an array"), -1;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (read_route(c, json_array_get(v, i), i, err) < 0)
                return -1;
    }
    return 0;
}

int config_load_text(config *c, const char *text, size_t length,
                     cegate_error *err)
{
    if (length > MAX_CONFIG_BYTES)
        return cegate_error_set(err, CEGATE_ERR_LIMIT, NULL,
                                "larger than %u bytes", MAX_CONFIG_BYTES), -1;
    json_t *root = ce_json_read(text, length, MAX_CONFIG_DEPTH, 0, err);
    if (root == NULL)
        return -1;
    int rc = read_root(c, root, err);
    json_decref(root);
    return rc;
}

int config_load_file(config *c, const char *path, cegate_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cegate_error_set(err, CEGATE_ERR_IO, NULL, "cannot open: %m"), -1;
    cegate_buffer text;
    cegate_buffer_init(&text, MAX_CONFIG_BYTES);
    char chunk[8192];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = cegate_buffer_append(&text, chunk, got, NULL, err);
    if (rc == 0 && ferror(f))
        rc = (cegate_error_set(err, CEGATE_ERR_IO, NULL, "cannot read: %m"), -1);
    fclose(f);
    if (rc == 0)
        rc = config_load_text(c, text.data ? text.data : "", text.length, err);
    cegate_buffer_free(&text);
    return rc;
}
