#!/usr/bin/env python3
"""The Python `websockets` client against examples/webchat on 127.0.0.1.
Prints one line per check and ends with `N passed, N failed`."""
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AROVM = os.environ.get("AROVM", os.path.join(ROOT, "target/release/arovm"))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def start():
    p = subprocess.Popen([AROVM, "run", os.path.join(ROOT, "examples/webchat"), "--port", "0", "--bind", "127.0.0.1"],
                         stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        m = re.match(r"HTTP Server started on port (\d+)", line)
        if m:
            return p, int(m.group(1))
    raise RuntimeError("server did not start")


def post(port, text):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/messages", data=json.dumps({"message": text}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, json.loads(r.read())


async def main():
    proc, port = start()
    try:
        url = f"ws://127.0.0.1:{port}/ws"
        async with websockets.connect(url) as a, websockets.connect(url) as b:
            status, body = await asyncio.get_running_loop().run_in_executor(None, post, port, "hello from python")
            check("POST /messages answers 201 with the message", status == 201 and body.get("message") == "hello from python", (status, body))
            ma = json.loads(await asyncio.wait_for(a.recv(), 5))
            mb = json.loads(await asyncio.wait_for(b.recv(), 5))
            check("both clients receive the broadcast", ma["message"] == mb["message"] == "hello from python", (ma, mb))
            check("the broadcast carries id and createdAt", "id" in ma and "createdAt" in ma, ma)
            await a.send("typed in a")
            pong = await a.ping()
            await asyncio.wait_for(pong, 5)
            check("ping answered", True)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/messages", timeout=5) as r:
            listed = json.loads(r.read())
        check("GET /messages lists the stored message", [m["message"] for m in listed["data"]] == ["hello from python"], listed)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    check("message handler logged the text", "[Handle WebSocket Message] typed in a" in out, out)
    check("two connects and two disconnects logged",
          out.count("WebSocket client connected") == 2 and out.count("WebSocket client disconnected") == 2, out)
    check("clean exit after SIGTERM", proc.returncode == 0, proc.returncode)


asyncio.run(main())
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
