"""HTTP/1.1 framing attacks: chunk-size overflow (item 1), request smuggling per RFC 9112 (item 5),
invalid UTF-8 in a JSON body (item 10)."""

import select
import time

from lib import TestFailure, check, exchange, info, req, start_server, test, assert_serving, Conn


def expect(server, raw, want, closed=False, timeout=5.0, within=None):
    """Sends `raw` on a fresh connection; the answer's status must be in `want` (an int or a
    tuple), within `within` s if given; with `closed` the server must then close the connection.
    Afterwards the server must still answer a normal GET. Returns the response."""
    wants = want if isinstance(want, tuple) else (want,)
    t0 = time.monotonic()
    try:
        r, c = exchange(server.port, raw, timeout)
    except TestFailure as e:
        if not server.alive():
            raise TestFailure("server died (exit %s): %s" % (server.returncode(), server.tails(200)))
        raise TestFailure("want %s: %s" % ("/".join(map(str, wants)), e))
    dt = time.monotonic() - t0
    try:
        check(r.status in wants, "want %s, got %d %r" % ("/".join(map(str, wants)), r.status, r.body[:100]))
        if within is not None:
            check(dt <= within, "answer took %.2f s (bound %.1f s)" % (dt, within))
        if closed:
            check(c.closed_within(2.0), "connection left open after the %d" % r.status)
    finally:
        c.close()
    assert_serving(server)
    return r


POST_CHUNKED = b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


# ---------------------------------------------------------------- item 1: chunk-size overflow


@test(timeout=15)
def chunk_size_overflow_ffff():
    """A chunk size of 2^64-1 after a first chunk must not wrap the running length."""
    with start_server("web") as s:
        expect(s, POST_CHUNKED + b"1\r\na\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n", (400, 413), closed=True)


@test(timeout=15)
def chunk_size_overflow_fffe():
    with start_server("web") as s:
        expect(s, POST_CHUNKED + b"2\r\nab\r\nfffffffffffffffe\r\nabc\r\n0\r\n\r\n", (400, 413), closed=True)


@test(timeout=15)
def chunk_size_overflow_many_digits():
    """More hex digits than 64 bits hold."""
    with start_server("web") as s:
        expect(s, POST_CHUNKED + b"10000000000000000a\r\nabc\r\n0\r\n\r\n", 400, closed=True)


# ---------------------------------------------------------------- item 5: Content-Length


@test(timeout=15)
def smuggle_content_length_conflict():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
    with start_server("web") as s:
        expect(s, raw, 400, closed=True)


@test(timeout=15)
def smuggle_content_length_conflict_one_line():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!"
    with start_server("web") as s:
        expect(s, raw, 400, closed=True)


@test(timeout=15)
def content_length_identical_duplicates_ok():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    with start_server("web") as s:
        expect(s, raw, 200)


@test(timeout=15)
def smuggle_content_length_plus_sign():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"
    with start_server("web") as s:
        expect(s, raw, 400, closed=True)


# ---------------------------------------------------------------- item 5: Transfer-Encoding


@test(timeout=15)
def smuggle_te_xchunked_501():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    with start_server("web") as s:
        expect(s, raw, 501, closed=True)


@test(timeout=15)
def smuggle_te_gzip_chunked_501():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    with start_server("web") as s:
        expect(s, raw, 501, closed=True)


@test(timeout=15)
def smuggle_te_chunked_not_final_400():
    raw = b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    with start_server("web") as s:
        expect(s, raw, 400, closed=True)


@test(timeout=15)
def smuggle_te_two_lines():
    """`chunked` on one line, `gzip` on a second: the codings are `chunked, gzip`, not chunked."""
    raw = (
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    )
    with start_server("web") as s:
        expect(s, raw, (400, 501), closed=True)


@test(timeout=15)
def smuggle_chunk_size_plus_sign():
    with start_server("web") as s:
        expect(s, POST_CHUNKED + b"+3\r\nabc\r\n0\r\n\r\n", 400, closed=True)


