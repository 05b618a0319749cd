/* checkpoint.c — checkpoint encoding, signing, and the JSON forms of checkpoints and
 * certificates (witness lines, the report's seal). */
#include "db/checkpoint.h"

#include <string.h>

#include "db/seal_bytes.h"

#define CHECKPOINT_MAGIC "omwitness checkpoint v1"
#define WITNESS_LINE_MAX 4096

size_t ow_checkpoint_message(const struct ow_checkpoint *cp, uint8_t *buf, size_t cap)
{
    struct ow_bytes b = { .p = buf, .cap = cap };
    ow_bytes_put(&b, CHECKPOINT_MAGIC, sizeof CHECKPOINT_MAGIC);
    ow_bytes_str(&b, cp->sensor);
    ow_bytes_u64(&b, cp->epoch);
    ow_bytes_u64(&b, cp->number);
    ow_bytes_u64(&b, cp->chain_seq);
    ow_bytes_put(&b, cp->head, sizeof cp->head);
    ow_bytes_u64(&b, cp->records);
    ow_bytes_u64(&b, cp->packet_us);
    ow_bytes_u64(&b, cp->wall_us);
    ow_bytes_str(&b, cp->reason);
    return b.overflow ? 0 : b.len;
}

int ow_checkpoint_sign(struct ow_checkpoint *cp, const uint8_t secret[OW_ED25519_KEY_LEN])
{
    uint8_t msg[256];
    size_t n = ow_checkpoint_message(cp, msg, sizeof msg);
    return n && ow_ed25519_sign(secret, msg, n, cp->signature) == 0 ? 0 : -1;
}

int ow_checkpoint_verify(const struct ow_checkpoint *cp, const uint8_t pub[OW_ED25519_KEY_LEN])
{
    uint8_t msg[256];
    size_t n = ow_checkpoint_message(cp, msg, sizeof msg);
    return n && ow_ed25519_verify(pub, msg, n, cp->signature) == 0 ? 0 : -1;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char hex[2 * OW_ED25519_SIG_LEN + 1];
    ow_hex(p, n, hex);
    return json_string(hex);
}

json_t *ow_checkpoint_json(const struct ow_checkpoint *cp)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:s,s:o}",
        "type", "checkpoint", "sensor", cp->sensor, "epoch", (json_int_t)cp->epoch,
        "number", (json_int_t)cp->number, "chain_seq", (json_int_t)cp->chain_seq,
        "head", hex_json(cp->head, sizeof cp->head), "records", (json_int_t)cp->records,
        "packet_time_us", (json_int_t)cp->packet_us, "wall_us", (json_int_t)cp->wall_us,
        "reason", cp->reason, "signature", hex_json(cp->signature, sizeof cp->signature));
}

json_t *ow_epoch_cert_json(const struct ow_epoch_cert *c)
{
    return json_pack("{s:s,s:s,s:I,s:o,s:I,s:o}", "type", "epoch_cert", "sensor", c->sensor,
        "epoch", (json_int_t)c->epoch, "public_key", hex_json(c->public_key, sizeof c->public_key),
        "issued_wall_us", (json_int_t)c->issued_wall_us,
        "signature", hex_json(c->signature, sizeof c->signature));
}

static int get_u64(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_hex(const json_t *o, const char *key, uint8_t *out, size_t n)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && ow_unhex(s, out, n) == 0 ? 0 : -1;
}

static int get_str(const json_t *o, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) >= cap || strlen(s) != json_string_length(v))
        return -1;
    memcpy(out, s, json_string_length(v) + 1);
    return 0;
}

static int type_is(const json_t *o, const char *type, size_t nkeys)
{
    const char *t = json_string_value(json_object_get(o, "type"));
    return json_is_object(o) && t && strcmp(t, type) == 0 && json_object_size(o) == nkeys;
}

int ow_checkpoint_from_json(const json_t *o, struct ow_checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    if (!type_is(o, "checkpoint", 11) || get_str(o, "sensor", cp->sensor, sizeof cp->sensor) ||
        !ow_sensor_name_ok(cp->sensor) || get_u64(o, "epoch", &cp->epoch) ||
        get_u64(o, "number", &cp->number) || get_u64(o, "chain_seq", &cp->chain_seq) ||
        get_hex(o, "head", cp->head, sizeof cp->head) || get_u64(o, "records", &cp->records) ||
        get_u64(o, "packet_time_us", &cp->packet_us) || get_u64(o, "wall_us", &cp->wall_us) ||
        get_str(o, "reason", cp->reason, sizeof cp->reason) ||
        get_hex(o, "signature", cp->signature, sizeof cp->signature))
        return -1;
    return 0;
}

int ow_epoch_cert_from_json(const json_t *o, struct ow_epoch_cert *c)
{
    memset(c, 0, sizeof *c);
    if (!type_is(o, "epoch_cert", 6) || get_str(o, "sensor", c->sensor, sizeof c->sensor) ||
        !ow_sensor_name_ok(c->sensor) || get_u64(o, "epoch", &c->epoch) || c->epoch == 0 ||
        get_hex(o, "public_key", c->public_key, sizeof c->public_key) ||
        get_u64(o, "issued_wall_us", &c->issued_wall_us) ||
        get_hex(o, "signature", c->signature, sizeof c->signature))
        return -1;
    return 0;
}

int ow_witness_line_parse(const char *line, size_t len, struct ow_checkpoint *cp,
                          struct ow_epoch_cert *cert)
{
    if (len == 0 || len > WITNESS_LINE_MAX)
        return -1;
    json_error_t e;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
    if (!o)
        return -1;
    int rc = -1;
    if (ow_checkpoint_from_json(o, cp) == 0)
        rc = 1;
    else if (ow_epoch_cert_from_json(o, cert) == 0)
        rc = 2;
    json_decref(o);
    return rc;
}
