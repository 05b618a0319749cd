/* triage.h — an analyst's disposition of an alert: open, acknowledged, escalated or closed,
 * with a note, who set it and when. Each change is a new row of the `triage` table, chained
 * like every other record (kind "triage"); rows are never updated, so the history is the
 * table read in id order and the current state is the newest row of an alert. The alert row
 * itself never changes. Used by `omwitness triage`, POST /api/alerts/{id}/triage, the lists,
 * EVE output and the report. */
#ifndef OW_TRIAGE_H
#define OW_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct ow_store;
struct sqlite3;

#define OW_TRIAGE_NOTE_MAX 1000      /* bytes of UTF-8 */
#define OW_TRIAGE_BY_MAX 64

/* The statuses in the order an alert usually moves through them. */
extern const char *const ow_triage_statuses[];   /* NULL-terminated */

struct ow_triage_state {
    bool present;                    /* false: never triaged (shown as open) */
    int64_t id;                      /* the triage row */
    char status[16];
    char note[OW_TRIAGE_NOTE_MAX * 3 + 1];   /* as stored, made valid UTF-8 */
    char by[OW_TRIAGE_BY_MAX * 3 + 1];
    int64_t at_us;                   /* wall clock */
};

/* Whether s is one of ow_triage_statuses. */
bool ow_triage_status_valid(const char *s);

/* Checks a note or a name from a user: valid UTF-8, at most max bytes, no control character
 * (a newline included: notes are one line in tables and reports). 0, or -1 with why. */
int ow_triage_text_check(const char *text, size_t max, const char *what, char *why,
                         size_t whylen);

/* Appends a triage record for alert_id in its own write transaction (the store must be open
 * for writing and not inside a batch), chained. at_us 0 means now. out (may be NULL) gets
 * what was stored. 0 stored, 1 no such alert, 2 bad status/note/by (err says why), -1 error. */
int ow_triage_add(struct ow_store *st, int64_t alert_id, const char *status, const char *note,
                  const char *by, int64_t at_us, struct ow_triage_state *out, char *err,
                  size_t errlen);

/* Whether the store has the triage table (schema 5 on; older stores read as untriaged). */
bool ow_triage_available(struct sqlite3 *db);

/* The current state of an alert (present false when never triaged). 0, or -1 on error. */
int ow_triage_current(struct sqlite3 *db, int64_t alert_id, struct ow_triage_state *out);

/* Every record of an alert, oldest first: [{id, status, note, by, at}]. NULL on error. */
json_t *ow_triage_history_json(struct sqlite3 *db, int64_t alert_id);

/* {status, note, by, at} of a state (EVE's triage object, and the API's); NULL when
 * !present. */
json_t *ow_triage_state_json(const struct ow_triage_state *t);

/* SQL for the current status of alert a (a.id) as a scalar expression: 'open' when never
 * triaged. Only for stores where ow_triage_available. */
#define OW_TRIAGE_STATUS_SQL \
    "coalesce((SELECT t.status FROM triage t WHERE t.alert_id = a.id ORDER BY t.id DESC " \
    "LIMIT 1), 'open')"

#endif