@test(timeout=15)
def smuggle_chunk_size_spaces():
    with start_server("web") as s:
        expect(s, POST_CHUNKED + b" 3 \r\nabc\r\n0\r\n\r\n", 400, closed=True)


@test(timeout=15)
def chunked_bare_lf_answered_fast():
    """Bare LF line endings in a chunked body: 400 at once, not a 408 after the head timeout."""
    with start_server("web") as s:
        expect(s, POST_CHUNKED + b"3\nabc\n0\n\n", 400, closed=True, timeout=4.0, within=2.0)


# ---------------------------------------------------------------- item 5: Host, target


@test(timeout=15)
def host_missing_http11_400():
    with start_server("web") as s:
        expect(s, b"GET /hello HTTP/1.1\r\n\r\n", 400)


@test(timeout=15)
def host_duplicate_400():
    with start_server("web") as s:
        expect(s, b"GET /hello HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400)


@test(timeout=15)
def host_missing_http10_ok():
    with start_server("web") as s:
        r = expect(s, b"GET /hello HTTP/1.0\r\n\r\n", 200)
        check(b"Hello World" in r.body, "unexpected body %r" % r.body[:100])


@test(timeout=15)
def absolute_form_target_routed():
    with start_server("web") as s:
        r = expect(s, b"GET http://localhost/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 200)
        check(b"Hello World" in r.body, "absolute-form not routed like /hello: %r" % r.body[:100])


@test(timeout=15)
def space_in_target_400():
    with start_server("web") as s:
        expect(s, b"GET /he llo HTTP/1.1\r\nHost: x\r\n\r\n", 400)


# ---------------------------------------------------------------- item 5: slow heads and bodies


@test(timeout=20)
def stalled_second_head_408():
    """One complete request, then half a head that stalls: 408 and close after the head timeout."""
    with start_server("web", env={"AROVM_HEAD_TIMEOUT_MS": "500"}) as s:
        c = Conn(s.port, 5.0)
        try:
            c.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hel")
            t0 = time.monotonic()
            r1 = c.read_response(3.0)
            check(r1.status == 200, "first request got %d" % r1.status)
            try:
                r2 = c.read_response(4.0)
            except TestFailure as e:
                raise TestFailure("no 408 for the stalled head: %s" % e)
            dt = time.monotonic() - t0
            info("408 after %.2f s" % dt)
            check(r2.status == 408, "stalled head got %d, want 408" % r2.status)
            check(dt <= 3.0, "408 came after %.2f s (head timeout 0.5 s, bound 3 s)" % dt)
            check(c.closed_within(2.0), "connection left open after the 408")
        finally:
            c.close()
        assert_serving(s)


@test(timeout=20)
def trickled_body_408():
    """A body sent a byte at a time, then not at all: 408 and close (AROVM_BODY_TIMEOUT_MS=500)."""
    with start_server("web", env={"AROVM_BODY_TIMEOUT_MS": "500"}) as s:
        c = Conn(s.port, 5.0)
        try:
            c.send(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
            t0 = time.monotonic()
            for _ in range(15):  # 1.5 s of one byte per 100 ms, then silence
                try:
                    c.sock.send(b"a")
                except OSError:
                    break
                rd, _, _ = select.select([c.sock], [], [], 0.1)
                if rd:
                    break
            try:
                r = c.read_response(4.0)
            except TestFailure as e:
                raise TestFailure("no 408 for the trickled body: %s" % e)
            dt = time.monotonic() - t0
            info("answer after %.2f s" % dt)
            check(r.status == 408, "trickled body got %d, want 408" % r.status)
            check(c.closed_within(2.0), "connection left open after the 408")
        finally:
            c.close()
        assert_serving(s)


# ---------------------------------------------------------------- item 10: JSON input


@test(timeout=15)
def json_invalid_utf8_400():
    body = b'{"text":"\xff\xfe"}'
    raw = req("POST", "/x", [("Content-Type", "application/json"), ("Connection", "close")], body)
    with start_server("web") as s:
        expect(s, raw, 400)
