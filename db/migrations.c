/* migrations.c — the evidence store's schema as a list of numbered migrations. A migration
 * is never edited once released: schema changes append a new one. The pending ones run
 * together inside one BEGIN IMMEDIATE ... COMMIT with the PRAGMA user_version bump, so a store
 * is always at exactly one version. */
#include "db/migrations.h"

#include <stdio.h>
#include <string.h>

#include "db/community_index.h"

struct migration {
    int version;
    const char *what;
    const char *sql;
    const char *tables;     /* the tables it creates, space-separated (the downgrade check) */
};

/* 1: runs, flows with their verdicts, alerts and per-rule hit counts. Later migrations add
 * the hash chain (row hash columns and a chain head per run) and evidence packets (a table
 * of pcap blobs keyed by flow row), so every table here has an INTEGER PRIMARY KEY that
 * such rows can refer to and hash in order. */
static const char schema_v1[] =
    "CREATE TABLE runs ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind            TEXT NOT NULL,"          /* replay | capture */
    "  source          TEXT NOT NULL,"
    "  source_sha256   TEXT NOT NULL DEFAULT '',"
    "  site            TEXT NOT NULL DEFAULT '',"
    "  policy_sha256   TEXT NOT NULL DEFAULT '',"
    "  version         TEXT NOT NULL DEFAULT '',"
    "  threads         INTEGER NOT NULL DEFAULT 0,"
    "  started_wall    INTEGER NOT NULL,"       /* microseconds since the epoch, wall clock */
    "  first_ts        INTEGER,"                /* microseconds, packet time */
    "  last_ts         INTEGER,"
    "  packets         INTEGER NOT NULL DEFAULT 0,"
    "  bytes           INTEGER NOT NULL DEFAULT 0,"
    "  packets_malformed INTEGER NOT NULL DEFAULT 0,"
    "  packets_not_ip  INTEGER NOT NULL DEFAULT 0,"
    "  kernel_drops    INTEGER NOT NULL DEFAULT 0,"
    "  internal_drops  INTEGER NOT NULL DEFAULT 0,"
    "  flows           INTEGER NOT NULL DEFAULT 0,"
    "  flows_evicted   INTEGER NOT NULL DEFAULT 0,"
    "  gaps            INTEGER NOT NULL DEFAULT 0,"
    "  clean_end       INTEGER NOT NULL DEFAULT 0,"  /* 0 also while running or after a crash */
    "  ended_wall      INTEGER"                 /* NULL until the run ends */
    ");"
    "CREATE TABLE flows ("
    "  id              INTEGER PRIMARY KEY,"
    "  run_id          INTEGER NOT NULL REFERENCES runs(id),"
    "  flow_id         INTEGER NOT NULL,"
    "  community_id    TEXT NOT NULL DEFAULT '',"
    "  first_ts        INTEGER NOT NULL,"       /* microseconds, packet time */
    "  last_ts         INTEGER NOT NULL,"
    "  l4_proto        INTEGER NOT NULL,"
    "  ip_family       INTEGER NOT NULL,"       /* 4 or 6 */
    "  client_ip       TEXT NOT NULL,"
    "  client_port     INTEGER NOT NULL,"
    "  server_ip       TEXT NOT NULL,"
    "  server_port     INTEGER NOT NULL,"
    "  icmp_type       INTEGER NOT NULL DEFAULT 0,"
    "  icmp_code       INTEGER NOT NULL DEFAULT 0,"
    "  slice           INTEGER NOT NULL DEFAULT 0,"   /* n-th continuation after active timeouts */
    "  vlan            INTEGER NOT NULL DEFAULT 0,"
    "  tunnels         INTEGER NOT NULL DEFAULT 0,"
    "  pkts_toserver   INTEGER NOT NULL DEFAULT 0,"
    "  pkts_toclient   INTEGER NOT NULL DEFAULT 0,"
    "  bytes_toserver  INTEGER NOT NULL DEFAULT 0,"
    "  bytes_toclient  INTEGER NOT NULL DEFAULT 0,"
    "  later_fragments INTEGER NOT NULL DEFAULT 0,"
    "  end_reason      TEXT NOT NULL,"          /* idle | active_timeout | closed | ... */
    "  ndpi_protocol   TEXT NOT NULL DEFAULT '',"
    "  ndpi_master     TEXT NOT NULL DEFAULT '',"
    "  ndpi_app        TEXT NOT NULL DEFAULT '',"
    "  ndpi_category   TEXT NOT NULL DEFAULT '',"
    "  ndpi_confidence TEXT NOT NULL DEFAULT '',"
    "  ndpi_risk       INTEGER NOT NULL DEFAULT 0,"  /* bit i = ndpi_risk_enum i */
    "  app_proto       TEXT NOT NULL DEFAULT '',"
    "  ssh_client      TEXT NOT NULL DEFAULT '',"    /* wire strings, stored raw */
    "  ssh_server      TEXT NOT NULL DEFAULT '',"
    "  hassh_client    TEXT NOT NULL DEFAULT '',"
    "  hassh_server    TEXT NOT NULL DEFAULT '',"
    "  tls_sni         TEXT NOT NULL DEFAULT '',"
    "  ja3             TEXT NOT NULL DEFAULT '',"
    "  ja3s            TEXT NOT NULL DEFAULT '',"
    "  tls_version     TEXT NOT NULL DEFAULT '',"
    "  http_host       TEXT NOT NULL DEFAULT '',"
    "  http_user_agent TEXT NOT NULL DEFAULT '',"
    "  dns_query       TEXT NOT NULL DEFAULT '',"
    "  li_interface    TEXT NOT NULL DEFAULT '',"    /* X1 .. HI3, '' when none */
    "  li_confidence   INTEGER NOT NULL DEFAULT 0,"
    "  li_xid          TEXT NOT NULL DEFAULT '',"
    "  li_liid         TEXT NOT NULL DEFAULT '',"
    "  li_target       TEXT NOT NULL DEFAULT '',"
    "  li_payload_format INTEGER NOT NULL DEFAULT 0,"
    "  li_pdu_count    INTEGER NOT NULL DEFAULT 0,"
    "  verdict_status  TEXT NOT NULL,"      /* authorized | anomaly | out_of_scope | unevaluated */
    "  verdict_rule    TEXT NOT NULL DEFAULT '',"
    "  verdict_kind    TEXT NOT NULL DEFAULT '',"
    "  verdict_severity TEXT NOT NULL DEFAULT '',"
    "  verdict_reason  TEXT NOT NULL DEFAULT '',"
    "  verdict_asset_src  TEXT NOT NULL DEFAULT '',"
    "  verdict_asset_dest TEXT NOT NULL DEFAULT '',"
    "  verdict_ticket  TEXT NOT NULL DEFAULT '',"
    "  verdict_overrun INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX flows_run ON flows(run_id);"
    "CREATE INDEX flows_first_ts ON flows(first_ts);"
    "CREATE INDEX flows_verdict ON flows(verdict_status);"
    "CREATE INDEX flows_community_id ON flows(community_id);"
    /* AUTOINCREMENT: alert ids are handed to users and polled by --follow, so they must
     * never be reused. */
    "CREATE TABLE alerts ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id          INTEGER NOT NULL REFERENCES runs(id),"
    "  flow_row        INTEGER NOT NULL REFERENCES flows(id),"
    "  ts              INTEGER NOT NULL,"       /* the flow's first_ts */
    "  kind            TEXT NOT NULL,"
    "  severity        TEXT NOT NULL,"
    "  rule            TEXT NOT NULL DEFAULT '',"
    "  reason          TEXT NOT NULL DEFAULT '',"
    "  asset_src       TEXT NOT NULL DEFAULT '',"
    "  asset_dest      TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX alerts_ts ON alerts(ts);"
    "CREATE INDEX alerts_severity ON alerts(severity);"
    "CREATE INDEX alerts_kind ON alerts(kind);"
    "CREATE INDEX alerts_flow ON alerts(flow_row);"
    "CREATE TABLE rule_hits ("
    "  run_id          INTEGER NOT NULL REFERENCES runs(id),"
    "  rule_id         TEXT NOT NULL,"
    "  hits            INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run_id, rule_id)"
    ");";

