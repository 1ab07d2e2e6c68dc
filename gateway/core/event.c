/* SPDX-License-Identifier: Apache-2.0 */
/* event.c - the CloudEvent model: typed attributes and data. */
#include "config.h"

#include <string.h>

#include "cegate/event.h"
#include "core/text.h"

typedef struct attribute {
    const char *name;       /* a core attribute's is the static one below */
    cegate_value value;     /* string/bytes point into `storage` */
    void *storage;
    cegate_timestamp time;  /* for Timestamp values, to compare instants */
    int rank;               /* spec order for core attributes */
} attribute;

struct cegate_event {
    attribute *attrs;
    size_t count;
    size_t capacity;
    cegate_data_kind data_kind;
    json_t *data_json;
    unsigned char *data_bytes; /* NUL-terminated */
    size_t data_length;
};

/* The core attributes in the spec's order, with their types. Extensions rank
 * after all of them and keep the order they were set in. */
static const struct core_attribute {
    const char *name;
    cegate_type type;
} core_attributes[] = {
    {"specversion", CEGATE_TYPE_STRING},
    {"id", CEGATE_TYPE_STRING},
    {"source", CEGATE_TYPE_URI_REF},
    {"type", CEGATE_TYPE_STRING},
    {"datacontenttype", CEGATE_TYPE_STRING},
    {"dataschema", CEGATE_TYPE_URI},
    {"subject", CEGATE_TYPE_STRING},
    {"time", CEGATE_TYPE_TIMESTAMP},
};
#define CORE_COUNT (sizeof core_attributes / sizeof core_attributes[0])
#define EXTENSION_RANK ((int)CORE_COUNT)

static int core_rank(const char *name)
{
    /* The first byte decides most comparisons without a call: this runs
     * for every attribute of every event. */
    for (size_t i = 0; i < CORE_COUNT; i++)
        if (core_attributes[i].name[0] == name[0] &&
            strcmp(core_attributes[i].name, name) == 0)
            return (int)i;
    return EXTENSION_RANK;
}

int cegate_attribute_is_core(const char *name)
{
    return core_rank(name) != EXTENSION_RANK;
}

const char *cegate_type_name(cegate_type type)
{
    switch (type) {
    case CEGATE_TYPE_STRING: return "String";
    case CEGATE_TYPE_BOOLEAN: return "Boolean";
    case CEGATE_TYPE_INTEGER: return "Integer";
    case CEGATE_TYPE_URI: return "URI";
    case CEGATE_TYPE_URI_REF: return "URI-reference";
    case CEGATE_TYPE_TIMESTAMP: return "Timestamp";
    case CEGATE_TYPE_BINARY: return "Binary";
    }
    return "unknown";
}

static int is_string_type(cegate_type t)
{
    return t == CEGATE_TYPE_STRING || t == CEGATE_TYPE_URI ||
           t == CEGATE_TYPE_URI_REF || t == CEGATE_TYPE_TIMESTAMP;
}

cegate_event *cegate_event_new(void)
{
    cegate_event *ev = cegate_malloc(sizeof *ev);
    if (ev == NULL)
        return NULL;
    memset(ev, 0, sizeof *ev);
    cegate_value v = {.type = CEGATE_TYPE_STRING, .u.string = CEGATE_SPECVERSION};
    if (cegate_event_set(ev, "specversion", &v, NULL) < 0) {
        cegate_event_free(ev);
        return NULL;
    }
    return ev;
}

static void attribute_free(attribute *a)
{
    if (a->rank == EXTENSION_RANK)
        cegate_free((char *)a->name);
    cegate_free(a->storage);
}

void cegate_event_free(cegate_event *ev)
{
    if (ev == NULL)
        return;
    for (size_t i = 0; i < ev->count; i++)
        attribute_free(&ev->attrs[i]);
    cegate_free(ev->attrs);
    cegate_event_clear_data(ev);
    cegate_free(ev);
}

static attribute *find(const cegate_event *ev, const char *name)
{
    for (size_t i = 0; i < ev->count; i++)
        if (ev->attrs[i].name[0] == name[0] && strcmp(ev->attrs[i].name, name) == 0)
            return &ev->attrs[i];
    return NULL;
}

