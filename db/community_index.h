/* community_index.h — the shape of the flows' Community ID index and the lookup that uses it.
 * A Community ID is a hash, so new flows' keys land all over an index of the plain column:
 * each commit dirtied about one page per new flow anywhere in it, and a capture's writer
 * slowed as its store grew (bench_writer, every index: 80,000 flows/s at 200,000 flows,
 * 35,000 at 1 M). The index is keyed by (flow row id >> OW_CID_BUCKET_SHIFT, community_id)
 * instead: rows are numbered as they are written, so new keys fall in the newest bucket's
 * few dozen pages, however big the store. A lookup by Community ID then seeks each bucket
 * that holds flows once (611 buckets for 10 M flows), walking them with a recursive CTE
 * (docs/store.md). */
#ifndef OW_COMMUNITY_INDEX_H
#define OW_COMMUNITY_INDEX_H

/* 2^14 rows per bucket: about 65 pages of 16 KiB of the index. Changing it needs a
 * migration that rebuilds flows_community_id (the lookup below must match the index). */
#define OW_CID_BUCKET_SHIFT "14"

/* The index's table and key, as CREATE INDEX flows_community_id ON ... takes them. */
#define OW_CID_INDEX_ON "flows((id >> " OW_CID_BUCKET_SHIFT "), community_id)"

/* "ID_COLUMN IN (the flow row ids whose community_id is ?)": one equality seek per bucket
 * that holds a flow. The walk steps from one non-empty bucket to the next with a row-id
 * seek, and stops at the last flow's bucket, so it takes at most one step per stored flow
 * whatever ids a damaged or hostile store holds (and b + 1 never overflows its shift).
 * Correct whatever indexes the store has; fast with the index above. One parameter: the
 * Community ID. */
#define OW_CID_LOOKUP_SQL(id_column)                                                        \
    id_column " IN (WITH RECURSIVE cid_bucket(b) AS ("                                      \
    "SELECT (SELECT min(id) FROM flows) >> " OW_CID_BUCKET_SHIFT " UNION ALL "             \
    "SELECT (SELECT min(id) FROM flows WHERE id >= (b + 1) << " OW_CID_BUCKET_SHIFT ") >> " \
    OW_CID_BUCKET_SHIFT " FROM cid_bucket WHERE b < (SELECT max(id) FROM flows) >> "        \
    OW_CID_BUCKET_SHIFT ") SELECT cid_flow.id FROM cid_bucket CROSS JOIN flows cid_flow "   \
    "WHERE (cid_flow.id >> " OW_CID_BUCKET_SHIFT ") = cid_bucket.b AND "                    \
    "cid_flow.community_id = ?)"

#endif
