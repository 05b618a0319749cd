/* classifier_table.c — the one list of omwitness's own protocol classifiers, in the order
 * their probes run on a direction's first bytes. Adding a protocol is one file defining its
 * struct ow_classifier and one row here. LI families come first: they decide the alerts
 * that matter most, and no O&M probe accepts what an LI probe accepts. */
#include "classifiers/classifier.h"

#include <strings.h>

#define OW_CLASSIFIERS(ROW) \
    ROW(ow_cls_x2x3)        /* X2/X3, ETSI TS 103 221-2 */ \
    ROW(ow_cls_ps_pdu)      /* HI2/HI3/HI1 PS-PDU, ETSI TS 102 232-1 */ \
    ROW(ow_cls_hi2_33108)   /* HI2 IRI records, 3GPP TS 33.108 */ \
    ROW(ow_cls_xml)         /* X1 and HI1 XML over HTTP */ \
    ROW(ow_cls_tacacs)      /* TACACS+, RFC 8907 */ \
    ROW(ow_cls_snmp)        /* SNMP, RFC 3416 */ \
    ROW(ow_cls_rmcp)        /* RMCP/ASF and IPMI over LAN */ \
    ROW(ow_cls_bfd)         /* BFD, RFC 5880 */ \
    ROW(ow_cls_ldp)         /* LDP, RFC 5036 */ \
    ROW(ow_cls_pfcp)        /* PFCP, 3GPP TS 29.244 */ \
    ROW(ow_cls_ldap)        /* LDAP, RFC 4511 */

#define DECLARE(entry) extern const struct ow_classifier entry;
OW_CLASSIFIERS(DECLARE)

#define ENTRY(entry) &entry,
const struct ow_classifier *const ow_classifier_table[] = { OW_CLASSIFIERS(ENTRY) };
const size_t ow_classifier_count = sizeof ow_classifier_table / sizeof ow_classifier_table[0];

bool ow_cls_label_known(const char *name)
{
    for (size_t i = 0; i < ow_classifier_count; i++) {
        const struct ow_classifier *c = ow_classifier_table[i];
        for (size_t l = 0; c->kind == OW_CLS_OM && c->labels && c->labels[l]; l++)
            if (strcasecmp(c->labels[l], name) == 0)
                return true;
    }
    return false;
}
