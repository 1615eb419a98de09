#!/usr/bin/env python3
"""deploy/nginx.conf, for real: nginx (TLS on, the recipe's own directives) in front of
examples/webchat, all on 127.0.0.1. HTTP, the 1 MiB body limit, and a WebSocket through the proxy,
including an idle WebSocket that outlives nginx's read timeout because arovm pings it (and, as a
control, one that does not when arovm's pings are too rare).

Needs nginx and openssl (`make e2e-deps` installs them) and the `websockets` package.
Prints one line per check and ends with `N passed, N failed`."""
import asyncio
import http.client
import json
import logging
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
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
RECIPE = os.path.join(ROOT, "deploy/nginx.conf")
READ_TIMEOUT_S = 3  # the recipe's proxy_read_timeout, lowered for the test
# arovm's ping interval and pong timeout for the main upstream (defaults 30 s and 30 s). After the
# first ping, arovm pings again only when the pong timeout's timer fires, so both must be short.
PING_MS, PONG_TIMEOUT_MS = 1000, 1500
IDLE_S = 5  # longer than READ_TIMEOUT_S
results = []
procs = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"), flush=True)


class PingCounter(logging.Handler):
    """Counts the Pings a websockets connection receives (its debug log has one `< PING` line each)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.pings = 0

    def emit(self, record):
        if record.getMessage().startswith("< PING"):
            self.pings += 1


def frame_logger():
    log = logging.getLogger("proxy_nginx.ws")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    counter = PingCounter()
    log.addHandler(counter)
    return log, counter


def free_ports(n):
    """n distinct free ports on 127.0.0.1 (all held until all are chosen)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def start_arovm(ping_ms=None, pong_timeout_ms=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AROVM_WS_PING")}
    if ping_ms is not None:
        env["AROVM_WS_PING_INTERVAL_MS"] = str(ping_ms)
        env["AROVM_WS_PING_TIMEOUT_MS"] = str(pong_timeout_ms)
    p = subprocess.Popen([AROVM, "run", os.path.join(ROOT, "examples/webchat"), "--port", "0", "--bind", "127.0.0.1"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    procs.append(p)
    for line in p.stdout:
        m = re.match(r"HTTP Server started on port (\d+)", line)
        if m:
            return p, int(m.group(1))
    raise RuntimeError("arovm did not start")


def adapt(recipe, upstream, http_port, https_port, cert, key):
    """The recipe with test ports, certificate and read timeout; None and the reason if a rewrite
    no longer matches the recipe."""
    rewrites = [
        (r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{upstream};"),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen \[::\]:80;\n", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"listen \[::\]:443 ssl http2;\n", ""),
        (r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};"),
        (r"proxy_read_timeout\s+\S+;", f"proxy_read_timeout {READ_TIMEOUT_S}s;"),
    ]
    for pattern, repl in rewrites:
        recipe, n = re.subn(pattern, lambda _m, r=repl: r, recipe)
        if n != 1:
            return None, f"{pattern!r} matched {n} times"
    return recipe, ""


def start_nginx(tmp, name, upstream, cert, key):
    """nginx from the recipe in front of 127.0.0.1:upstream: (process, http port, https port)."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    http_port, https_port = free_ports(2)
    with open(RECIPE) as f:
        body, why = adapt(f.read(), upstream, http_port, https_port, cert, key)
    if body is None:
        raise RuntimeError(f"deploy/nginx.conf no longer fits the test: {why}")
    temps = "\n".join(f"    {k}_temp_path {d}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = f"""daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
{temps}
{body}
}}
"""
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    p = subprocess.Popen([NGINX, "-p", d, "-c", path, "-e", f"{d}/error.log"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"nginx exited with {p.returncode}: {error_log(tmp, name)}")
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
            socket.create_connection(("127.0.0.1", http_port), timeout=1).close()
            return p, http_port, https_port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not listen")


def error_log(tmp, name):
    try:
        with open(os.path.join(tmp, name, "error.log")) as f:
            return f.read()
    except OSError as e:
        return str(e)


def make_cert(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def request(port, method, path, body=None, tls=None, headers=None):
    """(status, headers, body) over a fresh connection; tls is an SSLContext or None."""
    if tls:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=tls)
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def post_message(port, tls, text):
    body = json.dumps({"message": text}).encode()
    return request(port, "POST", "/messages", body, tls, {"Content-Type": "application/json"})


async def recv_json(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def idle_control(url, tls):
    """A WebSocket through nginx to an arovm that pings after 30 s: nginx's 3 s read timeout cuts
    it. Returns (seconds until closed or None, close code)."""
    async with websockets.connect(url, ssl=tls, ping_interval=None) as ws:
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(ws.wait_closed(), IDLE_S + 2)
        except asyncio.TimeoutError:
            return None, None
        return time.monotonic() - t0, ws.close_code


async def main(tmp):
    loop = asyncio.get_running_loop()
    cert, key = make_cert(tmp)
    tls = ssl.create_default_context(cafile=cert)

    arovm, up = start_arovm(PING_MS, PONG_TIMEOUT_MS)
    control_arovm, control_up = start_arovm()
    _, http_port, https_port = start_nginx(tmp, "nginx", up, cert, key)
    _, _, control_https = start_nginx(tmp, "nginx-control", control_up, cert, key)
    check("nginx starts with deploy/nginx.conf (test ports, upstream, certificate, read timeout)", True)

    status, headers, _ = await loop.run_in_executor(None, request, http_port, "GET", "/messages")
    check("plain HTTP answers 301 to https", status == 301 and headers.get("location", "").startswith("https://127.0.0.1/"),
          (status, headers.get("location")))

    status, headers, body = await loop.run_in_executor(None, request, https_port, "GET", "/", None, tls)
    check("GET / over TLS through nginx: 200 text/html chat page",
          status == 200 and headers.get("content-type", "").startswith("text/html") and b"WebSocket" in body,
          (status, headers.get("content-type"), body[:200]))
    check("HSTS header added by nginx", "max-age" in headers.get("strict-transport-security", ""), headers)

    big = "x" * 1_000_000
    status, _, body = await loop.run_in_executor(None, post_message, https_port, tls, big)
    check("a body just under 1 MiB passes nginx and arovm (201)",
          status == 201 and len(json.loads(body).get("message", "")) == len(big), (status, body[:200]))
    over = json.dumps({"message": "y" * (1 << 21)}).encode()
    try:
        status, _, body = await loop.run_in_executor(None, request, https_port, "POST", "/messages", over, tls,
                                                     {"Content-Type": "application/json"})
        check("a body over 1 MiB is refused by nginx (413)", status == 413 and b"nginx" in body, (status, body[:200]))
    except OSError as e:
        check("a body over 1 MiB is refused by nginx (413)", False, repr(e))

    url = f"wss://127.0.0.1:{https_port}/ws"
    log, counter = frame_logger()
    async with websockets.connect(url, ssl=tls, ping_interval=None, logger=log) as ws:
        check("WebSocket upgrade over TLS through nginx", ws.response.status_code == 101, ws.response.status_code)
        status, _, body = await loop.run_in_executor(None, post_message, https_port, tls, "via nginx")
        posted = json.loads(body)
        check("POST /messages through nginx answers 201", status == 201 and posted.get("message") == "via nginx",
              (status, body[:200]))
        m = await recv_json(ws)
        check("the WebSocket client receives the broadcast through nginx",
              m.get("message") == "via nginx" and m.get("id") == posted.get("id"), m)
        await ws.send("typed through nginx")

        status, _, body = await loop.run_in_executor(None, request, https_port, "GET", "/messages", None, tls)
        listed = [x.get("message") for x in json.loads(body).get("data", [])] if status == 200 else []
        check("GET /messages through nginx lists the message", "via nginx" in listed, (status, body[:200]))

        # Both idle at once: this one behind arovm's 1 s pings, the control without pings.
        control = asyncio.ensure_future(idle_control(f"wss://127.0.0.1:{control_https}/ws", tls))
        pings_before = counter.pings
        await asyncio.sleep(IDLE_S)
        alive = ws.close_code is None
        pings = counter.pings - pings_before
        check(f"arovm's Pings reach the client through nginx ({IDLE_S} s idle)", pings >= 2, pings)
        status, _, body = await loop.run_in_executor(None, post_message, https_port, tls, "after idle")
        try:
            m = await recv_json(ws) if alive else {}
        except (asyncio.TimeoutError, websockets.ConnectionClosed) as e:
            m = {"error": repr(e)}
        check(f"an idle WebSocket outlives nginx's {READ_TIMEOUT_S} s read timeout ({IDLE_S} s, arovm pings every "
              f"{PING_MS} ms) and still gets broadcasts", alive and status == 201 and m.get("message") == "after idle",
              (alive, ws.close_code, status, m))
        took, code = await control
        check(f"control: with arovm's default 30 s pings nginx closes an idle WebSocket after ~{READ_TIMEOUT_S} s",
              took is not None and READ_TIMEOUT_S - 0.5 <= took <= READ_TIMEOUT_S + 2, (took, code))

    check("nginx logged the control's upstream timeout",
          "upstream timed out" in error_log(tmp, "nginx-control"), error_log(tmp, "nginx-control")[-500:])

    out = {}
    for name, p in (("arovm", arovm), ("control", control_arovm)):
        p.terminate()
        out[name] = p.communicate(timeout=15)[0]
    check("arovm logged the message sent through nginx", "[Handle WebSocket Message] typed through nginx" in out["arovm"],
          out["arovm"])
    check("arovm saw one connect and one disconnect",
          out["arovm"].count("WebSocket client connected") == 1 and out["arovm"].count("WebSocket client disconnected") == 1,
          out["arovm"])
    check("the control arovm saw nginx drop the idle WebSocket (Disconnect ran)",
          out["control"].count("WebSocket client disconnected") == 1, out["control"])
    check("both arovm exit 0 after SIGTERM behind nginx", arovm.returncode == 0 and control_arovm.returncode == 0,
          (arovm.returncode, control_arovm.returncode))


def run():
    if not os.path.exists(NGINX):
        check("nginx is installed", False, f"{NGINX} missing (apt-get install nginx)")
        return
    tmp = tempfile.mkdtemp(prefix="arovm-proxy-")
    try:
        asyncio.run(main(tmp))
    except Exception as e:  # a failed start or an unexpected close: one FAIL, then clean up
        check("the test ran to its end", False, repr(e))
        for name in ("nginx", "nginx-control"):
            if os.path.exists(os.path.join(tmp, name, "error.log")):
                print(f"--- {name} error.log ---\n{error_log(tmp, name)[-2000:]}")
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