/* 2: the hash chain, evidence packets and the rules each run was judged by.
 * chain: one record per stored row in insertion order (docs/evidence.md); its hash is
 * SHA-256(previous hash || canonical bytes of the record). A run's start and its end are two
 * records ("run", "run_end"); runs.chain_head is the hash of the run's run_end record.
 * chain_legacy: the highest row ids that existed before the chain did (a store migrated from
 * schema 1), which verify reports as not covered rather than as inserted. */
static const char schema_v2[] =
    "CREATE TABLE chain ("
    "  seq             INTEGER PRIMARY KEY,"    /* 1, 2, 3 ... without holes */
    "  kind            TEXT NOT NULL,"          /* run | run_end | flow | alert | evidence | run_rule */
    "  row_id          INTEGER NOT NULL,"
    "  hash            BLOB NOT NULL"           /* 32 bytes */
    ");"
    "CREATE UNIQUE INDEX chain_row ON chain(kind, row_id);"
    "ALTER TABLE runs ADD COLUMN chain_head BLOB;"
    "CREATE TABLE evidence ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  flow_row        INTEGER NOT NULL UNIQUE REFERENCES flows(id),"
    "  sha256          TEXT NOT NULL,"          /* hex SHA-256 of pcap */
    "  packets         INTEGER NOT NULL,"
    "  bytes           INTEGER NOT NULL,"       /* length of the pcap image */
    "  truncated       INTEGER NOT NULL DEFAULT 0,"
    "  linktype        INTEGER NOT NULL,"
    "  pcap            BLOB NOT NULL"           /* a complete classic pcap file */
    ");"
    "CREATE TABLE run_rules ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id          INTEGER NOT NULL REFERENCES runs(id),"
    "  rule_id         TEXT NOT NULL,"
    "  kind            TEXT NOT NULL,"          /* li | maintenance | operations */
    "  interface       TEXT NOT NULL DEFAULT '',"
    "  ticket          TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (run_id, rule_id)"
    ");"
    "CREATE TABLE chain_legacy ("
    "  runs_max        INTEGER NOT NULL,"
    "  flows_max       INTEGER NOT NULL,"
    "  alerts_max      INTEGER NOT NULL"
    ");"
    "INSERT INTO chain_legacy SELECT"
    "  (SELECT coalesce(max(id), 0) FROM runs),"
    "  (SELECT coalesce(max(id), 0) FROM flows),"
    "  (SELECT coalesce(max(id), 0) FROM alerts);";

