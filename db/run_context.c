/* run_context.c — the run-derived members of EVE lines (db/run_context.h). */
#include "db/run_context.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/eve_json.h"

static bool runs_has_column(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('runs') WHERE name = ?", -1,
                           &s, NULL) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

static void copy_text(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    out[0] = '\0';
    if (t && n > 0)
        ow_utf8_sanitize(out, outlen, t, (size_t)n);
}

void ow_run_sensor_name(sqlite3 *db, int64_t run_id, char *out, size_t outlen)
{
    if (!outlen)
        return;
    out[0] = '\0';
    if (db && runs_has_column(db, "sensor")) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, "SELECT sensor FROM runs WHERE id = ?", -1, &s, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_int64(s, 1, run_id);
            if (sqlite3_step(s) == SQLITE_ROW)
                copy_text(s, 0, out, outlen);
        }
        sqlite3_finalize(s);
        if (out[0])
            return;
    }
    /* Stores that do not record the sensor: the machine reading them is taken as the sensor
     * (true for the live stream and for a store read where it was written). */
    char name[256];
    if (gethostname(name, sizeof name) == 0) {
        name[sizeof name - 1] = '\0';
        ow_utf8_sanitize(out, outlen, name, strlen(name));
    }
}

int ow_run_context_load(sqlite3 *db, int64_t run_id, struct ow_run_context *c)
{
    if (c->run_id == run_id && run_id != 0)
        return 0;
    memset(c, 0, sizeof *c);
    c->run_id = run_id;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT kind, source, site FROM runs WHERE id = ?", -1, &s,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, run_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        char kind[16], source[256];
        copy_text(s, 0, kind, sizeof kind);
        copy_text(s, 1, source, sizeof source);
        copy_text(s, 2, c->site, sizeof c->site);
        /* in_iface names one interface; a capture on several leaves it out, since a flow
         * record does not say which of them it came from. */
        if (!strcmp(kind, "capture") && source[0] && !strchr(source, ',') &&
            strlen(source) < sizeof c->in_iface)
            snprintf(c->in_iface, sizeof c->in_iface, "%s", source);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    if (rc == SQLITE_ROW)
        ow_run_sensor_name(db, run_id, c->host, sizeof c->host);
    return 0;
}

struct ow_eve_context ow_run_context_eve(const struct ow_run_context *c,
                                         const struct ow_triage_state *triage)
{
    struct ow_eve_context e = { .host = c->host, .in_iface = c->in_iface, .site = c->site,
                                .triage = triage };
    return e;
}
