#!/usr/bin/env bash
# Peers side by side (same loopback, same pinning, same load client): Node 20 (`http` + `ws`) and
# Python `websockets`, each serving the same behaviour as bench/apps. Installs them from the
# registries when missing (bench/peers/node: npm; websockets: pip). Prints each figure with its
# ratio to arovm's; never fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
AROVM=${AROVM:-target/release/arovm}
LOADGEN=${LOADGEN:-target/release/arovm-loadgen}
SECS=${SECS:-5}
TS0=""; TS1=""
if command -v taskset >/dev/null; then TS0="taskset -c 0"; TS1="taskset -c 1"; fi
command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
[ -d bench/peers/node/node_modules/ws ] || (cd bench/peers/node && npm install --silent --no-audit --no-fund)
python3 -c 'import websockets' 2>/dev/null || pip install -q websockets
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
ratio() { python3 -c "print('%.2f' % ($1/$2))" 2>/dev/null || echo "?"; }

a=$(free_port); n=$(free_port); p=$(free_port)
$TS0 "$AROVM" run bench/apps/ws-broadcast --bind 127.0.0.1 --port "$a" > /dev/null 2>&1 & apid=$!
$TS0 node bench/peers/node/server.js "$n" > /dev/null 2>&1 & npid=$!
$TS0 python3 bench/peers/python/server.py "$p" > /dev/null 2>&1 & ppid=$!
trap 'kill $apid $npid $ppid 2>/dev/null || true' EXIT
sleep 1.5
h=$(free_port)
$TS0 "$AROVM" run bench/apps/hello-api --bind 127.0.0.1 --port "$h" > /dev/null 2>&1 & hpid=$!
trap 'kill $apid $npid $ppid $hpid 2>/dev/null || true' EXIT
sleep 0.5
rps() { $TS1 wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:$1/hello" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
ah=$(rps "$h"); nh=$(rps "$n")
echo "== peers (loopback, server CPU 0, load CPU 1) =="
printf '%-34s %12s %12s %10s\n' scenario arovm peer "arovm/peer"
printf '%-34s %12s %12s %10s\n' "HTTP hello req/s vs Node http" "$ah" "$nh" "$(ratio "$ah" "$nh")"
for s in "broadcast 1000" "echo 100"; do
  set -- $s
  k=deliveries_per_s; [ "$1" = echo ] && k=round_trips_per_s
  av=$($TS1 "$LOADGEN" "$1" "$a" "$2" "$SECS" | field $k)
  nv=$($TS1 "$LOADGEN" "$1" "$n" "$2" "$SECS" | field $k)
  pv=$($TS1 "$LOADGEN" "$1" "$p" "$2" "$SECS" | field $k)
  printf '%-34s %12s %12s %10s\n' "WS $1 $2 vs Node ws" "$av" "$nv" "$(ratio "$av" "$nv")"
  printf '%-34s %12s %12s %10s\n' "WS $1 $2 vs Python websockets" "$av" "$pv" "$(ratio "$av" "$pv")"
done
echo "(hyper/tokio-tungstenite peers: not built yet)"
