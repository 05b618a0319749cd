"""test_soc.py — the analyst's workflow over the API and the CLI, on the sample night: alert
filters (ip, community_id, asset, rule, kind, severity, triage, time) and sorts checked
against the store; grouped alerts; assets; the chart following the filters; bad filter values
answered 400 naming the parameter; HTML 404 pages; POST /api/alerts/{id}/triage with every
refusal (no token, wrong token, cross-site, not JSON, bad body) and the record chained; the
CLI's new filters giving the API's answer for the same filter; CLI tables (widths, header on
no match) and error lines; no stderr noise from ordinary browsing."""
import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.parse

from apitest import (Results, Server, get_json, omwitness, post_json, replay, request, tempdir,
                     cleanup, SAMPLE_POLICY, TOKENS, auth as apitest_auth)

T = Results("soc")
Q = urllib.parse.quote


def db_all(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def db_one(db, sql, *args):
    return db_all(db, sql, *args)[0][0]


def cli(*args):
    return subprocess.run([omwitness(), *args], capture_output=True, text=True, timeout=60)


def cli_ids(db, *args):
    r = cli("alerts", "--db", db, "--format", "jsonl", *args)
    T.check(r.returncode == 0, f"alerts {args}: exit {r.returncode} {r.stderr}")
    return [json.loads(x)["alert"]["id"] for x in r.stdout.splitlines() if x.strip()]


def api_ids(port, query):
    _, _, r = get_json(port, "/api/alerts?limit=500" + ("&" + query if query else ""))
    return [x["id"] for x in r["alerts"]]


def expect_400(port, path, param):
    status, h, data = get_json(port, path)
    T.check(status == 400 and (data or {}).get("param") == param,
            f"{path}: {status} {data}, want 400 naming {param!r}")


def test_alert_filters(port, db):
    alerts = db_all(db, "SELECT a.id, a.ts, a.kind, a.severity, a.rule, a.asset_src, a.asset_dest, "
                        "f.client_ip, f.server_ip, f.community_id FROM alerts a JOIN flows f ON "
                        "f.id = a.flow_row")
    def want(pred):
        return sorted(a[0] for a in alerts if pred(a))
    ip = "10.20.2.21"
    T.check(sorted(api_ids(port, "ip=" + ip)) == want(lambda a: ip in (a[7], a[8])) and want(lambda a: ip in (a[7], a[8])),
            "ip filter")
    T.check(api_ids(port, "ip=" + Q("::ffff:10.20.2.21")) == [], "an IPv6 form is another address")
    cid = alerts[0][9]
    T.check(sorted(api_ids(port, "community_id=" + Q(cid))) == want(lambda a: a[9] == cid), "community_id filter")
    T.check(sorted(api_ids(port, "kind=li_unauthorized,egress_external")) ==
            want(lambda a: a[2] in ("li_unauthorized", "egress_external")), "kind list")
    T.check(sorted(api_ids(port, "severity=critical&ip=" + ip)) ==
            want(lambda a: a[3] == "critical" and ip in (a[7], a[8])), "filters combine")
    # sort orders
    _, _, r = get_json(port, "/api/alerts?sort=-severity")
    rank = {"critical": 3, "high": 2, "medium": 1}
    sev = [rank[x["severity"]] for x in r["alerts"]]
    T.check(sev == sorted(sev, reverse=True), f"sort=-severity: {sev}")
    _, _, r = get_json(port, "/api/alerts?sort=time")
    ts = [x["ts_us"] for x in r["alerts"]]
    T.check(ts == sorted(ts), "sort=time oldest first")
    _, _, r = get_json(port, "/api/alerts?sort=kind")
    T.check([x["kind"] for x in r["alerts"]] == sorted(x["kind"] for x in r["alerts"]), "sort=kind")
    _, _, r = get_json(port, "/api/alerts")
    T.check(all(x["triage"]["status"] == "open" for x in r["alerts"]), "untriaged alerts list as open")
    # bad values name their parameter
    for path, param in [("/api/alerts?from=garbage", "from"), ("/api/alerts?to=2026-02-30T00:00:00Z", "to"),
                        ("/api/alerts?ip=10.0.0.300", "ip"), ("/api/alerts?asset=10.20.2.21", "asset"),
                        ("/api/alerts?sort=sideways", "sort"), ("/api/alerts?triage=done", "triage"),
                        ("/api/alerts?severity=low", "severity"), ("/api/alerts?nope=1", "nope"),
                        ("/api/alerts/groups?from=garbage", "from"), ("/api/timeline?from=garbage", "from"),
                        ("/api/timeline?kind=bogus", "kind"), ("/api/flows?from=garbage", "from"),
                        ("/api/flows?asset=10.0.0.1", "asset"), ("/api/flows?port=99999", "port"),
                        ("/api/report?from=garbage", "from"), ("/api/alerts?limit=0", "limit"),
                        ("/api/alerts?from=2026-02-10T02:00:00Z&to=2026-02-10T01:00:00Z", "to")]:
        expect_400(port, path, param)


def test_groups(port, db):
    status, _, g = get_json(port, "/api/alerts/groups")
    T.check(status == 200, f"groups: {status}")
    want = {(k, s, d): (n, lo, hi) for k, s, d, n, lo, hi in db_all(
        db, "SELECT a.kind, f.client_ip, f.server_ip, count(*), min(a.ts), max(a.ts) FROM alerts a "
            "JOIN flows f ON f.id = a.flow_row GROUP BY 1, 2, 3")}
    got = {(x["kind"], x["src_ip"], x["dest_ip"]): (x["count"], x["first_us"], x["last_us"]) for x in g["groups"]}
    T.check(got == want and g["total"] == len(want), f"groups equal the store's GROUP BY: {got} vs {want}")
    T.check(all(len(x["ids"]) == x["count"] for x in g["groups"]), "each group lists its ids")
    lasts = [x["last_us"] for x in g["groups"]]
    T.check(lasts == sorted(lasts, reverse=True), "groups newest first")
    _, _, g2 = get_json(port, "/api/alerts/groups?severity=critical")
    T.check(sum(x["count"] for x in g2["groups"]) == db_one(db, "SELECT count(*) FROM alerts WHERE severity = 'critical'"),
            "groups follow the filters")


def test_flows_and_assets(port, db):
    _, _, f = get_json(port, "/api/flows?asset=ne-ran&limit=500")
    T.check(f["total"] == db_one(db, "SELECT count(*) FROM flows WHERE verdict_asset_src = 'ne-ran' OR "
                                     "verdict_asset_dest = 'ne-ran'") and f["total"] > 0, "flows by asset")
    with_alert = [x for x in f["flows"] if x["alert_id"]]
    T.check(with_alert and all(db_one(db, "SELECT flow_row FROM alerts WHERE id = ?", x["alert_id"]) == x["id"]
                               for x in with_alert), "flow rows link to their alert")
    status, _, a = get_json(port, "/api/assets")
    T.check(status == 200 and a["policy_loaded"], "assets with the policy")
    by = {x["name"]: x for x in a["assets"]}
    ne = by.get("ne-ran", {})
    T.check(ne.get("alerts") == db_one(db, "SELECT count(*) FROM alerts WHERE asset_src = 'ne-ran' OR asset_dest = 'ne-ran'")
            and ne.get("alerts") == 4, f"ne-ran is in 4 of the sample's alerts: {ne.get('alerts')}")
    T.check(ne.get("flows") == f["total"], "asset flows equal the flows filter")
    T.check(sum(ne["flows_by_verdict"].values()) == ne["flows"], "flows by verdict add up")
    T.check(ne.get("last_us") == db_one(db, "SELECT max(last_ts) FROM flows WHERE verdict_asset_src = 'ne-ran' OR "
                                            "verdict_asset_dest = 'ne-ran'"), "last seen")
    T.check(ne.get("role") == "network-element" and "10.20.2.0/24" in ne.get("addresses", ""), "policy definition")
    T.check("10.20.2.21" in ne.get("addresses_seen", []), "addresses seen")
    T.check(by.get("lemf", {}).get("in_policy") is True, "every policy asset listed")
    status, _, one = get_json(port, "/api/assets?name=ne-ran")
    T.check(status == 200 and [x["name"] for x in one["assets"]] == ["ne-ran"], "one asset")
    status, _, _ = get_json(port, "/api/assets?name=nope")
    T.check(status == 404, "unknown asset: 404")


def test_timeline_follows_filters(port, db):
    _, _, all_ = get_json(port, "/api/timeline?buckets=30")
    _, _, crit = get_json(port, "/api/timeline?buckets=30&severity=critical")
    T.check(sum(crit["alerts"]["high"]) == 0 and sum(crit["alerts"]["critical"]) ==
            db_one(db, "SELECT count(*) FROM alerts WHERE severity = 'critical'"), "chart by severity")
    T.check(crit["flows"] == all_["flows"], "the flow series ignores alert-only filters")
    _, _, byip = get_json(port, "/api/timeline?buckets=30&ip=10.20.2.21")
    T.check(sum(byip["flows"]) == db_one(db, "SELECT count(*) FROM flows WHERE client_ip = '10.20.2.21' OR "
                                               "server_ip = '10.20.2.21'"), "the flow series follows ip")
    T.check(all_["empty"] is False, "a store with flows is not empty")


def test_alert_detail_rule(port, db):
    aid = db_one(db, "SELECT id FROM alerts WHERE kind = 'maintenance_outside_window'")
    _, _, d = get_json(port, f"/api/alerts/{aid}")
    r = d["rule"]
    T.check(r and r["from_policy"] and (r["from"], r["to"], r["service"], r["app"]) ==
            ("acme-jump", "ne-core", "tcp/22", "SSH") and "2026-02-10T01:00:00Z" in r["window"],
            f"the rule it was held against: {r}")
    none = db_one(db, "SELECT id FROM alerts WHERE rule = ''")
    _, _, d = get_json(port, f"/api/alerts/{none}")
    T.check(d["rule"] is None, "no nearest rule: null, not a rule")
    a = d["alert"]["alert"]
    T.check(isinstance(a["severity"], int) and a["action"] == "allowed" and a["signature_id"] >= 1400001,
            "the EVE alert in Suricata's types")
    T.check(d["alert"]["site"] == "dc1-om" and d["alert"].get("host"), "host and site")


def test_static_404(port):
    status, h, body = request(port, "/no-such-page.html")
    T.check(status == 404 and h.get("content-type", "").startswith("text/html") and b"No such page" in body,
            f"HTML 404 page: {status} {h.get('content-type')}")
    T.check("default-src 'self'" in h.get("content-security-policy", ""), "404 page keeps the CSP")
    status, h, body = request(port, "/../etc/passwd")
    T.check(status in (400, 404) and b"root:" not in body, "traversal still refused")
    status, h, _ = request(port, "/api/no-such-endpoint")
    T.check(status == 404 and h.get("content-type", "").startswith("application/json"), "API 404 stays JSON")


def test_triage_post(db, work):
    """The POST, its refusals, and its record: every role may triage (analyst and above), and
    the record names the token that signed in."""
    srv = Server(db)
    auth = apitest_auth("analyst")
    try:
        p = srv.port
        aid = db_one(db, "SELECT id FROM alerts ORDER BY id LIMIT 1")
        path = f"/api/alerts/{aid}/triage"
        before = db_one(db, "SELECT count(*) FROM triage")
        # refusals
        status, _, _ = post_json(p, path, {"status": "closed"}, {"Authorization": None})
        T.check(status == 401, f"no token: {status}")
        status, _, _ = post_json(p, path, {"status": "closed"}, {"Authorization": "Bearer wrong-token-xxxxxxxx"})
        T.check(status == 401, f"wrong token: {status}")
        status, _, e = post_json(p, path, {"status": "closed"}, {**auth, "Origin": "http://evil.example"})
        T.check(status == 403 and "cross-site" in e["error"], f"foreign Origin: {status}")
        status, _, e = post_json(p, path, {"status": "closed"}, {**auth, "Origin": None, "Sec-Fetch-Site": "cross-site"})
        T.check(status == 403, f"Sec-Fetch-Site cross-site: {status}")
        status, _, e = post_json(p, path, {"status": "closed"}, {**auth, "Origin": "null"})
        T.check(status == 403, f"Origin null: {status}")
        status, _, e = post_json(p, path, None, {**auth, "Content-Type": "application/x-www-form-urlencoded"},
                                 raw=b"status=closed")
        T.check(status == 415, f"a form post: {status}")
        status, _, e = post_json(p, path, None, {**auth, "Content-Type": "text/plain"}, raw=b'{"status":"closed"}')
        T.check(status == 415, f"text/plain: {status}")
        for body, why in [({"status": "resolved"}, "bad status"), ({"status": "closed", "x": 1}, "unknown member"),
                          ({"status": "closed", "note": 5}, "note not a string"), ([1, 2], "not an object"),
                          ({"status": "closed", "note": "two\nlines"}, "control character"),
                          ({"status": "closed", "note": "n" * 1001}, "note too long")]:
            status, _, e = post_json(p, path, body, auth)
            T.check(status == 400, f"{why}: {status} {e}")
        status, _, _ = post_json(p, path, None, auth, raw=b"{not json")
        T.check(status == 400, "malformed JSON: 400")
        status, _, _ = post_json(p, path, None, auth, raw=b'{"status":"closed","note":"' + b"x" * 5000 + b'"}')
        T.check(status == 413, f"body over 4 KiB: {status}")
        status, _, _ = post_json(p, "/api/alerts/999999/triage", {"status": "closed"}, auth)
        T.check(status == 404, "no such alert: 404")
        status, _, _ = post_json(p, "/api/alerts", {"status": "closed"}, auth)
        T.check(status == 405, "POST elsewhere: 405")
        status, _, _ = post_json(p, "/index.html", {"status": "closed"}, auth)
        T.check(status == 405, "POST to a page: 405")
        T.check(db_one(db, "SELECT count(*) FROM triage") == before, "refused requests stored nothing")
        # accepted, as the page sends it and as curl sends it (no Origin, no Sec-Fetch-Site)
        status, _, r = post_json(p, path, {"status": "acknowledged", "note": "vendor call", "by": "alice"}, auth)
        T.check(status == 201 and r["triage"]["status"] == "acknowledged" and
                r["triage"]["by"] == "test-analyst (for alice)", f"same-origin POST: {status} {r}")
        # Signed in with the cookie, a request that does not show it came from our pages is refused.
        _, h, _ = request(p, "/login?token=" + TOKENS["analyst"], role=None)
        jar = {"Cookie": h.get("set-cookie", "").split(";")[0], "Authorization": None}
        status, _, e = post_json(p, path, {"status": "closed"}, {**jar, "Origin": None, "Sec-Fetch-Site": None})
        T.check(status == 403 and "cross-site" in e["error"], f"cookie without Origin: {status}")
        status, _, r = post_json(p, path, {"status": "acknowledged", "note": "from the page"}, jar)
        T.check(status == 201 and r["triage"]["by"] == "test-analyst", f"cookie from our page: {status} {r}")
        status, _, r = post_json(p, path, {"status": "closed", "note": "ticket extended \u2192 CHG-2026-0150"},
                                 {**auth, "Origin": None, "Sec-Fetch-Site": None})
        T.check(status == 201 and len(r["history"]) == 3, f"a client without Origin: {status}")
        _, _, d = get_json(p, f"/api/alerts/{aid}", auth)
        T.check(d["triage"]["status"] == "closed" and d["alert"]["triage"]["note"] == "ticket extended \u2192 CHG-2026-0150"
                and [h["status"] for h in d["triage_history"]] == ["acknowledged", "acknowledged", "closed"],
                "history and current")
        _, _, lst = get_json(p, "/api/alerts?triage=closed", auth)
        T.check([x["id"] for x in lst["alerts"]] == [aid], "triage filter")
        _, _, lst = get_json(p, "/api/alerts?triage=open&limit=500", auth)
        T.check(aid not in [x["id"] for x in lst["alerts"]] and lst["total"] == db_one(db, "SELECT count(*) FROM alerts") - 1,
                "open excludes the closed one")
    finally:
        srv.stop()
    # chained: verify passes; an edited triage row makes verify exit 3
    r = cli("verify", "--db", db)
    T.check(r.returncode == 0, f"verify after triage: {r.stdout}")
    copy = os.path.join(work, "tampered.db")
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(db, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    con = sqlite3.connect(copy)
    con.execute("UPDATE triage SET note = 'nothing to see' WHERE id = (SELECT max(id) FROM triage)")
    con.commit()
    con.close()
    r = cli("verify", "--db", copy)
    T.check(r.returncode == 3 and "triage row" in r.stdout, f"edited triage row: exit {r.returncode} {r.stdout}")
    # the CLI writes the same records
    r = cli("triage", "--db", db, "--alert", str(aid), "--status", "escalated", "--note", "regulator asked", "--by", "bob")
    T.check(r.returncode == 0 and "escalated by bob" in r.stdout, f"omwitness triage: {r.returncode} {r.stdout} {r.stderr}")
    line = [json.loads(x) for x in cli("alerts", "--db", db, "--format", "jsonl").stdout.splitlines()
            if json.loads(x)["alert"]["id"] == aid][0]
    T.check(line["triage"] == {"status": "escalated", "note": "regulator asked", "by": "bob",
                               "at": line["triage"]["at"]}, f"EVE triage: {line.get('triage')}")
    for args, why in [(["--alert", "0", "--status", "closed"], "alert 0"), (["--alert", "1", "--status", "done"], "bad status"),
                      (["--alert", "1"], "no status"), (["--alert", "999999", "--status", "closed"], "no such alert"),
                      (["--alert", "1", "--status", "closed", "--note", "a\x1bb"], "control in note")]:
        r = cli("triage", "--db", db, *args)
        T.check(r.returncode == 2 and r.stderr.count("\n") == 1, f"triage {why}: exit {r.returncode} {r.stderr!r}")
    T.check(cli("verify", "--db", db).returncode == 0, "verify after the CLI's triage")


def test_cli_matches_api(port, db):
    """Every CLI filter gives the ids the API gives for the same filter."""
    ts = sorted(x[0] for x in db_all(db, "SELECT ts FROM alerts"))
    mid = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts[len(ts) // 2] // 1000000))
    late = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts[-2] // 1000000))
    rule = db_one(db, "SELECT rule FROM alerts WHERE rule != '' LIMIT 1")
    cases = [
        ([], ""), (["--severity", "critical"], "severity=critical"),
        (["--severity", "high,critical"], "severity=high,critical"),
        (["--kind", "egress_external"], "kind=egress_external"),
        (["--kind", "li_unauthorized,vendor_unauthorized"], "kind=li_unauthorized,vendor_unauthorized"),
        (["--ip", "10.20.2.21"], "ip=10.20.2.21"), (["--ip", "10.99.0.7"], "ip=10.99.0.7"),
        (["--since", mid], "from=" + mid), (["--until", mid], "to=" + mid),
        (["--since", mid, "--until", late], f"from={mid}&to={late}"),
        (["--asset", "ne-ran"], "asset=ne-ran"), (["--rule", rule], "rule=" + rule),
        (["--triage", "open"], "triage=open"), (["--triage", "closed,escalated"], "triage=closed,escalated"),
        (["--severity", "high", "--ip", "10.20.2.21"], "severity=high&ip=10.20.2.21"),
    ]
    for args, query in cases:
        c, a = cli_ids(db, *args), api_ids(port, query)
        T.check(sorted(c) == sorted(a), f"alerts {args}: CLI {sorted(c)} vs API {sorted(a)}")
        T.check(c == [x["id"] for x in sorted(get_json(port, "/api/alerts?limit=500&sort=time" + ("&" + query if query else ""))[2]["alerts"],
                                                  key=lambda x: (x["ts_us"], x["id"]))], f"alerts {args}: oldest first")
    for n in (1, 3, 5):
        c = cli_ids(db, "--limit", str(n))
        _, _, r = get_json(port, f"/api/alerts?limit={n}")
        T.check(sorted(c) == sorted(x["id"] for x in r["alerts"]) and len(c) == n, f"--limit {n}: the API's newest {n}")
    _, _, r = get_json(port, "/api/alerts?limit=2&severity=high")
    T.check(sorted(cli_ids(db, "--limit", "2", "--severity", "high")) == sorted(x["id"] for x in r["alerts"]),
            "--limit with a filter")

    def cli_flows(*args):
        r = cli("flows", "--db", db, "--format", "jsonl", *args)
        T.check(r.returncode == 0, f"flows {args}: {r.stderr}")
        return sorted(json.loads(x)["flow_id"] for x in r.stdout.splitlines() if x.strip())

    def api_flows(query):
        _, _, r = get_json(port, "/api/flows?" + query + ("" if "limit=" in query else "&limit=500"))
        return sorted(x["flow_id"] for x in r["flows"])

    for args, query in [(["--ip", "10.20.1.11"], "ip=10.20.1.11"), (["--app", "ssh"], "app=ssh"),
                        (["--app", "SNMP"], "app=SNMP"), (["--asset", "acme-jump"], "asset=acme-jump"),
                        (["--verdict", "anomaly"], "verdict=anomaly"),
                        (["--verdict", "anomaly,out_of_scope"], "verdict=anomaly,out_of_scope"),
                        (["--asset", "ne-core", "--app", "ssh"], "asset=ne-core&app=ssh"), (["--limit", "7"], "limit=7")]:
        c, a = cli_flows(*args), api_flows(query)
        T.check(c == a and (c or args[0] == "--verdict"), f"flows {args}: CLI {len(c)} vs API {len(a)}")
    for args in [["alerts", "--ip", "10.0.0.300"], ["alerts", "--severity", "low"], ["alerts", "--limit", "0"],
                 ["alerts", "--since", "garbage"], ["flows", "--ip", "nope"], ["flows", "--verdict", "bad"],
                 ["alerts", "--since", "2026-02-10T02:00:00Z", "--until", "2026-02-10T01:00:00Z"]]:
        r = cli(*args[:1], "--db", db, *args[1:])
        T.check(r.returncode == 2 and r.stderr.count("\n") == 1, f"{args}: exit {r.returncode} {r.stderr!r}")


def test_cli_tables(db, work):
    r = subprocess.run([omwitness(), "alerts", "--db", db, "--format", "table"], capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    lines = r.stdout.splitlines()
    widths = [len(x) for x in lines]
    T.check(r.returncode == 0 and len(lines) == db_one(db, "SELECT count(*) FROM alerts") + 1, "header and one line per alert")
    T.check(max(widths) <= 160, f"alerts table fits 160 columns: widest {max(widths)}")
    print(f"info: alerts table {max(widths)} columns wide for {len(lines) - 1} alerts (IPv4)")
    T.check(lines[0].split()[:4] == ["ID", "TIME", "SEVERITY", "KIND"], f"header: {lines[0]}")
    wide = cli("alerts", "--db", db, "--format", "table", "--wide").stdout.splitlines()
    reasons = [x[0] for x in db_all(db, "SELECT reason FROM alerts")]
    T.check(all(any(reason in line for line in wide) for reason in reasons), "--wide prints whole reasons")
    T.check(max(len(x) for x in wide) > 160, "--wide is wider than the terminal default")
    r = subprocess.run([omwitness(), "alerts", "--db", db, "--format", "table"], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "200"})
    T.check(160 < max(len(x) for x in r.stdout.splitlines()) <= 200, "COLUMNS=200: reasons take the room")
    # nothing matches: still a header
    for args in [["alerts", "--kind", "unlisted_flow"], ["flows", "--ip", "192.0.2.1"]]:
        r = cli(args[0], "--db", db, "--format", "table", *args[1:])
        T.check(r.returncode == 0 and len(r.stdout.splitlines()) == 1 and r.stdout.split()[0] in ("ID", "START"),
                f"{args}: a header when nothing matches: {r.stdout!r}")
    flows = cli("flows", "--db", db, "--format", "table").stdout.splitlines()
    # content-sized: no column padded far beyond its widest value (the old table padded to 41)
    T.check(max(len(x) for x in flows) < 130, f"flows table sized to its content: {max(len(x) for x in flows)}")
    # missing files: "cannot open FILE: reason", no FILE:0:0
    missing = os.path.join(work, "missing")
    for args in [["replay", "--policy", missing + ".yaml", "--db", os.path.join(work, "x.db"), missing + ".pcap"],
                 ["policy", "check", missing + ".yaml"], ["replay", "--db", os.path.join(work, "y.db"), missing + ".pcap"],
                 ["alerts", "--db", missing + ".db"], ["flows", "--db", missing + ".db"],
                 ["report", "--db", missing + ".db"], ["verify", "--db", missing + ".db"],
                 ["serve", "--db", missing + ".db"], ["triage", "--db", missing + ".db", "--alert", "1", "--status", "closed"],
                 ["serve", "--db", db, "--policy", missing + ".yaml"]]:
        r = cli(*args)
        T.check(r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot open " + missing in r.stderr and
                ":0:0" not in r.stderr and "No such file" in r.stderr, f"{args[0]}: {r.returncode} {r.stderr!r}")
    T.check(not os.path.exists(os.path.join(work, "x.db")), "a bad policy creates no store")


def test_quiet_serve(db):
    """Opening pages and leaving them (event streams cut by the browser) writes nothing to stderr."""
    srv = Server(db)
    try:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode())
            s.recv(4096)
            time.sleep(0.2)
            s.close()
        for path in ["/", "/index.html", "/alert.html?id=1", "/nope.html", "/api/summary", "/api/alerts?from=bad"]:
            request(srv.port, path)
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        s.close()                                    # a page left before its answer
        time.sleep(1.0)                              # the streams notice their clients left
    finally:
        T.check(srv.stop() == 0, "serve exits 0")
    lines = [x for x in srv.stderr().splitlines() if x.strip()]
    noise = [x for x in lines if "listening on port" not in x and "stopping" not in x]
    T.check(noise == [], f"stderr noise from ordinary browsing: {noise}")


def main():
    work = tempdir()
    try:
        db = os.path.join(work, "sample.db")
        replay(db)
        srv = Server(db, "--policy", SAMPLE_POLICY)
        try:
            test_alert_filters(srv.port, db)
            test_groups(srv.port, db)
            test_flows_and_assets(srv.port, db)
            test_timeline_follows_filters(srv.port, db)
            test_alert_detail_rule(srv.port, db)
            test_static_404(srv.port)
        finally:
            T.check(srv.stop() == 0, "serve exits 0 on SIGINT")
        test_triage_post(db, work)
        srv = Server(db)
        try:
            test_cli_matches_api(srv.port, db)
        finally:
            srv.stop()
        test_cli_tables(db, work)
        test_quiet_serve(db)
    finally:
        cleanup(work)
    T.done()


if __name__ == "__main__":
    main()
