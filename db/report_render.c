/* report_render.c — the report document (report.c builds it) rendered: as indented JSON
 * text, and as a standalone HTML page (inline CSS, no scripts, A4 print layout). Rendering
 * reads only the document, never the store. */
#include "db/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db/eve_json.h"
#include "common/endpoint.h"

#include "db/html_escape.h"

int ow_report_write_json(const json_t *report, FILE *out)
{
    if (json_dumpf(report, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0)
        return -1;
    return fputc('\n', out) == EOF ? -1 : 0;
}

static void esc(FILE *out, const char *s)
{
    if (s)
        ow_html_escape(out, s, strlen(s));
}

/* A member of o as text: strings escaped, numbers printed, null/absent as "—". */
static void field(FILE *out, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_string(v) && json_string_length(v))
        esc(out, json_string_value(v));
    else if (json_is_integer(v))
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", out);
    else
        fputs("\xE2\x80\x94", out);
}

/* "2026-02-10T00:40:00.140000Z" shown as "2026-02-10 00:40:00.140". */
static void time_field(FILE *out, const json_t *o, const char *key)
{
    const char *t = json_string_value(json_object_get(o, key));
    if (!t || strlen(t) < 23 || t[10] != 'T') {
        field(out, o, key);
        return;
    }
    fputs("<span class=\"nb\">", out);
    ow_html_escape(out, t, 10);
    fputs("</span> <span class=\"nb\">", out);
    ow_html_escape(out, t + 11, 12);
    fputs("</span>", out);
}

static json_int_t num(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* An identifier (kind, rule id, ticket, path, host) that may break only after '_', '-', '.',
 * '/' or ',', never inside a word: "maintenance_<wbr>outside_<wbr>window". */
static void ident(FILE *out, const char *text)
{
    if (!text || !*text) {
        fputs("\xE2\x80\x94", out);
        return;
    }
    const char *start = text;
    for (const char *p = text; *p; p++) {
        if (*p == '_' || *p == '-' || *p == '.' || *p == '/' || *p == ',') {
            ow_html_escape(out, start, (size_t)(p - start + 1));
            fputs("<wbr>", out);
            start = p + 1;
        }
    }
    ow_html_escape(out, start, strlen(start));
}

static void ident_field(FILE *out, const json_t *o, const char *key)
{
    ident(out, json_string_value(json_object_get(o, key)));
}

/* Free text (reasons, notes) that breaks only between words: a word holding a place a
 * browser would break at ('-', '/', ':') is kept whole, unless it is longer than a column. */
static void prose(FILE *out, const char *text)
{
    if (!text || !*text) {
        fputs("\xE2\x80\x94", out);
        return;
    }
    const char *p = text;
    while (*p) {
        size_t gap = strspn(p, " ");
        ow_html_escape(out, p, gap);
        p += gap;
        size_t word = strcspn(p, " ");
        if (!word)
            break;
        int breaks = 0;
        for (size_t i = 0; i < word; i++)
            breaks |= p[i] == '-' || p[i] == '/' || p[i] == ':';
        if (breaks && word <= 28) {
            fputs("<span class=\"nb\">", out);
            ow_html_escape(out, p, word);
            fputs("</span>", out);
        } else {
            ow_html_escape(out, p, word);
        }
        p += word;
    }
}

static void prose_field(FILE *out, const json_t *o, const char *key)
{
    prose(out, json_string_value(json_object_get(o, key)));
}

/* A hash in groups of 8 hex digits that may break between groups (and copies whole). */
static void hash_text(FILE *out, const char *hex)
{
    if (!hex || !*hex) {
        fputs("\xE2\x80\x94", out);
        return;
    }
    fputs("<span class=\"hash\">", out);
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i += 8) {
        if (i)
            fputs("<wbr>", out);
        ow_html_escape(out, hex + i, n - i < 8 ? n - i : 8);
    }
    fputs("</span>", out);
}

