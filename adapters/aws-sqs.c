/* aws-sqs.c - placeholder: declines everything until the adapter is written. */
#include "cegate/adapter.h"

static int probe(const cegate_host *host, const cegate_message *msg,
                 const char **reason)
{
    (void)host;
    (void)msg;
    *reason = "not implemented yet";
    return 0;
}

static cegate_adapter_result normalize(const cegate_host *host,
                                       cegate_call *call,
                                       const cegate_message *msg,
                                       cegate_error *err)
{
    (void)host;
    (void)call;
    (void)msg;
    (void)err;
    return CEGATE_ADAPTER_DECLINED;
}

CEGATE_ADAPTER_EXPORT = {
    .abi_major = CEGATE_ADAPTER_ABI_MAJOR,
    .abi_minor = CEGATE_ADAPTER_ABI_MINOR,
    .struct_size = sizeof(cegate_adapter_descriptor),
    .name = "aws-sqs",
    .description = "placeholder",
    .probe = probe,
    .normalize = normalize,
};
