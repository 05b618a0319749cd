/* report_sign.c — signing a report and checking one offline. Everything in a report file is
 * hostile input to the checker: sizes, types and every signature are checked. */
#include "db/report_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/checkpoint.h"

#define REPORT_MAGIC "omwitness report v1"

char *ow_report_text(const json_t *report)
{
    char *body = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (!body)
        return NULL;
    size_t n = strlen(body);
    char *text = realloc(body, n + 2);
    if (!text) {
        free(body);
        return NULL;
    }
    text[n] = '\n';
    text[n + 1] = '\0';
    return text;
}

/* The signed bytes: magic with its NUL, then the SHA-256 of the canonical text of report
 * minus "signature" (a hash, not the text: libgcrypt's EdDSA aborts on messages of some
 * hundred kilobytes, and reports are larger). malloc'd; *len set. */
static uint8_t *signed_bytes(const json_t *report, size_t *len)
{
    json_t *copy = json_copy((json_t *)report);
    if (!copy)
        return NULL;
    json_object_del(copy, "signature");
    char *canon = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(copy);
    if (!canon)
        return NULL;
    uint8_t *out = malloc(sizeof REPORT_MAGIC + OW_HASH_LEN);
    if (out) {
        memcpy(out, REPORT_MAGIC, sizeof REPORT_MAGIC);
        ow_sha256(canon, strlen(canon), out + sizeof REPORT_MAGIC);
        *len = sizeof REPORT_MAGIC + OW_HASH_LEN;
    }
    free(canon);
    return out;
}

int ow_report_sign(json_t *report, const struct ow_keydir *k, char *err, size_t errlen)
{
    json_t *seal = json_object_get(report, "seal");
    json_t *certs = json_array();
    if (!json_is_object(seal) || !certs) {
        json_decref(certs);
        snprintf(err, errlen, "report: no seal section to sign");
        return -1;
    }
    for (size_t i = 0; i < k->ncerts; i++)
        json_array_append_new(certs, ow_epoch_cert_json(&k->certs[i]));
    json_object_set_new(seal, "certificates", certs);
    json_object_del(report, "signature");
    size_t len = 0;
    uint8_t *msg = signed_bytes(report, &len), sig[OW_ED25519_SIG_LEN];
    if (!msg || ow_ed25519_sign(k->secret, msg, len, sig) < 0) {
        free(msg);
        snprintf(err, errlen, "report: cannot sign (out of memory or libgcrypt)");
        return -1;
    }
    free(msg);
    char hex[2 * OW_ED25519_SIG_LEN + 1];
    ow_hex(sig, sizeof sig, hex);
    json_object_set_new(report, "signature", json_pack("{s:s,s:s,s:I,s:s}", "algorithm",
        "ed25519", "sensor", k->sensor, "epoch", (json_int_t)k->epoch, "value", hex));
    return 0;
}

static int bad(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return 3;
}

int ow_report_verify_text(const char *text, size_t len, const uint8_t root[OW_ED25519_KEY_LEN],
                          char *why, size_t whylen)
{
    json_error_t e;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!doc) {
        snprintf(why, whylen, "not valid JSON (line %d: %s): the report was changed", e.line,
                 e.text);
        return 3;
    }
    int rc = 3;
    char *again = NULL;
    uint8_t *msg = NULL;
    struct ow_epoch_cert *chain = NULL;
    if (!json_is_object(doc)) {
        rc = bad(why, whylen, "not a report object");
        goto out;
    }
    /* Byte for byte what omwitness writes: whitespace, escapes and order included. */
    again = ow_report_text(doc);
    if (!again || strlen(again) != len || memcmp(again, text, len) != 0) {
        rc = bad(why, whylen, "the file is not byte for byte the report omwitness wrote (its "
                 "text was changed)");
        goto out;
    }
    const json_t *sig = json_object_get(doc, "signature");
    const json_t *seal = json_object_get(doc, "seal");
    const json_t *certs = json_object_get(seal, "certificates");
    const char *value = json_string_value(json_object_get(sig, "value"));
    const json_t *epoch_v = json_object_get(sig, "epoch");
    uint8_t s[OW_ED25519_SIG_LEN];
    if (!json_is_object(sig) || !value || ow_unhex(value, s, sizeof s) < 0 ||
        !json_is_integer(epoch_v) || json_integer_value(epoch_v) < 1) {
        rc = bad(why, whylen, "the report is not signed (no valid \"signature\" member)");
        goto out;
    }
    size_t n = json_array_size(certs);
    if (!json_is_array(certs) || n == 0 || n > 10000000) {
        rc = bad(why, whylen, "the report carries no certificate chain");
        goto out;
    }
    chain = calloc(n, sizeof *chain);
    if (!chain) {
        rc = bad(why, whylen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *issuer = i ? chain[i - 1].public_key : root;
        if (ow_epoch_cert_from_json(json_array_get(certs, i), &chain[i]) < 0 ||
            chain[i].epoch != i + 1 || strcmp(chain[i].sensor, chain[0].sensor) != 0 ||
            ow_epoch_cert_verify(&chain[i], issuer) < 0) {
            snprintf(why, whylen, "certificate %zu of the report does not verify from %s", i + 1,
                     i ? "the previous one" : "this root key (another sensor's, or forged)");
            goto out;
        }
    }
    uint64_t epoch = (uint64_t)json_integer_value(epoch_v);
    if (epoch > n) {
        rc = bad(why, whylen, "the report is signed by an epoch key it has no certificate for");
        goto out;
    }
    size_t mlen = 0;
    msg = signed_bytes(doc, &mlen);
    if (!msg || ow_ed25519_verify(chain[epoch - 1].public_key, msg, mlen, s) < 0) {
        snprintf(why, whylen, "the signature (epoch %" PRIu64 ") does not match the report's "
                 "contents: the report was changed", epoch);
        goto out;
    }
    const json_t *cpj = json_object_get(seal, "checkpoint");
    struct ow_checkpoint cp;
    if (json_is_object(cpj)) {
        if (ow_checkpoint_from_json(cpj, &cp) < 0 || cp.epoch < 1 || cp.epoch > n ||
            ow_checkpoint_verify(&cp, chain[cp.epoch - 1].public_key) < 0) {
            rc = bad(why, whylen, "the report's checkpoint does not verify");
            goto out;
        }
        char head[OW_HASH_HEX_LEN];
        ow_hex(cp.head, OW_HASH_LEN, head);
        snprintf(why, whylen, "signed by epoch key %" PRIu64 " of sensor %s (certified from the "
                 "root key); checkpoint #%" PRIu64 " (epoch %" PRIu64 ") covers chain record %"
                 PRIu64 ", head %s; conclusion %s", epoch, chain[0].sensor, cp.number, cp.epoch,
                 cp.chain_seq, head,
                 json_string_value(json_object_get(doc, "conclusion")) ?
                 json_string_value(json_object_get(doc, "conclusion")) : "?");
    } else {
        snprintf(why, whylen, "signed by epoch key %" PRIu64 " of sensor %s; no checkpoint "
                 "(the evidence under it is not sealed); conclusion %s", epoch, chain[0].sensor,
                 json_string_value(json_object_get(doc, "conclusion")) ?
                 json_string_value(json_object_get(doc, "conclusion")) : "?");
    }
    rc = 0;
out:
    free(chain);
    free(msg);
    free(again);
    json_decref(doc);
    return rc;
}