static void hash_field(FILE *out, const json_t *o, const char *key)
{
    hash_text(out, json_string_value(json_object_get(o, key)));
}

static void endpoint_cell(FILE *out, const json_t *ep)
{
    const char *ip = str(ep, "ip");
    int v6 = strchr(ip, ':') != NULL;
    fputs("<span class=\"nb mono\">", out);
    fputs(v6 ? "[" : "", out);
    esc(out, ip);
    fprintf(out, "%s:%" JSON_INTEGER_FORMAT "</span>", v6 ? "]" : "", num(ep, "port"));
}

/* client -> server, assets, proto / app */
static void flow_cell(FILE *out, const json_t *x)
{
    if (json_object_get(x, "client"))
        endpoint_cell(out, json_object_get(x, "client"));
    fputs(" \xE2\x86\x92 ", out);
    if (json_object_get(x, "server"))
        endpoint_cell(out, json_object_get(x, "server"));
    fputs("<br>", out);
    if (*str(x, "asset_src") || *str(x, "asset_dest")) {
        ident_field(out, x, "asset_src");
        fputs(" \xE2\x86\x92 ", out);
        ident_field(out, x, "asset_dest");
        fputs("<br>", out);
    }
    field(out, x, "proto");
    fputs(" / ", out);
    ident_field(out, x, "app_proto");
}

/* Printed on A4 with a page number on every page; rows never split; values break only
 * between words (identifiers after their separators, hashes between groups of 8). */