/* 5: triage, an analyst's disposition of an alert. Append-only: a change of status or note is
 * a new row (chained, kind "triage"), so the alert row never changes and the history stays
 * whole; the current state is an alert's newest row. */
static const char schema_v5[] =
    "CREATE TABLE triage ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  alert_id        INTEGER NOT NULL REFERENCES alerts(id),"
    "  status          TEXT NOT NULL,"          /* open | acknowledged | escalated | closed */
    "  note            TEXT NOT NULL DEFAULT '',"
    "  actor           TEXT NOT NULL DEFAULT '',"  /* who set it */
    "  at              INTEGER NOT NULL"        /* microseconds, wall clock */
    ");"
    "CREATE INDEX triage_alert ON triage(alert_id, id);";

/* 6: alerts when the verdict is known (docs/evidence.md). A flow row is written
 * when its verdict is reached; its end (final counters, end time, reason, an overrun raised
 * after the verdict, the verdict's packet time) goes into the end_* columns, set once and
 * chained as a record of its own (kind flow_end, disjoint from the flow record's columns, as
 * run and run_end are), so both stay verifiable. Rows of older stores have these NULL and
 * read as before. run_progress: a running capture's coverage so far (kind progress).
 * runs.sensor: the name EVE's host gives. */
static const char schema_v6[] =
    "ALTER TABLE flows ADD COLUMN end_ts INTEGER;"            /* last packet, final */
    "ALTER TABLE flows ADD COLUMN end_pkts_toserver INTEGER;"
    "ALTER TABLE flows ADD COLUMN end_pkts_toclient INTEGER;"
    "ALTER TABLE flows ADD COLUMN end_bytes_toserver INTEGER;"
    "ALTER TABLE flows ADD COLUMN end_bytes_toclient INTEGER;"
    "ALTER TABLE flows ADD COLUMN end_later_fragments INTEGER;"
    "ALTER TABLE flows ADD COLUMN ended_reason TEXT;"         /* NULL while the flow is open */
    "ALTER TABLE flows ADD COLUMN end_overrun INTEGER;"
    "ALTER TABLE flows ADD COLUMN decided_ts INTEGER;"        /* packet time of the verdict */
    "CREATE INDEX flows_open ON flows(run_id) WHERE ended_reason IS NULL AND end_reason = '';"
    "CREATE TABLE run_progress ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id          INTEGER NOT NULL REFERENCES runs(id),"
    "  wall            INTEGER NOT NULL,"       /* microseconds, wall clock */
    "  first_ts        INTEGER,"                /* packet time span so far */
    "  last_ts         INTEGER,"
    "  packets         INTEGER NOT NULL DEFAULT 0,"
    "  bytes           INTEGER NOT NULL DEFAULT 0,"
    "  kernel_drops    INTEGER NOT NULL DEFAULT 0,"
    "  internal_drops  INTEGER NOT NULL DEFAULT 0,"
    "  gaps            INTEGER NOT NULL DEFAULT 0,"
    "  flows           INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX run_progress_run ON run_progress(run_id, id);"
    "ALTER TABLE runs ADD COLUMN sensor TEXT NOT NULL DEFAULT '';";

