#!/usr/bin/env bash
# HTTP scenario of `make bench`: wrk (64 keep-alive connections, 10 s) against the hello JSON route
# of arovm and of the no-VM ceiling, server pinned to CPU 0 and wrk to CPU 1; then RSS of arovm
# with 1,000 idle keep-alive connections. Prints figures; never fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
AROVM=${AROVM:-target/release/arovm}
CEILING=${CEILING:-target/release/arovm-ceiling}
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
TS0=""; TS1=""
if command -v taskset >/dev/null; then TS0="taskset -c 0"; TS1="taskset -c 1"; fi
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
csv=bench/results/http.csv
mkdir -p bench/results; [ -f "$csv" ] || echo "date,rev,server,metric,value,unit" > "$csv"
record() { echo "$(date -u +%FT%TZ),$rev,$1,$2,$3,$4" >> "$csv"; }

run_wrk() { # name port -> prints "reqs p50 p99"
  $TS1 wrk -t1 -c64 -d"$DURATION" --latency "http://127.0.0.1:$2/hello" > /tmp/wrk.$1.txt 2>&1 || true
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' /tmp/wrk.$1.txt)
  p50=$(awk '/ 50%/ {print $2}' /tmp/wrk.$1.txt)
  p99=$(awk '/ 99%/ {print $2}' /tmp/wrk.$1.txt)
  echo "$rps $p50 $p99"
}

port=$(free_port)
$TS0 "$AROVM" run bench/apps/hello-api --bind 127.0.0.1 --port "$port" > /dev/null 2>&1 & apid=$!
cport=$(free_port)
$TS0 "$CEILING" "$cport" > /dev/null 2>&1 & cpid=$!
trap 'kill $apid $cpid 2>/dev/null || true' EXIT
sleep 0.5
read -r a_rps a_p50 a_p99 < <(run_wrk arovm "$port")
read -r c_rps c_p50 c_p99 < <(run_wrk ceiling "$cport")
ratio=$(python3 -c "print('%.2f' % ($a_rps/$c_rps))" 2>/dev/null || echo "?")
echo "== HTTP hello JSON (wrk -c64, $DURATION, server on CPU 0, wrk on CPU 1) =="
printf '%-22s %12s %10s %10s %8s\n' server req/s p50 p99 ratio
printf '%-22s %12s %10s %10s %8s\n' arovm "$a_rps" "$a_p50" "$a_p99" "1.00"
printf '%-22s %12s %10s %10s %8s\n' "ceiling (no VM)" "$c_rps" "$c_p50" "$c_p99" "$(python3 -c "print('%.2f' % ($c_rps/$a_rps))" 2>/dev/null || echo ?)"
echo "arovm / ceiling = $ratio (goal >= 0.8)"
record arovm req_per_s "$a_rps" req/s; record arovm p99 "$a_p99" time
record ceiling req_per_s "$c_rps" req/s; record ceiling p99 "$c_p99" time

# RSS with 1,000 idle keep-alive connections (each has sent one request).
ulimit -n 65536 2>/dev/null || true
base=$(awk '/VmRSS/ {print $2}' /proc/$apid/status)
python3 - "$port" <<'PY' &
import socket, sys, time
port = int(sys.argv[1]); conns = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(4096); conns.append(s)
time.sleep(3)
PY
hold=$!
sleep 2.5
loaded=$(awk '/VmRSS/ {print $2}' /proc/$apid/status)
wait $hold || true
per=$(python3 -c "print('%.0f' % (($loaded-$base)*1024/1000))")
echo "RSS idle: ${base} KiB; with 1,000 idle keep-alive connections: ${loaded} KiB (${per} bytes per connection)"
record arovm rss_1000_idle_kib "$loaded" KiB
