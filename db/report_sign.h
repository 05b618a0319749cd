/* report_sign.h — the report's signature (docs/evidence.md "Signed reports"): the current
 * epoch key signs "omwitness report v1\0" followed by the SHA-256 of the report's canonical
 * serialization
 * without its "signature" member (jansson compact, keys sorted, ASCII only); the report
 * carries the certificate chain from the root key to that epoch key. `report verify` checks
 * it offline with the root public key alone, and also requires the file to be byte for byte
 * the form omwitness writes, so no byte of it can change unnoticed. */
#ifndef OW_REPORT_SIGN_H
#define OW_REPORT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/seal_keys.h"

/* Replaces seal.certificates with the key directory's chain and adds "signature".
 * 0, or -1 with err. */
int ow_report_sign(json_t *report, const struct ow_keydir *k, char *err, size_t errlen);

/* Checks a report file's text: 0 valid (summary gets one line), 3 not (why says what). */
int ow_report_verify_text(const char *text, size_t len, const uint8_t root[OW_ED25519_KEY_LEN],
                          char *why, size_t whylen);

/* The exact text omwitness writes for a report (indented JSON and a newline); malloc'd. */
char *ow_report_text(const json_t *report);

#endif