/* 8: every asset holding each endpoint (docs/policy.md "Format"). NULL where an
 * endpoint is in one asset or none, which is most flows: readers fall back to the single
 * asset, and only the flows of shared addresses pay for a row update and a record of their
 * own (kind flow_assets; the flow record's column list never changes). */
static const char schema_v8[] =
    "ALTER TABLE flows ADD COLUMN verdict_asset_src_all TEXT;"
    "ALTER TABLE flows ADD COLUMN verdict_asset_dest_all TEXT;";

/* 7: sealing (docs/evidence.md "Sealing"). epoch_certs: each epoch key's certificate,
 * signed by the previous key (the root key for epoch 1); checkpoints: signed statements of
 * the chain's head; content_roots: each run's RFC 6962 root over its flows, alerts and
 * evidence. All three are chained like every other row. */
static const char schema_v7[] =
    "CREATE TABLE epoch_certs ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  sensor          TEXT NOT NULL,"
    "  epoch           INTEGER NOT NULL,"
    "  public_key      BLOB NOT NULL,"          /* 32 bytes, Ed25519 */
    "  issued_wall     INTEGER NOT NULL,"       /* microseconds, wall clock */
    "  signature       BLOB NOT NULL,"          /* 64 bytes, by the previous key */
    "  UNIQUE (sensor, epoch)"
    ");"
    "CREATE TABLE checkpoints ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  sensor          TEXT NOT NULL,"
    "  epoch           INTEGER NOT NULL,"       /* the key that signed it */
    "  number          INTEGER NOT NULL UNIQUE,"   /* 1, 2, ... in this store */
    "  chain_seq       INTEGER NOT NULL,"       /* the last record it covers */
    "  head            BLOB NOT NULL,"          /* that record's hash */
    "  records         INTEGER NOT NULL,"
    "  packet_ts       INTEGER NOT NULL,"       /* microseconds, newest packet time seen */
    "  wall            INTEGER NOT NULL,"       /* microseconds, wall clock */
    "  reason          TEXT NOT NULL,"          /* run_start | heartbeat | epoch_end | run_end */
    "  signature       BLOB NOT NULL"
    ");"
    "CREATE TABLE content_roots ("
    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id          INTEGER NOT NULL UNIQUE REFERENCES runs(id),"
    "  root            BLOB NOT NULL,"          /* 32 bytes */
    "  leaves          INTEGER NOT NULL"
    ");";

