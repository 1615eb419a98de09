"""Unbounded memory through the network (items 3a-3c): clients that never read, WebSocket ping
floods, and handlers slower than their clients must not grow the server without bound."""

import socket
import time

from lib import (
    MiB,
    OP_PING,
    OP_TEXT,
    WS,
    Conn,
    Prober,
    RssWatch,
    TestFailure,
    assert_serving,
    check,
    flood,
    free_port,
    info,
    req,
    start_server,
    test,
    ws_frame,
)

GROWTH_BOUND = 64 * MiB
SETTLE_BOUND = 32 * MiB
STOP_AT = 256 * MiB  # stop a flood early once the server has grown this much: the test failed


def settle(server, base, bound, seconds):
    """Polls until RSS is within `bound` of `base`; returns (ok, last_rss)."""
    deadline = time.monotonic() + seconds
    while True:
        r = server.rss()
        if r is None:
            return False, None
        if r - base <= bound:
            return True, r
        if time.monotonic() >= deadline:
            return False, r
        time.sleep(0.1)


def never_read(path):
    """One client pipelines GETs of `path` for ~3 s (or 100 MB) and never reads a byte."""
    with start_server("web") as s:
        for _ in range(5):
            assert_serving(s, what="at start")
        watch = RssWatch(s, stop_at=STOP_AT)
        c = Conn(s.port, 5.0, rcvbuf=65536)
        block = req("GET", path) * 1000
        prober = Prober(s.port, interval=0.25, timeout=2.0)
        prober.start()
        try:
            sent, why = flood(c.sock, block, 3.0, 100 * MiB, watch)
            time.sleep(0.5)
            watch.sample()
        finally:
            prober.stop()
        growth = watch.growth()
        info("sent %.1f MB (stopped: %s); RSS %.1f -> peak %.1f MiB (+%.1f); %s"
             % (sent / 1e6, why, watch.base / MiB, watch.peak / MiB, growth / MiB, prober.summary()))
        check(s.alive(), "server died during the flood (exit %s)" % s.returncode())
        check(growth < GROWTH_BOUND, "RSS grew %.0f MiB while a client never read (bound 64 MiB)" % (growth / MiB))
        check(not prober.errors, "a probe failed during the flood: %s" % (prober.errors[:1],))
        assert_serving(s)
        c.close()


@test(timeout=30, exclusive=True)
def pipelined_gets_never_read():
    never_read("/hello")


@test(timeout=30, exclusive=True)
def pipelined_big_gets_never_read():
    """The same with a 16 KiB answer per 30-byte request."""
    never_read("/big")


@test(timeout=30, exclusive=True)
def ws_ping_flood_never_read():
    """Ping frames with 125-byte payloads for ~3 s (or 300 MB), never reading the Pongs."""
    with start_server("ws-slow") as s:
        assert_serving(s, what="at start")
        watch = RssWatch(s, stop_at=STOP_AT)
        ws = WS(s.port, rcvbuf=65536)
        block = ws_frame(OP_PING, b"p" * 125) * 512
        sent, why = flood(ws.sock, block, 3.0, 300 * MiB, watch)
        time.sleep(0.3)
        watch.sample()
        growth = watch.growth()
        info("sent %.1f MB of pings (stopped: %s); RSS +%.1f MiB" % (sent / 1e6, why, growth / MiB))
        check(s.alive(), "server died during the ping flood (exit %s)" % s.returncode())
        check(growth < GROWTH_BOUND, "RSS grew %.0f MiB under a ping flood (bound 64 MiB)" % (growth / MiB))
        # The server must end this connection: read (and drop) what it queued, for up to 5 s.
        ws.sock.setblocking(True)
        fate, code = "open", None
        deadline = time.monotonic() + 5.0
        got = 0
        while time.monotonic() < deadline:
            try:
                f = ws.recv_frame(max(0.05, deadline - time.monotonic()))
            except TestFailure:
                break
            except OSError:
                fate = "closed"
                break
            if f is None:
                fate = "closed"
                break
            got += 1
            if f[1] == 8:
                code = int.from_bytes(f[2][:2], "big") if len(f[2]) >= 2 else None
                fate = "close frame"
        info("after the flood: %d frames read, connection %s%s" % (got, fate, "" if code is None else " (code %s)" % code))
        ws.close()
        check(fate != "open", "the server kept the flooding connection open")
        check(code in (None, 1008), "close code %s, want 1008 (or none)" % code)
        assert_serving(s)


def slow_consumer(server, open_client, block, alive_check):
    """Floods a slow handler ~100 MB for at most 4 s; checks growth, then that RSS settles after
    the client goes."""
    for _ in range(3):
        alive_check()
    time.sleep(0.2)
    watch = RssWatch(server, stop_at=STOP_AT)
    sock, closer = open_client()
    sent, why = flood(sock, block, 4.0, 100 * MiB, watch)
    time.sleep(0.3)
    watch.sample()
    growth = watch.growth()
    closer()
    ok, last = settle(server, watch.base, SETTLE_BOUND, 5.0)
    info("sent %.1f MB (stopped: %s); RSS %.1f -> peak %.1f MiB (+%.1f); 5 s after disconnect %s MiB"
         % (sent / 1e6, why, watch.base / MiB, watch.peak / MiB, growth / MiB,
            "%.1f" % (last / MiB) if last else "-"))
    check(server.alive(), "server died during the flood (exit %s)" % server.returncode())
    check(growth < GROWTH_BOUND, "RSS grew %.0f MiB while the handler lagged (bound 64 MiB)" % (growth / MiB))
    check(ok, "RSS still %.0f MiB over the baseline 5 s after the client left (bound 32 MiB)"
          % (((last or 0) - watch.base) / MiB))
    alive_check()


@test(timeout=40, exclusive=True)
def ws_slow_handler_backpressure():
    with start_server("ws-slow") as s:
        msg = ws_frame(OP_TEXT, b"x" * 65536)

        def open_client():
            ws = WS(s.port)
            return ws.sock, ws.close

        slow_consumer(s, open_client, msg * 16, lambda: assert_serving(s))


@test(timeout=40, exclusive=True)
def tcp_slow_handler_backpressure():
    port = free_port()
    with start_server("tcp-slow", env={"ARO_SOCKET_PORT": port}, ready=r"Socket Server started on port (\d+)") as s:
        check(s.port == port, "socket server on port %d, not ARO_SOCKET_PORT=%d" % (s.port, port))

        def tcp_alive():
            if not s.alive():
                raise TestFailure("server died (exit %s; %s)" % (s.returncode(), s.tails()))
            c = Conn(port, 2.0)
            try:
                got = b""
                deadline = time.monotonic() + 2.0
                while b"\n" not in got and time.monotonic() < deadline:
                    c.sock.settimeout(max(0.01, deadline - time.monotonic()))
                    try:
                        d = c.sock.recv(100)
                    except socket.timeout:
                        break
                    if not d:
                        break
                    got += d
                check(got.startswith(b"welcome"), "a new TCP client got %r, not the welcome line" % got)
            finally:
                c.close()

        def open_client():
            c = Conn(port, 5.0)
            return c.sock, c.close

        slow_consumer(s, open_client, b"y" * (1 * MiB), tcp_alive)
