#!/usr/bin/env bash
# Scenario 1, HTTP hello JSON through a full ARO feature set: wrk, keep-alive, 64 connections,
# SECS seconds, against arovm, the no-VM ceiling, hyper (tokio current_thread) and Node `http`.
# Then arovm's RSS with 1,000 idle keep-alive connections.
source "$(dirname "$0")/lib.sh"
echo "== HTTP hello JSON (wrk -t1 -c64 -d${SECS}s; server CPU 0, wrk CPU 1) =="
row "server" "req/s" "p50" "p99" "x arovm" "CPU us/req"
base=""
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
for s in arovm ceiling hyper node; do
  port=$(free_port)
  start_server "$s" "$port" hello-api
  c0=$(cpu_ticks "$SERVER_PID")
  $TS1 wrk -t1 -c64 -d"${SECS}s" --latency "http://127.0.0.1:$port/hello" > "/tmp/wrk.$s.txt" 2>&1 || true
  c1=$(cpu_ticks "$SERVER_PID")
  # Server CPU time per request: what a request costs even when wrk, not the server, is the limit.
  reqs=$(awk '/requests in/ {print $1}' "/tmp/wrk.$s.txt")
  cpu=$(python3 -c "print('%.2f' % (($c1-$c0)*1e6/$(getconf CLK_TCK)/$reqs))" 2>/dev/null || echo -)
  rps=$(awk '/Requests\/sec/ {print $2}' "/tmp/wrk.$s.txt")
  p50=$(awk '/ 50%/ {print $2}' "/tmp/wrk.$s.txt"); p99=$(awk '/ 99%/ {print $2}' "/tmp/wrk.$s.txt")
  [ -z "$base" ] && base=$rps
  row "$s" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base")" "$cpu"
  record http-hello "$s" cpu_us_per_req "$cpu" us
  record http-hello "$s" req_per_s "$rps" req/s
  record http-hello "$s" p99 "$p99" time
  if [ "$s" = arovm ]; then
    # RSS with 1,000 idle keep-alive connections (each has sent one request).
    before=$(rss_kib "$SERVER_PID")
    python3 - "$port" <<'PY' &
import socket, sys, time
port = int(sys.argv[1]); conns = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(4096); conns.append(s)
time.sleep(3)
PY
    hold=$!; sleep 2.5
    loaded=$(rss_kib "$SERVER_PID"); wait $hold || true
    idle_note="arovm RSS ${before} KiB idle, ${loaded} KiB with 1,000 idle keep-alive connections ($(( (loaded - before) * 1024 / 1000 )) bytes each)"
    record http-hello arovm rss_1000_keepalive_kib "$loaded" KiB
  fi
  stop_server "$SERVER_PID"
done
echo "$idle_note"
echo "goals: arovm >= 1.0x hyper, >= 0.8x the ceiling (x arovm = server's req/s / arovm's)"
