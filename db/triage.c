/* triage.c — triage records: validated, appended and chained in one write transaction, and
 * read back as the current state or the whole history of an alert (db/triage.h). */
#include "db/triage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db/eve_json.h"
#include "db/hash_chain.h"
#include "db/store.h"

const char *const ow_triage_statuses[] = { "open", "acknowledged", "escalated", "closed", NULL };

bool ow_triage_status_valid(const char *s)
{
    for (const char *const *p = ow_triage_statuses; s && *p; p++)
        if (!strcmp(*p, s))
            return true;
    return false;
}

int ow_triage_text_check(const char *text, size_t max, const char *what, char *why,
                         size_t whylen)
{
    size_t n = strlen(text);
    if (n > max) {
        snprintf(why, whylen, "%s is longer than %zu bytes", what, max);
        return -1;
    }
    char *copy = malloc(n * 3 + 1);
    if (!copy) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    size_t clean = ow_utf8_sanitize(copy, n * 3 + 1, text, n);
    int same = clean == n && memcmp(copy, text, n) == 0;
    free(copy);
    if (!same) {
        snprintf(why, whylen, "%s is not valid UTF-8", what);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        /* C0, DEL and the C1 controls (U+0080..U+009F, encoded C2 80..C2 9F). */
        if (c < 0x20 || c == 0x7f ||
            (c == 0xc2 && i + 1 < n && (unsigned char)text[i + 1] < 0xa0)) {
            snprintf(why, whylen, "%s must not contain control characters (one line of text)",
                     what);
            return -1;
        }
    }
    return 0;
}

bool ow_triage_available(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    bool found = false;
    if (db && sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
                                     "name = 'triage'", -1, &s, NULL) == SQLITE_OK)
        found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    if (!t || n <= 0) {
        dst[0] = '\0';
        return;
    }
    ow_utf8_sanitize(dst, cap, t, (size_t)n);
}

static void state_from_row(sqlite3_stmt *s, struct ow_triage_state *t)
{
    memset(t, 0, sizeof *t);
    t->present = true;
    t->id = sqlite3_column_int64(s, 0);
    copy_col(s, 1, t->status, sizeof t->status);
    copy_col(s, 2, t->note, sizeof t->note);
    copy_col(s, 3, t->by, sizeof t->by);
    t->at_us = sqlite3_column_int64(s, 4);
}

int ow_triage_add(struct ow_store *st, int64_t alert_id, const char *status, const char *note,
                  const char *by, int64_t at_us, struct ow_triage_state *out, char *err,
                  size_t errlen)
{
    sqlite3 *db = ow_store_handle(st);
    note = note ? note : "";
    by = by ? by : "";
    if (!db) {
        snprintf(err, errlen, "no store");
        return -1;
    }
    if (!ow_triage_status_valid(status)) {
        snprintf(err, errlen, "status must be open, acknowledged, escalated or closed");
        return 2;
    }
    if (ow_triage_text_check(note, OW_TRIAGE_NOTE_MAX, "the note", err, errlen) < 0 ||
        ow_triage_text_check(by, OW_TRIAGE_BY_MAX, "the analyst's name", err, errlen) < 0)
        return 2;
    if (!ow_triage_available(db)) {
        snprintf(err, errlen, "this store has no triage table (open it for writing with this "
                              "omwitness once to migrate it)");
        return -1;
    }
    if (at_us <= 0)
        at_us = now_us();

    struct ow_chain chain;
    if (ow_chain_init(&chain, db, 0) < 0) {
        snprintf(err, errlen, "%s", chain.err);
        ow_chain_free(&chain);
        return -1;
    }
    /* BEGIN IMMEDIATE: reading the chain's tail and appending to it cannot interleave with
     * another writer (a capture writing the same store). */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "triage: cannot lock the store: %s", sqlite3_errmsg(db));
        ow_chain_free(&chain);
        return -1;
    }
    int result = -1;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM alerts WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(q, 1, alert_id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    q = NULL;
    if (rc == SQLITE_DONE) {
        snprintf(err, errlen, "no alert %lld", (long long)alert_id);
        result = 1;
        goto rollback;
    }
    if (rc != SQLITE_ROW)
        goto fail;
    if (sqlite3_prepare_v2(db, "INSERT INTO triage (alert_id, status, note, actor, at) "
                               "VALUES (?, ?, ?, ?, ?)", -1, &q, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(q, 1, alert_id);
    sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, note, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 5, at_us);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    int64_t row = sqlite3_last_insert_rowid(db);
    if (ow_chain_append(&chain, OW_CHAIN_TRIAGE, row, NULL) < 0) {
        snprintf(err, errlen, "%s", chain.err);
        goto rollback;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    ow_chain_free(&chain);
    if (out) {
        memset(out, 0, sizeof *out);
        out->present = true;
        out->id = row;
        snprintf(out->status, sizeof out->status, "%s", status);
        snprintf(out->note, sizeof out->note, "%s", note);
        snprintf(out->by, sizeof out->by, "%s", by);
        out->at_us = at_us;
    }
    return 0;

fail:
    snprintf(err, errlen, "triage: %s", sqlite3_errmsg(db));
rollback:
    sqlite3_finalize(q);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    ow_chain_free(&chain);
    return result;
}

int ow_triage_current(sqlite3 *db, int64_t alert_id, struct ow_triage_state *out)
{
    memset(out, 0, sizeof *out);
    if (!ow_triage_available(db))
        return 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, status, note, actor, at FROM triage WHERE "
                               "alert_id = ? ORDER BY id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(s, 1, alert_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        state_from_row(s, out);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

json_t *ow_triage_state_json(const struct ow_triage_state *t)
{
    if (!t || !t->present)
        return NULL;
    char at[48];
    ow_eve_timestamp(t->at_us > 0 ? (uint64_t)t->at_us : 0, at, sizeof at);
    return json_pack("{s:s,s:s,s:s,s:s}", "status", t->status, "note", t->note, "by", t->by,
                     "at", at);
}

json_t *ow_triage_history_json(sqlite3 *db, int64_t alert_id)
{
    json_t *list = json_array();
    if (!list || !ow_triage_available(db))
        return list;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, status, note, actor, at FROM triage WHERE "
                               "alert_id = ? ORDER BY id LIMIT 1000", -1, &s, NULL) != SQLITE_OK) {
        json_decref(list);
        return NULL;
    }
    sqlite3_bind_int64(s, 1, alert_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct ow_triage_state t;
        state_from_row(s, &t);
        json_t *o = ow_triage_state_json(&t);
        json_object_set_new(o, "id", json_integer(t.id));
        json_array_append_new(list, o);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}
