#!/usr/bin/env bash
# WebSocket scenarios of `make bench` (loopback, server on CPU 0, load client on CPU 1, bounded):
# broadcast 1 -> 100 and 1 -> 1,000 (deliveries/s, p50/p99 delivery latency, one message in
# flight), echo with 100 connections (round trips/s), 10,000 idle connections (accept + upgrade
# time, RSS and bytes per connection). Prints figures; never fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
AROVM=${AROVM:-target/release/arovm}
LOADGEN=${LOADGEN:-target/release/arovm-loadgen}
SECS=${SECS:-5}
TS0=""; TS1=""
if command -v taskset >/dev/null; then TS0="taskset -c 0"; TS1="taskset -c 1"; fi
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
csv=bench/results/ws.csv
mkdir -p bench/results; [ -f "$csv" ] || echo "date,rev,line" > "$csv"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ulimit -n 65536 2>/dev/null || true
$TS0 "$AROVM" run bench/apps/ws-broadcast --bind 127.0.0.1 --port "$port" > /dev/null 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 0.5
echo "== WebSocket (arovm, rev $rev) =="
for line in "$($TS1 "$LOADGEN" broadcast "$port" 100 "$SECS")" \
            "$($TS1 "$LOADGEN" broadcast "$port" 1000 "$SECS")" \
            "$($TS1 "$LOADGEN" echo "$port" 100 "$SECS")"; do
  echo "$line"; echo "$(date -u +%FT%TZ),$rev,$line" >> "$csv"
done
base=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
$TS1 "$LOADGEN" idle "$port" 10000 6 > /tmp/idle.txt & lpid=$!
sleep 5
loaded=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
wait $lpid || true
line="$(cat /tmp/idle.txt) rss_before_kib=$base rss_with_conns_kib=$loaded bytes_per_conn=$(( (loaded - base) * 1024 / 10000 ))"
echo "$line"; echo "$(date -u +%FT%TZ),$rev,$line" >> "$csv"
sleep 1
echo "rss_after_close_kib=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)"

# TCP sockets beside the WebSocket figures: echo with 100 connections, broadcast to 1,000 clients.
sport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
ARO_SOCKET_PORT=$sport $TS0 "$AROVM" run bench/apps/tcp --bind 127.0.0.1 > /dev/null 2>&1 & tpid=$!
trap 'kill $pid $tpid 2>/dev/null || true' EXIT
sleep 0.5
echo "== TCP sockets (arovm) =="
for line in "$($TS1 "$LOADGEN" tcp-echo "$sport" 100 "$SECS")" \
            "$($TS1 "$LOADGEN" tcp-broadcast "$sport" 1000 "$SECS")"; do
  echo "$line"; echo "$(date -u +%FT%TZ),$rev,$line" >> "$csv"
done
