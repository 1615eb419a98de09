"""Helpers of the attack suite: the arovm process, raw HTTP, a WebSocket client, /proc readings,
probes and a bounded flood loop. Standard library only; every wait has a deadline."""

import base64
import hashlib
import os
import re
import select
import signal
import socket
import struct
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
APPS = os.path.join(HERE, "apps")
MiB = 1024 * 1024
HOST = "127.0.0.1"


class TestFailure(Exception):
    """The behaviour under test is not the intended one."""


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def info(msg):
    """A line the runner shows under the test's result (measurements)."""
    print("INFO " + msg, flush=True)


# ---------------------------------------------------------------- registry

TESTS = {}


def test(timeout=20, exclusive=False):
    """Registers a test. `timeout` bounds the whole test (the runner kills it after that, plus a
    grace); `exclusive` tests run alone (they measure time, CPU or memory)."""

    def deco(fn):
        TESTS[fn.__name__] = {"fn": fn, "timeout": timeout, "exclusive": exclusive}
        return fn

    return deco


# ---------------------------------------------------------------- the arovm process


def arovm_path():
    p = os.environ.get("AROVM") or "target/release/arovm"
    if not os.path.isabs(p):
        p = os.path.join(REPO, p)
    return p


def app(name):
    return os.path.join(APPS, name)


_PROCS = []


class _Stream:
    """A pipe read by a thread into a bounded buffer (head + tail past 8 MiB), so the child never
    blocks on a full pipe and a runaway output cannot eat the test's memory."""

    CAP = 8 * MiB
    HEAD = 1 * MiB

    def __init__(self, pipe, cond):
        self.buf = bytearray()
        self.total = 0
        self.cut = False
        self.eof = False
        self.cond = cond
        self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.t.start()

    def _run(self, pipe):
        fd = pipe.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.total += len(chunk)
                self.buf += chunk
                if len(self.buf) > self.CAP:
                    keep_tail = self.CAP - self.HEAD
                    self.buf = self.buf[: self.HEAD] + b"\n...[cut]...\n" + self.buf[-keep_tail:]
                    self.cut = True
                self.cond.notify_all()

    def text(self):
        with self.cond:
            return self.buf.decode("utf-8", "replace")


