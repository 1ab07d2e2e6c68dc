/* SPDX-License-Identifier: Apache-2.0 */
/* bench_core.c - the JSON event format round trip, against jansson.
 *
 *   make bench   (runs ./bench/bench_core tests/data/conformance/cloudevents-json)
 *
 * Two workloads, measured in the same run:
 *   conformance-valid  every valid event of the CloudEvents conformance suite
 *                      (valid-events.json, and each member of the batches in
 *                      valid-batches.json), one message per event;
 *   generated-4k       one realistic ~4 KiB order event with nested JSON data.
 * Each message is the compact JSON text of the event. The two sides do the
 * same job on the same bytes:
 *   cegate   cegate_json_decode (parse + validate) + cegate_json_encode_batch
 *   jansson  json_loadb + json_dumps(JSON_COMPACT)
 * and free what they made. Each side runs for a fixed wall time rather than a
 * fixed count: rounds, interleaved (the side going first alternates),
 * the best round counts. CEGATE_BENCH_SECONDS sets the time per side
 * (default 1 s, split over the rounds); CEGATE_BENCH_SHOW=1 prints the
 * generated event.
 *
 * Exits 0 whatever the ratio (a benchmark reports, it does not judge), but 1
 * when an input does not decode or encode, and 2 on bad usage.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cegate/buffer.h"
#include "cegate/error.h"
#include "cegate/event.h"
#include "cegate/format.h"
#include "harness.h"

#define TARGET_RATIO 0.80

/* The valid cases of one conformance file: events, and batch members. */
static void load_conformance(workload *w, const char *dir, const char *file)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        fprintf(stderr, "bench_core: %s:%d:%d: %s\n", path, jerr.line,
                jerr.column, jerr.text);
        exit(1);
    }
    const char *file_type = json_string_value(json_object_get(doc, "testType"));
    json_t *tests = json_object_get(doc, "tests");
    size_t i;
    json_t *test;
    json_array_foreach(tests, i, test) {
        const char *type = json_string_value(json_object_get(test, "testType"));
        if (type == NULL)
            type = file_type;
        if (type == NULL || strncmp(type, "Valid", 5) != 0)
            continue;
        json_t *event = json_object_get(test, "event");
        json_t *batch = json_object_get(test, "batch");
        if (json_is_object(event))
            workload_add_json(w, event);
        size_t j;
        json_t *member;
        json_array_foreach(batch, j, member)
            workload_add_json(w, member);
    }
    json_decref(doc);
}

/* json_pack() returns NULL on a format mistake: never carry on silently. */
static json_t *must(json_t *v, const char *what)
{
    if (v == NULL) {
        fprintf(stderr, "bench_core: cannot build %s\n", what);
        exit(1);
    }
    return v;
}

/* A realistic order-created event of about 4 KiB: nested objects and arrays,
 * strings (some non-ASCII), integers, reals, booleans and nulls. */
static void generate_order(workload *w)
{
    json_t *data = must(json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:b, s:{s:s, s:i}},"
        " s:{s:s, s:s, s:s, s:s, s:s, s:n}, s:{s:s, s:s, s:s, s:s, s:s}}",
        "orderId", "ORD-2026-000123", "createdAt", "2026-11-23T09:30:00.123Z",
        "status", "confirmed", "channel", "web",
        "customer", "id", "C-99812", "name", "J\xc3\xb6rg M\xc3\xbcller",
        "email", "joerg.mueller@example.com", "vip", 1,
        "loyalty", "tier", "gold", "points", 12840,
        "shippingAddress", "street", "Hauptstra\xc3\x9f" "e 17", "city",
        "M\xc3\xbcnchen", "postalCode", "80331", "country", "DE", "phone",
        "+49 89 1234567", "company",
        "billingAddress", "street", "Hauptstra\xc3\x9f" "e 17", "city",
        "M\xc3\xbcnchen", "postalCode", "80331", "country", "DE", "vatId",
        "DE123456789"), "data");
    static const char *const names[] = {
        "Espresso beans, 1 kg", "Ceramic mug \"Morning\"", "Milk frother",
        "Paper filters (100)", "Descaling tablets", "Tea sampler \xe2\x80\x94 green",
        "Travel tumbler 350 ml", "Cleaning brush set"};
    json_t *items = json_array();
    json_object_set_new(data, "items", items);
    json_object_set_new(
        data, "payment",
        must(json_pack("{s:s, s:s, s:s, s:b, s:[{s:s, s:f, s:s}]}", "method",
                       "card", "brand", "visa", "last4", "4242", "captured", 1,
                       "transactions", "id", "txn_8f3a2c", "amount", 574.26,
                       "state", "authorized"), "payment"));
    json_object_set_new(
        data, "notes",
        json_string("Bitte vor 18 Uhr liefern \xe2\x80\x94 danke! "
                    "\xf0\x9f\x93\xa6 Line two:\n\t\"fragile\""));
    json_object_set_new(
        data, "metadata",
        must(json_pack("{s:s, s:s, s:i, s:[b, b, n], s:{s:s, s:s}}",
                       "traceId", "4bf92f3577b34da6a3ce929d0e0e4736", "spanId",
                       "00f067aa0ba902b7", "retries", 0, "flags", 1, 0,
                       "experiment", "checkout", "v3", "ranking", "b"),
             "metadata"));

    json_t *event = must(json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
        "specversion", "1.0", "id", "9b2c6d2e-8a0f-4c1e-9d6b-3f2a1e0c7b55",
        "source", "https://shop.example.com/orders", "type",
        "com.example.shop.order.created", "subject", "orders/ORD-2026-000123",
        "time", "2026-11-23T09:30:00.123456Z", "datacontenttype",
        "application/json", "tenant", "acme", "region", "eu-central-1",
        "sequence", 123456), "event");
    json_object_set(event, "data", data);

    double subtotal = 0;
    for (int i = 0;; i++) {
        char *text = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(12));
        size_t n = strlen(text);
        free(text);
        if (n >= 4096)
            break;
        int qty = 1 + i % 3;
        double price = 4.95 + 3.5 * i;
        char sku[32];
        snprintf(sku, sizeof sku, "SKU-%05d", 1000 + 37 * i);
        json_array_append_new(
            items,
            must(json_pack("{s:i, s:s, s:s, s:i, s:f, s:s, s:o, s:[s, s],"
                      " s:{s:f, s:i, s:i, s:i}, s:b}",
                      "lineId", i + 1, "sku", sku, "name", names[i % 8],
                      "quantity", qty, "unitPrice", price, "currency", "EUR",
                      "discount",
                      i % 3 == 1 ? json_pack("{s:s, s:f}", "code", "WINTER10",
                                             "percent", 10.0)
                                 : json_null(),
                      "tags", i % 2 ? "kitchen" : "coffee",
                      i % 2 ? "gift" : "bestseller", "dimensions", "weightKg",
                      0.25 + 0.1 * i, "lengthCm", 10 + i, "widthCm", 8 + i,
                      "heightCm", 5 + i, "inStock", i % 4 != 3), "an item"));
        subtotal += qty * price;
    }
    json_object_set_new(
        data, "totals",
        must(json_pack("{s:f, s:f, s:f, s:f, s:s}", "subtotal", subtotal,
                       "tax", subtotal * 0.19, "shipping", 4.9, "grandTotal",
                       subtotal * 1.19 + 4.9, "currency", "EUR"), "totals"));
    workload_add_json(w, event);
    json_decref(data);
    json_decref(event);
}

