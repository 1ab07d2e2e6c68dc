/* SPDX-License-Identifier: Apache-2.0 */
/* aws-eventbridge.c - Amazon EventBridge events
 *
 *   {"version":"0","id","detail-type","source","account","time","region",
 *    "resources":[...],"detail":{...}}
 *
 * become one CloudEvent by AWS's own EventBridge -> CloudEvents mapping
 * (DESIGN.md, "Source -> CloudEvent mappings"): type = detail-type,
 * source = source, id, time, data = detail, and the String extensions
 * "region" and "account" (omitted when absent or empty). S3 events
 * (source "aws.s3") also get subject = detail.object.key [ours]. Other
 * members ("resources", "replay-name", ...) are not attributes: they are
 * dropped, never turned into extensions. */
#include <string.h>

#include "cegate/adapter.h"
#include "common/adapter_util.h"

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    (void)host;
    if (!au_probe_object(msg, reason))
        return 0;
    const json_t *root = msg->json;
    if (json_object_get(root, "detail-type") == NULL) {
        *reason = "no detail-type member";
        return 0;
    }
    if (json_object_get(root, "source") != NULL &&
        json_object_get(root, "detail") != NULL)
        return 80;
    /* detail-type alone is still EventBridge's: let normalize() say what
     * is missing. */
    return 50;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    const json_t *root = msg->json;
    if (!json_is_object(root))
        return CEGATE_ADAPTER_DECLINED;
    const char *id, *type, *source, *time, *region = NULL, *account = NULL;
    const char *key = NULL;
    size_t id_n, type_n, source_n, time_n, region_n = 0, account_n = 0;
    size_t key_n = 0;
    const json_t *detail;
    if (au_get_string(host, root, "", "id", AU_REQUIRED, &id, &id_n, err) < 0 ||
        au_get_string(host, root, "", "detail-type", AU_REQUIRED, &type,
                      &type_n, err) < 0 ||
        au_get_string(host, root, "", "source", AU_REQUIRED, &source,
                      &source_n, err) < 0 ||
        au_get_string(host, root, "", "time", AU_REQUIRED, &time, &time_n,
                      err) < 0 ||
        au_get_string(host, root, "", "region", 0, &region, &region_n,
                      err) < 0 ||
        au_get_string(host, root, "", "account", 0, &account, &account_n,
                      err) < 0 ||
        au_get_object(host, root, "", "detail", &detail, err) < 0)
        return CEGATE_ADAPTER_ERROR;
    /* [ours] S3 events get the object key as subject however they arrive;
     * S3 events without an object (e.g. CloudTrail API calls) simply have
     * none. */
    if (strcmp(source, "aws.s3") == 0 &&
        au_get_string(host, root, "", "detail.object.key", 0, &key, &key_n,
                      err) < 0)
        return CEGATE_ADAPTER_ERROR;

    cegate_event *ev = au_event_new(host, err);
    if (ev == NULL)
        return CEGATE_ADAPTER_ERROR;
    if (au_set_attribute(host, ev, "id", id, id_n, "id", err) < 0 ||
        au_set_attribute(host, ev, "source", source, source_n, "source",
                         err) < 0 ||
        au_set_attribute(host, ev, "type", type, type_n, "detail-type",
                         err) < 0 ||
        au_set_attribute(host, ev, "datacontenttype", "application/json", 16,
                         "", err) < 0 ||
        (key != NULL && au_set_attribute(host, ev, "subject", key, key_n,
                                         "detail.object.key", err) < 0) ||
        au_set_attribute(host, ev, "time", time, time_n, "time", err) < 0 ||
        (region_n > 0 && au_set_attribute(host, ev, "region", region,
                                          region_n, "region", err) < 0) ||
        (account_n > 0 && au_set_attribute(host, ev, "account", account,
                                           account_n, "account", err) < 0) ||
        /* Shared, not copied: the event takes its own reference and event
         * data is never modified. */
        host->event_set_data_json(ev, (json_t *)detail, err) < 0) {
        host->event_free(ev);
        return CEGATE_ADAPTER_ERROR;
    }
    return host->emit(call, ev, err) < 0 ? CEGATE_ADAPTER_ERROR
                                         : CEGATE_ADAPTER_OK;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "aws-eventbridge",
    .description = "Amazon EventBridge events (AWS's EventBridge to "
                   "CloudEvents mapping)",
    .probe = probe,
    .normalize = normalize,
};
