"""Lost requests (item 4), CPU-bound handlers (item 6) and shutdown (item 7)."""

import signal
import socket
import threading
import time

from lib import (
    WS,
    Conn,
    TestFailure,
    assert_serving,
    check,
    get,
    info,
    probe,
    req,
    start_server,
    test,
)

# ---------------------------------------------------------------- item 4: lost requests


@test(timeout=45, exclusive=True)
def pipeline_50k_all_answered():
    """One thread writes 50,000 pipelined GETs, another reads: every one is answered."""
    n = 50_000
    with start_server("web") as s:
        c = Conn(s.port, 5.0)
        one = req("GET", "/hello")
        batch = one * 500
        marker = b"HTTP/1.1 200 "
        state = {"count": 0, "error": None, "written": 0}
        deadline = time.monotonic() + 30.0

        def writer():
            try:
                for _ in range(n // 500):
                    if time.monotonic() > deadline:
                        return
                    c.sock.sendall(batch)
                    state["written"] += 500
            except OSError as e:
                state["error"] = "write: %s" % e

        def reader():
            tail = b""
            last_progress = time.monotonic()
            while state["count"] < n and time.monotonic() < deadline:
                if state["written"] == n and time.monotonic() - last_progress > 5.0:
                    state["error"] = "no answer for 5 s after the last write: stalled"
                    return
                c.sock.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
                try:
                    d = c.sock.recv(262144)
                except socket.timeout:
                    continue
                except OSError as e:
                    state["error"] = "read: %s" % e
                    return
                if not d:
                    state["error"] = "server closed the connection"
                    return
                data = tail + d
                state["count"] += data.count(marker)
                last_progress = time.monotonic()
                # keep a tail shorter than the marker so no status line is counted twice
                tail = data[-(len(marker) - 1):]

        c.sock.settimeout(31.0)
        tw = threading.Thread(target=writer, daemon=True)
        tr = threading.Thread(target=reader, daemon=True)
        t0 = time.monotonic()
        tw.start()
        tr.start()
        tw.join(32)
        tr.join(32)
        dt = time.monotonic() - t0
        c.close()
        info("%d written, %d answered 200 in %.1f s%s" % (state["written"], state["count"], dt,
                                                           "; " + state["error"] if state["error"] else ""))
        check(state["count"] == n, "%d of %d pipelined requests answered (%s)"
              % (state["count"], n, state["error"] or "no error seen"))
        assert_serving(s)


# ---------------------------------------------------------------- item 6: CPU-bound handlers

CPU_ENV = {"AROVM_HANDLER_CPU_MS": "1000"}


def start_spin(s):
    c = Conn(s.port, 10.0)
    c.send(req("GET", "/spin", [("Connection", "close")]))
    return c


@test(timeout=40, exclusive=True)
def cpu_spin_probes_answered():
    """While one handler spins, ten probes on other connections each answer within 500 ms."""
    with start_server("web", env=CPU_ENV) as s:
        assert_serving(s, what="at start")
        c = start_spin(s)
        try:
            time.sleep(0.1)
            lats, errs = [], []
            for _ in range(10):
                lat, err = probe(s.port, "/hello", 2.0)
                if lat is None:
                    errs.append(err)
                    break  # the server is stuck; do not wait 2 s ten times
                lats.append(lat)
                time.sleep(0.05)
        finally:
            c.close()
        worst = max(lats) if lats else None
        info("worst of %d probes: %s%s" % (len(lats) + len(errs), "%.0f ms" % (worst * 1000) if worst is not None else "-",
                                            "; failed: %s" % errs[0] if errs else ""))
        check(not errs, "a probe got no answer within 2 s while a handler spun (%s)" % (errs[:1],))
        check(worst <= 0.5, "worst probe %.0f ms while a handler spun (bound 500 ms)" % (worst * 1000))
        check(s.alive(), "server died")


@test(timeout=30, exclusive=True)
def cpu_spin_answered_500():
    """The spinning request itself is stopped by the CPU budget (1 s) and answered 500."""
    with start_server("web", env=CPU_ENV) as s:
        c = start_spin(s)
        t0 = time.monotonic()
        try:
            r = c.read_response(6.0)
        except TestFailure as e:
            raise TestFailure("the spinning request got no answer within 6 s: %s" % e)
        finally:
            c.close()
        dt = time.monotonic() - t0
        info("spinning request answered %d after %.2f s" % (r.status, dt))
        check(r.status == 500, "spinning request got %d, want 500" % r.status)
        check(dt <= 5.0, "500 came after %.2f s (bound 5 s)" % dt)
        assert_serving(s)


@test(timeout=30, exclusive=True)
def cpu_spin_sigterm_exits():
    with start_server("web", env=CPU_ENV) as s:
        c = start_spin(s)
        time.sleep(0.3)
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        rc = s.wait(10.0)
        c.close()
        check(rc is not None, "still running 10 s after SIGTERM while a handler spun")
        info("exit %s %.2f s after SIGTERM" % (rc, time.monotonic() - t0))


# ---------------------------------------------------------------- item 7: shutdown


@test(timeout=40)
def shutdown_ws_close_1001():
    """200 WebSocket clients; SIGTERM: each gets Close 1001, Disconnect runs 200 times, exit 0."""
    n = 200
    with start_server("ws-shutdown") as s:
        clients = []
        try:
            for _ in range(n):
                clients.append(WS(s.port, timeout=5.0))
            time.sleep(0.3)
            s.signal(signal.SIGTERM)
            deadline = time.monotonic() + 10.0
            codes = {}
            for ws in clients:
                fate, code, _ = ws.wait_close(max(0.01, deadline - time.monotonic()))
                key = code if fate == "close" else fate
                codes[key] = codes.get(key, 0) + 1
                if fate == "close":
                    try:
                        ws.send_close(1001)
                    except OSError:
                        pass
        finally:
            for ws in clients:
                ws.close()
        rc = s.wait(10.0)
        time.sleep(0.1)
        gone = s.stdout().count("ws-gone")
        info("close codes %s; %d disconnect lines; exit %s" % (codes, gone, rc))
        check(codes.get(1001, 0) == n, "%d of %d clients got Close 1001 (%s)" % (codes.get(1001, 0), n, codes))
        check(gone == n, "the disconnect handler logged %d times, want %d" % (gone, n))
        check(rc is not None, "still running 10 s after SIGTERM")
        check(rc == 0, "exit code %s after SIGTERM, want 0 (%s)" % (rc, s.tails(200)))


@test(timeout=30)
def shutdown_inflight_connection_close():
    """A request in flight at SIGTERM (its handler sleeps 300 ms) is answered with Connection: close."""
    with start_server("ws-shutdown") as s:
        c = Conn(s.port, 5.0)
        try:
            c.send(req("GET", "/slow"))
            time.sleep(0.05)
            s.signal(signal.SIGTERM)
            try:
                r = c.read_response(5.0)
            except TestFailure as e:
                raise TestFailure("the in-flight request got no answer: %s" % e)
        finally:
            c.close()
        rc = s.wait(10.0)
        info("in-flight answer %d, Connection: %s; exit %s" % (r.status, r.header("connection"), rc))
        check(r.status == 200, "in-flight request got %d" % r.status)
        check("close" in r.header_tokens("connection"), "no Connection: close on the drained answer (headers %s)" % r.headers)
        check(rc == 0, "exit code %s after SIGTERM, want 0" % rc)
