/* config_file.c - reading the configuration file (see config_file.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "config_file.h"

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
    return a->name == NULL ? nomem(err, name) : 0;
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

/* "path.key" into out (CEGATE_ERROR_PATH_LENGTH bytes), cut short if need
 * be: an error path is for people. */
static void join(char *out, const char *path, const char *key)
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

/* Refuse keys outside `allowed` (NULL-ended), naming the first one. */
static int only_keys(const json_t *obj, const char *path,
                     const char *const *allowed, cegate_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL) {
            char where[CEGATE_ERROR_PATH_LENGTH];
            join(where, path, key);
            if (strcmp(key, "dead_letter") == 0)
                return cegate_error_set(err, CEGATE_ERR_USAGE, where,
                                        "not supported yet: there is no "
                                        "dead-letter store in this version"), -1;
            return cegate_error_set(err, CEGATE_ERR_USAGE, where,
                                    "unknown key"), -1;
        }
    }
    return 0;
}

static int want_object(const json_t *v, const char *path, cegate_error *err)
{
    if (json_is_object(v))
        return 0;
    return cegate_error_set(err, CEGATE_ERR_TYPE, path, "must be an object"), -1;
}

/* An object whose keys are all in `keys`. */
static int object_of(const json_t *v, const char *path, const char *const *keys,
                     cegate_error *err)
{
    return want_object(v, path, err) < 0 || only_keys(v, path, keys, err) < 0 ? -1 : 0;
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

static int get_int(const json_t *v, const char *path, int min, int max, int *out,
                   cegate_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return cegate_error_set(err, CEGATE_ERR_VALUE, path,
                                "must be a whole number from %d to %d", min, max),
               -1;
    *out = (int)json_integer_value(v);
    return 0;
}

/* route.c names what it checks by the command-line option or the bare
 * name; in a file the key's path is the place. */
static void place_error(cegate_error *err, const char *at)
{
    err->path[0] = '\0';
    cegate_error_prefix_path(err, at);
}

/* An object of strings, each handed to `set` with its key: a route's
 * match entries, extra params and outcomes. */
typedef int (*route_setter)(route *r, const char *key, const char *value,
                            cegate_error *err);

static int read_string_map(route *r, const json_t *v, const char *path,
                           route_setter set, cegate_error *err)
{
    if (want_object(v, path, err) < 0)
        return -1;
    const char *key, *s;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        char at[CEGATE_ERROR_PATH_LENGTH];
        join(at, path, key);
        if (get_string(m, at, &s, err) < 0)
            return -1;
        if (set(r, key, s, err) < 0) {
            place_error(err, at);
            return -1;
        }
    }
    return 0;
}

/* ---- apps --------------------------------------------------------------------- */

static int read_app(config_app *a, const json_t *v, const char *path,
                    cegate_error *err)
{
    const char *s;
    if (json_is_string(v)) {
        if (get_string(v, path, &s, err) < 0)
            return -1;
        return config_app_set(a, &a->address, s, err);
    }
    static const char *const keys[] = {
        "address", "script", "document_root", "workers", "keep_alive",
        "idle_timeout_ms", "connect_timeout_ms", "timeout_ms", NULL};
    if (object_of(v, path, keys, err) < 0)
        return -1;
    char at[CEGATE_ERROR_PATH_LENGTH];
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        join(at, path, key);
        int workers, rc = 0;
        if (strcmp(key, "address") == 0)
            rc = get_string(m, at, &s, err) < 0 ? -1
                                                : config_app_set(a, &a->address, s, err);
        else if (strcmp(key, "script") == 0)
            rc = get_string(m, at, &s, err) < 0
                     ? -1
                     : config_app_set(a, &a->script_filename, s, err);
        else if (strcmp(key, "document_root") == 0)
            rc = get_string(m, at, &s, err) < 0
                     ? -1
                     : config_app_set(a, &a->document_root, s, err);
        else if (strcmp(key, "workers") == 0) {
            rc = get_int(m, at, 1, 1024, &workers, err);
            a->options.workers = (size_t)workers;
        } else if (strcmp(key, "keep_alive") == 0) {
            if (!json_is_boolean(m))
                rc = (cegate_error_set(err, CEGATE_ERR_TYPE, at,
                                      "must be true or false"), -1);
            a->options.keep_alive = json_is_true(m);
        } else if (strcmp(key, "idle_timeout_ms") == 0)
            rc = get_int(m, at, 0, 3600000, &a->options.idle_timeout_ms, err);
        else if (strcmp(key, "connect_timeout_ms") == 0)
            rc = get_int(m, at, 1, 3600000, &a->options.connect_timeout_ms, err);
        else
            rc = get_int(m, at, 1, 3600000, &a->options.timeout_ms, err);
        if (rc < 0)
            return -1;
    }
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
        join(at, "apps", name);
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

