#!/usr/bin/env python3
"""arovm's own HTTPS and WSS (rustls), with real clients, all on 127.0.0.1: examples/webchat
started with --tls-cert/--tls-key and a test CA made here with the openssl CLI; curl, Python's
ssl/http.client and the `websockets` client over TLS; certificate reload on SIGHUP (a good
certificate, then broken files); the `Request` action's https:// with and without the test CA
trusted (SSL_CERT_FILE); the two other ways to configure TLS (AROVM_TLS_CERT/KEY, the Start
statement's `tls` object) and a certificate without its key.

Needs openssl and curl (`make e2e-deps` installs them) and the `websockets` package.
Prints one line per check and ends with `N passed, N failed`."""
import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AROVM = os.environ.get("AROVM", os.path.join(ROOT, "target/release/arovm"))
WEBCHAT = os.path.join(ROOT, "examples/webchat")
results = []
procs = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    detail = str(detail)
    if len(detail) > 2000:
        detail = detail[:1000] + " … " + detail[-1000:]
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=cwd)


def make_ca(d):
    """A test CA in d: (ca.pem, ca.key)."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=arovm-test-ca", cwd=d)
    return os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")


def make_leaf(d, name, cn, serial):
    """A server certificate for localhost and 127.0.0.1 signed by d's CA: (cert, key) paths."""
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", str(serial),
            "-out", f"{name}.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    return os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key")


