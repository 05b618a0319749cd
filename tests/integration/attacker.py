"""attacker.py — what an intruder with write access to the store can compute: a Python
re-implementation of the hash chain's canonical encoding and of the content root
(docs/evidence.md "Encodings"), used by evidence_attacks.py to rewrite stores the way a
careful attacker would (every hash recomputed, no hole left). It holds no signing key."""
import hashlib
import sqlite3
import struct

KINDS = {
    "run": ("runs", "kind, source, source_sha256, site, policy_sha256, version, threads, started_wall"),
    "run_end": ("runs", "first_ts, last_ts, packets, bytes, packets_malformed, packets_not_ip, kernel_drops, "
                "internal_drops, flows, flows_evicted, gaps, clean_end, ended_wall"),
    "flow": ("flows", "run_id, flow_id, community_id, first_ts, last_ts, l4_proto, ip_family, client_ip, "
             "client_port, server_ip, server_port, icmp_type, icmp_code, slice, vlan, tunnels, "
             "pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, later_fragments, "
             "end_reason, ndpi_protocol, ndpi_master, ndpi_app, ndpi_category, ndpi_confidence, "
             "ndpi_risk, app_proto, ssh_client, ssh_server, hassh_client, hassh_server, tls_sni, "
             "ja3, ja3s, tls_version, http_host, http_user_agent, dns_query, li_interface, "
             "li_confidence, li_xid, li_liid, li_target, li_payload_format, li_pdu_count, "
             "verdict_status, verdict_rule, verdict_kind, verdict_severity, verdict_reason, "
             "verdict_asset_src, verdict_asset_dest, verdict_ticket, verdict_overrun"),
    "alert": ("alerts", "run_id, flow_row, ts, kind, severity, rule, reason, asset_src, asset_dest"),
    "evidence": ("evidence", "flow_row, sha256, packets, bytes, truncated, linktype, pcap"),
    "run_rule": ("run_rules", "run_id, rule_id, kind, interface, ticket"),
    "triage": ("triage", "alert_id, status, note, actor, at"),
    "epoch_cert": ("epoch_certs", "sensor, epoch, public_key, issued_wall, signature"),
    "checkpoint": ("checkpoints", "sensor, epoch, number, chain_seq, head, records, packet_ts, wall, reason, signature"),
    "content_root": ("content_roots", "run_id, root, leaves"),
    # Schema 6 (the record model).
    "flow_end": ("flows", "end_ts, end_pkts_toserver, end_pkts_toclient, end_bytes_toserver, "
                 "end_bytes_toclient, end_later_fragments, ended_reason, end_overrun, decided_ts"),
    "progress": ("run_progress", "run_id, wall, first_ts, last_ts, packets, bytes, kernel_drops, "
                 "internal_drops, gaps, flows"),
    # Schema 8 (every asset of a shared endpoint).
    "flow_assets": ("flows", "verdict_asset_src_all, verdict_asset_dest_all"),
    # Schema 11 (a replay's input hash, recorded at its end).
    "run_input": ("runs", "input_sha256"),
}
LEAF_END = (", end_ts, end_pkts_toserver, end_pkts_toclient, end_bytes_toserver, end_bytes_toclient, "
            "end_later_fragments, ended_reason, end_overrun, decided_ts")

LEAF_FLOW = ("community_id, first_ts, last_ts, l4_proto, ip_family, client_ip, client_port, server_ip, "
             "server_port, icmp_type, icmp_code, slice, vlan, tunnels, pkts_toserver, pkts_toclient, "
             "bytes_toserver, bytes_toclient, later_fragments, end_reason, ndpi_protocol, ndpi_master, "
             "ndpi_app, ndpi_category, ndpi_confidence, ndpi_risk, app_proto, ssh_client, ssh_server, "
             "hassh_client, hassh_server, tls_sni, ja3, ja3s, tls_version, http_host, http_user_agent, "
             "dns_query, li_interface, li_confidence, li_xid, li_liid, li_target, li_payload_format, "
             "li_pdu_count, verdict_status, verdict_rule, verdict_kind, verdict_severity, "
             "verdict_reason, verdict_asset_src, verdict_asset_dest, verdict_ticket, verdict_overrun")