/* ---- the two sides -------------------------------------------------------- */

static void die_cegate(const workload *w, size_t i, const char *what,
                       const cegate_error *err)
{
    fprintf(stderr, "bench_core: %s: message %zu: %s: %s at \"%s\": %s\n",
            w->name, i + 1, what, cegate_error_code_name(err->code), err->path,
            err->text);
    fprintf(stderr, "  %s\n", w->messages[i]);
    exit(1);
}

static size_t run_cegate(const workload *w)
{
    size_t events = 0;
    for (size_t i = 0; i < w->count; i++) {
        cegate_event_list list;
        cegate_buffer out;
        cegate_error err;
        cegate_error_clear(&err);
        cegate_event_list_init(&list);
        cegate_buffer_init(&out, (size_t)64 << 20);
        if (cegate_json_decode(w->messages[i], w->lengths[i], NULL, &list,
                               &err) < 0)
            die_cegate(w, i, "cegate_json_decode failed", &err);
        if (cegate_json_encode_batch(list.events, list.count, &out, &err) < 0)
            die_cegate(w, i, "cegate_json_encode_batch failed", &err);
        events += list.count;
        cegate_buffer_free(&out);
        cegate_event_list_free(&list);
    }
    return events;
}

static size_t run_jansson(const workload *w)
{
    for (size_t i = 0; i < w->count; i++) {
        json_error_t jerr;
        json_t *j = json_loadb(w->messages[i], w->lengths[i], 0, &jerr);
        if (j == NULL) {
            fprintf(stderr, "bench_core: %s: message %zu: json_loadb: %s\n",
                    w->name, i + 1, jerr.text);
            exit(1);
        }
        char *s = json_dumps(j, JSON_COMPACT);
        if (s == NULL) {
            fprintf(stderr, "bench_core: json_dumps failed\n");
            exit(1);
        }
        free(s);
        json_decref(j);
    }
    return w->count;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR   (DIR: the conformance JSON files, "
                "e.g. tests/data/conformance/cloudevents-json)\n", argv[0]);
        return 2;
    }

    workload conformance = {.name = "conformance-valid"};
    workload order = {.name = "generated-4k"};
    load_conformance(&conformance, argv[1], "valid-events.json");
    load_conformance(&conformance, argv[1], "valid-batches.json");
    if (conformance.count == 0) {
        fprintf(stderr, "bench_core: no valid events in %s\n", argv[1]);
        return 1;
    }
    generate_order(&order);
    if (getenv("CEGATE_BENCH_SHOW") != NULL)
        printf("generated event (%zu bytes):\n%s\n", order.lengths[0],
               order.messages[0]);

    printf("cegate bench: the JSON event format round trip, cegate against jansson\n"
           "  cegate  = cegate_json_decode (parse + validate) + cegate_json_encode_batch\n"
           "  jansson = json_loadb + json_dumps(JSON_COMPACT), the same bytes\n"
           "  best of interleaved rounds; MB/s counts input bytes\n");
    bench_compare(&conformance, run_cegate, "cegate", run_jansson,
                  "jansson round trip", TARGET_RATIO);
    bench_compare(&order, run_cegate, "cegate", run_jansson,
                  "jansson round trip", TARGET_RATIO);

    workload_free(&conformance);
    workload_free(&order);
    return 0;
}
