"""apitest.py — helpers for the HTTP API tests: a sample store made by replaying the
repository's sample capture, a server started on 127.0.0.1 with a free port, and raw HTTP
requests (http.client sends the path exactly as given, so traversal attempts reach the server
unchanged).

Every API call needs a token. This file is the one place the tests' tokens live: Server()
starts `serve` with a --tokens file holding one token per role, and request()/get_json() send
the admin token unless given role=... (another role) or role=None (no token at all)."""
import hashlib
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


def _token(role):
    return hashlib.sha256(("omwitness-test-" + role).encode()).hexdigest()


ROLES = ("analyst", "li-officer", "admin")
TOKENS = {role: _token(role) for role in ROLES}
TOKEN_NAMES = {role: "test-" + role for role in ROLES}


def auth(role="admin"):
    """The Authorization header of a role's test token."""
    return {"Authorization": "Bearer " + TOKENS[role]}


def write_tokens(directory, roles=ROLES):
    """A --tokens file (mode 0600) with the test token of each role; its path."""
    path = os.path.join(directory, "tokens")
    with open(path, "w") as f:
        f.write("# name role token\n")
        for role in roles:
            f.write(f"{TOKEN_NAMES[role]} {role} {TOKENS[role]}\n")
    os.chmod(path, 0o600)
    return path


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

    def __init__(self, db, *extra, listen="127.0.0.1:0", webui=None, tokens=True, env=None):
        """tokens=False: no --tokens, so serve makes a one-time login token (login_file)."""
        webui = webui or os.environ.get("OW_WEBUI") or os.path.join(SRC, "webui-static")
        self.errfile = tempfile.TemporaryFile(mode="w+")
        self.dir = tempfile.mkdtemp(prefix="ow-serve-")
        args = list(extra)
        if tokens and "--tokens" not in args:
            args += ["--tokens", write_tokens(self.dir)]
        cmd = serve_command() + ["--db", db, "--listen", listen, "--webui", webui, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errfile,
                                     env=env)
        self.port = None
        self.login_file = None
        deadline = time.time() + 10
        while time.time() < deadline:
            self.errfile.seek(0)
            text = self.errfile.read()
            m = re.search(r"listening on port (\d+)", text)
            f = re.search(r"one-time login URL in (\S+)", text)
            if f:
                self.login_file = f.group(1)
            if m and (tokens or f):
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
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def request(port, path, headers=None, method="GET", host="127.0.0.1", body=None, role="admin"):
    """(status, headers dict with lower-case names, body bytes). Sends the role's test token
    unless headers carry an Authorization or a Cookie (a header given as None is not sent:
    {"Authorization": None} sends no token), or role is None."""
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    hdrs = {"Host": f"127.0.0.1:{port}"}
    given = {k.lower() for k in (headers or {})}
    if role and "authorization" not in given and "cookie" not in given:
        hdrs.update(auth(role))
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


def get_json(port, path, headers=None, role="admin"):
    status, h, body = request(port, path, headers, role=role)
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    return status, h, data


def post_json(port, path, obj, headers=None, raw=None, role="admin"):
    """POSTs obj as JSON (or raw bytes) the way the web UI does: same-origin, JSON type."""
    hdrs = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}",
            "Sec-Fetch-Site": "same-origin"}
    hdrs.update(headers or {})
    body = raw if raw is not None else json.dumps(obj).encode()
    status, h, data = request(port, path, hdrs, method="POST", body=body, role=role)
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