def field(v):
    if v is None:
        return b"\x00"
    if isinstance(v, int):
        return b"\x01" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\x04" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return b"\x02" + struct.pack(">I", len(b)) + b
    return b"\x03" + struct.pack(">I", len(v)) + bytes(v)


def fields(values):
    return struct.pack(">I", len(values)) + b"".join(field(v) for v in values)


def record_hash(con, prev, kind, seq, row):
    table, cols = KINDS[kind]
    values = con.execute(f"SELECT {cols} FROM {table} WHERE id = ?", (row,)).fetchone()
    if values is None:
        raise KeyError(f"{table} row {row}")
    name = kind.encode()
    data = prev + bytes([len(name)]) + name + struct.pack(">QQ", seq, row) + fields(values)
    return hashlib.sha256(data).digest()


def content_root(con, run_id):
    leaves = []
    cols = {r[1] for r in con.execute("PRAGMA table_info(flows)")}
    leaf = LEAF_FLOW + (LEAF_END if "end_ts" in cols else "")
    for row in con.execute(f"SELECT id, {leaf} FROM flows WHERE run_id = ?", (run_id,)).fetchall():
        data = b"\x01" + fields(row[1:])
        alerts = con.execute("SELECT ts, kind, severity, rule, reason, asset_src, asset_dest FROM alerts "
                             "WHERE flow_row = ? ORDER BY kind, rule, severity, reason, asset_src, "
                             "asset_dest, ts", (row[0],)).fetchall()
        data += struct.pack(">I", len(alerts)) + b"".join(fields(a) for a in alerts)
        ev = con.execute("SELECT sha256, packets, bytes, truncated, linktype FROM evidence WHERE "
                         "flow_row = ?", (row[0],)).fetchone()
        data += b"\x01" + fields(ev) if ev else b"\x00"
        leaves.append((row[2], hashlib.sha256(b"\x00" + data).digest()))
    leaves.sort()
    return merkle([h for _, h in leaves]), len(leaves)


def merkle(hashes):
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k << 1 < len(hashes):
        k <<= 1
    return hashlib.sha256(b"\x01" + merkle(hashes[:k]) + merkle(hashes[k:])).digest()


def rechain(con):
    """Renumbers the chain 1..n without holes and recomputes every hash, the runs' chain heads
    and every content root, as an attacker who knows the encoding would."""
    con.execute("PRAGMA foreign_keys = OFF")
    for run_id, in con.execute("SELECT run_id FROM content_roots").fetchall():
        root, n = content_root(con, run_id)
        con.execute("UPDATE content_roots SET root = ?, leaves = ? WHERE run_id = ?", (root, n, run_id))
    records = con.execute("SELECT seq, kind, row_id FROM chain ORDER BY seq").fetchall()
    con.execute("DELETE FROM chain")
    prev = bytes(32)
    for i, (_, kind, row) in enumerate(records, 1):
        h = record_hash(con, prev, kind, i, row)
        con.execute("INSERT INTO chain (seq, kind, row_id, hash) VALUES (?, ?, ?, ?)", (i, kind, row, h))
        if kind == "run_end":
            con.execute("UPDATE runs SET chain_head = ? WHERE id = ?", (h, row))
        prev = h
    return len(records)


def append_record(con, kind, row):
    seq, prev = con.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    h = record_hash(con, prev, kind, seq + 1, row)
    con.execute("INSERT INTO chain (seq, kind, row_id, hash) VALUES (?, ?, ?, ?)", (seq + 1, kind, row, h))
    return h


def open_rw(db):
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = OFF")
    return con
