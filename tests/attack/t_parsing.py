"""Quadratic parsing (item 2): big form and JSON bodies must be parsed in linear time, without
stalling other connections; a chunked body trickled in small pieces must cost little CPU."""

import socket
import threading
import time

from lib import (
    Conn,
    Prober,
    TestFailure,
    assert_serving,
    check,
    info,
    req,
    start_server,
    test,
)


def big_post(content_type, body, answer_bound=2.0, probe_bound=1.0):
    with start_server("web") as s:
        assert_serving(s, what="at start")
        prober = Prober(s.port, interval=0.05, timeout=probe_bound + 1.0)
        prober.start()
        time.sleep(0.1)
        raw = req("POST", "/x", [("Content-Type", content_type), ("Connection", "close")], body)
        c = Conn(s.port, 5.0)
        t0 = time.monotonic()
        err = None
        try:
            c.send(raw)
            r = c.read_response(answer_bound + 1.0)
        except TestFailure as e:
            r, err = None, str(e)
        finally:
            c.close()
        dt = time.monotonic() - t0
        time.sleep(0.2)
        prober.stop()
        info("%d-byte body answered in %s; %s" % (len(body), "%.2f s" % dt if r else "-", prober.summary()))
        if r is None:
            raise TestFailure("no answer within %.1f s (%s)" % (answer_bound + 1.0, err))
        check(200 <= r.status < 300, "got %d %r" % (r.status, r.body[:100]))
        check(dt <= answer_bound, "answer took %.2f s (bound %.1f s)" % (dt, answer_bound))
        check(not prober.errors, "a probe failed during the parse: %s" % (prober.errors[:1],))
        w = prober.worst()
        check(w is not None, "no probe ran")
        check(w <= probe_bound, "a probe took %.2f s during the parse (bound %.1f s)" % (w, probe_bound))
        assert_serving(s)


@test(timeout=30, exclusive=True)
def form_one_key_64k_times():
    big_post("application/x-www-form-urlencoded", b"&".join([b"a=1"] * 65536))


@test(timeout=30, exclusive=True)
def form_40k_distinct_keys():
    big_post("application/x-www-form-urlencoded", b"&".join(b"k%d=1" % i for i in range(40000)))


@test(timeout=30, exclusive=True)
def json_object_40k_keys():
    body = b"{" + b",".join(b'"k%d":1' % i for i in range(40000)) + b"}"
    big_post("application/json", body)


@test(timeout=40, exclusive=True)
def chunked_trickle_cpu():
    """Four connections send 400 KB chunked bodies in 10-byte chunks, ten chunks per write, a
    write per connection every ~1 ms (about 16,000 reads in ~5 s): the server must spend < 1.5 s
    of CPU on all of it (a decoder that re-reads the buffered body on every read spends ~3.5 s)."""
    n_conns, body_len, chunk, per_send = 4, 400_000, 10, 10
    piece = (b"%x\r\n" % chunk + b"x" * chunk + b"\r\n") * per_send
    n_sends = body_len // (chunk * per_send)
    head = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    with start_server("web") as s:
        assert_serving(s, what="at start")
        conns = []
        for _ in range(n_conns):
            c = Conn(s.port, 10.0)
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.send(head)
            conns.append(c)
        cpu0 = s.cpu()
        t0 = time.monotonic()
        try:
            for _ in range(n_sends):
                for c in conns:
                    c.sock.sendall(piece)
                time.sleep(0.001)
                if time.monotonic() - t0 > 20:
                    raise TestFailure("sending took over 20 s (server not reading?)")
            for c in conns:
                c.sock.sendall(b"0\r\n\r\n")
            send_time = time.monotonic() - t0
            statuses = []
            for c in conns:
                try:
                    statuses.append(c.read_response(10.0).status)
                except TestFailure as e:
                    statuses.append(str(e))
        finally:
            for c in conns:
                c.close()
        cpu = (s.cpu() or 0) - (cpu0 or 0)
        info("sent %d x %d KB in %.2f s; server CPU %.2f s; statuses %s" % (n_conns, body_len // 1000, send_time, cpu, statuses))
        check(all(st == 200 for st in statuses), "not every body was answered 200: %s" % statuses)
        check(cpu < 1.5, "server CPU %.2f s for %d trickled bodies (bound 1.5 s)" % (cpu, n_conns))
        assert_serving(s)
