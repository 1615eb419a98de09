#!/usr/bin/env bash
# `make autobahn`: the real Autobahn|Testsuite (fuzzingclient, cases 1–10) against arovm running
# examples/ws-echo on a free loopback port; compares with expected-results.json (any case worse
# than expected fails and is named). setup.sh/run.sh are the shared recipe, taken in as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
AROVM=${AROVM:-target/release/arovm}
OUT=${AUTOBAHN_OUT:-target/autobahn}
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$AROVM" build examples/ws-echo -o target/ws-echo.arob >/dev/null
"$AROVM" target/ws-echo.arob --bind 127.0.0.1 --port "$port" > target/autobahn-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q "HTTP Server started" target/autobahn-server.log 2>/dev/null && break
  sleep 0.1
done
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
rm -rf "$OUT"
bash autobahn/run.sh 127.0.0.1 "$port" '*' "$OUT" > target/autobahn-run.log 2>&1 || true
tail -n 4 target/autobahn-run.log | head -n 1
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo "?")
echo "server RSS before: ${rss_before} KiB, after the run: ${rss_after} KiB"
if ! curl -s -o /dev/null "http://127.0.0.1:$port/ws"; then
  echo "server no longer answering; the end of its log:"; tail -n 20 target/autobahn-server.log
  exit 1
fi
python3 autobahn/compare.py "$OUT" autobahn/expected-results.json || {
  echo "the end of the server log:"; tail -n 20 target/autobahn-server.log; exit 1; }