class Proc:
    """One arovm process. Use as a context manager: it is killed on exit."""

    def __init__(self, argv, env=None):
        full = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = str(v)
        self.argv = [arovm_path()] + list(argv)
        self.cond = threading.Condition()
        self.p = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full,
            cwd=REPO,
        )
        self.pid = self.p.pid
        self.port = None
        self.out = _Stream(self.p.stdout, self.cond)
        self.err = _Stream(self.p.stderr, self.cond)
        _PROCS.append(self)

    # -- output
    def stdout(self):
        return self.out.text()

    def stderr(self):
        return self.err.text()

    def wait_output(self, pattern, timeout, stream="out", flags=0):
        """First match of `pattern` in stdout (or stderr/"both") within `timeout` s, else None."""
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        while True:
            texts = []
            if stream in ("out", "both"):
                texts.append(self.stdout())
            if stream in ("err", "both"):
                texts.append(self.stderr())
            for t in texts:
                m = rx.search(t)
                if m:
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with self.cond:
                if self.out.eof and self.err.eof:
                    return None
                self.cond.wait(min(left, 0.1))

    def tails(self, n=400):
        return "stdout=%r stderr=%r" % (self.stdout()[-n:], self.stderr()[-n:])

    # -- state
    def alive(self):
        return self.p.poll() is None

    def returncode(self):
        return self.p.poll()

    def wait(self, timeout):
        """The exit code within `timeout` s, else None (still running)."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def rss(self):
        """Resident set size in bytes (VmRSS), or None once the process is gone."""
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            return None
        return None

    def cpu(self):
        """User + system CPU seconds so far, or None once the process is gone."""
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                data = f.read()
        except OSError:
            return None
        fields = data[data.rfind(")") + 2 :].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        if self.alive():
            try:
                self.p.kill()
            except ProcessLookupError:
                pass
        self.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


def kill_all():
    for p in _PROCS:
        try:
            p.kill()
        except Exception:
            pass


def run_app(name, env=None, args=(), port=True, bind=True):
    """Starts `arovm run apps/<name>` (with --port 0 --bind 127.0.0.1 unless told otherwise)."""
    argv = ["run", app(name)]
    if port:
        argv += ["--port", "0"]
    if bind:
        argv += ["--bind", HOST]
    argv += list(args)
    return Proc(argv, env)


PORT_LINE = r"HTTP Server started on port (\d+)"


def start_server(name, env=None, args=(), ready=PORT_LINE, timeout=10, port=True, bind=True):
    """Starts an app and waits for its port line; the port is in `.port`."""
    p = run_app(name, env=env, args=args, port=port, bind=bind)
    m = p.wait_output(ready, timeout)
    if not m:
        rc = p.returncode()
        p.kill()
        raise TestFailure("no line %r within %ss (exit %s; %s)" % (ready, timeout, rc, p.tails()))
    p.port = int(m.group(1))
    return p


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- raw HTTP


class Response:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as sent
        self.body = body
        self.raw_head = raw_head

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_tokens(self, name):
        out = []
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:80])


class Conn:
    """A raw TCP connection to the server with a receive buffer."""

    def __init__(self, port, timeout=5.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((HOST, port))
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more into buf. False on EOF/reset; raises socket.timeout at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _need(self, pred, deadline, what):
        while True:
            r = pred()
            if r is not None:
                return r
            try:
                more = self._fill(deadline)
            except socket.timeout:
                raise TestFailure("timed out waiting for %s (got %r)" % (what, self.buf[:120]))
            if not more:
                raise TestFailure("connection closed while waiting for %s (got %r)" % (what, self.buf[:120]))

    def read_response(self, timeout=5.0, head_request=False):
        """Reads one response (Content-Length, chunked or until close)."""
        deadline = time.monotonic() + timeout

        def head_end():
            i = self.buf.find(b"\r\n\r\n")
            return i if i >= 0 else None

        i = self._need(head_end, deadline, "a response head")
        head = self.buf[:i].decode("latin-1")
        self.buf = self.buf[i + 4 :]
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise TestFailure("bad status line %r" % lines[0])
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers.append((k.strip(), v.strip()))
        resp = Response(version, status, reason, headers, b"", head)
        if head_request or status in (101, 204, 304) or 100 <= status < 200:
            return resp
        te = resp.header_tokens("transfer-encoding")
        cl = resp.header("content-length")
        if te and te[-1] == "chunked":
            body = b""
            while True:
                def line_end():
                    j = self.buf.find(b"\r\n")
                    return j if j >= 0 else None

                j = self._need(line_end, deadline, "a chunk size")
                size = int(self.buf[:j].split(b";")[0], 16)
                self.buf = self.buf[j + 2 :]
                if size == 0:
                    # trailers until an empty line
                    while True:
                        j = self._need(line_end, deadline, "the chunked trailer")
                        ln = self.buf[:j]
                        self.buf = self.buf[j + 2 :]
                        if not ln:
                            break
                    break
                self._need(lambda: True if len(self.buf) >= size + 2 else None, deadline, "a chunk")
                body += self.buf[:size]
                self.buf = self.buf[size + 2 :]
            resp.body = body
        elif cl is not None:
            n = int(cl)
            self._need(lambda: True if len(self.buf) >= n else None, deadline, "%d body bytes" % n)
            resp.body = self.buf[:n]
            self.buf = self.buf[n:]
        else:
            while True:
                try:
                    if not self._fill(deadline):
                        break
                except socket.timeout:
                    raise TestFailure("timed out reading a body delimited by close")
            resp.body, self.buf = self.buf, b""
        return resp

    def closed_within(self, timeout):
        """True if the server closes (EOF or reset) within `timeout` s; data that arrives meanwhile
        is kept in buf."""
        if self.eof:
            return True
        deadline = time.monotonic() + timeout
        while True:
            try:
                if not self._fill(deadline):
                    return True
            except socket.timeout:
                return False
            except OSError:
                return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def req(method, path, headers=(), body=b"", version="HTTP/1.1", host="x"):
    """Builds a request. `headers` is a list of (name, value); Host is added first unless host is
    None; Content-Length is added for a non-empty body unless a framing header is given."""
    if isinstance(body, str):
        body = body.encode()
    lines = ["%s %s %s" % (method, path, version)]
    names = [k.lower() for k, _ in headers]
    if host is not None:
        lines.append("Host: %s" % host)
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(port, raw, timeout=5.0, head_request=False):
    """Opens a connection, sends `raw`, reads one response. Returns (response, conn); the caller
    closes conn (or uses it to see whether the server closed)."""
    c = Conn(port, timeout)
    c.send(raw)
    try:
        return c.read_response(timeout, head_request), c
    except TestFailure:
        c.close()
        raise


def get(port, path="/hello", timeout=5.0, headers=()):
    r, c = exchange(port, req("GET", path, headers=list(headers) + [("Connection", "close")]), timeout)
    c.close()
    return r


def probe(port, path="/hello", timeout=2.0):
    """Latency in seconds of a GET on a fresh connection, or (None, why)."""
    t0 = time.monotonic()
    try:
        r = get(port, path, timeout)
    except (TestFailure, OSError) as e:
        return None, str(e) or e.__class__.__name__
    dt = time.monotonic() - t0
    if r.status != 200:
        return None, "probe got %d" % r.status
    return dt, None


class Prober(threading.Thread):
    """Probes every `interval` s until stopped (or `max_probes`), recording latencies."""

    def __init__(self, port, interval=0.2, timeout=2.0, path="/hello", max_probes=200):
        super().__init__(daemon=True)
        self.port, self.interval, self.timeout, self.path = port, interval, timeout, path
        self.max_probes = max_probes
        self.latencies = []
        self.errors = []
        self._stop_ev = threading.Event()

    def run(self):
        while not self._stop_ev.is_set() and len(self.latencies) + len(self.errors) < self.max_probes:
            lat, err = probe(self.port, self.path, self.timeout)
            if lat is None:
                self.errors.append(err)
            else:
                self.latencies.append(lat)
            self._stop_ev.wait(self.interval)

    def stop(self):
        self._stop_ev.set()
        self.join(self.timeout + 2)

    def worst(self):
        return max(self.latencies) if self.latencies else None

    def summary(self):
        w = self.worst()
        return "%d probes, worst %s, %d failed%s" % (
            len(self.latencies) + len(self.errors),
            "%.0f ms" % (w * 1000) if w is not None else "-",
            len(self.errors),
            (" (%s)" % self.errors[0]) if self.errors else "",
        )


def assert_serving(server, path="/hello", timeout=2.0, what="afterwards"):
    """The process is alive and answers a normal GET within `timeout` s."""
    if not server.alive():
        raise TestFailure("server died %s (exit %s; %s)" % (what, server.returncode(), server.tails()))
    lat, err = probe(server.port, path, timeout)
    if lat is None:
        raise TestFailure("server alive but does not answer a normal GET %s: %s" % (what, err))
    return lat


# ---------------------------------------------------------------- floods


def flood(sock, block, seconds, max_bytes, watch=None, watch_every=0.1):
    """Writes `block` over and over on a non-blocking socket for at most `seconds` s or
    `max_bytes` bytes. `watch()` runs every `watch_every` s; a string it returns stops the
    flood (that string is the reason). Returns (bytes_sent, reason)."""
    sock.setblocking(False)
    view = memoryview(block)
    off = 0
    sent = 0
    t0 = time.monotonic()
    deadline = t0 + seconds
    next_watch = t0
    reason = "time"
    while True:
        now = time.monotonic()
        if now >= deadline:
            reason = "time"
            break
        if sent >= max_bytes:
            reason = "bytes"
            break
        if watch and now >= next_watch:
            next_watch = now + watch_every
            w = watch()
            if w:
                reason = w
                break
        try:
            _, wr, _ = select.select([], [sock], [], min(0.05, max(0.0, deadline - now)))
        except (OSError, ValueError):
            reason = "socket error"
            break
        if not wr:
            continue
        try:
            n = sock.send(view[off:])
        except (BlockingIOError, InterruptedError):
            continue
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            reason = "closed by server"
            break
        sent += n
        off = (off + n) % len(block)
    return sent, reason


class RssWatch:
    """Tracks the peak RSS of a process; as a flood watch it stops the flood once growth passes
    `stop_at` bytes (to spare the machine: the test has failed by then anyway)."""

    def __init__(self, proc, stop_at=None):
        self.proc = proc
        self.base = proc.rss() or 0
        self.peak = self.base
        self.stop_at = stop_at

    def sample(self):
        r = self.proc.rss()
        if r is not None and r > self.peak:
            self.peak = r
        return r

    def __call__(self):
        r = self.sample()
        if r is None:
            return "server gone"
        if self.stop_at is not None and r - self.base > self.stop_at:
            return "RSS growth over %d MiB" % (self.stop_at // MiB)
        return None

    def growth(self):
        return self.peak - self.base


# ---------------------------------------------------------------- WebSocket client

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def ws_frame(opcode, payload=b"", fin=True, mask_key=None):
    """One masked client frame."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    key = mask_key if mask_key is not None else os.urandom(4)
    if n:
        k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
        masked = (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")
    else:
        masked = b""
    return head + key + masked


class WS:
    def __init__(self, port, path="/ws", timeout=5.0, rcvbuf=None):
        self.c = Conn(port, timeout, rcvbuf=rcvbuf)
        self.sock = self.c.sock
        key = base64.b64encode(os.urandom(16))
        self.c.send(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n"
        )
        r = self.c.read_response(timeout)
        if r.status != 101:
            raise TestFailure("WebSocket handshake got %d %r" % (r.status, r.body[:100]))
        want = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
        if r.header("sec-websocket-accept") != want:
            raise TestFailure("bad Sec-WebSocket-Accept %r" % r.header("sec-websocket-accept"))

    def send(self, opcode, payload=b"", fin=True):
        self.c.send(ws_frame(opcode, payload, fin))

    def send_text(self, text):
        self.send(OP_TEXT, text)

    def send_close(self, code=1000, reason=b""):
        self.send(OP_CLOSE, struct.pack("!H", code) + reason)

    def recv_frame(self, timeout=5.0):
        """(fin, opcode, payload), or None on EOF. Raises TestFailure at the deadline."""
        deadline = time.monotonic() + timeout

        def have(n):
            while len(self.c.buf) < n:
                try:
                    if not self.c._fill(deadline):
                        return False
                except socket.timeout:
                    raise TestFailure("timed out waiting for a WebSocket frame")
            return True

        if not have(2):
            return None
        b0, b1 = self.c.buf[0], self.c.buf[1]
        n = b1 & 0x7F
        hl = 2
        if n == 126:
            if not have(4):
                return None
            n = struct.unpack("!H", self.c.buf[2:4])[0]
            hl = 4
        elif n == 127:
            if not have(10):
                return None
            n = struct.unpack("!Q", self.c.buf[2:10])[0]
            hl = 10
        if b1 & 0x80:
            hl += 4  # a masked server frame (a protocol error, but read past it)
        if not have(hl + n):
            return None
        payload = self.c.buf[hl : hl + n]
        self.c.buf = self.c.buf[hl + n :]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def wait_close(self, timeout=5.0):
        """Reads frames until a Close: ("close", code, reason), ("eof", None, b"") if TCP ended
        without one, or ("timeout", None, b"")."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return ("timeout", None, b"")
            try:
                f = self.recv_frame(left)
            except TestFailure:
                return ("timeout", None, b"")
            except OSError:
                return ("eof", None, b"")
            if f is None:
                return ("eof", None, b"")
            _, op, payload = f
            if op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return ("close", code, payload[2:])

    def close(self):
        self.c.close()
