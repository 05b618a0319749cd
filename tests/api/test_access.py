"""test_access.py — who may use the API, and how one client is kept from starving the others:
the --tokens file's checks (mode, strength, format), bearer tokens on loopback too, /login and
its session cookie, the one-time login token, role masking of LI targets and LIIDs (JSON, the
event stream, evidence), TLS with a certificate made here (and plain HTTP to it failing), the
refusal to listen beyond loopback without TLS, and 64 slow connections from one address while
another address keeps getting answers within a second."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

from apitest import (ROLES, TOKENS, Results, Server, auth, get_json, replay, request,
                     serve_command, tempdir, cleanup, write_tokens)
from test_http_api import read_events

T = Results("access")


def one_line_refusal(args, why, want=None):
    r = subprocess.run(serve_command() + args, capture_output=True, text=True, timeout=15)
    lines = r.stderr.strip().splitlines()
    T.check(r.returncode == 2 and len(lines) == 1 and (want is None or want in r.stderr),
            f"{why}: exit {r.returncode}, stderr {r.stderr!r}")
    return r.stderr.strip()


def test_tokens_file(db, work):
    good = write_tokens(work)
    def tokfile(name, text, mode=0o600):
        p = os.path.join(work, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p
    hexa = TOKENS["admin"]
    cases = [
        (tokfile("t-0644", f"a admin {hexa}\n", 0o644), "a world-readable file", "mode 0644"),
        (tokfile("t-0660", f"a admin {hexa}\n", 0o660), "a group-writable file", "mode 0660"),
        (tokfile("t-weak", "a admin aaaaaaaaaaaaaaaa\n"), "aaaaaaaaaaaaaaaa", "too weak"),
        (tokfile("t-pattern", "a admin " + "abcdefgh" * 8 + "\n"), "a repeated pattern", "too weak"),
        (tokfile("t-64bit", "a admin 0123456789abcdef\n"), "16 hex characters (64 bits)", "too weak"),
        (tokfile("t-role", f"a root {hexa}\n"), "an unknown role", "not analyst"),
        (tokfile("t-dupname", f"a admin {hexa}\na analyst {TOKENS['analyst']}\n"), "a name twice", "twice"),
        (tokfile("t-duptoken", f"a admin {hexa}\nb analyst {hexa}\n"), "one token for two names", "same token"),
        (tokfile("t-fields", f"a admin\n"), "a line without its token", "name role token"),
        (tokfile("t-empty", "# nothing\n\n"), "no tokens", "no tokens"),
        (os.path.join(work, "absent"), "a missing file", "No such file"),
    ]
    link = os.path.join(work, "t-link")
    os.symlink(good, link)
    cases.append((link, "a symlink", None))
    for path, why, want in cases:
        msg = one_line_refusal(["--db", db, "--tokens", path], f"tokens: {why}", want)
        T.check(hexa not in msg and TOKENS["analyst"] not in msg, f"tokens: {why}: no token in the message")
    ok = tokfile("t-0640", f"# comment\n\n  ops-1 analyst {TOKENS['analyst']}\r\nchief li-officer {TOKENS['li-officer']}\n", 0o640)
    srv = Server(db, "--tokens", ok)
    try:
        status, _, s = get_json(srv.port, "/api/session", role="analyst")
        T.check(status == 200 and s["name"] == "ops-1" and s["role"] == "analyst", f"0640 file with comments: {s}")
        status, _, s = get_json(srv.port, "/api/session", role="li-officer")
        T.check(status == 200 and s["name"] == "chief" and s["li_visible"] is True, f"li-officer: {s}")
        status, _, _ = get_json(srv.port, "/api/session", role="admin")
        T.check(status == 401, "a token that is not in the file: 401")
    finally:
        srv.stop()


def test_bearer_and_cookie(db):
    srv = Server(db)
    try:
        p = srv.port
        status, h, _ = get_json(p, "/api/summary", role=None)
        T.check(status == 401 and "bearer" in h.get("www-authenticate", "").lower(),
                "no token on loopback: 401")
        for bad in ["Bearer wrong", "Bearer " + TOKENS["admin"][:-1], "Bearer " + TOKENS["admin"] + "x",
                    "Basic " + TOKENS["admin"], TOKENS["admin"], "Bearer "]:
            status, _, _ = get_json(p, "/api/summary", {"Authorization": bad})
            T.check(status == 401, f"wrong token {bad[:20]!r}: {status}")
        status, _, _ = get_json(p, "/api/summary?token=" + TOKENS["admin"], role=None)
        T.check(status == 401, "a token in the URL is not a token")
        buf, _, _ = read_events(p, "/api/events?token=" + TOKENS["admin"], 1, 3, role=None)
        T.check(buf.startswith(b"HTTP/1.1 401"), "nor on /api/events")
        status, _, _ = request(p, "/", role=None)
        T.check(status == 200, "static pages need no token (they hold no data)")
        # /login with the token as a link: a redirect to / and the session cookie.
        status, h, _ = request(p, "/login?token=" + TOKENS["analyst"], role=None)
        cookie = h.get("set-cookie", "")
        T.check(status == 303 and h.get("location") == "/", f"/login?token=: {status} {h.get('location')}")
        T.check(cookie.startswith("ow_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
                and "Path=/" in cookie and "Secure" not in cookie, f"session cookie: {cookie}")
        T.check(TOKENS["analyst"] not in cookie, "the cookie is not the token")
        jar = {"Cookie": cookie.split(";")[0]}
        status, _, s = get_json(p, "/api/session", jar)
        T.check(status == 200 and s["role"] == "analyst" and s["cookie"] is True, f"the cookie signs in: {s}")
        buf, _, _ = read_events(p, "/api/events?last_id=0", 1, 5, headers=jar)
        T.check(buf.startswith(b"HTTP/1.1 200") and b"event: alert" in buf, "the event stream takes the cookie")
        status, h, _ = request(p, "/login", headers={**auth("li-officer"), "Accept": "application/json"}, role=None)
        T.check(status == 200 and "ow_session=" in h.get("set-cookie", ""), "/login with the token in a header")
        status, h, _ = request(p, "/logout", headers=jar, role=None)
        T.check(status == 303 and "Max-Age=0" in h.get("set-cookie", ""), "/logout clears the cookie")
        status, _, _ = get_json(p, "/api/session", jar)
        T.check(status == 401, "a signed-out session is refused")
        status, _, _ = request(p, "/login?token=nope" + "0" * 60, role=None)
        T.check(status == 401, "a wrong login token: 401")
        status, _, _ = get_json(p, "/api/session", {"Cookie": "ow_session=" + "a" * 64})
        T.check(status == 401, "a made-up session id: 401")
    finally:
        T.check(srv.stop() == 0, "serve exits 0")


def test_one_time_login(db):
    srv = Server(db, tokens=False)
    try:
        err = srv.stderr()
        T.check(srv.login_file is not None, f"without --tokens serve names a login file: {err!r}")
        T.check(not any(t in err for t in TOKENS.values()) and len([w for w in err.split()
                if len(w) >= 32 and all(c in "0123456789abcdef" for c in w)]) == 0,
                "no token on stderr (it is not a terminal)")
        st = os.stat(srv.login_file)
        T.check(st.st_mode & 0o777 == 0o600, f"login file mode {st.st_mode & 0o777:04o}")
        token, url = open(srv.login_file).read().split("\n")[:2]
        T.check(url.endswith("/login?token=" + token) and len(token) == 64, f"file holds the token and URL")
        status, _, _ = get_json(srv.port, "/api/summary", {"Authorization": "Bearer " + token})
        T.check(status == 401, "the login token is not a bearer token")
        path = url[url.index("/login"):]
        status, h, _ = request(srv.port, path, role=None)
        T.check(status == 303 and "ow_session=" in h.get("set-cookie", ""), "the login link works once")
        status, _, _ = get_json(srv.port, "/api/summary", {"Cookie": h.get("set-cookie", "").split(";")[0]})
        T.check(status == 200, "its cookie opens the API")
        status, _, _ = request(srv.port, path, role=None)
        T.check(status == 401, "a second use is refused")
        T.check(not os.path.exists(srv.login_file), "the used login file is removed")
    finally:
        T.check(srv.stop() == 0, "serve exits 0")


def test_roles(db):
    li = json.loads(subprocess.run(["sqlite3", "-json", db, "SELECT a.id AS id, f.id AS row, f.li_liid AS liid, "
                                    "f.li_target AS target FROM alerts a JOIN flows f ON f.id = a.flow_row "
                                    "WHERE f.li_liid <> '' OR f.li_target <> ''"],
                                   capture_output=True, text=True).stdout or "[]")
    plain = json.loads(subprocess.run(["sqlite3", "-json", db, "SELECT a.id AS id FROM alerts a JOIN flows f ON "
                                       "f.id = a.flow_row JOIN evidence e ON e.flow_row = f.id WHERE "
                                       "f.li_liid = '' AND f.li_target = '' LIMIT 1"],
                                      capture_output=True, text=True).stdout or "[]")
    T.check(any(x["liid"] for x in li) and any(x["target"] for x in li), f"LI alerts with identities: {li}")
    total = int(subprocess.run(["sqlite3", db, "SELECT count(*) FROM alerts"], capture_output=True,
                               text=True).stdout)
    srv = Server(db)
    try:
        p = srv.port
        for role in ROLES:
            masked = role == "analyst"
            for x in li:
                _, _, d = get_json(p, f"/api/alerts/{x['id']}", role=role)
                _, _, f = get_json(p, f"/api/flows/{x['row']}", role=role)
                for k in ("liid", "target"):
                    if not x[k]:
                        continue
                    want = "[masked]" if masked else x[k]
                    T.check(d["alert"]["li"][k] == want and d["flow"]["li"][k] == want and
                            f["flow"]["li"][k] == want, f"{role}: alert {x['id']} li.{k} is {want!r}")
                T.check(json.dumps(d).count("[masked]") == (0 if not masked else sum(bool(x[k]) for k in ("liid", "target")) * 2),
                        f"{role}: nothing else masked in alert {x['id']}")
                status, _, body = request(p, f"/api/alerts/{x['id']}/evidence.pcap", role=role)
                T.check(status == (403 if masked else 200), f"{role}: evidence of LI alert {x['id']}: {status}")
                if masked:
                    T.check(b"li-officer" in body, "the 403 names the role needed")
                    T.check(d["evidence"].get("restricted") is True and "url" not in d["evidence"],
                            f"{role}: the alert says why there is no download")
            if plain:
                status, _, _ = request(p, f"/api/alerts/{plain[0]['id']}/evidence.pcap", role=role)
                T.check(status == 200, f"{role}: evidence of a non-LI alert: {status}")
            _, _, evs = read_events(p, "/api/events?last_id=0", total, 5, role=role)
            lis = [e["li"] for e in evs if "li" in e and (e["li"].get("liid") or e["li"].get("target"))]
            T.check(lis and all((v == "[masked]") == masked for e in lis for k, v in e.items()
                                if k in ("liid", "target")), f"{role}: the event stream: {lis}")
    finally:
        srv.stop()


def make_cert(work):
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    if shutil.which("openssl"):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                           capture_output=True, text=True)
    elif shutil.which("certtool"):
        tmpl = os.path.join(work, "cert.cfg")
        with open(tmpl, "w") as f:
            f.write('cn = "localhost"\nip_address = "127.0.0.1"\ndns_name = "localhost"\nexpiration_days = 2\n'
                    "tls_www_server\nsigning_key\nencryption_key\n")
        r = subprocess.run(["certtool", "--generate-privkey", "--key-type", "ecdsa", "--outfile", key],
                           capture_output=True, text=True)
        r = subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", key, "--template", tmpl,
                            "--outfile", cert], capture_output=True, text=True)
    else:
        return None, None
    if r.returncode != 0:
        T.check(False, f"cannot make a test certificate: {r.stderr}")
        return None, None
    os.chmod(key, 0o600)
    return cert, key


def test_tls(db, work):
    one_line_refusal(["--db", db, "--listen", "0.0.0.0:0"], "0.0.0.0 without TLS", "needs TLS")
    one_line_refusal(["--db", db, "--listen", "[::]:0"], ":: without TLS", "needs TLS")
    cert, key = make_cert(work)
    if not cert:
        print("SKIP-PART: neither openssl nor certtool is installed: TLS not tested")
        return
    bad_key = os.path.join(work, "key-0644.pem")
    shutil.copy(key, bad_key)
    os.chmod(bad_key, 0o644)
    one_line_refusal(["--db", db, "--tls-cert", cert, "--tls-key", bad_key], "a world-readable key", "0644")
    other_cert, other_key = make_cert(tempdir())
    one_line_refusal(["--db", db, "--tls-cert", cert, "--tls-key", other_key], "a key that is not the cert's")
    one_line_refusal(["--db", db, "--tls-cert", cert], "--tls-cert alone", "together")
    for listen in ("127.0.0.1:0", "0.0.0.0:0"):
        srv = Server(db, "--tls-cert", cert, "--tls-key", key, listen=listen)
        try:
            url = f"https://127.0.0.1:{srv.port}/api/summary"
            r = subprocess.run(["curl", "-s", "--cacert", cert, "-H", f"Authorization: Bearer {TOKENS['admin']}",
                                "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}", url],
                               capture_output=True, text=True, timeout=15)
            T.check(r.stdout == "200 0", f"{listen}: curl over TLS with the test certificate: {r.stdout!r} {r.stderr!r}")
            print(f"info: curl --cacert cert.pem https://127.0.0.1:{srv.port}/api/summary -> {r.stdout.split()[0]}")
            r = subprocess.run(["curl", "-s", "-S", "-m", "5", f"http://127.0.0.1:{srv.port}/api/summary", "-H",
                                "Authorization: Bearer " + TOKENS["admin"]], capture_output=True, text=True, timeout=15)
            T.check(r.returncode != 0 and "HTTP/" not in r.stdout, f"{listen}: plain HTTP to the TLS port fails "
                    f"(curl exit {r.returncode}: {r.stderr.strip()})")
            print(f"info: curl http://127.0.0.1:{srv.port}/ -> exit {r.returncode}: {r.stderr.strip()}")
            ctx = ssl.create_default_context(cafile=cert)
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw, \
                    ctx.wrap_socket(raw, server_hostname="localhost") as s:
                version = s.version()
                s.sendall(f"GET /login?token={TOKENS['analyst']} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
                resp = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    resp += chunk
            head = resp.split(b"\r\n\r\n")[0].decode()
            T.check(version in ("TLSv1.2", "TLSv1.3"), f"TLS version {version}")
            T.check("Set-Cookie: __Host-ow_session=" in head and "; Secure" in head,
                    f"{listen}: under TLS the cookie is Secure and __Host-: {head!r}")
        finally:
            T.check(srv.stop() == 0, f"{listen}: TLS serve exits 0")


def test_limits(db):
    """64 connections from 127.0.0.1 that send their request one byte a second (reconnecting
    when cut), for 13 s; meanwhile 127.0.0.2 asks /api/summary every 0.2 s."""
    srv = Server(db)
    port = srv.port
    stop = time.time() + 13
    lock = threading.Lock()
    stats = {"connects": 0, "cut_early": 0, "lifetimes": []}

    def slow(i):
        while time.time() < stop:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                time.sleep(0.2)
                continue
            t0 = time.time()
            with lock:
                stats["connects"] += 1
            s.settimeout(0.05)
            closed = False
            payload = b"GET /api/summary HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
            for b in payload:
                if time.time() >= stop:
                    break
                try:
                    s.send(bytes([b]))
                    if s.recv(1) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
                time.sleep(1.0)
            life = time.time() - t0
            with lock:
                if closed:
                    stats["lifetimes"].append(life)
                    if life < 2:
                        stats["cut_early"] += 1
            s.close()
            if life < 2:
                time.sleep(0.1)      # refused: try again, but not in a tight loop
    threads = [threading.Thread(target=slow, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    latencies, statuses = [], []
    while time.time() < stop - 0.5:
        t0 = time.time()
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=("127.0.0.2", 0))
            c.sendall(f"GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKENS['admin']}\r\n"
                      "Connection: close\r\n\r\n".encode())
            resp = b""
            while b"\r\n\r\n" not in resp:
                chunk = c.recv(4096)
                if not chunk:
                    break
                resp += chunk
            c.close()
            statuses.append(int(resp.split()[1]) if resp.startswith(b"HTTP/1.1 ") else 0)
        except OSError:
            statuses.append(0)
        latencies.append(time.time() - t0)
        time.sleep(0.2)
    for t in threads:
        t.join()
    lives = sorted(stats["lifetimes"])
    long_lives = [x for x in lives if x >= 2]
    print(f"info: limits: {len(latencies)} requests from 127.0.0.2 during 64 slow connections from 127.0.0.1: "
          f"statuses {sorted(set(statuses))}, slowest {max(latencies) * 1000:.0f} ms, median "
          f"{sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms; slow side: {stats['connects']} connects, "
          f"{stats['cut_early']} refused at once (per-client cap), held ones cut after "
          f"{min(long_lives) if long_lives else 0:.1f}-{max(long_lives) if long_lives else 0:.1f} s")
    T.check(len(latencies) >= 30 and all(s == 200 for s in statuses), f"every request answered 200: {statuses}")
    T.check(max(latencies) < 1.0, f"within 1 s throughout (slowest {max(latencies):.3f} s)")
    T.check(stats["cut_early"] >= 40, f"connections over the per-client cap refused at once ({stats['cut_early']})")
    T.check(long_lives and all(9 <= x <= 12.5 for x in long_lives),
            f"a request still trickling in is cut at the 10 s deadline: {[round(x, 1) for x in long_lives]}")
    T.check(srv.stop() == 0, "serve exits 0 after the slow clients")


def main():
    work = tempdir()
    try:
        db = os.path.join(work, "sample.db")
        replay(db)
        test_tokens_file(db, work)
        test_bearer_and_cookie(db)
        test_one_time_login(db)
        test_roles(db)
        test_tls(db, work)
        test_limits(db)
    finally:
        cleanup(work)
    T.done()


if __name__ == "__main__":
    main()