static const char css[] =
    "@page{size:A4;margin:16mm 14mm 20mm 14mm;"
    "@bottom-left{content:\"omwitness evidence report\";font-size:7.5pt;color:#555}"
    "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);font-size:7.5pt;"
    "color:#555}}"
    "*{box-sizing:border-box}"
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:9.5pt;"
    "color:#111;line-height:1.35;margin:0 auto;max-width:190mm}"
    "h1{font-size:17pt;margin:0 0 2mm}"
    "h2{font-size:12pt;margin:7mm 0 2mm;border-bottom:1px solid #888;padding-bottom:1mm;"
    "break-after:avoid;page-break-after:avoid}"
    "p{margin:1.5mm 0}"
    "p.lead{break-after:avoid;page-break-after:avoid}"
    ".meta{color:#333}"
    ".meta td,.meta th{border:0;padding:0.4mm 3mm 0.4mm 0;font-size:9pt}"
    ".verdict{border:2px solid;padding:3mm 4mm;margin:4mm 0;break-inside:avoid}"
    ".verdict .label{font-size:13pt;font-weight:bold;letter-spacing:.02em}"
    ".ok{border-color:#1b6e20;background:#eef7ee}"
    ".bad{border-color:#a31515;background:#fbeeee}"
    ".warn{border-color:#8a5a00;background:#fdf6e6}"
    "table{width:100%;border-collapse:collapse;margin:2mm 0 3mm;font-size:8.5pt}"
    "thead{display:table-header-group}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "th,td{border:1px solid #bbb;padding:1mm 1.5mm;text-align:left;vertical-align:top}"
    "th{background:#eee}"
    "td.n{text-align:right;white-space:nowrap}"
    "table.fixed{table-layout:fixed}"
    "td{overflow-wrap:break-word}"
    ".nb{white-space:nowrap}"
    ".hash{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:7.5pt}"
    ".mono{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:8pt}"
    ".sev-critical{color:#a31515;font-weight:bold}.sev-high{color:#a31515}"
    ".none{color:#555;font-style:italic}"
    ".disp{font-weight:bold}.disp-open{color:#a31515}"
    ".signoff{break-inside:avoid;page-break-inside:avoid;margin-top:6mm}"
    ".signoff td{height:12mm;vertical-align:bottom}"
    "footer{margin-top:8mm;font-size:8pt;color:#444;border-top:1px solid #888;padding-top:2mm}";

static const char *conclusion_text(const char *c, const char **cls)
{
    if (!strcmp(c, "no_unauthorized_access_observed")) {
        *cls = "ok";
        return "No unauthorized access observed";
    }
    if (!strcmp(c, "anomalies_found")) {
        *cls = "bad";
        return "Anomalies found";
    }
    if (!strcmp(c, "evidence_invalid")) {
        *cls = "bad";
        return "Evidence invalid: the store failed verification";
    }
    *cls = "warn";
    return "Coverage incomplete: absence of unauthorized access cannot be shown";
}

static void html_runs(FILE *out, const json_t *r)
{
    const json_t *runs = json_object_get(r, "runs");
    fputs("<h2>1. What was watched</h2>\n", out);
    if (!json_array_size(runs)) {
        fputs("<p class=\"none\">No run of omwitness covers this period.</p>\n", out);
        return;
    }
    fputs("<table class=\"fixed\"><colgroup><col style=\"width:5%\"><col style=\"width:11%\">"
          "<col style=\"width:34%\"><col style=\"width:13%\"><col style=\"width:13%\">"
          "<col style=\"width:24%\"></colgroup>"
          "<thead><tr><th>Run</th><th>Kind, sensor</th><th>Interfaces / files and SHA-256</th>"
          "<th>First packet</th><th>Last packet</th><th>Site, version, policy SHA-256</th>"
          "</tr></thead><tbody>\n", out);
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run) {
        fprintf(out, "<tr><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td>", num(run, "id"));
        field(out, run, "kind");
        fputs("<br>", out);
        ident_field(out, run, "sensor");
        fputs("</td><td><span class=\"mono\">", out);
        ident_field(out, run, "source");
        fputs("</span><br>", out);
        hash_field(out, run, "source_sha256");
        fputs("</td><td>", out);
        time_field(out, run, "first_packet");
        fputs("</td><td>", out);
        time_field(out, run, "last_packet");
        fputs("</td><td>", out);
        ident_field(out, run, "site");
        fputs(", omwitness ", out);
        field(out, run, "version");
        fputs("<br>", out);
        hash_field(out, run, "policy_sha256");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

static void html_coverage(FILE *out, const json_t *r)
{
    const json_t *runs = json_object_get(r, "runs"), *cov = json_object_get(r, "coverage");
    fputs("<h2>2. How completely</h2>\n", out);
    fputs("<table><thead><tr><th>Run</th><th>Packets</th><th>Kernel drops</th>"
          "<th>Internal drops</th><th>Malformed</th><th>Not IP</th><th>Gaps</th>"
          "<th>Flows</th><th>Ended cleanly</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *run;
    json_array_foreach(runs, i, run) {
        fprintf(out, "<tr><td class=\"n\">%" JSON_INTEGER_FORMAT "</td>", num(run, "id"));
        static const char *const cols[] = { "packets", "kernel_drops", "internal_drops",
                                            "packets_malformed", "packets_not_ip", "gaps",
                                            "flows" };
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
            fprintf(out, "<td class=\"n\">%" JSON_INTEGER_FORMAT "</td>", num(run, cols[c]));
        fprintf(out, "<td>%s</td></tr>\n",
                json_is_true(json_object_get(run, "clean_end")) ? "yes"
                : json_is_true(json_object_get(run, "ended")) ? "<b>no</b>"
                : "<b>no: never ended (crashed or still running)</b>");
    }
    fprintf(out, "<tr><th>All</th><td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td>"
            "<td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td>"
            "<td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td>"
            "<td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%" JSON_INTEGER_FORMAT
            "</td><td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td><td></td>"
            "<td>%" JSON_INTEGER_FORMAT " not clean</td></tr>\n",
            num(cov, "packets"), num(cov, "kernel_drops"), num(cov, "internal_drops"),
            num(cov, "packets_malformed"), num(cov, "packets_not_ip"), num(cov, "gaps"),
            num(cov, "runs_without_clean_end"));
    fputs("</tbody></table>\n", out);
    const json_t *events = json_object_get(cov, "decode_events");
    if (json_array_size(events)) {
        fputs("<p>Why packets were not decoded:</p><table><thead><tr><th>Reason</th>"
              "<th>Class</th><th>Packets</th></tr></thead><tbody>\n", out);
        const json_t *ev;
        json_array_foreach(events, i, ev) {
            fputs("<tr><td>", out);
            esc(out, json_string_value(json_object_get(ev, "event")));
            fputs("</td><td>", out);
            esc(out, json_string_value(json_object_get(ev, "class")));
            fprintf(out, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
                    num(ev, "count"));
        }
        fputs("</tbody></table>\n", out);
    }
    const json_t *unwatched = json_object_get(cov, "unwatched");
    if (json_array_size(unwatched)) {
        fputs("<p><b>Not watched by any run:</b></p><table><thead><tr><th>From</th><th>To</th>"
              "</tr></thead><tbody>\n", out);
        const json_t *u;
        json_array_foreach(unwatched, i, u) {
            fputs("<tr><td>", out);
            time_field(out, u, "from");
            fputs("</td><td>", out);
            time_field(out, u, "to");
            fputs("</td></tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    } else {
        fputs("<p>Every part of the period lies within a run.</p>\n", out);
    }
}

static void html_flows(FILE *out, const json_t *r)
{
    const json_t *flows = json_object_get(r, "flows");
    const json_t *by = json_object_get(flows, "by_verdict");
    fputs("<h2>3. Flows by verdict</h2>\n<table><thead><tr><th>Verdict</th><th>Flows</th>"
          "</tr></thead><tbody>\n", out);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)by, k, v) {
        fputs("<tr><td>", out);
        ident(out, k);
        fprintf(out, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
                json_integer_value(v));
    }
    fprintf(out, "<tr><th>Total</th><td class=\"n\"><b>%" JSON_INTEGER_FORMAT "</b></td></tr>"
            "</tbody></table>\n", num(flows, "total"));
    const json_t *hits = json_object_get(r, "rule_hits");
    if (json_array_size(hits)) {
        fputs("<p>Authorized flows per rule:</p><table><thead><tr><th>Rule</th><th>Kind</th>"
              "<th>Flows</th></tr></thead><tbody>\n", out);
        size_t i;
        json_array_foreach(hits, i, v) {
            fputs("<tr><td class=\"mono\">", out);
            ident_field(out, v, "rule");
            fputs("</td><td>", out);
            field(out, v, "kind");
            fprintf(out, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
                    num(v, "flows"));
        }
        fputs("</tbody></table>\n", out);
    }
}

static void html_sessions(FILE *out, const json_t *r)
{
    const json_t *a = json_object_get(r, "authorized_sessions");
    const json_t *list = json_object_get(a, "sessions");
    fprintf(out, "<h2>4. Authorized lawful-interception and maintenance sessions (%"
            JSON_INTEGER_FORMAT ")</h2>\n", num(a, "total"));
    if (!json_array_size(list)) {
        fputs("<p class=\"none\">None in this period.</p>\n", out);
        return;
    }
    fputs("<table class=\"fixed\"><colgroup><col style=\"width:15%\"><col style=\"width:38%\">"
          "<col style=\"width:16%\"><col style=\"width:15%\"><col style=\"width:16%\">"
          "</colgroup><thead><tr><th>Start / end</th><th>Flow</th><th>Rule</th><th>Kind</th>"
          "<th>Ticket / interface</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *s;
    json_array_foreach(list, i, s) {
        fputs("<tr><td>", out);
        time_field(out, s, "start");
        fputs("<br>", out);
        time_field(out, s, "end");
        fputs("</td><td>", out);
        flow_cell(out, s);
        fputs("</td><td class=\"mono\">", out);
        ident_field(out, s, "rule");
        fputs("</td><td>", out);
        field(out, s, "rule_kind");
        if (json_is_true(json_object_get(s, "overrun")))
            fputs("<br><b>overran its window</b>", out);
        fputs("</td><td>", out);
        ident_field(out, s, !strcmp(str(s, "rule_kind"), "li") ? "interface" : "ticket");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (num(a, "not_listed"))
        fprintf(out, "<p>%" JSON_INTEGER_FORMAT " more sessions are counted but not listed; "
                "the JSON report and <code>omwitness flows</code> have them.</p>\n",
                num(a, "not_listed"));
}

/* The analyst's disposition of an alert: status, note, who and when. */
static void disposition_cell(FILE *out, const json_t *x)
{
    const json_t *t = json_object_get(x, "triage");
    const char *status = str(t, "status");
    fprintf(out, "<span class=\"disp%s\">", !*status || !strcmp(status, "open") ? " disp-open" : "");
    esc(out, *status ? status : "open");
    fputs("</span>", out);
    if (*str(t, "note")) {
        fputs("<br>", out);
        prose_field(out, t, "note");
    }
    if (*str(t, "by")) {
        fputs("<br><i>", out);
        field(out, t, "by");
        const char *at = str(t, "at");
        if (strlen(at) >= 10) {
            fputs(", <span class=\"nb\">", out);
            ow_html_escape(out, at, 10);
            fputs("</span>", out);
        }
        fputs("</i>", out);
    }
}

static void html_anomalies(FILE *out, const json_t *r)
{
    const json_t *a = json_object_get(r, "anomalies"), *list = json_object_get(a, "alerts");
    fprintf(out, "<h2>5. Anomalies (%" JSON_INTEGER_FORMAT ")</h2>\n", num(a, "total"));
    if (!json_array_size(list)) {
        fputs("<p class=\"none\">No alert was raised in this period.</p>\n", out);
        return;
    }
    fputs("<table class=\"fixed\"><colgroup><col style=\"width:13%\"><col style=\"width:14%\">"
          "<col style=\"width:23%\"><col style=\"width:24%\"><col style=\"width:16%\">"
          "<col style=\"width:10%\"></colgroup><thead><tr><th>Alert, time</th>"
          "<th>Severity, kind</th><th>Flow</th><th>Reason</th><th>Disposition</th>"
          "<th>Packets</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *x;
    int with_evidence = 0;
    json_array_foreach(list, i, x) {
        fprintf(out, "<tr><td><b>%" JSON_INTEGER_FORMAT "</b><br>", num(x, "alert_id"));
        time_field(out, x, "time");
        fputs("</td><td><span class=\"sev-", out);
        esc(out, str(x, "severity"));
        fputs("\">", out);
        field(out, x, "severity");
        fputs("</span><br>", out);
        ident_field(out, x, "kind");
        fputs("</td><td>", out);
        flow_cell(out, x);
        fputs("</td><td>", out);
        prose_field(out, x, "reason");
        fputs("</td><td>", out);
        disposition_cell(out, x);
        fputs("</td><td class=\"n\">", out);
        const json_t *e = json_object_get(x, "evidence");
        if (json_is_object(e)) {
            with_evidence++;
            fprintf(out, "%" JSON_INTEGER_FORMAT "%s", num(e, "packets"),
                    json_is_true(json_object_get(e, "truncated")) ? "<br>(capped)" : "");
        } else {
            fputs("<span class=\"none\">none</span>", out);
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (num(a, "not_listed"))
        fprintf(out, "<p>%" JSON_INTEGER_FORMAT " more alerts are counted but not listed; "
                "<code>omwitness alerts</code> has them.</p>\n", num(a, "not_listed"));
    if (!with_evidence)
        return;
    /* The packets kept for each alert, by hash: what `omwitness evidence` writes out. */
    fputs("<p class=\"lead\">Packets kept as evidence (<code class=\"nb\">omwitness evidence --alert ID</code> "
          "writes them out; their SHA-256 is checked on the way):</p>\n"
          "<table class=\"fixed\"><colgroup><col style=\"width:10%\"><col style=\"width:12%\">"
          "<col style=\"width:12%\"><col style=\"width:66%\"></colgroup><thead><tr><th>Alert</th>"
          "<th>Packets</th><th>Bytes</th><th>SHA-256 of the pcap</th></tr></thead><tbody>\n", out);
    json_array_foreach(list, i, x) {
        const json_t *e = json_object_get(x, "evidence");
        if (!json_is_object(e))
            continue;
        fprintf(out, "<tr><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td class=\"n\">%"
                JSON_INTEGER_FORMAT "%s</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td><td>",
                num(x, "alert_id"), num(e, "packets"),
                json_is_true(json_object_get(e, "truncated")) ? " (capped)" : "", num(e, "bytes"));
        hash_field(out, e, "sha256");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

static void html_integrity(FILE *out, const json_t *r)
{
    const json_t *in = json_object_get(r, "integrity");
    fputs("<h2>6. Policies and integrity of the evidence</h2>\n", out);
    fputs("<table><thead><tr><th>Site</th><th>Policy SHA-256</th></tr></thead><tbody>\n", out);
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(r, "policies"), i, p) {
        fputs("<tr><td>", out);
        ident_field(out, p, "site");
        fputs("</td><td>", out);
        hash_field(out, p, "sha256");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    if (json_is_true(json_object_get(in, "verified")))
        fprintf(out, "<p>The store's hash chain was recomputed when this report was made: all "
                "%" JSON_INTEGER_FORMAT " records verified.</p>\n", num(in, "records"));
    else {
        fputs("<p><b>The store FAILED verification:</b> ", out);
        field(out, in, "problem");
        fputs("</p>\n", out);
    }
    fputs("<table><tbody><tr><th>Chain head</th><td>", out);
    hash_field(out, in, "chain_head");
    fprintf(out, "</td></tr><tr><th>Records</th><td>%" JSON_INTEGER_FORMAT "</td></tr>",
            num(in, "head_seq"));
    const json_t *run;
    json_array_foreach(json_object_get(r, "runs"), i, run) {
        fprintf(out, "<tr><th>Run %" JSON_INTEGER_FORMAT " head</th><td>", num(run, "id"));
        hash_field(out, run, "chain_head");
        fprintf(out, "</td></tr><tr><th>Run %" JSON_INTEGER_FORMAT " content root</th><td>",
                num(run, "id"));
        hash_field(out, run, "content_root");
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table>\n<p>Anyone holding the store and the sensor's root public key can "
          "check it against this report: <code class=\"nb\">omwitness verify --db STORE "
          "--root-key root.pub --witness WITNESS</code> recomputes every record and checks every "
          "certificate and checkpoint; <code class=\"nb\">omwitness report verify REPORT.json "
          "--root-key root.pub</code> checks this report's signature; each run's content root "
          "(<code class=\"nb\">omwitness verify --content-root</code>) can be recomputed by "
          "replaying its pcaps.</p>\n", out);
}

/* Where the people who reviewed the report sign it. */
static void html_signoff(FILE *out)
{
    fputs("<div class=\"signoff\"><h2>7. Review and sign-off</h2>\n"
          "<p>Reviewed against the evidence store named above; the anomalies' dispositions are "
          "the analysts' triage records, chained in the store.</p>\n"
          "<table class=\"fixed\"><colgroup><col style=\"width:27%\"><col style=\"width:23%\">"
          "<col style=\"width:18%\"><col style=\"width:32%\"></colgroup><thead><tr><th>Name</th>"
          "<th>Role</th><th>Date</th><th>Signature</th></tr></thead><tbody>\n"
          "<tr><td></td><td></td><td></td><td></td></tr>\n"
          "<tr><td></td><td></td><td></td><td></td></tr>\n"
          "</tbody></table></div>\n", out);
}

/* The distinct sensors of the report's runs, comma-separated. */
static void sensors_text(FILE *out, const json_t *r)
{
    const json_t *runs = json_object_get(r, "runs"), *run;
    size_t i, shown = 0;
    json_array_foreach(runs, i, run) {
        const char *name = str(run, "sensor");
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= !strcmp(name, str(json_array_get(runs, k), "sensor"));
        if (dup || !*name)
            continue;
        fputs(shown++ ? ", " : "", out);
        ident(out, name);
    }
    if (!shown)
        fputs("\xE2\x80\x94", out);
}

int ow_report_write_html(const json_t *r, FILE *out)
{
    const char *cls;
    const char *label = conclusion_text(str(r, "conclusion"), &cls);
    const json_t *period = json_object_get(r, "period");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>omwitness evidence report</title>\n<style>", out);
    fputs(css, out);
    fputs("</style></head><body>\n<h1>Evidence report: access to the management network</h1>\n",
          out);
    fputs("<table class=\"meta\"><tbody><tr><th>Period</th><td>", out);
    if (json_is_string(json_object_get(period, "from")))
        field(out, period, "from");
    else
        fputs("start of the evidence", out);
    fputs(" to ", out);
    if (json_is_string(json_object_get(period, "to")))
        field(out, period, "to");
    else
        fputs("end of the evidence", out);
    fputs(" (packet time, UTC)</td></tr>\n<tr><th>Sensor</th><td>", out);
    sensors_text(out, r);
    fputs("</td></tr>\n<tr><th>Store</th><td class=\"mono\">", out);
    ident_field(out, json_object_get(r, "store"), "path");
    fputs("</td></tr>\n<tr><th>Generated</th><td>", out);
    field(out, r, "generated");
    fputs(" by omwitness ", out);
    field(out, r, "omwitness_version");
    fputs("</td></tr></tbody></table>\n", out);

    fprintf(out, "<div class=\"verdict %s\"><div class=\"label\">", cls);
    esc(out, label);
    fputs("</div><p>Conclusion code: <span class=\"mono\">", out);
    ident_field(out, r, "conclusion");
    fputs("</span></p><ul>\n", out);
    size_t i;
    const json_t *reason;
    json_array_foreach(json_object_get(r, "conclusion_reasons"), i, reason) {
        fputs("<li>", out);
        esc(out, json_string_value(reason));
        fputs("</li>\n", out);
    }
    fputs("</ul><p>The conclusion <i>no unauthorized access observed</i> is given only when at "
          "least one run watched the period with a policy and saw packets, no alert was raised, "
          "no packet was lost, no part of the period went unwatched, every run ended cleanly and "
          "the evidence verified and is sealed.</p>", out);
    const json_t *seal = json_object_get(r, "seal"), *cp = json_object_get(seal, "checkpoint");
    fputs("<p>Seal: ", out);
    if (json_is_true(json_object_get(seal, "sealed")) && json_is_object(cp)) {
        fprintf(out, "checkpoint #%" JSON_INTEGER_FORMAT " (", num(cp, "number"));
        ident_field(out, cp, "reason");
        fprintf(out, ", epoch %" JSON_INTEGER_FORMAT ") covers chain record %" JSON_INTEGER_FORMAT
                "; root key fingerprint ", num(cp, "epoch"), num(cp, "chain_seq"));
        hash_field(out, seal, "root_key_fingerprint");
        const json_t *sig = json_object_get(r, "signature");
        if (json_is_object(sig))
            fprintf(out, "; this report is signed by epoch key %" JSON_INTEGER_FORMAT " "
                    "(<code class=\"nb\">omwitness report verify REPORT.json --root-key "
                    "root.pub</code>)", num(sig, "epoch"));
    } else {
        fputs("<b>none</b>: the evidence is not sealed", out);
    }
    fputs(".</p></div>\n", out);

    html_runs(out, r);
    html_coverage(out, r);
    html_flows(out, r);
    html_sessions(out, r);
    html_anomalies(out, r);
    html_integrity(out, r);
    html_signoff(out);
    fputs("<footer>omwitness classifies every flow on the monitored links with nDPI and its own "
          "lawful-interception classifiers and compares it with the operator's allowlist. Times "
          "are packet times in UTC. Strings seen on the network are shown escaped.</footer>\n"
          "</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
