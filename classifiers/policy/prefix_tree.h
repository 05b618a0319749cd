/* prefix_tree.h — a binary trie over IPv4/IPv6 address bits, mapping prefixes to small
 * integer values. The policy builds three at load time (management networks, asset
 * addresses, CIDR `to` selectors) and only reads them afterwards, so lookups need no lock. */
#ifndef OW_PREFIX_TREE_H
#define OW_PREFIX_TREE_H

#include <stddef.h>
#include <stdint.h>

/* An address prefix; addr holds the family's bytes in network order, the rest zero. */
struct ow_cidr {
    uint8_t family;        /* OW_AF_INET4 or OW_AF_INET6 */
    uint8_t plen;          /* 0..32 or 0..128 */
    uint8_t addr[16];
};

struct ow_pt_node {
    uint32_t child[2];     /* 0 = no child (node 0 is never a child) */
    int32_t  value;        /* -1 = no prefix ends here */
};

struct ow_prefix_tree {
    struct ow_pt_node *nodes;
    uint32_t count, cap;
    uint32_t root[2];      /* [0] IPv4, [1] IPv6 */
};

int  ow_pt_init(struct ow_prefix_tree *t);
void ow_pt_free(struct ow_prefix_tree *t);

/* Inserts p with value. Returns 0 when inserted, 1 when p was already present (its value is
 * left unchanged and written to *existing), -1 when out of memory. */
int ow_pt_insert(struct ow_prefix_tree *t, const struct ow_cidr *p, int32_t value,
                 int32_t *existing);

/* Value of the longest prefix holding addr, or -1; *plen gets its length when not NULL. */
int32_t ow_pt_lookup(const struct ow_prefix_tree *t, uint8_t family, const uint8_t addr[16],
                     uint8_t *plen);

/* Writes the values of every prefix holding addr, shortest first, up to max of them;
 * returns how many there are (may exceed max). */
size_t ow_pt_lookup_all(const struct ow_prefix_tree *t, uint8_t family, const uint8_t addr[16],
                        int32_t *values, size_t max);

/* Value of the longest prefix of the tree that strictly contains prefix p, or -1. */
int32_t ow_pt_parent(const struct ow_prefix_tree *t, const struct ow_cidr *p);

/* Value of prefix p itself when the tree holds it, else -1. */
int32_t ow_pt_find(const struct ow_prefix_tree *t, const struct ow_cidr *p);

/* True when the tree holds a prefix strictly longer than p inside p. */
int ow_pt_has_longer(const struct ow_prefix_tree *t, const struct ow_cidr *p);

/* True when prefix p holds addr of the given family. */
int ow_cidr_contains(const struct ow_cidr *p, uint8_t family, const uint8_t addr[16]);

/* Parses "10.0.0.0/8", "fd00::/32" or a bare address (full-length prefix). Returns 0, or -1
 * with a short problem written to why ("host bits set", "prefix length out of range" ...). */
int ow_cidr_parse(const char *text, struct ow_cidr *out, char *why, size_t whylen);

/* Writes "10.0.0.0/8" (or the bare address for a full-length prefix); returns buf. */
const char *ow_cidr_to_text(const struct ow_cidr *p, char *buf, size_t buflen);

#endif
