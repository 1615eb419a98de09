#!/usr/bin/env bash
# TCP sockets (arovm only; the peers have no ARO socket server): echo with 100 connections and a
# broadcast to 1,000 clients, one line per message.
source "$(dirname "$0")/lib.sh"
sport=$(free_port); hport=$(free_port)
ARO_SOCKET_PORT=$sport $TS0 "$AROVM" run bench/apps/tcp --bind 127.0.0.1 --port "$hport" > /dev/null 2>&1 & pid=$!
PIDS+=("$pid"); wait_listen "$sport"
echo "== TCP sockets, arovm (${SECS}s) =="
e=$($TS1 "$LOADGEN" tcp-echo "$sport" 100 "$SECS" | field round_trips_per_s)
b=$($TS1 "$LOADGEN" tcp-broadcast "$sport" 1000 "$SECS")
row "echo, 100 connections" "$e rt/s"
row "broadcast 1 -> 1,000" "$(echo "$b" | field deliveries_per_s) msg/s" "p99 $(echo "$b" | field p99_us) us"
# A client that never got a message (the listen backlog overflowed on a busy machine): not comparable.
case "$b" in *stalled=1*) echo "(the broadcast stalled: a client got no message for 10 s; the figure is not comparable)" ;; esac
record tcp-echo-100 arovm round_trips_per_s "$e" rt/s
record tcp-broadcast-1000 arovm deliveries_per_s "$(echo "$b" | field deliveries_per_s)" msg/s
