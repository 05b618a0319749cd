"""test_http_api.py — every endpoint of the HTTP API against a store made by replaying the
sample night, checked against the store itself (python's sqlite3), with bad and hostile
parameters, path traversal and the SSE alert stream. Tokens, sign-in, roles, TLS and limits
are in test_access.py."""
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse

from apitest import (Results, Server, auth, get_json, omwitness, replay, request, write_tokens,
                     tempdir, cleanup, SAMPLE_POLICY)

T = Results("http_api")
Q = urllib.parse.quote


def db_one(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def db_all(db, sql, *args):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def expect_400(port, path, words, headers=None):
    status, h, data = get_json(port, path, headers)
    T.check(status == 400, f"{path}: status {status}, want 400")
    msg = (data or {}).get("error", "")
    T.check(words in msg, f"{path}: error {msg!r} should mention {words!r}")
    T.check(h.get("content-type", "").startswith("application/json"), f"{path}: 400 not JSON")


def test_headers(port):
    for path in ["/", "/api/summary", "/api/alerts?limit=0", "/nope.html"]:
        status, h, _ = request(port, path)
        csp = h.get("content-security-policy", "")
        T.check("default-src 'self'" in csp and "script-src 'self'" in csp
                and "unsafe-inline" not in csp, f"{path}: CSP {csp!r}")
        T.check(h.get("x-content-type-options") == "nosniff", f"{path}: nosniff missing")
        T.check(h.get("x-frame-options") == "DENY", f"{path}: X-Frame-Options")


def test_summary(port, db):
    status, _, s = get_json(port, "/api/summary")
    T.check(status == 200, f"summary status {status}")
    T.check(s["flows"] == db_one(db, "SELECT count(*) FROM flows"), "summary flows count")
    T.check(s["alerts"] == db_one(db, "SELECT count(*) FROM alerts"), "summary alerts count")
    T.check(s["alerts"] > 0, "the sample night must raise alerts")
    for sev, n in db_all(db, "SELECT severity, count(*) FROM alerts GROUP BY 1"):
        T.check(s["alerts_by_severity"].get(sev) == n, f"summary severity {sev}")
    for v, n in db_all(db, "SELECT verdict_status, count(*) FROM flows GROUP BY 1"):
        T.check(s["flows_by_verdict"].get(v) == n, f"summary verdict {v}")
    T.check(s["live"] is False, "a stored db is not live")


def test_alerts(port, db):
    total = db_one(db, "SELECT count(*) FROM alerts")
    status, _, a = get_json(port, "/api/alerts")
    T.check(status == 200 and a["total"] == total, "alerts total")
    ids = [x["id"] for x in a["alerts"]]
    T.check(ids == [r[0] for r in db_all(db, "SELECT id FROM alerts ORDER BY ts DESC, id DESC LIMIT 100")],
            "alerts newest first (by time)")
    first = a["alerts"][0]
    row = db_all(db, "SELECT a.kind, a.severity, f.client_ip, f.server_port, f.community_id "
                     "FROM alerts a JOIN flows f ON f.id = a.flow_row WHERE a.id = ?", first["id"])[0]
    T.check((first["kind"], first["severity"], first["src_ip"], first["dest_port"],
             first["community_id"]) == row, f"alert {first['id']} fields vs store: {row}")
    # filters
    for sev in ["critical", "high", "medium"]:
        _, _, r = get_json(port, f"/api/alerts?severity={sev}")
        want = db_one(db, "SELECT count(*) FROM alerts WHERE severity = ?", sev)
        T.check(r["total"] == want and all(x["severity"] == sev for x in r["alerts"]),
                f"severity={sev}: {r['total']} vs {want}")
    _, _, r = get_json(port, "/api/alerts?severity=critical,high")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM alerts WHERE severity IN ('critical','high')"),
            "severity list")
    kind = db_one(db, "SELECT kind FROM alerts ORDER BY id LIMIT 1")
    _, _, r = get_json(port, f"/api/alerts?kind={kind}")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM alerts WHERE kind = ?", kind), "kind filter")
    asset = db_one(db, "SELECT asset_dest FROM alerts WHERE asset_dest != '' LIMIT 1")
    _, _, r = get_json(port, f"/api/alerts?asset={Q(asset)}")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM alerts WHERE asset_src = ? OR asset_dest = ?",
                                 asset, asset) and r["total"] > 0, "asset filter")
    rule = db_one(db, "SELECT rule FROM alerts WHERE rule != '' LIMIT 1")
    _, _, r = get_json(port, f"/api/alerts?rule={Q(rule)}")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM alerts WHERE rule = ?", rule), "rule filter")
    # time range: [from, to) on the alert's flow start
    ts = sorted(x[0] for x in db_all(db, "SELECT ts FROM alerts"))
    mid = ts[len(ts) // 2]
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mid // 1000000))
    _, _, r = get_json(port, f"/api/alerts?from={iso}")
    T.check(r["total"] == sum(1 for t in ts if t >= (mid // 1000000) * 1000000), "from filter")
    _, _, r = get_json(port, f"/api/alerts?to={iso}")
    T.check(r["total"] == sum(1 for t in ts if t < (mid // 1000000) * 1000000), "to filter")
    # paging
    _, _, p1 = get_json(port, "/api/alerts?limit=3")
    _, _, p2 = get_json(port, "/api/alerts?limit=3&offset=3")
    T.check(len(p1["alerts"]) == min(3, total) and p1["limit"] == 3, "limit")
    T.check([x["id"] for x in p1["alerts"] + p2["alerts"]] == ids[:6], "offset continues the order")
    _, _, r = get_json(port, f"/api/alerts?offset={total + 5}")
    T.check(r["alerts"] == [] and r["total"] == total, "offset past the end")
    _, _, r = get_json(port, f"/api/alerts?after_id={ids[2]}")
    T.check(sorted(x["id"] for x in r["alerts"]) ==
            [x[0] for x in db_all(db, "SELECT id FROM alerts WHERE id > ? ORDER BY id", ids[2])], "after_id")
    # hostile
    expect_400(port, "/api/alerts?limit=0", "limit")
    expect_400(port, "/api/alerts?limit=501", "limit")
    expect_400(port, "/api/alerts?limit=-5", "limit")
    expect_400(port, "/api/alerts?offset=-1", "offset")
    expect_400(port, "/api/alerts?limit=99999999999999999999999999", "limit")
    expect_400(port, "/api/alerts?limit=1e3", "limit")
    expect_400(port, "/api/alerts?limit=0x10", "limit")
    expect_400(port, "/api/alerts?limit=%2010", "limit")
    expect_400(port, "/api/alerts?run=0", "run")
    expect_400(port, "/api/alerts?severity=low", "severity")
    expect_400(port, "/api/alerts?severity=" + Q("high' OR '1'='1"), "severity")
    expect_400(port, "/api/alerts?kind=" + Q("x'); DROP TABLE alerts;--"), "kind")
    expect_400(port, "/api/alerts?from=yesterday", "RFC 3339")
    expect_400(port, "/api/alerts?from=2026-13-40T99:00:00Z", "RFC 3339")
    expect_400(port, "/api/alerts?from=2026-02-10T02:00:00Z&to=2026-02-10T01:00:00Z", "later")
    expect_400(port, "/api/alerts?bogus=1", "unknown parameter 'bogus'")
    expect_400(port, "/api/alerts?limit=1&limit=2", "more than once")
    expect_400(port, "/api/alerts?asset=" + "a" * 65, "longer")
    expect_400(port, "/api/alerts?asset=" + Q("ne\x1b[31m"), "printable")
    expect_400(port, "/api/alerts?" + "&".join(f"p{i}=1" for i in range(40)), "unknown parameter")
    # SQL metacharacters in free-text filters are bound values: no rows, store intact
    for evil in ["' OR '1'='1", "x\" OR 1=1 --", "%", "_", "ne-core'; DELETE FROM alerts; --"]:
        status, _, r = get_json(port, "/api/alerts?asset=" + Q(evil))
        T.check(status == 200 and r["total"] == 0, f"asset={evil!r}: {status} {r and r.get('total')}")
        status, _, r = get_json(port, "/api/alerts?rule=" + Q(evil))
        T.check(status == 200 and r["total"] == 0, f"rule={evil!r}")
    T.check(db_one(db, "SELECT count(*) FROM alerts") == total, "alerts table intact")


def test_alert_detail(port, db):
    aid, flow_row, kind, reason = db_all(db, "SELECT id, flow_row, kind, reason FROM alerts "
                                             "ORDER BY id LIMIT 1")[0]
    status, _, d = get_json(port, f"/api/alerts/{aid}")
    T.check(status == 200, f"alert {aid} status {status}")
    T.check(d["id"] == aid and d["flow_row"] == flow_row, "alert detail ids")
    T.check(d["alert"]["event_type"] == "alert" and d["alert"]["alert"]["id"] == aid
            and d["alert"]["alert"]["kind"] == kind and d["alert"]["alert"]["reason"] == reason,
            "alert detail carries the EVE alert")
    cid = db_one(db, "SELECT community_id FROM flows WHERE id = ?", flow_row)
    T.check(d["flow"]["event_type"] == "flow" and d["flow"]["community_id"] == cid,
            "alert detail carries its flow")
    T.check(d["flow"]["verdict"]["status"] == "anomaly", "the flow's verdict")
    # the same line `omwitness alerts --format jsonl` prints
    r = subprocess.run([omwitness(), "alerts", "--db", db, "--format", "jsonl"],
                       capture_output=True, text=True)
    cli = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    T.check(any(x == d["alert"] for x in cli), "API alert equals the CLI's EVE line")
    for bad in ["999999999", "0", "-1", "abc", "1x", "99999999999999999999999999", "1/",
                "1%00", "1;DROP"]:
        status, _, e = get_json(port, f"/api/alerts/{bad}")
        T.check(status == 404 and "error" in e, f"/api/alerts/{bad}: {status}")
    expect_400(port, f"/api/alerts/{aid}?x=1", "unknown parameter")


def test_evidence(port, db, work):
    aid, flow_row = db_all(db, "SELECT id, flow_row FROM alerts ORDER BY id LIMIT 1")[0]
    have = db_one(db, "SELECT count(*) FROM evidence WHERE flow_row = ?", flow_row)
    status, h, body = request(port, f"/api/alerts/{aid}/evidence.pcap")
    if have:
        blob = db_one(db, "SELECT pcap FROM evidence WHERE flow_row = ?", flow_row)
        T.check(status == 200 and body == blob, "evidence download equals the stored pcap")
        T.check(h.get("content-type") == "application/vnd.tcpdump.pcap", "pcap content type")
    else:
        T.check(status == 404 and b"no packets" in body, f"no evidence: {status} {body!r}")
    status, _, _ = request(port, "/api/alerts/999999/evidence.pcap")
    T.check(status == 404, "evidence of a missing alert")
    status, _, _ = request(port, f"/api/alerts/{aid}/evidence.pcap/..")
    T.check(status == 404, "evidence path with a tail")

    # A copy with packets stored for one alert (as the writer stores them), and one whose
    # blob was altered after the fact.
    copy = os.path.join(work, "evidence.db")
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copy(db, copy)
    pcap = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")
    pkt = bytes(range(60))
    pcap += (1770681600).to_bytes(4, "little") + (0).to_bytes(4, "little") + \
        len(pkt).to_bytes(4, "little") * 2 + pkt
    a2, f2 = db_all(copy, "SELECT id, flow_row FROM alerts ORDER BY id LIMIT 1 OFFSET 1")[0]
    con = sqlite3.connect(copy)
    con.execute("DELETE FROM evidence WHERE flow_row IN (?, ?)", (flow_row, f2))
    con.execute("INSERT INTO evidence (flow_row, sha256, packets, bytes, truncated, linktype, pcap)"
                " VALUES (?, ?, 1, ?, 0, 1, ?)",
                (flow_row, hashlib.sha256(pcap).hexdigest(), len(pcap), pcap))
    con.execute("INSERT INTO evidence (flow_row, sha256, packets, bytes, truncated, linktype, pcap)"
                " VALUES (?, ?, 1, ?, 0, 1, ?)",
                (f2, hashlib.sha256(b"other").hexdigest(), len(pcap), pcap))
    con.commit()
    con.close()
    srv = Server(copy)
    try:
        status, h, body = request(srv.port, f"/api/alerts/{aid}/evidence.pcap")
        T.check(status == 200 and body == pcap, f"stored evidence downloads unchanged ({status})")
        T.check("attachment" in h.get("content-disposition", "") and
                f"alert-{aid}.pcap" in h.get("content-disposition", ""), "pcap is an attachment")
        T.check(h.get("x-omwitness-packets") == "1", "packet count header")
        _, _, d = get_json(srv.port, f"/api/alerts/{aid}")
        T.check(d["evidence"]["available"] is True and
                d["evidence"]["url"] == f"/api/alerts/{aid}/evidence.pcap", "detail links evidence")
        status, _, body = request(srv.port, f"/api/alerts/{a2}/evidence.pcap")
        T.check(status == 409 and b"tampered" in body, f"altered evidence refused ({status})")
    finally:
        T.check(srv.stop() == 0, "serve exits 0 on SIGINT")


def test_flows(port, db):
    total = db_one(db, "SELECT count(*) FROM flows")
    status, _, f = get_json(port, "/api/flows?limit=500")
    T.check(status == 200 and f["total"] == total and len(f["flows"]) == min(total, 500), "flows total")
    ip = db_one(db, "SELECT server_ip FROM flows GROUP BY server_ip ORDER BY count(*) DESC LIMIT 1")
    _, _, r = get_json(port, f"/api/flows?ip={ip}")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM flows WHERE client_ip = ? OR server_ip = ?",
                                 ip, ip) and r["total"] > 0, "ip filter")
    _, _, r = get_json(port, "/api/flows?port=22")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM flows WHERE client_port = 22 OR server_port = 22"),
            "port filter")
    _, _, r = get_json(port, "/api/flows?app=ssh")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM flows WHERE lower(app_proto) = 'ssh' OR "
                                     "lower(ndpi_app) = 'ssh' OR lower(ndpi_master) = 'ssh' OR "
                                     "lower(ndpi_protocol) = 'ssh'") and r["total"] > 0,
            "app filter, any case")
    _, _, r = get_json(port, "/api/flows?verdict=anomaly")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM flows WHERE verdict_status = 'anomaly'"),
            "verdict filter")
    _, _, r = get_json(port, "/api/flows?proto=udp")
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM flows WHERE l4_proto = 17"), "proto filter")
    cid = db_one(db, "SELECT community_id FROM flows LIMIT 1")
    _, _, r = get_json(port, "/api/flows?community_id=" + Q(cid))
    T.check(r["total"] == db_one(db, "SELECT count(*) FROM flows WHERE community_id = ?", cid),
            "community_id pivot")
    _, _, r = get_json(port, "/api/flows?ip=" + Q("::ffff:0:0") + "&verdict=authorized")
    T.check(r["total"] == 0, "IPv6 address accepted")
    expect_400(port, "/api/flows?ip=10.0.0.300", "ip")
    expect_400(port, "/api/flows?ip=" + Q("1.2.3.4' OR 1=1 --"), "ip")
    expect_400(port, "/api/flows?port=65536", "port")
    expect_400(port, "/api/flows?port=-1", "port")
    expect_400(port, "/api/flows?verdict=bad", "verdict")
    expect_400(port, "/api/flows?proto=carrier-pigeon", "proto")
    expect_400(port, "/api/flows?proto=256", "proto")
    expect_400(port, "/api/flows?limit=1000", "limit")
    expect_400(port, "/api/flows?offset=10000001", "offset")
    expect_400(port, "/api/flows?severity=high", "unknown parameter")
    status, _, r = get_json(port, "/api/flows?app=" + Q("SSH' OR '1'='1"))
    T.check(status == 200 and r["total"] == 0, "app metacharacters are a value")
    # one flow
    row = f["flows"][0]["id"]
    status, _, d = get_json(port, f"/api/flows/{row}")
    T.check(status == 200 and d["flow"]["flow_id"] == db_one(db, "SELECT flow_id FROM flows WHERE id = ?", row),
            "flow detail")
    arow = db_one(db, "SELECT flow_row FROM alerts LIMIT 1")
    _, _, d = get_json(port, f"/api/flows/{arow}")
    T.check(len(d["alerts"]) >= 1, "flow detail lists its alerts")
    status, _, _ = get_json(port, "/api/flows/99999999")
    T.check(status == 404, "missing flow")


def test_runs_rules_timeline_health(port, db):
    status, _, r = get_json(port, "/api/runs")
    T.check(status == 200 and len(r["runs"]) == db_one(db, "SELECT count(*) FROM runs"), "runs")
    run = r["runs"][0]
    T.check(run["packets"] == db_one(db, "SELECT packets FROM runs WHERE id = ?", run["id"]), "run packets")
    status, _, rules = get_json(port, "/api/rules")
    T.check(status == 200, "rules")
    got = {x["rule"]: x["hits"] for x in rules["rules"] if x["hits"]}
    want = dict(db_all(db, "SELECT rule_id, sum(hits) FROM rule_hits GROUP BY 1"))
    T.check(got == want, f"rule hits {got} vs {want}")
    alerts_by_rule = dict(db_all(db, "SELECT rule, count(*) FROM alerts WHERE rule != '' GROUP BY 1"))
    T.check({x["rule"]: x["alerts"] for x in rules["rules"] if x["alerts"]} == alerts_by_rule,
            "alerts per rule")
    T.check(len(rules["maintenance"]) == db_one(db, "SELECT count(DISTINCT verdict_rule) FROM flows WHERE "
                                                    "verdict_ticket != '' AND verdict_status = 'authorized'"),
            "maintenance sessions")
    _, _, r1 = get_json(port, f"/api/rules?run={run['id']}")
    T.check(all(x["run_id"] == run["id"] for x in r1["runs"]), "rules for one run")
    expect_400(port, "/api/rules?run=abc", "run")
    status, _, tl = get_json(port, "/api/timeline?buckets=7")
    T.check(status == 200 and len(tl["flows"]) <= 7 and sum(tl["flows"]) ==
            db_one(db, "SELECT count(*) FROM flows"), "timeline counts every flow once")
    T.check(sum(sum(v) for v in tl["alerts"].values()) == db_one(db, "SELECT count(*) FROM alerts"),
            "timeline counts every alert once")
    expect_400(port, "/api/timeline?buckets=0", "buckets")
    expect_400(port, "/api/timeline?buckets=100000", "buckets")
    status, _, h = get_json(port, "/api/health")
    T.check(status == 200 and h["live"] is False and h["last_run"]["id"] == run["id"], "health")
    events = h.get("last_run_decode_events")
    T.check(isinstance(events, list) and
            sum(e["count"] for e in events if e["class"] == "malformed") == h["last_run"]["packets_malformed"],
            f"health lists the last run's decode events, adding up to its malformed count: {events}")
    status, _, rep = get_json(port, "/api/report")
    T.check(status in (200, 503) and rep is not None, f"report status {status}")
    if status == 503:
        T.check("not built" in rep["error"], "report 503 says why")
    status, _, _ = get_json(port, "/api/nothing")
    T.check(status == 404, "unknown endpoint")


def test_meta(port, db):
    """/api/meta serves the kind table the engine emits from: every alert of the sample night,
    as the store keeps it and as `alerts --format jsonl` exports it in EVE, names a kind served
    here with the same severity and signature id."""
    status, _, m = get_json(port, "/api/meta")
    T.check(status == 200 and m.get("version"), f"meta status {status}")
    kinds = {k["name"]: k for k in m["anomaly_kinds"]}
    T.check(len(kinds) == len(m["anomaly_kinds"]) == 7, f"meta kinds {sorted(kinds)}")
    T.check(m["severities"] == ["medium", "high", "critical"], f"meta severities {m['severities']}")
    T.check(all(k["severity"] in m["severities"] and k["title"] and k["signature"] and k["description"] and
                isinstance(k["signature_id"], int) for k in kinds.values()), "meta entries complete")
    T.check(len({k["signature_id"] for k in kinds.values()}) == len(kinds), "signature ids unique")
    stored = db_all(db, "SELECT DISTINCT kind, severity FROM alerts")
    T.check(len(stored) >= 3, f"the sample night raises several kinds: {stored}")
    for kind, sev in stored:
        T.check(kind in kinds and kinds[kind]["severity"] == sev,
                f"stored kind {kind}/{sev} vs meta {kinds.get(kind)}")
    r = subprocess.run([omwitness(), "alerts", "--db", db, "--format", "jsonl"],
                       capture_output=True, text=True, timeout=60)
    T.check(r.returncode == 0, f"alerts --format jsonl: {r.stderr.strip()}")
    for line in filter(str.strip, r.stdout.splitlines()):
        a = json.loads(line)["alert"]
        k = kinds.get(a["kind"], {})
        T.check(k.get("signature_id") == a["signature_id"] and k.get("signature") == a["signature"]
                and k.get("title") == a["category"], f"EVE alert {a['kind']} vs meta {k}")
    expect_400(port, "/api/meta?x=1", "x")


def test_static(port):
    status, h, body = request(port, "/")
    T.check(status == 200 and h["content-type"].startswith("text/html") and b"<html" in body.lower(),
            "index page")
    for path in ["/../meson.build", "/..%2fmeson.build", "/%2e%2e/meson.build", "/../../etc/passwd",
                 "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "//etc/passwd", "/.hidden.html",
                 "/app.js/../../meson.build", "/index.html%00.js", "/....//meson.build",
                 "/webui-static/index.html", "/meson.build", "/README.md", "/app.exe",
                 "/%2Fetc%2Fpasswd", "/..\\meson.build", "/" + "a" * 300 + ".html"]:
        status, _, body = request(port, path)
        T.check(status in (400, 404) and b"project(" not in body and b"root:" not in body,
                f"traversal {path}: {status}")
    status, _, _ = request(port, "/", method="POST")
    T.check(status == 405, "POST refused")
    status, _, _ = request(port, "/api/alerts", method="DELETE")
    T.check(status == 405, "DELETE refused")
    # A page elsewhere reaching us through DNS rebinding has no token and gets no cookie.
    status, _, _ = request(port, "/api/summary", headers={"Host": "evil.example:8642"}, role=None)
    T.check(status == 401, f"foreign Host without a token: {status}")
    status, _, _ = request(port, "/api/summary", headers={"Host": "localhost"})
    T.check(status == 200, "localhost Host with the token")


def dechunk(body):
    """The payload of a chunked body as far as it has arrived."""
    out = b""
    while True:
        crlf = body.find(b"\r\n")
        if crlf < 0:
            return out
        try:
            size = int(body[:crlf].split(b";")[0], 16)
        except ValueError:
            return out
        if size == 0 or len(body) < crlf + 2 + size:
            return out
        out += body[crlf + 2:crlf + 2 + size]
        body = body[crlf + 2 + size + 2:]


def read_events(port, path, want, timeout, headers=None, started=None, role="admin"):
    """Reads `event: alert` events from an SSE stream until want ids or timeout.
    Returns (raw response bytes, ids, EVE objects)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
    headers = dict(headers or {})
    if role and not {k.lower() for k in headers} & {"authorization", "cookie"}:
        headers.update(auth(role))
    for k, v in headers.items():
        req += f"{k}: {v}\r\n"
    s.sendall((req + "\r\n").encode())
    buf = b""
    ids, datas = [], []
    deadline = time.time() + timeout
    while len(ids) < want and time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        if b"chunked" not in head.lower():
            continue
        text = dechunk(body)
        if started is not None and b"omwitness alert stream" in text:
            started.set()
        ids, datas = [], []
        for event in text.split(b"\n\n")[:-1]:   # complete events only
            for line in event.split(b"\n"):
                if line.startswith(b"data: "):
                    d = json.loads(line[6:])
                    ids.append(d["alert"]["id"])
                    datas.append(d)
    s.close()
    return buf, ids, datas


def test_events(port, db):
    total = db_one(db, "SELECT count(*) FROM alerts")
    buf, ids, datas = read_events(port, "/api/events?last_id=0", total, 10)
    T.check(b"text/event-stream" in buf.split(b"\r\n\r\n")[0], "SSE content type")
    T.check(ids == sorted(r[0] for r in db_all(db, "SELECT id FROM alerts")), f"replayed stream ids {ids}")
    T.check(all(d["event_type"] == "alert" for d in datas), "events are EVE alerts")
    status, _, _ = get_json(port, "/api/events?last_id=-3")
    T.check(status == 400, "bad last_id")
    status, _, _ = get_json(port, "/api/events?x=1")
    T.check(status == 400, "unknown parameter on events")
    # a new replay while the stream is open: its alerts arrive, and only those
    started = threading.Event()
    result = {}
    th = threading.Thread(target=lambda: result.update(
        zip(("buf", "ids", "datas"), read_events(port, "/api/events", total, 30, started=started))))
    th.start()
    started.wait(10)
    t0 = time.time()
    replay(db)
    th.join()
    new = [r[0] for r in db_all(db, "SELECT id FROM alerts WHERE id > ? ORDER BY id", max(ids))]
    T.check(result.get("ids") == new, f"live stream got {result.get('ids')}, want {new}")
    print(f"info: {len(new)} new alerts arrived over SSE within {time.time() - t0:.2f} s of the replay's start")


def test_streams_at_shutdown(db):
    """Streams still open when the server is told to stop: it ends them and exits."""
    srv = Server(db)
    try:
        p = srv.port
        held = []
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", p), timeout=5)
            c.sendall(f"GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                      f"{auth()['Authorization'][7:]}\r\n\r\n".encode())
            T.check(c.recv(4096).startswith(b"HTTP/1.1 200"), "stream open")
            held.append(c)
        _, _, h = get_json(p, "/api/health")
        T.check(h["event_streams"] == 3, f"health counts open streams: {h['event_streams']}")
        t0 = time.time()
        T.check(srv.stop() == 0, "stops with streams open")
        T.check(time.time() - t0 < 5, f"stopping took {time.time() - t0:.1f} s")
        for c in held:
            c.close()
    finally:
        srv.stop()


def test_live_health(db, work):
    """The server as capture --listen starts it: ow_http_start with a health callback."""
    exe = os.environ.get("OW_HEALTH_SERVER")
    if not exe:
        T.check(False, "OW_HEALTH_SERVER is not set")
        return
    proc = subprocess.Popen([exe, db, os.environ.get("OW_WEBUI", ""), write_tokens(work)],
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        port = int(line.rsplit(" ", 1)[1])
        _, _, h1 = get_json(port, "/api/health")
        time.sleep(0.7)
        _, _, h2 = get_json(port, "/api/health")
        c = h2["capture"]
        T.check(h2["live"] is True and c["run_id"] == 9 and c["drops_kernel"] == 7 and
                c["drops_internal"] == 3 and c["active_flows"] == 42 and c["ring_capacity"] == 65536,
                f"live health fields: {c}")
        T.check(c["packets"] > h1["capture"]["packets"], "packets grow")
        T.check(700 <= c["packets_per_s"] <= 1300, f"packets/s measured between calls: {c['packets_per_s']}")
        _, _, s = get_json(port, "/api/summary")
        T.check(s["live"] is True, "summary says live")
    finally:
        proc.send_signal(2)
        T.check(proc.wait(timeout=15) == 0, "health server stops on SIGINT")


def main():
    work = tempdir()
    try:
        db = os.path.join(work, "sample.db")
        replay(db)
        srv = Server(db, "--policy", SAMPLE_POLICY)
        try:
            test_headers(srv.port)
            test_summary(srv.port, db)
            test_alerts(srv.port, db)
            test_alert_detail(srv.port, db)
            test_flows(srv.port, db)
            test_runs_rules_timeline_health(srv.port, db)
            test_meta(srv.port, db)
            _, _, rules = get_json(srv.port, "/api/rules")
            T.check(rules["policy_loaded"] and any(x.get("in_policy") for x in rules["rules"]),
                    "--policy lists the policy's rules")
            T.check([(w["rule"], w["ticket"], w["start"], w["end"]) for w in rules["windows"]] ==
                    [("chg-2026-0142", "CHG-2026-0142", "2026-02-10T01:00:00.000000+0000",
                      "2026-02-10T04:00:00.000000+0000")],
                    f"--policy gives the maintenance calendar its planned window: {rules['windows']}")
            test_static(srv.port)
            test_evidence(srv.port, db, work)
            test_events(srv.port, db)
        finally:
            T.check(srv.stop() == 0, "serve exits 0 on SIGINT")
        test_streams_at_shutdown(db)
        test_live_health(db, work)
    finally:
        cleanup(work)
    T.done()


if __name__ == "__main__":
    main()
