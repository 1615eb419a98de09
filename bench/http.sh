#!/usr/bin/env bash
# Scenario 1, HTTP hello JSON through a full ARO feature set: wrk, keep-alive, 64 connections,
# against arovm, the no-VM ceiling, hyper (tokio current_thread) and Node `http`. The servers run
# side by side and are loaded in turn, ROUNDS times (default 3, SECS seconds each); the table
# shows medians, because this 2-vCPU VM drifts by up to ±20% between runs. Then arovm's RSS with
# 1,000 idle keep-alive connections.
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-3}
SERVERS=(arovm ceiling hyper node)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
declare -A PORT PID RPS P99 CPU
for s in "${SERVERS[@]}"; do
  PORT[$s]=$(free_port); start_server "$s" "${PORT[$s]}" hello-api; PID[$s]=$SERVER_PID
done
echo "== HTTP hello JSON (wrk -t1 -c64, $ROUNDS rounds x ${SECS}s, medians; server CPU 0, wrk CPU 1) =="
for _ in $(seq "$ROUNDS"); do
  for s in "${SERVERS[@]}"; do
    c0=$(cpu_ticks "${PID[$s]}")
    $TS1 wrk -t1 -c64 -d"${SECS}s" --latency "http://127.0.0.1:${PORT[$s]}/hello" > "/tmp/wrk.$s.txt" 2>&1 || true
    c1=$(cpu_ticks "${PID[$s]}")
    reqs=$(awk '/requests in/ {print $1}' "/tmp/wrk.$s.txt")
    # Server CPU time per request: what a request costs even when wrk, not the server, is the limit.
    RPS[$s]+=" $(awk '/Requests\/sec/ {print $2}' "/tmp/wrk.$s.txt")"
    P99[$s]+=" $(awk '/ 99%/ {v=$2; if (v ~ /ms$/) v=v*1000; else if (v ~ /us$/) v=v+0; else if (v ~ /s$/) v=v*1e6; print v}' "/tmp/wrk.$s.txt")"
    CPU[$s]+=" $(python3 -c "print('%.2f' % (($c1-$c0)*1e6/$(getconf CLK_TCK)/$reqs))" 2>/dev/null || echo -)"
  done
done
row "server" "req/s" "p99 us" "CPU us/req" "x arovm" "runs req/s"
base=$(median ${RPS[arovm]})
for s in "${SERVERS[@]}"; do
  rps=$(median ${RPS[$s]}); p99=$(median ${P99[$s]}); cpu=$(median ${CPU[$s]})
  row "$s" "$rps" "$p99" "$cpu" "$(ratio "$rps" "$base")" "$(echo ${RPS[$s]} | tr ' ' '/')"
  record http-hello "$s" req_per_s "$rps" req/s
  record http-hello "$s" p99_us "$p99" us
  record http-hello "$s" cpu_us_per_req "$cpu" us
done

# RSS with 1,000 idle keep-alive connections (each has sent one request).
before=$(rss_kib "${PID[arovm]}")
python3 - "${PORT[arovm]}" <<'PY' &
import socket, sys, time
port = int(sys.argv[1]); conns = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(4096); conns.append(s)
time.sleep(3)
PY
hold=$!; sleep 2.5
loaded=$(rss_kib "${PID[arovm]}"); wait $hold || true
echo "arovm RSS ${before} KiB after the load, ${loaded} KiB with 1,000 idle keep-alive connections"
record http-hello arovm rss_1000_keepalive_kib "$loaded" KiB
echo "goals: arovm >= 1.0x hyper, >= 0.8x the ceiling (x arovm = server's req/s / arovm's)"
