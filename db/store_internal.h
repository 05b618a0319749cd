/* store_internal.h — what the store's three parts share: the handle's state, the flow
 * columns in the order they are bound and read, and error reporting. store_open.c opens,
 * migrates and closes; store_write.c writes and chains; store_read.c reads back. Not for
 * use outside db/store_*.c. */
#ifndef OW_STORE_INTERNAL_H
#define OW_STORE_INTERNAL_H

#include "db/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "db/eve_json.h"
#include "db/hash_chain.h"
#include "db/listing.h"
#include "db/migrations.h"
#include "db/store_files.h"
#include "common/alloc.h"
#include "common/endpoint.h"
#include "common/private_file.h"


/* Flow columns in the order they are bound and read. Parameters and result columns that
 * follow run_id use this order; keep the enum and the names in step. */
enum flow_col {
    FC_FLOW_ID, FC_COMMUNITY_ID, FC_FIRST_TS, FC_LAST_TS, FC_L4_PROTO, FC_IP_FAMILY,
    FC_CLIENT_IP, FC_CLIENT_PORT, FC_SERVER_IP, FC_SERVER_PORT, FC_ICMP_TYPE, FC_ICMP_CODE,
    FC_SLICE,
    FC_VLAN, FC_TUNNELS, FC_PKTS_TOSERVER, FC_PKTS_TOCLIENT, FC_BYTES_TOSERVER,
    FC_BYTES_TOCLIENT, FC_LATER_FRAGMENTS, FC_END_REASON,
    FC_NDPI_PROTOCOL, FC_NDPI_MASTER, FC_NDPI_APP, FC_NDPI_CATEGORY, FC_NDPI_CONFIDENCE,
    FC_NDPI_RISK, FC_APP_PROTO,
    FC_SSH_CLIENT, FC_SSH_SERVER, FC_HASSH_CLIENT, FC_HASSH_SERVER, FC_TLS_SNI, FC_JA3,
    FC_JA3S, FC_TLS_VERSION, FC_HTTP_HOST, FC_HTTP_USER_AGENT, FC_DNS_QUERY,
    FC_LI_INTERFACE, FC_LI_CONFIDENCE, FC_LI_XID, FC_LI_LIID, FC_LI_TARGET,
    FC_LI_PAYLOAD_FORMAT, FC_LI_PDU_COUNT,
    FC_VERDICT_STATUS, FC_VERDICT_RULE, FC_VERDICT_KIND, FC_VERDICT_SEVERITY,
    FC_VERDICT_REASON, FC_VERDICT_ASSET_SRC, FC_VERDICT_ASSET_DEST, FC_VERDICT_TICKET,
    FC_VERDICT_OVERRUN,
    FC_COUNT
};

extern const char *const ow_store_flow_col_names[FC_COUNT];

#define END_COLUMNS "end_ts, end_pkts_toserver, end_pkts_toclient, end_bytes_toserver, " \
    "end_bytes_toclient, end_later_fragments, ended_reason, end_overrun, decided_ts"
#define END_COLUMN_COUNT 9

struct ow_store {
    sqlite3 *db;
    int readonly;
    int snapshot;                /* read-only handle on a store without -wal/-shm */
    int in_batch;
    int batch_lost;              /* SQLite rolled the open batch back after an error */
    sqlite3_stmt *insert_run, *update_run, *insert_flow, *insert_alert, *bump_rule;
    sqlite3_stmt *savepoint, *release, *rollback_to;
    sqlite3_stmt *insert_evidence, *insert_run_rule, *set_chain_head;
    sqlite3_stmt *end_flow, *insert_progress, *set_assets_all;
    sqlite3_stmt *undo_chain, *undo_alerts, *undo_flow;   /* a failed flow unit's rows */
    int flow_ends;               /* schema 6 on: flows have end_* columns (readers coalesce) */
    int assets_all;              /* schema 8 on: flows have verdict_asset_*_all columns */
    struct ow_chain chain;       /* writer only */
    /* What insert_flow's parameters are bound to now (run_id, the flow columns, the end
     * columns): add_flow binds only the values that differ (db/flow_values.h). All zero
     * (type 0, no value) until the first flow. */
    struct ow_chain_value flow_bound[1 + FC_COUNT + END_COLUMN_COUNT];
    char errmsg[256];
};

int ow_store_db_err(struct ow_store *st, const char *what);
void ow_store_assets_all_columns(char *buf, size_t buflen, const char *table_prefix, int present);
void ow_store_flow_column_list_ends(char *buf, size_t buflen, const char *table_prefix, int ends);
int64_t ow_store_clamp_i64(uint64_t v);

#endif
