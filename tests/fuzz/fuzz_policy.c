/* fuzz_policy.c — libFuzzer target for the policy loader: any bytes as a policy file must
 * load or fail with a FILE:LINE:COL line, never crash, leak or read out of bounds; a policy
 * that loads is then evaluated against a few flows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "classifiers/policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    /* The loader reads a path; an in-memory file keeps the fuzzer off the disk. */
    int fd = memfd_create("policy", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct ow_policy *p = ow_policy_load(path, NULL, NULL, err, sizeof err);
    if (p) {
        static const char *const addrs[] = { "10.20.1.11", "10.30.0.10", "198.51.100.20", "fd00:20::1" };
        for (size_t i = 0; i < 4; i++) {
            struct ow_flow_record rec;
            memset(&rec, 0, sizeof rec);
            ow_addr_from_text(addrs[i], &rec.client);
            ow_addr_from_text(addrs[(i + 1) % 4], &rec.server);
            if (rec.client.family != rec.server.family)
                continue;
            rec.client.port = 40000;
            rec.server.port = (uint16_t)(22 + i * 9977);
            rec.l4_proto = i & 1 ? 17 : 6;
            rec.first_ts_us = rec.last_ts_us = 1770685200000000ull + i * 3600000000ull;
            snprintf(rec.app_proto, sizeof rec.app_proto, "%s", i == 1 ? "X2" : "SSH");
            snprintf(rec.ndpi_app, sizeof rec.ndpi_app, "SSH");
            rec.li.label = i == 1 ? OW_LI_X2 : OW_LI_NONE;
            ow_policy_evaluate(p, &rec);
            ow_policy_check_overrun(p, &rec);
        }
        ow_policy_free(p);
    } else if (!strstr(err, ":")) {
        abort();   /* every refusal names where */
    }
    close(fd);
    return 0;
}
