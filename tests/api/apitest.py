"""apitest.py — helpers for the HTTP API tests: a sample store made by replaying the
repository's sample capture, a server started on 127.0.0.1 with a free port, and raw HTTP
requests (http.client sends the path exactly as given, so traversal attempts reach the server
unchanged)."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
SRC = os.environ.get("OW_SOURCE_ROOT") or os.path.join(os.path.dirname(__file__), "..", "..")
SAMPLE_PCAP = os.path.join(SRC, "examples", "sample-om-night.pcap")
SAMPLE_POLICY = os.path.join(SRC, "examples", "sample-policy.yaml")


def omwitness():
    exe = os.environ.get("OMWITNESS")
    if not exe or not os.access(exe, os.X_OK):
        print("FAIL: OMWITNESS is not set to the built binary")
        sys.exit(1)
    return exe


def serve_command():
    return [omwitness(), "serve"]


def replay(db, pcap=SAMPLE_PCAP, policy=SAMPLE_POLICY):
    r = subprocess.run([omwitness(), "replay", "--policy", policy, "--db", db, pcap],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"replay failed ({r.returncode}): {r.stderr.strip()}")


class Server:
    """`serve` on a free port; stop() ends it with SIGINT and checks it exits 0."""

    def __init__(self, db, *extra, listen="127.0.0.1:0", webui=None):
        webui = webui or os.environ.get("OW_WEBUI") or os.path.join(SRC, "webui-static")
        self.errfile = tempfile.TemporaryFile(mode="w+")
        cmd = serve_command() + ["--db", db, "--listen", listen, "--webui", webui, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errfile)
        self.port = None
        self.token = None
        deadline = time.time() + 10
        while time.time() < deadline:
            self.errfile.seek(0)
            text = self.errfile.read()
            m = re.search(r"listening on port (\d+)", text)
            t = re.search(r"bearer token[^:]*: ([0-9a-f]{64})", text)
            if t:
                self.token = t.group(1)
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {text.strip()}")
            time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("serve did not report its port")

    def stderr(self):
        self.errfile.seek(0)
        return self.errfile.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("serve did not stop within 15 s of SIGINT")
        return self.proc.returncode


# How the tests authenticate, in one place: the headers every request carries unless it sets
# its own (a test of the token rule passes its own Authorization, or None to send none).
AUTH_HEADERS = {}


def request(port, path, headers=None, method="GET", host="127.0.0.1", body=None):
    """(status, headers dict with lower-case names, body bytes)."""
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    hdrs = {"Host": f"127.0.0.1:{port}"}
    hdrs.update(AUTH_HEADERS)
    hdrs.update(headers or {})
    if body is not None:
        hdrs["Content-Length"] = str(len(body))
    for k, v in hdrs.items():
        if v is not None:
            c.putheader(k, v)
    c.endheaders()
    if body is not None:
        c.send(body)
    r = c.getresponse()
    body = r.read()
    h = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, h, body


def get_json(port, path, headers=None):
    status, h, body = request(port, path, headers)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    return status, h, data


def post_json(port, path, obj, headers=None, raw=None):
    """POSTs obj as JSON (or raw bytes) the way the web UI does: same-origin, JSON type."""
    hdrs = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}",
            "Sec-Fetch-Site": "same-origin"}
    hdrs.update(headers or {})
    body = raw if raw is not None else json.dumps(obj).encode()
    status, h, data = request(port, path, hdrs, method="POST", body=body)
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return status, h, parsed


class Results:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")

    def done(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def tempdir():
    d = tempfile.mkdtemp(prefix="ow-api-")
    return d


def cleanup(d):
    shutil.rmtree(d, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