class Arovm:
    """arovm in the background, stdout and stderr into files (read while it runs)."""

    def __init__(self, tmp, name, args, env=None):
        self.out_path = os.path.join(tmp, f"{name}.out")
        self.err_path = os.path.join(tmp, f"{name}.err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.p = subprocess.Popen([AROVM, *args], stdout=out, stderr=err, env=env)
        procs.append(self.p)

    def out(self):
        with open(self.out_path) as f:
            return f.read()

    def err(self):
        with open(self.err_path) as f:
            return f.read()

    def wait_for(self, what, pattern, timeout=10):
        """The first match of pattern in stdout or stderr (what), None after timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, what(), re.M)
            if m:
                return m
            if self.p.poll() is not None:
                return re.search(pattern, what(), re.M)
            time.sleep(0.05)
        return None

    def port(self):
        m = self.wait_for(self.out, r"^HTTP Server started on port (\d+)")
        if not m:
            raise RuntimeError(f"arovm did not start: {self.out()} {self.err()}")
        return int(m.group(1))

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
        try:
            return self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def webchat_args(port=0, cert=None, key=None):
    args = ["run", WEBCHAT, "--port", str(port), "--bind", "127.0.0.1"]
    if cert:
        args += ["--tls-cert", cert]
    if key:
        args += ["--tls-key", key]
    return args


def curl(*args):
    """(exit code, stdout, stderr) of curl, never waiting more than 10 s."""
    r = subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def https(port, ctx, method, path, body=None, headers=None, conn=None):
    """(status, headers, body) over a new connection, or over conn (kept open)."""
    c = conn or http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        if conn is None:
            c.close()


def post_message(port, ctx, text, conn=None):
    return https(port, ctx, "POST", "/messages", json.dumps({"message": text}).encode(),
                 {"Content-Type": "application/json"}, conn)


def peer_cert(port, ctx):
    """(subject CN, serial as int, negotiated ALPN, TLS version) of a new connection's certificate."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            c = t.getpeercert()
            cn = dict(x[0] for x in c["subject"]).get("commonName")
            return cn, int(c["serialNumber"], 16), t.selected_alpn_protocol(), t.version()


def still_serves(port, ctx):
    try:
        status, _, body = https(port, ctx, "GET", "/messages", conn=None)
        return status == 200 and "data" in json.loads(body), (status, body[:200])
    except (OSError, ValueError) as e:
        return False, repr(e)


def sighup(server, what, count):
    """Sends SIGHUP and waits until stderr has `what` count times."""
    server.p.send_signal(1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.err().count(what) < count:
        time.sleep(0.05)
    return server.err().count(what) >= count


async def recv_json(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def main(tmp):
    loop = asyncio.get_running_loop()
    run = lambda f, *a: loop.run_in_executor(None, f, *a)  # noqa: E731
    ca, _ = make_ca(tmp)
    cert1, key1 = make_leaf(tmp, "first", "localhost", 1001)
    cert2, key2 = make_leaf(tmp, "second", "arovm-reloaded", 2002)
    # arovm reads these two paths; SIGHUP re-reads whatever they hold then.
    live_cert, live_key = os.path.join(tmp, "live-cert.pem"), os.path.join(tmp, "live-key.pem")
    shutil.copy(cert1, live_cert)
    shutil.copy(key1, live_key)
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2", "http/1.1"])

    server = Arovm(tmp, "webchat", webchat_args(0, live_cert, live_key))
    port = server.port()
    check("arovm starts examples/webchat with --tls-cert/--tls-key", True)
    url = f"https://localhost:{port}"
    resolve = ["--resolve", f"localhost:{port}:127.0.0.1"]

    cn, serial, alpn, version = await run(peer_cert, port, ctx)
    check("the certificate verifies against the test CA for localhost (CN, serial)", (cn, serial) == ("localhost", 1001),
          (cn, serial))
    check("ALPN picks http/1.1 when the client offers h2 too; TLS 1.3", alpn == "http/1.1" and version == "TLSv1.3",
          (alpn, version))

    # curl, trusting the test CA.
    code, out, err = curl("--cacert", ca, *resolve, "-w", "\n%{http_code} %{content_type}", f"{url}/messages")
    body, _, tail = out.rpartition("\n")
    try:
        listed = json.loads(body)
    except ValueError:
        listed = None
    check("curl --cacert GET https://localhost/messages: 200, JSON list",
          code == 0 and tail.startswith("200 application/json") and listed == {"data": []}, (code, out, err))
    code, out, err = curl("--cacert", ca, *resolve, "-H", "Content-Type: application/json",
                          "--data", json.dumps({"message": "hello over https"}), "-w", "\n%{http_code}", f"{url}/messages")
    body, _, tail = out.rpartition("\n")
    try:
        posted = json.loads(body)
    except ValueError:
        posted = {}
    check("curl --cacert POST https://localhost/messages: 201 with the message as JSON",
          code == 0 and tail == "201" and posted.get("message") == "hello over https" and "id" in posted, (code, out, err))
    code, out, err = curl("--cacert", ca, *resolve, "-w", "\n%{http_code} %{content_type}", f"{url}/")
    check("curl --cacert GET https://localhost/: 200, the chat page",
          code == 0 and out.endswith("200 text/html; charset=utf-8") and "WebSocket" in out, (code, out[-300:], err))

    # The access line of one request over TLS, found by the X-Request-ID it answered with.
    status, headers, _ = await run(https, port, ctx, "GET", "/messages")
    rid = headers.get("x-request-id", "")
    m = server.wait_for(server.err, rf"^\S+ info request remote=127\.0\.0\.1 .*request_id={re.escape(rid)}$") if rid else None
    line = m.group(0) if m else ""
    check("access line on stderr for a request over TLS (method, path, status, request id)",
          status == 200 and rid and "method=GET" in line and "path=/messages" in line and "status=200" in line,
          (status, rid, server.err()[-1000:]))

    # Plain HTTP to the TLS port: refused at once, the server goes on.
    t0 = time.monotonic()
    code, out, err = curl(f"http://127.0.0.1:{port}/messages")
    took = time.monotonic() - t0
    check("curl http:// to the TLS port fails quickly (no HTTP answer, no hang)",
          code not in (0, 28) and took < 5 and not out.startswith("{"), (code, took, out[:100], err))
    raw, why = b"", ""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            while chunk := s.recv(4096):
                raw += chunk
        closed = True
    except OSError as e:
        closed, why = isinstance(e, ConnectionResetError), repr(e)  # a reset closes it too; a timeout does not
    check("plain HTTP on a raw socket: the server closes the connection without an HTTP answer",
          closed and not raw.startswith(b"HTTP/"), (why, raw[:100]))
    ok, detail = await run(still_serves, port, ctx)
    check("HTTPS still served after the plain HTTP attempts", ok, detail)

    # Clients that do not trust the test CA.
    code, out, err = curl(*resolve, f"{url}/messages")
    check("curl without --cacert fails the handshake (exit 60)", code == 60, (code, out, err))
    try:
        await run(https, port, ssl.create_default_context(), "GET", "/messages")
        check("Python ssl with the system trust store: certificate verify failed", False, "the request succeeded")
    except ssl.SSLCertVerificationError as e:
        check("Python ssl with the system trust store: certificate verify failed", "unable to get local issuer" in str(e)
              or "self" in str(e) or "verify failed" in str(e), repr(e))
    ok, detail = await run(still_serves, port, ctx)
    check("HTTPS still served after the failed handshakes", ok, detail)

    # WSS: a broadcast of a POST made over HTTPS; a message sent reaches the app's log.
    wss = f"wss://127.0.0.1:{port}/ws"
    async with websockets.connect(wss, ssl=ctx) as a, websockets.connect(wss, ssl=ctx) as b:
        check("WebSocket upgrade over TLS (wss://.../ws)", a.response.status_code == 101 and b.response.status_code == 101,
              (a.response.status_code, b.response.status_code))
        status, _, body = await run(post_message, port, ctx, "broadcast over wss")
        posted = json.loads(body)
        ma, mb = await recv_json(a), await recv_json(b)
        check("both wss clients receive the broadcast of a POST over HTTPS",
              status == 201 and ma.get("message") == mb.get("message") == "broadcast over wss"
              and ma.get("id") == posted.get("id"), (status, posted, ma, mb))
        await a.send("typed over wss")
        pong = await a.ping()
        await asyncio.wait_for(pong, 5)
        seen = await run(server.wait_for, server.out, r"\[Handle WebSocket Message\] typed over wss$")
        check("a message sent over wss reaches the app (stdout log)", seen, server.out()[-500:])
        # A big message, more than one TLS record (16 KiB) each way.
        big = "z" * 100_000
        status, _, body = await run(post_message, port, ctx, big)
        ma, mb = await recv_json(a), await recv_json(b)
        check("a 100 kB message: POSTed over HTTPS, broadcast over wss whole",
              status == 201 and ma.get("message") == mb.get("message") == big,
              (status, len(ma.get("message", "")), len(mb.get("message", ""))))
        await b.send(big)
        seen = await run(server.wait_for, server.out, r"\[Handle WebSocket Message\] z{100000}$")
        check("a 100 kB message sent over wss reaches the app whole", seen, server.out()[-200:])

        # SIGHUP with a new certificate: new connections get it, open ones go on.
        keep = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
        status, _, _ = await run(https, port, ctx, "GET", "/messages", None, None, keep)
        old_sock = keep.sock
        shutil.copy(cert2, live_cert)
        shutil.copy(key2, live_key)
        reloaded = await run(sighup, server, "TLS certificate reloaded", 1)
        check("SIGHUP: stderr says the certificate was reloaded", reloaded, server.err()[-500:])
        cn, serial, _, _ = await run(peer_cert, port, ctx)
        check("after SIGHUP a new connection gets the new certificate (CN, serial)",
              (cn, serial) == ("arovm-reloaded", 2002), (cn, serial))
        code, out, err = curl("--cacert", ca, *resolve, "-w", "%{http_code}", "-o", "/dev/null", f"{url}/messages")
        check("after SIGHUP curl --cacert still verifies (200)", code == 0 and out == "200", (code, out, err))
        status2, _, body = await run(https, port, ctx, "GET", "/messages", None, None, keep)
        old_cn = dict(x[0] for x in keep.sock.getpeercert()["subject"]).get("commonName")
        check("a keep-alive connection opened before SIGHUP keeps working on the same socket (old certificate)",
              status == 200 and status2 == 200 and keep.sock is old_sock and old_cn == "localhost",
              (status, status2, keep.sock is old_sock, old_cn))
        status, _, body = await run(post_message, port, ctx, "after reload")
        ma, mb = await recv_json(a), await recv_json(b)
        check("WebSockets opened before SIGHUP still receive broadcasts",
              status == 201 and ma.get("message") == mb.get("message") == "after reload", (status, ma, mb))
        await a.send("typed after reload")
        seen = await run(server.wait_for, server.out, r"\[Handle WebSocket Message\] typed after reload$")
        check("a WebSocket opened before SIGHUP still sends", seen, server.out()[-300:])

        # SIGHUP with broken files: the certificate in use stays.
        with open(live_cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
        failed = await run(sighup, server, "TLS reload failed", 1)
        check("SIGHUP with a broken certificate file: stderr has `TLS reload failed`", failed, server.err()[-500:])
        cn, serial, _, _ = await run(peer_cert, port, ctx)
        check("after the failed reload the previous certificate is still served",
              (cn, serial) == ("arovm-reloaded", 2002), (cn, serial))
        with open(live_cert, "w") as f:
            f.write("")
        failed = await run(sighup, server, "TLS reload failed", 2)
        cn, serial, _, _ = await run(peer_cert, port, ctx)
        check("SIGHUP with an empty certificate file: reload failed, previous certificate served",
              failed and (cn, serial) == ("arovm-reloaded", 2002), (failed, cn, serial, server.err()[-500:]))
        shutil.copy(cert1, live_cert)  # a good certificate, but live_key is still the second one's key
        failed = await run(sighup, server, "TLS reload failed", 3)
        try:
            cn, serial, _, _ = await run(peer_cert, port, ctx)
        except (OSError, ssl.SSLError) as e:
            cn, serial = repr(e), None
        check("SIGHUP with a key that does not match the certificate: reload failed, previous certificate served",
              failed and (cn, serial) == ("arovm-reloaded", 2002), (failed, cn, serial, server.err()[-500:]))
        status, _, _ = await run(https, port, ctx, "GET", "/messages", None, None, keep)
        keep.close()
        status2, _, _ = await run(post_message, port, ctx, "after failed reloads")
        ma = await recv_json(a)
        check("after the failed reloads the old keep-alive connection and WebSocket still work",
              status == 200 and status2 == 201 and ma.get("message") == "after failed reloads", (status, status2, ma))

    # The Request action's https:// against this server: trusted through SSL_CERT_FILE, or not.
    app = os.path.join(tmp, "client-app")
    os.makedirs(app)
    with open(os.path.join(app, "main.aro"), "w") as f:
        f.write(f"""(Application-Start: TLS Client) {{
    Request the <r> from "https://localhost:{port}/messages".
    Extract the <s> from the <r: status>.
    Log <s> to the <console>.
    Request the <p> to "https://127.0.0.1:{port}/messages" with {{ message: "from an ARO app" }}.
    Extract the <t> from the <p: status>.
    Log <t> to the <console>.
    Return an <OK: status> for the <startup>.
}}
""")
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    r = await run(lambda: subprocess.run([AROVM, "run", app], capture_output=True, text=True, timeout=20,
                                         env={**env, "SSL_CERT_FILE": ca}))
    logged = re.findall(r"^\[Application-Start\] (\d+)$", r.stdout, re.M)
    check("Request with SSL_CERT_FILE=ca.pem: GET https://localhost (an answer of over 100 kB) 200, "
          "POST to https://127.0.0.1 201, exit 0", r.returncode == 0 and logged == ["200", "201"],
          (r.returncode, r.stdout, r.stderr))
    r = await run(lambda: subprocess.run([AROVM, "run", app], capture_output=True, text=True, timeout=20, env=env))
    check("Request https://localhost without the test CA: UnknownIssuer on stderr, exit 1",
          r.returncode == 1 and "Connection failed: TLS: invalid peer certificate: UnknownIssuer" in r.stderr
          and "[Application-Start] 2" not in r.stdout, (r.returncode, r.stdout, r.stderr))
    status, _, body = await run(https, port, ctx, "GET", "/messages")
    texts = [m.get("message") for m in json.loads(body).get("data", [])] if status == 200 else []
    check("HTTPS still served after the Request clients; the ARO app's POST stored once",
          texts.count("from an ARO app") == 1, (status, [t[:40] for t in texts]))

    code = server.stop()
    out = server.out()
    check("clean exit after SIGTERM", code == 0, (code, server.err()[-500:]))
    check("two WebSocket connects and two disconnects logged",
          out.count("WebSocket client connected") == 2 and out.count("WebSocket client disconnected") == 2, out[-500:])

    # The other ways to turn TLS on.
    env_server = Arovm(tmp, "env", webchat_args(), {**os.environ, "AROVM_TLS_CERT": cert1, "AROVM_TLS_KEY": key1})
    p = env_server.port()
    cn, serial, _, _ = await run(peer_cert, p, ctx)
    ok, detail = await run(still_serves, p, ctx)
    check("AROVM_TLS_CERT/AROVM_TLS_KEY: HTTPS with that certificate", ok and (cn, serial) == ("localhost", 1001),
          (detail, cn, serial))
    env_server.stop()

    app = os.path.join(tmp, "webchat-tls")
    shutil.copytree(WEBCHAT, app)
    with open(os.path.join(app, "main.aro")) as f:
        main_aro = f.read()
    start = "Start the <http-server> with {}."
    with open(os.path.join(app, "main.aro"), "w") as f:
        f.write(main_aro.replace(start, f'Start the <http-server> with {{ tls: {{ cert: "{cert2}", key: "{key2}" }} }}.'))
    start_server = Arovm(tmp, "start-object", ["run", app, "--port", "0", "--bind", "127.0.0.1"])
    p = start_server.port()
    cn, serial, _, _ = await run(peer_cert, p, ctx)
    ok, detail = await run(still_serves, p, ctx)
    check("the Start statement's `tls: { cert, key }`: HTTPS with that certificate",
          start in main_aro and ok and (cn, serial) == ("arovm-reloaded", 2002), (start in main_aro, detail, cn, serial))
    start_server.stop()

    # Misconfigurations fail the Start statement.
    for name, args in (("--tls-cert without --tls-key", webchat_args(0, cert1)),
                       ("--tls-key without --tls-cert", webchat_args(0, None, key1))):
        r = await run(lambda a=args: subprocess.run([AROVM, *a], capture_output=True, text=True, timeout=20))
        check(f"{name}: the Start statement fails (exit 1, names both options)",
              r.returncode == 1 and "--tls-cert" in r.stderr and "--tls-key" in r.stderr
              and "HTTP Server started" not in r.stdout, (r.returncode, r.stdout, r.stderr))
    missing = os.path.join(tmp, "missing.pem")
    r = await run(lambda: subprocess.run([AROVM, *webchat_args(0, missing, key1)], capture_output=True, text=True,
                                         timeout=20))
    check("a missing certificate file: exit 1, the path on stderr",
          r.returncode == 1 and missing in r.stderr and "HTTP Server started" not in r.stdout,
          (r.returncode, r.stdout, r.stderr))


def run():
    missing = [t for t in ("openssl", "curl") if not shutil.which(t)]
    if missing:
        check("openssl and curl are installed", False, f"missing: {missing}")
        return
    tmp = tempfile.mkdtemp(prefix="arovm-tls-")
    try:
        asyncio.run(main(tmp))
    except Exception as e:  # a failed start or an unexpected close: one FAIL, then clean up
        check("the test ran to its end", False, repr(e))
        for name in sorted(os.listdir(tmp)):
            if name.endswith((".out", ".err")):
                with open(os.path.join(tmp, name)) as f:
                    print(f"--- {name} ---\n{f.read()[-2000:]}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


run()
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if results and all(results) else 1)