/* Why frames ended their decode, counted per run; the counts of each class add up to the
 * run's packets_malformed and packets_not_ip (checked by verify). */
static const char schema_v10[] =
    "CREATE TABLE run_decode_events ("
    "  run_id          INTEGER NOT NULL REFERENCES runs(id),"
    "  event           TEXT NOT NULL,"          /* stable name, docs/architecture.md */
    "  class           TEXT NOT NULL,"          /* malformed | unsupported | not_ip */
    "  count           INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, event)"
    ");";

/* 11: a replay's input SHA-256, recorded at the run's end from the bytes the replay read
 * (kind run_input; the run record's column list never changes, so a run made since holds
 * '' in source_sha256). NULL for a capture and for every run made before. */
static const char schema_v11[] =
    "ALTER TABLE runs ADD COLUMN input_sha256 TEXT;";

/* 12: the Community ID index keyed by row-id bucket first (db/community_index.h), so a
 * capture's writer keeps the same speed as its store grows. */
static const char schema_v12[] =
    "DROP INDEX IF EXISTS flows_community_id;"
    "CREATE INDEX flows_community_id ON " OW_CID_INDEX_ON ";";

static const struct migration migrations[] = {
    { 1, "runs, flows, alerts, rule_hits", schema_v1, "runs flows alerts rule_hits" },
    { 2, "hash chain, evidence packets, run rules", schema_v2,
      "chain evidence run_rules chain_legacy" },
    { 5, "alert triage", schema_v5, "triage" },
    { 6, "flow end records, run progress, sensor name", schema_v6, "run_progress" },
    { 7, "sealing: epoch certificates, checkpoints, content roots", schema_v7,
      "epoch_certs checkpoints content_roots" },
    { 8, "every asset of each endpoint", schema_v8, "" },
    { 10, "decode events per run", schema_v10, "run_decode_events" },
    { 11, "the input's SHA-256 recorded at the run's end", schema_v11, "" },
    { 12, "the Community ID index by row-id bucket", schema_v12, "" },
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

int ow_migrations_latest(void)
{
    return migrations[MIGRATION_COUNT - 1].version;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int ow_schema_version_of(sqlite3 *db)
{
    int v = -1;
    return pragma_int(db, "PRAGMA user_version", &v) == SQLITE_OK ? v : -1;
}

/* Counts the tables a foreign application might have left in the file. */
static int table_count(sqlite3 *db, int *out)
{
    return pragma_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", out);
}

int ow_schema_check(sqlite3 *db, char *err, size_t errlen)
{
    int app = 0, version = 0;
    int rc = pragma_int(db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = pragma_int(db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the store: %s", sqlite3_errstr(rc));
        return -1;
    }
    if (app != OW_STORE_APPLICATION_ID || version < 1) {
        snprintf(err, errlen, "not an omwitness evidence store");
        return -1;
    }
    if (version > ow_migrations_latest()) {
        snprintf(err, errlen, "store schema version %d is newer than this omwitness knows (%d)",
                 version, ow_migrations_latest());
        return -1;
    }
    return 0;
}

static int exec_or_err(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

/* Reads application_id, user_version and the table count from one snapshot: read one by one,
 * another process's migration could commit between them. */
static int read_identity(sqlite3 *db, int *app, int *version, int *tables)
{
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    int rc = pragma_int(db, "PRAGMA application_id", app);
    if (rc == SQLITE_OK)
        rc = pragma_int(db, "PRAGMA user_version", version);
    if (rc == SQLITE_OK)
        rc = table_count(db, tables);
    sqlite3_exec(db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int refuse_identity(int app, int version, int tables, char *err, size_t errlen)
{
    /* A file of another application: user_version 0 with tables, or a foreign id. */
    if ((app != 0 && app != OW_STORE_APPLICATION_ID) ||
        (app == 0 && (version != 0 || tables != 0))) {
        snprintf(err, errlen, "not an omwitness evidence store (a SQLite file of something else)");
        return -1;
    }
    if (version > ow_migrations_latest()) {
        snprintf(err, errlen, "store schema version %d is newer than this omwitness knows (%d)",
                 version, ow_migrations_latest());
        return -1;
    }
    return 0;
}

static int has_table(sqlite3 *db, const char *name, size_t len)
{
    sqlite3_stmt *s = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                           "name = ?", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, name, (int)len, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        found = sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
    return found;
}

/* A store at version v has every table of the migrations up to v and none of the later
 * ones. Missing chain tables would let the next migrations start a fresh chain over rows no
 * record covers; tables of a later version mean user_version was lowered, which would let
 * migration 2 re-run and declare every row as predating the chain. Both are refused. */
static int check_tables(sqlite3 *db, int version, char *err, size_t errlen)
{
    if (version == 0)
        return 0;
    for (int i = 0; i < MIGRATION_COUNT; i++) {
        const struct migration *m = &migrations[i];
        for (const char *t = m->tables; *t;) {
            size_t n = strcspn(t, " ");
            int has = has_table(db, t, n);
            if (has < 0) {
                snprintf(err, errlen, "cannot read the store's tables: %s", sqlite3_errmsg(db));
                return -1;
            }
            if (m->version <= version && !has) {
                snprintf(err, errlen, "the store (schema %d) has no table %.*s: it was damaged "
                         "or tampered with; refusing to migrate it (run omwitness verify)",
                         version, (int)n, t);
                return -1;
            }
            if (m->version > version && has) {
                snprintf(err, errlen, "the store says schema %d but has table %.*s of schema "
                         "%d: its version was lowered; refusing to migrate it (run omwitness "
                         "verify)", version, (int)n, t, m->version);
                return -1;
            }
            t += n;
            t += strspn(t, " ");
        }
    }
    return 0;
}

int ow_schema_tables_check(sqlite3 *db, char *err, size_t errlen)
{
    int version = ow_schema_version_of(db);
    if (version < 0) {
        snprintf(err, errlen, "cannot read the store's version");
        return -1;
    }
    return check_tables(db, version, err, errlen);
}

/* Every pending migration runs in one BEGIN IMMEDIATE ... COMMIT, so processes opening a new
 * file at once see it at version 0 or at the latest version, never in between. */
int ow_migrate(sqlite3 *db, char *err, size_t errlen)
{
    int app = 0, version = 0, tables = 0;
    int rc = read_identity(db, &app, &version, &tables);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the store: %s", sqlite3_errstr(rc));
        return -1;
    }
    if (refuse_identity(app, version, tables, err, errlen) < 0)
        return -1;
    if (version == ow_migrations_latest())
        return 0;

    if (exec_or_err(db, "BEGIN IMMEDIATE", err, errlen, "migration: cannot lock the store") < 0)
        return -1;
    /* Another process may have migrated while we waited for the lock. */
    if (pragma_int(db, "PRAGMA application_id", &app) != SQLITE_OK ||
        pragma_int(db, "PRAGMA user_version", &version) != SQLITE_OK ||
        table_count(db, &tables) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the store: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (refuse_identity(app, version, tables, err, errlen) < 0 ||
        check_tables(db, version, err, errlen) < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    for (int i = 0; i < MIGRATION_COUNT; i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= version)
            continue;
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
                 OW_STORE_APPLICATION_ID, m->version);
        char what[128];
        snprintf(what, sizeof what, "migration %d (%s)", m->version, m->what);
        if (exec_or_err(db, m->sql, err, errlen, what) < 0 ||
            exec_or_err(db, bump, err, errlen, what) < 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    if (exec_or_err(db, "COMMIT", err, errlen, "migration") < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}
