"""Configuration (item 12): bad ports and bind addresses fail at start-up with a message;
AROVM_BIND=localhost binds loopback."""

import re
import time

from lib import PORT_LINE, TestFailure, check, get, info, run_app, start_server, test


def must_fail_at_start(p, mention, seconds=5.0):
    """The process must exit non-zero within `seconds` s, mentioning `mention`, without serving.
    A server that starts anyway is killed at once (it may have bound a fallback address)."""
    deadline = time.monotonic() + seconds
    rc = None
    started = False
    while time.monotonic() < deadline:
        rc = p.returncode()
        if rc is not None:
            break
        if re.search(PORT_LINE, p.stdout()):
            started = True
            break
        time.sleep(0.02)
    time.sleep(0.05)
    out = p.stdout() + "\n" + p.stderr()
    msg = " | ".join(ln.strip()[:160] for ln in out.splitlines() if ln.strip())[-300:]
    if rc is None:
        p.kill()
        if started:
            raise TestFailure("a server started instead of failing (killed at once): %s" % msg)
        raise TestFailure("still running after %.0f s: %s" % (seconds, msg))
    info("exit %s: %s" % (rc, msg))
    check(rc != 0, "exit code 0, want non-zero: %s" % msg)
    check(not re.search(PORT_LINE, out), "a server started before the failure: %s" % msg)
    check(re.search(mention, out, re.I), "the message does not mention %s: %r" % (mention, msg))


@test(timeout=15)
def config_port_env_out_of_range():
    with run_app("web", env={"ARO_HTTP_PORT": "99999"}, port=False) as p:
        must_fail_at_start(p, r"port")


@test(timeout=15)
def config_port_flag_out_of_range():
    with run_app("web", args=["--port", "70000"], port=False) as p:
        must_fail_at_start(p, r"port")


@test(timeout=15)
def config_numeric_limit_typo():
    # A limit that does not parse must stop the start, not fall back to its default.
    for name, value in [("AROVM_MAX_BODY", "1MB"), ("AROVM_WS_PING_INTERVAL_MS", "-5"),
                        ("AROVM_HANDLER_CPU_MS", "ten")]:
        with run_app("web", env={name: value}, port=False) as p:
            must_fail_at_start(p, name)


@test(timeout=15)
def config_bind_unresolvable():
    with run_app("web", env={"AROVM_BIND": "no.such.host.invalid"}, bind=False) as p:
        must_fail_at_start(p, r"bind|no\.such\.host\.invalid")


@test(timeout=15)
def config_bind_localhost():
    with start_server("web", env={"AROVM_BIND": "localhost"}, bind=False) as s:
        r = get(s.port, "/hello", timeout=3.0)
        check(r.status == 200, "GET on 127.0.0.1:%d got %d" % (s.port, r.status))
