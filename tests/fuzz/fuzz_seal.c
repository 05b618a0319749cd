/* fuzz_seal.c — libFuzzer target for the sealing parsers, which read files an attacker may
 * have written: a witness line (checkpoint or certificate JSON), a certs-file line, and a
 * whole report for `report verify`. The first byte picks the parser. None may crash, leak or
 * read out of bounds, and nothing random may verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/checkpoint.h"
#include "db/report_sign.h"
#include "db/seal_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct ow_checkpoint cp;
    struct ow_epoch_cert cert;
    static const uint8_t root[OW_ED25519_KEY_LEN] = { 0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89,
        0x5a, 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc, 0x9c, 0x98, 0x2c, 0xcf, 0x2e,
        0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c };
    switch (data[0] % 3) {
    case 0:
        if (ow_witness_line_parse(text, len, &cp, &cert) == 1)
            (void)ow_checkpoint_verify(&cp, root);
        break;
    case 1:
        if (ow_epoch_cert_parse(text, len, &cert) == 0)
            (void)ow_epoch_cert_verify(&cert, root);
        break;
    default: {
        char why[1024];
        if (ow_report_verify_text(text, len, root, why, sizeof why) == 0)
            abort();   /* forging a signature by fuzzing would be news */
        break;
    }
    }
    return 0;
}