static int read_request(route *r, const json_t *v, const char *path,
                        cegate_error *err)
{
    static const char *const keys[] = {"method", "path", "mode", "params", NULL};
    if (object_of(v, path, keys, err) < 0)
        return -1;
    char at[CEGATE_ERROR_PATH_LENGTH];
    const char *key, *s;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        join(at, path, key);
        int rc;
        if (strcmp(key, "params") == 0) {
            if (read_string_map(r, m, at, route_add_param, err) < 0)
                return -1;
            continue;
        }
        if (get_string(m, at, &s, err) < 0)
            return -1;
        if (strcmp(key, "method") == 0)
            rc = route_set_method(r, s, err);
        else if (strcmp(key, "path") == 0)
            rc = route_set_path(r, s, err);
        else if (strcmp(s, "binary") == 0 || strcmp(s, "structured") == 0) {
            r->mode = s[0] == 'b' ? CEGATE_HTTP_BINARY : CEGATE_HTTP_STRUCTURED;
            rc = 0;
        } else
            rc = (cegate_error_set(err, CEGATE_ERR_VALUE, at,
                                  "binary or structured"), -1);
        if (rc < 0) {
            place_error(err, at);
            return -1;
        }
    }
    return 0;
}

static int read_retry(route *r, const json_t *v, const char *path,
                      cegate_error *err)
{
    static const char *const keys[] = {"attempts", "initial_ms", "max_ms", NULL};
    if (object_of(v, path, keys, err) < 0)
        return -1;
    char at[CEGATE_ERROR_PATH_LENGTH];
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) {
        join(at, path, key);
        int *field = strcmp(key, "attempts") == 0     ? &r->retry.attempts
                     : strcmp(key, "initial_ms") == 0 ? &r->retry.initial_ms
                                                      : &r->retry.max_ms;
        if (get_int(m, at, field == &r->retry.attempts ? 1 : 0,
                    field == &r->retry.attempts ? 1000 : 3600000, field, err) < 0)
            return -1;
    }
    return 0;
}

static int find_app(const config *c, const char *name, size_t *out)
{
    for (size_t i = 1; i < c->app_count; i++)
        if (strcmp(c->apps[i].name, name) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

static int read_route(config *c, const json_t *v, size_t index, cegate_error *err)
{
    char path[CEGATE_ERROR_PATH_LENGTH], at[CEGATE_ERROR_PATH_LENGTH];
    snprintf(path, sizeof path, "routes[%zu]", index);
    static const char *const keys[] = {"name", "match", "request", "app",
                                       "retry", "outcomes", NULL};
    if (object_of(v, path, keys, err) < 0)
        return -1;
    route r;
    if (route_init_default(&r, err) < 0)
        return -1;
    size_t app_index = 0;
    const char *s;
    int rc = 0;
    json_t *m;
    if ((m = json_object_get(v, "name")) != NULL) {
        join(at, path, "name");
        char *name;
        rc = get_string(m, at, &s, err);
        if (rc == 0 && (name = dup_str(s)) == NULL)
            rc = nomem(err, at);
        else if (rc == 0) {
            cegate_free(r.name);
            r.name = name;
        }
    } else {
        char *name = dup_str(path);
        if (name == NULL)
            rc = nomem(err, path);
        else {
            cegate_free(r.name);
            r.name = name;
        }
    }
    if (rc == 0 && (m = json_object_get(v, "match")) != NULL) {
        join(at, path, "match");
        rc = read_string_map(&r, m, at, route_add_match, err);
    }
    if (rc == 0 && (m = json_object_get(v, "request")) != NULL) {
        join(at, path, "request");
        rc = read_request(&r, m, at, err);
    }
    if (rc == 0 && (m = json_object_get(v, "retry")) != NULL) {
        join(at, path, "retry");
        rc = read_retry(&r, m, at, err);
    }
    if (rc == 0 && (m = json_object_get(v, "outcomes")) != NULL) {
        join(at, path, "outcomes");
        rc = read_string_map(&r, m, at, route_set_outcome, err);
    }
    if (rc == 0 && (m = json_object_get(v, "app")) != NULL) {
        join(at, path, "app");
        rc = get_string(m, at, &s, err);
        if (rc == 0 && strcmp(s, "app") != 0 && find_app(c, s, &app_index) < 0)
            rc = (cegate_error_set(err, CEGATE_ERR_VALUE, at,
                                  "no app of that name in \"apps\""), -1);
    }
    if (rc == 0)
        rc = config_add_route(c, &r, app_index, err);
    route_free(&r);
    return rc;
}

/* ---- the file ----------------------------------------------------------------- */

static int read_root(config *c, const json_t *root, cegate_error *err)
{
    static const char *const keys[] = {"app", "apps", "routes", NULL};
    if (!json_is_object(root))
        return cegate_error_set(err, CEGATE_ERR_TYPE, NULL,
                                "the configuration must be a JSON object"), -1;
    if (only_keys(root, "", keys, err) < 0)
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
