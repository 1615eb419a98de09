#!/usr/bin/env python3
"""Runs the attack suite: `python3 tests/attack/run.py [-j N] [--list] [FILTER ...]`.

Every test runs in its own Python process (its own session), killed with everything it started
when it overruns its timeout. Tests that measure time, CPU or memory run alone; the others run
`-j` at a time (default 3). A FILTER selects the tests whose name contains it.
Prints `PASS name` / `FAIL name: reason`, then "N passed, M failed"; exits 1 on any failure.
"""

import glob
import importlib
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the tree

import lib  # noqa: E402

GRACE = 10  # seconds past a test's own timeout before the runner kills it


def load():
    for path in sorted(glob.glob(os.path.join(HERE, "t_*.py"))):
        importlib.import_module(os.path.basename(path)[:-3])
    return lib.TESTS


def run_single(name):
    """Child mode: run one test, print INFO lines and one RESULT line."""
    tests = load()
    t = tests[name]
    t0 = time.monotonic()
    try:
        t["fn"]()
        result = "RESULT PASS"
    except lib.TestFailure as e:
        result = "RESULT FAIL " + " ".join(str(e).split())
    except Exception as e:  # a bug in the test or an unexpected socket error
        result = "RESULT FAIL %s: %s" % (e.__class__.__name__, " ".join(str(e).split()))
    finally:
        lib.kill_all()
    took = time.monotonic() - t0
    if took >= 1.0:
        print("INFO took %.1f s" % took, flush=True)
    print(result, flush=True)
    sys.stdout.flush()
    os._exit(0)


class Job:
    def __init__(self, name, spec):
        self.name = name
        self.spec = spec
        self.start = time.monotonic()
        self.limit = spec["timeout"] + GRACE
        self.p = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--single", name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def poll(self):
        """None while running; else (ok, reason, info_lines)."""
        if self.p.poll() is None:
            if time.monotonic() - self.start > self.limit:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
                self._reap_group()
                return False, "test overran its %ss timeout (killed)" % self.spec["timeout"], []
            return None
        self._reap_group()
        out = self.p.stdout.read().decode("utf-8", "replace")
        infos = [ln[5:] for ln in out.splitlines() if ln.startswith("INFO ")]
        results = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
        if not results:
            tail = " | ".join(out.strip().splitlines()[-3:])
            return False, "test process ended without a result (exit %s): %s" % (self.p.returncode, tail), infos
        r = results[-1]
        if r == "RESULT PASS":
            return True, "", infos
        return False, r[len("RESULT FAIL ") :], infos

    def _reap_group(self):
        # Anything the test left behind in its session (an arovm it could not stop) goes too.
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def main(argv):
    jobs_n = 3
    filters = []
    listing = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--single":
            run_single(argv[i + 1])
            return 0
        if a == "-j":
            jobs_n = max(1, int(argv[i + 1]))
            i += 2
            continue
        if a == "--list":
            listing = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            filters.append(a)
        i += 1

    tests = load()
    names = [n for n in tests if not filters or any(f in n for f in filters)]
    if listing:
        for n in names:
            t = tests[n]
            print("%-45s timeout %3ss%s" % (n, t["timeout"], "  (alone)" if t["exclusive"] else ""))
        return 0
    if not names:
        print("no test matches %s" % " ".join(filters))
        return 1
    binary = lib.arovm_path()
    if not os.access(binary, os.X_OK):
        print("arovm binary not found at %s (set AROVM or run make build)" % binary)
        return 1
    print("arovm: %s" % binary, flush=True)

    shared = [n for n in names if not tests[n]["exclusive"]]
    alone = [n for n in names if tests[n]["exclusive"]]
    passed, failed = [], []
    t0 = time.monotonic()

    def report(job, res):
        ok, reason, infos = res
        if ok:
            passed.append(job.name)
            print("PASS %s" % job.name, flush=True)
        else:
            failed.append(job.name)
            print("FAIL %s: %s" % (job.name, reason), flush=True)
        for ln in infos:
            print("     %s" % ln, flush=True)

    running = []

    def drive(queue, width):
        while queue or running:
            while queue and len(running) < width:
                n = queue.pop(0)
                running.append(Job(n, tests[n]))
            still = []
            for j in running:
                res = j.poll()
                if res is None:
                    still.append(j)
                else:
                    report(j, res)
            running[:] = still
            time.sleep(0.05)

    try:
        drive(list(shared), jobs_n)
        drive(list(alone), 1)
    except KeyboardInterrupt:
        for j in running:
            j._reap_group()
        print("interrupted")
        return 130
    print("%d passed, %d failed (%.0f s)" % (len(passed), len(failed), time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
