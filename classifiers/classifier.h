/* classifier.h — the shape every protocol classifier of omwitness has (LI: X1 X2 X3 HI1 HI2
 * HI3; O&M: TACACS+, SNMP, RMCP/IPMI, BFD, LDP, PFCP, LDAP), and the one table that lists
 * them (classifier_table.c). A classifier is four pure functions over bounded bytes: probe
 * (do a direction's first bytes start this protocol?), parse (one PDU), note (fold a PDU's
 * facts into the flow's evidence) and decide (a label from the evidence). The per-flow
 * stream (proto_stream.c) owns the bytes and calls them; a classifier keeps no state of its
 * own and never reads outside the buffer it is given. */
#ifndef OW_CLASSIFIER_H
#define OW_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow_record.h"

/* What a probe or a parser says about bytes: yes, no, or need more. */
enum ow_parse {
    OW_PARSE_BAD = 0,     /* the bytes cannot be this protocol */
    OW_PARSE_NEED_MORE,   /* consistent so far, the PDU continues past the buffer */
    OW_PARSE_OK,          /* a complete and valid PDU */
};

enum ow_cls_kind { OW_CLS_LI = 1, OW_CLS_OM = 2 };

#define OW_CLS_TCP 0x1u
#define OW_CLS_UDP 0x2u

/* One PDU as its parser describes it: its size, and the facts its note function reads.
 * Pointers point into the parsed buffer and are valid only during the note call. */
struct ow_pdu {
    size_t   size;            /* OK: bytes the PDU used; NEED_MORE with header_ok: its declared
                                 size when known, else 0 */
    bool     header_ok;       /* the PDU's header is complete and valid */
    uint32_t type;            /* the protocol's message type */
    uint32_t aux;             /* one more protocol-specific number */
    uint64_t id;              /* a protocol identifier (session id ...) */
    const uint8_t *a, *b;     /* protocol-specific byte ranges, NULL when absent */
    size_t   a_len, b_len;
    uint8_t  bytes[16];       /* a protocol-specific fixed field (an X2/X3 XID ...) */
};

/* What a flow's PDUs of one family taught so far, over both directions. The stream keeps
 * the counts; the family's note function keeps the rest, in the generic slots below (each
 * family says in its file what it keeps where), so a new protocol needs no new field. */
struct ow_cls_evidence {
    uint32_t complete[2];     /* whole PDUs per direction (stream) */
    bool     partial[2];      /* a header-valid PDU continues past the bytes seen (stream) */
    bool     full;            /* a direction of this family filled its window (stream) */
    bool     stop[2];         /* note: the rest of this direction is not this protocol's PDUs
                                 (after StartTLS, a SASL security layer ...): stop there */
    bool     contradict;      /* note: the PDUs contradict each other: never this protocol */
    uint32_t count[8];        /* the family's counters */
    uint8_t  first;           /* the family's "first seen" marker */
    uint64_t id[2];           /* the family's identifiers */
    struct ow_li_fields li;   /* LI families: fields for the flow's li object */
    bool     liid_from_data;  /* li.liid came from a data PDU, not a keep-alive */
    bool     have_format;     /* li.payload_format was set */
};

/* A family's answer. confidence 0: not decided yet (or, with none set, decided: not this
 * protocol). label: an enum ow_li_label for LI families, 1 + an index into labels for O&M. */
struct ow_cls_decision {
    uint8_t label;
    uint8_t confidence;       /* 1..100 when decided with a label */
    bool    none;
};

struct ow_classifier {
    const char *name;         /* the family and its specification, for docs and tests */
    uint8_t kind;             /* enum ow_cls_kind */
    uint8_t l4;               /* OW_CLS_TCP and/or OW_CLS_UDP */
    const char *const *labels;   /* O&M: the label names, NULL-terminated; LI: NULL */
    /* Do the first bytes of direction dir (0 = client to server) start this protocol? OK:
     * yes (a whole PDU, or a valid header whose PDU continues); BAD: no; NEED_MORE: need
     * more bytes to tell. final: no more bytes will come (the datagram, the flow or the
     * window is complete). */
    enum ow_parse (*probe)(int dir, const uint8_t *buf, size_t avail, bool final);
    /* One PDU at buf, of which avail bytes are there. */
    enum ow_parse (*parse)(const uint8_t *buf, size_t avail, bool final, struct ow_pdu *pdu);
    /* Folds a PDU into the evidence: called for complete PDUs (complete set) and for a
     * header-valid PDU that continues past the bytes seen, possibly more than once for the
     * same one as its bytes arrive, so what it keeps from those must not add up. */
    void (*note)(struct ow_cls_evidence *ev, int dir, const struct ow_pdu *pdu, bool complete);
    /* The label the evidence supports; final: the flow is over, so decide. */
    struct ow_cls_decision (*decide)(const struct ow_cls_evidence *ev, bool final);
};

/* The one table, in probe order (classifier_table.c). */
extern const struct ow_classifier *const ow_classifier_table[];
extern const size_t ow_classifier_count;

/* True when name is the label of one of the O&M classifiers (case-insensitive), so that
 * `policy check` accepts it in `app`. */
bool ow_cls_label_known(const char *name);

/* Decisions shared by families. Message protocols (O&M): two complete PDUs decide at 95;
 * one, once the flow is over or the window full, at 80; header-only PDUs never decide. */
struct ow_cls_decision ow_cls_decide_messages(const struct ow_cls_evidence *ev, uint8_t label,
                                              bool final);
/* Streams of LI PDUs (docs/li-classifiers.md "Confidence"): label is what the data PDUs
 * point to (OW_LI_NONE: keep-alives only), data_complete the complete data PDUs, fallback
 * the label reported for keep-alives only. */
struct ow_cls_decision ow_cls_decide_li_stream(const struct ow_cls_evidence *ev, uint8_t label,
                                               uint32_t data_complete, uint8_t fallback,
                                               bool final);

/* Big-endian reads, for the parsers. */
static inline uint16_t ow_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t ow_be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline uint32_t ow_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