/* Check a string-form value for `type` and fill the timestamp if any. */
static int check_string_value(const char *name, cegate_type type,
                              const char *s, size_t n, cegate_timestamp *ts,
                              cegate_error *err)
{
    if (ce_check_string(s, n, name, err) < 0)
        return -1;
    switch (type) {
    case CEGATE_TYPE_URI:
        return ce_check_absolute_uri(s, n, name, err);
    case CEGATE_TYPE_URI_REF:
        return ce_check_uri_reference(s, n, name, err);
    case CEGATE_TYPE_TIMESTAMP:
        return cegate_timestamp_parse(s, n, ts, name, err);
    default:
        return 0;
    }
}

/* Rules of the core attributes beyond their type. */
static int check_core_rules(const char *name, const cegate_value *v,
                            cegate_error *err)
{
    if (!is_string_type(v->type))
        return 0;
    const char *s = v->u.string;
    if (strcmp(name, "specversion") == 0 && strcmp(s, CEGATE_SPECVERSION) != 0)
        return cegate_error_set(err, CEGATE_ERR_SPECVERSION, name,
                                "must be \"1.0\" (got \"%.40s\")", s), -1;
    if (s[0] == '\0')
        return cegate_error_set(err, CEGATE_ERR_EMPTY, name,
                                "must not be empty"), -1;
    if (strcmp(name, "datacontenttype") == 0)
        return ce_check_media_type(s, strlen(s), name, err);
    return 0;
}

/* Make room and place a new attribute at its rank; returns it, or NULL. */
static attribute *insert(cegate_event *ev, int rank, cegate_error *err,
                         const char *name)
{
    if (ev->count == ev->capacity) {
        size_t cap = ev->capacity ? ev->capacity * 2 : 8;
        attribute *a = cegate_malloc(cap * sizeof *a);
        if (a == NULL)
            return cegate_error_set(err, CEGATE_ERR_NOMEM, name,
                                    "out of memory"), NULL;
        if (ev->count)
            memcpy(a, ev->attrs, ev->count * sizeof *a);
        cegate_free(ev->attrs);
        ev->attrs = a;
        ev->capacity = cap;
    }
    size_t at = ev->count;
    while (at > 0 && ev->attrs[at - 1].rank > rank)
        at--;
    memmove(&ev->attrs[at + 1], &ev->attrs[at],
            (ev->count - at) * sizeof *ev->attrs);
    ev->count++;
    memset(&ev->attrs[at], 0, sizeof ev->attrs[at]);
    ev->attrs[at].rank = rank;
    return &ev->attrs[at];
}

/* cegate_event_set, with the length of a string value given: the string
 * need not be NUL-terminated (cegate_event_set_string copies it once). */
