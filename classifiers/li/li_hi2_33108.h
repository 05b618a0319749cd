/* li_hi2_33108.h — HI2 IRI records of 3GPP TS 33.108 / ETSI TS 101 671 sent as plain BER
 * over TCP: IRI-Begin/End/Continue/Report records ([1]..[4]) whose first element is the
 * hi2 domain id OID under lawfulInterceptDomainId 0.4.0.2.2 (arc 1 ETSI HI2, arc 4 3GPP),
 * optionally wrapped in an IRISequence (SEQUENCE OF). */
#ifndef OW_LI_HI2_33108_H
#define OW_LI_HI2_33108_H

#include <stddef.h>
#include <stdint.h>

#include "classifiers/li/li_ber.h"

#define OW_HI2_MAX_LEN (1u << 20)

struct ow_hi2_record {
    uint8_t  record_type;     /* 1 begin, 2 end, 3 continue, 4 report (first record) */
    uint8_t  domain_arc;      /* 1 = ETSI HI2 (101 671), 4 = 3GPP (33.108) */
    const uint8_t *liid;      /* lawfulInterceptionIdentifier [1] of the first record, or NULL */
    size_t   liid_len;
    uint32_t records;         /* records in this element (several in an IRISequence) */
    int      header_ok;       /* the first record's domain id was seen and fits */
    size_t   size;            /* whole element, when OK */
};

/* OK: a whole IRI record (or IRISequence of them) with consistent lengths. NEED_MORE:
 * consistent so far. BAD: not a 33.108 / 101 671 IRI record. */
enum ow_parse ow_hi2_33108_parse(const uint8_t *buf, size_t avail, struct ow_hi2_record *rec);

#endif
