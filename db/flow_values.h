/* flow_values.h — a flow's column values, bound to the flows INSERT and hashed into its chain
 * records from the same array (db/store_write.c). For db/store_*.c only. */
#ifndef OW_FLOW_VALUES_H
#define OW_FLOW_VALUES_H

#include "db/store_internal.h"

/* run_id, the FC_* columns, then the END_COLUMNS: the INSERT's parameters in order; the flow
 * record's hashed columns are the first 1 + FC_COUNT, the flow_end record's the rest. */
#define OW_FLOW_VALUES (1 + FC_COUNT + END_COLUMN_COUNT)

struct ow_flow_values {
    struct ow_chain_value v[OW_FLOW_VALUES];
    /* The address texts, which the values point into. */
    char client[OW_ADDR_TEXT_LEN], server[OW_ADDR_TEXT_LEN];
};

/* Every column of r's row (its end columns NULL while r is open). */
void ow_flow_values(struct ow_flow_values *fv, int64_t run_id, const struct ow_flow_record *r);

/* The END_COLUMN_COUNT end columns of a flow that has ended. */
void ow_flow_end_values(struct ow_chain_value *v, const struct ow_flow_record *r);

/* Binds n values to parameters first, first + 1, ...; the values must outlive the step. */
void ow_bind_values(sqlite3_stmt *s, int first, const struct ow_chain_value *v, int n);

/* As ow_bind_values, for a statement whose bindings are never cleared: bound[] holds what
 * each parameter is bound to now, and only the values that differ are bound again (and
 * noted there). A text at the same address with the same length is not bound again: SQLite
 * reads a SQLITE_STATIC text when the statement steps, so it takes the bytes there now. Of
 * a flow's 65 values most repeat from one flow to the next (run, zeros, empty texts,
 * names), and a bind call costs more than the comparison. */
void ow_bind_changed(sqlite3_stmt *s, int first, const struct ow_chain_value *v,
                     struct ow_chain_value *bound, int n);

#endif
