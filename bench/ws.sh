#!/usr/bin/env bash
# WebSocket scenarios against arovm, the no-VM ceiling, tokio-tungstenite (hyper peer), Node `ws`,
# Python `websockets` (the ceiling and Python have no POST route: left out of scenario 2):
#  2. POST /messages -> Store -> Broadcast to 100 /ws listeners (16 posting connections)
#  3. broadcast 1 sender -> 100 and -> 1,000 receivers, 1 message in flight (latency) and 16 in
#     flight (throughput); latency from the sender's timestamp in the payload
#  4. echo, 100 connections
#  5. 10,000 idle connections: RSS and bytes per connection (without Python: see below)
source "$(dirname "$0")/lib.sh"

echo "== POST /messages -> Store -> Broadcast to 100 listeners (16 posters, ${SECS}s) =="
row "server" "posts/s" "deliveries/s" "p50 us" "p99 us" "x arovm"
base=""
for s in arovm hyper node; do
  port=$(free_port); start_server "$s" "$port" chat
  line=$($TS1 "$LOADGEN" post-broadcast "$port" 100 "$SECS" 16)
  stop_server "$SERVER_PID"
  d=$(echo "$line" | field deliveries_per_s); [ -z "$base" ] && base=$d
  row "$s" "$(echo "$line" | field posts_per_s)" "$d" "$(echo "$line" | field p50_us)" "$(echo "$line" | field p99_us)" "$(ratio "$d" "$base")"
  record post-broadcast-100 "$s" deliveries_per_s "$d" msg/s
  record post-broadcast-100 "$s" p99_us "$(echo "$line" | field p99_us)" us
done

for spec in "100 1" "1000 1" "1000 16"; do
  set -- $spec
  echo
  echo "== WebSocket broadcast 1 -> $1, $2 in flight (${SECS}s) =="
  row "server" "deliveries/s" "p50 us" "p99 us" "x arovm"
  base=""
  for s in arovm ceiling tokio-tungstenite node python; do
    port=$(free_port); start_server "$s" "$port" ws-broadcast
    line=$($TS1 "$LOADGEN" broadcast "$port" "$1" "$SECS" "$2")
    stop_server "$SERVER_PID"
    d=$(echo "$line" | field deliveries_per_s); [ -z "$base" ] && base=$d
    row "$s" "$d" "$(echo "$line" | field p50_us)" "$(echo "$line" | field p99_us)" "$(ratio "$d" "$base")"
    record "ws-broadcast-$1-w$2" "$s" deliveries_per_s "$d" msg/s
    record "ws-broadcast-$1-w$2" "$s" p99_us "$(echo "$line" | field p99_us)" us
  done
done

echo
echo "== WebSocket echo, 100 connections (${SECS}s) =="
row "server" "round trips/s" "x arovm"
base=""
for s in arovm ceiling tokio-tungstenite node python; do
  port=$(free_port); start_server "$s" "$port" ws-broadcast
  v=$($TS1 "$LOADGEN" echo "$port" 100 "$SECS" | field round_trips_per_s)
  stop_server "$SERVER_PID"
  [ -z "$base" ] && base=$v
  row "$s" "$v" "$(ratio "$v" "$base")"
  record ws-echo-100 "$s" round_trips_per_s "$v" rt/s
done

echo
echo "== 10,000 idle WebSocket connections =="
row "server" "accept ms" "RSS before" "RSS with" "bytes/conn" "x arovm"
base=""
# Python is left out here: accepting 10,000 upgrades takes it about a minute.
for s in arovm ceiling tokio-tungstenite node; do
  port=$(free_port); start_server "$s" "$port" ws-broadcast
  before=$(rss_kib "$SERVER_PID")
  $TS1 "$LOADGEN" idle "$port" 10000 8 > /tmp/idle.$s.txt & lpid=$!
  # Sample the RSS once every connection is up (the load client prints when it is).
  for _ in $(seq 150); do [ -s /tmp/idle.$s.txt ] && break; sleep 0.1; done
  sleep 1
  with=$(rss_kib "$SERVER_PID")
  wait $lpid || true
  stop_server "$SERVER_PID"
  per=$(( (with - before) * 1024 / 10000 )); [ -z "$base" ] && base=$per
  row "$s" "$(field accept_and_upgrade_ms < /tmp/idle.$s.txt)" "$before KiB" "$with KiB" "$per" "$(ratio "$per" "$base")"
  record ws-idle-10k "$s" bytes_per_conn "$per" bytes
  record ws-idle-10k "$s" rss_kib "$with" KiB
done
echo "goals: broadcast >= 2x Node ws and >= 1.0x tokio-tungstenite (p99 no worse); <= 5 KiB per idle connection"