static int set_value(cegate_event *ev, const char *name,
                     const cegate_value *value, size_t string_length,
                     cegate_error *err)
{
    size_t name_length = strlen(name);
    if (!ce_is_attribute_name(name, name_length))
        return cegate_error_set(err, CEGATE_ERR_NAME, name,
                                "attribute names may only contain a-z and "
                                "0-9"), -1;
    if (name_length > CEGATE_MAX_NAME_LENGTH)
        return cegate_error_set(err, CEGATE_ERR_NAME, name,
                                "attribute name longer than %d characters",
                                CEGATE_MAX_NAME_LENGTH), -1;
    if (strcmp(name, "data") == 0)
        return cegate_error_set(err, CEGATE_ERR_NAME, name,
                                "\"data\" is reserved and cannot be an "
                                "attribute"), -1;
    int rank = core_rank(name);
    cegate_type type = value->type;
    if (rank != EXTENSION_RANK) {
        cegate_type want = core_attributes[rank].type;
        if (is_string_type(want) && is_string_type(type))
            type = want;
        else if (type != want)
            return cegate_error_set(err, CEGATE_ERR_TYPE, name,
                                    "must be of type %s, not %s",
                                    cegate_type_name(want),
                                    cegate_type_name(type)), -1;
    }

    /* Check and copy the value before touching the event, so a failed set
     * leaves the old value in place. */
    cegate_value copy = {.type = type};
    void *storage = NULL;
    cegate_timestamp ts = {0, 0, 0};
    if (is_string_type(type)) {
        if (value->u.string == NULL)
            return cegate_error_set(err, CEGATE_ERR_USAGE, name,
                                    "NULL string value"), -1;
        size_t n = string_length;
        if (check_string_value(name, type, value->u.string, n, &ts, err) < 0)
            return -1;
        storage = ce_strndup(value->u.string, n);
        copy.u.string = storage;
    } else if (type == CEGATE_TYPE_BINARY) {
        size_t n = value->u.binary.length;
        storage = cegate_malloc(n + 1);
        if (storage != NULL) {
            if (n)
                memcpy(storage, value->u.binary.bytes, n);
            ((unsigned char *)storage)[n] = 0;
        }
        copy.u.binary.bytes = storage;
        copy.u.binary.length = n;
    } else if (type == CEGATE_TYPE_BOOLEAN) {
        copy.u.boolean = value->u.boolean ? 1 : 0;
    } else if (type == CEGATE_TYPE_INTEGER) {
        copy.u.integer = value->u.integer;
    } else {
        return cegate_error_set(err, CEGATE_ERR_TYPE, name,
                                "unknown value type %d", (int)type), -1;
    }
    if ((is_string_type(type) || type == CEGATE_TYPE_BINARY) && storage == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory"),
               -1;
    if (rank != EXTENSION_RANK && check_core_rules(name, &copy, err) < 0) {
        cegate_free(storage);
        return -1;
    }

    attribute *a = find(ev, name);
    if (a != NULL) {
        cegate_free(a->storage);
    } else {
        /* Core attribute names are static: one allocation less for each
         * attribute of every event. */
        char *owned_name = NULL;
        if (rank == EXTENSION_RANK)
            owned_name = ce_strndup(name, name_length);
        if (rank == EXTENSION_RANK && owned_name == NULL)
            a = NULL;
        else
            a = insert(ev, rank, err, name);
        if (a == NULL) {
            cegate_error_set(err, CEGATE_ERR_NOMEM, name, "out of memory");
            cegate_free(owned_name);
            cegate_free(storage);
            return -1;
        }
        a->name = owned_name != NULL ? owned_name : core_attributes[rank].name;
    }
    a->value = copy;
    a->storage = storage;
    a->time = ts;
    return 0;
}

int cegate_event_set(cegate_event *ev, const char *name,
                     const cegate_value *value, cegate_error *err)
{
    size_t n = 0;
    if (is_string_type(value->type) && value->u.string != NULL)
        n = strlen(value->u.string);
    return set_value(ev, name, value, n, err);
}

int cegate_event_set_string(cegate_event *ev, const char *name, const char *s,
                            size_t n, cegate_type ext_type, cegate_error *err)
{
    int rank = core_rank(name);
    cegate_type type = rank != EXTENSION_RANK ? core_attributes[rank].type
                       : ext_type ? ext_type : CEGATE_TYPE_STRING;
    if (memchr(s, '\0', n) != NULL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                "contains the forbidden character U+0000"), -1;
    cegate_value v = {.type = type};
    switch (type) {
    case CEGATE_TYPE_BOOLEAN:
        if (n == 4 && memcmp(s, "true", 4) == 0)
            v.u.boolean = 1;
        else if (n == 5 && memcmp(s, "false", 5) == 0)
            v.u.boolean = 0;
        else
            return cegate_error_set(err, CEGATE_ERR_VALUE, name,
                                    "not a Boolean (expected true or false)"),
                   -1;
        return cegate_event_set(ev, name, &v, err);
    case CEGATE_TYPE_INTEGER:
        if (ce_parse_int32(s, n, &v.u.integer, name, err) < 0)
            return -1;
        return cegate_event_set(ev, name, &v, err);
    case CEGATE_TYPE_BINARY: {
        cegate_buffer b;
        cegate_buffer_init(&b, n);
        if (ce_base64_decode(s, n, &b, name, err) < 0) {
            cegate_buffer_free(&b);
            return -1;
        }
        v.u.binary.bytes = (const unsigned char *)(b.data ? b.data : "");
        v.u.binary.length = b.length;
        int rc = cegate_event_set(ev, name, &v, err);
        cegate_buffer_free(&b);
        return rc;
    }
    default:
        /* The caller's string need not be NUL-terminated. */
        v.u.string = s;
        return set_value(ev, name, &v, n, err);
    }
}

int cegate_event_remove(cegate_event *ev, const char *name)
{
    if (strcmp(name, "specversion") == 0)
        return 0;
    attribute *a = find(ev, name);
    if (a == NULL)
        return 0;
    attribute_free(a);
    size_t at = (size_t)(a - ev->attrs);
    memmove(a, a + 1, (ev->count - at - 1) * sizeof *a);
    ev->count--;
    return 1;
}

const cegate_value *cegate_event_get(const cegate_event *ev, const char *name)
{
    attribute *a = find(ev, name);
    return a ? &a->value : NULL;
}

const char *cegate_event_get_string(const cegate_event *ev, const char *name)
{
    const cegate_value *v = cegate_event_get(ev, name);
    return (v && is_string_type(v->type)) ? v->u.string : NULL;
}

size_t cegate_event_attribute_count(const cegate_event *ev) { return ev->count; }

const char *cegate_event_attribute_name(const cegate_event *ev, size_t i)
{
    return i < ev->count ? ev->attrs[i].name : NULL;
}

const cegate_value *cegate_event_attribute_value(const cegate_event *ev,
                                                 size_t i)
{
    return i < ev->count ? &ev->attrs[i].value : NULL;
}

/* ---- data ---------------------------------------------------------------- */

cegate_data_kind cegate_event_data_kind(const cegate_event *ev)
{
    return ev->data_kind;
}

json_t *cegate_event_data_json(const cegate_event *ev)
{
    return ev->data_kind == CEGATE_DATA_JSON ? ev->data_json : NULL;
}

const unsigned char *cegate_event_data_bytes(const cegate_event *ev,
                                             size_t *length)
{
    if (ev->data_kind != CEGATE_DATA_TEXT && ev->data_kind != CEGATE_DATA_BINARY)
        return NULL;
    if (length != NULL)
        *length = ev->data_length;
    return ev->data_bytes;
}

void cegate_event_clear_data(cegate_event *ev)
{
    json_decref(ev->data_json);
    cegate_free(ev->data_bytes);
    ev->data_json = NULL;
    ev->data_bytes = NULL;
    ev->data_length = 0;
    ev->data_kind = CEGATE_DATA_NONE;
}

int cegate_event_set_data_json(cegate_event *ev, json_t *value,
                               cegate_error *err)
{
    if (value == NULL)
        return cegate_error_set(err, CEGATE_ERR_USAGE, "data",
                                "NULL JSON value"), -1;
    json_incref(value);
    cegate_event_clear_data(ev);
    ev->data_json = value;
    ev->data_kind = CEGATE_DATA_JSON;
    return 0;
}

static int set_bytes(cegate_event *ev, cegate_data_kind kind, const void *p,
                     size_t n, cegate_error *err)
{
    unsigned char *copy = cegate_malloc(n + 1);
    if (copy == NULL)
        return cegate_error_set(err, CEGATE_ERR_NOMEM, "data",
                                "out of memory for %zu bytes of data", n), -1;
    if (n)
        memcpy(copy, p, n);
    copy[n] = 0;
    cegate_event_clear_data(ev);
    ev->data_bytes = copy;
    ev->data_length = n;
    ev->data_kind = kind;
    return 0;
}

int cegate_event_set_data_text(cegate_event *ev, const char *s, size_t n,
                               cegate_error *err)
{
    if (memchr(s, '\0', n) != NULL)
        return cegate_error_set(err, CEGATE_ERR_VALUE, "data",
                                "text data may not contain NUL"), -1;
    if (ce_check_utf8(s, n, "data", err) < 0)
        return -1;
    return set_bytes(ev, CEGATE_DATA_TEXT, s, n, err);
}

int cegate_event_set_data_binary(cegate_event *ev, const void *bytes, size_t n,
                                 cegate_error *err)
{
    return set_bytes(ev, CEGATE_DATA_BINARY, bytes, n, err);
}

const char *cegate_event_effective_content_type(const cegate_event *ev)
{
    const char *ct = cegate_event_get_string(ev, "datacontenttype");
    if (ct != NULL)
        return ct;
    if (ev->data_kind == CEGATE_DATA_BINARY || ev->data_kind == CEGATE_DATA_NONE)
        return NULL;
    return "application/json";
}

int cegate_media_type_is_json(const char *media_type)
{
    if (media_type == NULL)
        return 0;
    const char *slash = strchr(media_type, '/');
    if (slash == NULL)
        return 0;
    const char *sub = slash + 1;
    size_t n = strcspn(sub, "; \t");
    if (n >= 4 && ce_ascii_casecmp_n(sub + n - 4, "json", 4) == 0)
        return n == 4 || sub[n - 5] == '+';
    return 0;
}

int cegate_event_validate(const cegate_event *ev, cegate_error *err)
{
    static const char *const required[] = {"specversion", "id", "source",
                                           "type"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *s = cegate_event_get_string(ev, required[i]);
        if (s == NULL)
            return cegate_error_set(err, CEGATE_ERR_MISSING, required[i],
                                    "required attribute is missing"), -1;
        if (s[0] == '\0')
            return cegate_error_set(err, CEGATE_ERR_EMPTY, required[i],
                                    "must not be empty"), -1;
    }
    return 0;
}

cegate_event *cegate_event_copy(const cegate_event *ev)
{
    cegate_event *c = cegate_malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < ev->count; i++)
        if (cegate_event_set(c, ev->attrs[i].name, &ev->attrs[i].value, NULL) < 0)
            goto fail;
    switch (ev->data_kind) {
    case CEGATE_DATA_NONE:
        break;
    case CEGATE_DATA_JSON:
        /* Data is never modified in place, so sharing the tree is safe. */
        if (cegate_event_set_data_json(c, ev->data_json, NULL) < 0)
            goto fail;
        break;
    case CEGATE_DATA_TEXT:
    case CEGATE_DATA_BINARY:
        if (set_bytes(c, ev->data_kind, ev->data_bytes, ev->data_length, NULL) < 0)
            goto fail;
        break;
    }
    return c;
fail:
    cegate_event_free(c);
    return NULL;
}

static int value_equal(const attribute *a, const attribute *b)
{
    if (a->value.type != b->value.type)
        return 0;
    switch (a->value.type) {
    case CEGATE_TYPE_BOOLEAN:
        return a->value.u.boolean == b->value.u.boolean;
    case CEGATE_TYPE_INTEGER:
        return a->value.u.integer == b->value.u.integer;
    case CEGATE_TYPE_BINARY:
        return a->value.u.binary.length == b->value.u.binary.length &&
               memcmp(a->value.u.binary.bytes, b->value.u.binary.bytes,
                      a->value.u.binary.length) == 0;
    case CEGATE_TYPE_TIMESTAMP:
        return a->time.seconds == b->time.seconds &&
               a->time.nanoseconds == b->time.nanoseconds;
    default:
        return strcmp(a->value.u.string, b->value.u.string) == 0;
    }
}

int cegate_event_equal(const cegate_event *a, const cegate_event *b)
{
    if (a->count != b->count || a->data_kind != b->data_kind)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        const attribute *other = find(b, a->attrs[i].name);
        if (other == NULL || !value_equal(&a->attrs[i], other))
            return 0;
    }
    switch (a->data_kind) {
    case CEGATE_DATA_JSON:
        return json_equal(a->data_json, b->data_json);
    case CEGATE_DATA_TEXT:
    case CEGATE_DATA_BINARY:
        return a->data_length == b->data_length &&
               memcmp(a->data_bytes, b->data_bytes, a->data_length) == 0;
    default:
        return 1;
    }
}
