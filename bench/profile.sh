#!/usr/bin/env bash
# `make profile SCENARIO=…`: runs one bench scenario against an arovm built with the `profiling`
# cargo profile (release + debug info + frame pointers) under `perf record -g`, then writes
#   bench/profiles/SCENARIO.svg      a flame graph (inferno)
#   bench/profiles/SCENARIO.top.txt  the 20 hottest functions by self time, and arovm's own
#                                    per-feature-set / per-action table (--profile-actions)
# Where the kernel forbids perf events it falls back to `valgrind --tool=callgrind` and says so
# (top-20 from callgrind_annotate; no flame graph). Loopback only; every load is bounded.
# Scenarios: http, post-broadcast, ws-broadcast, ws-chat, ws-echo, tcp-echo.
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${SCENARIO:-${1:-http}}
SECS=${SECS:-5}
out=bench/profiles
mkdir -p "$out"
export PATH="$HOME/.cargo/bin:$PATH"

case "$SCENARIO" in
  http|post-broadcast|ws-broadcast|ws-chat|ws-echo|tcp-echo) ;;
  *) echo "unknown SCENARIO '$SCENARIO' (http, post-broadcast, ws-broadcast, ws-chat, ws-echo, tcp-echo)" >&2; exit 2 ;;
esac

echo "== building arovm with the profiling profile (frame pointers) and the load client"
RUSTFLAGS="-C force-frame-pointers=yes" cargo build --quiet --profile profiling -p arovm
cargo build --quiet --release -p arovm-loadgen
AROVM=target/profiling/arovm
LOADGEN=target/release/arovm-loadgen
command -v inferno-flamegraph >/dev/null || cargo install --quiet --locked inferno
if [ "$SCENARIO" = http ]; then
  command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
fi

TS0=""; TS1=""
if command -v taskset >/dev/null; then TS0="taskset -c 0"; TS1="taskset -c 1"; fi
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port); sport=$(free_port)

app=bench/apps/ws-broadcast
case "$SCENARIO" in
  http) app=bench/apps/hello-api ;;
  post-broadcast) app=bench/apps/chat ;;
  tcp-echo) app=bench/apps/tcp ;;
esac

tool=${PROFILE_TOOL:-perf}   # PROFILE_TOOL=callgrind forces the fallback
if [ "$tool" = perf ] && ! perf record -q -o /dev/null -- true >/dev/null 2>&1; then
  tool=callgrind
  command -v valgrind >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq valgrind >/dev/null; }
  echo "perf events are not allowed here (kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)); falling back to valgrind --tool=callgrind (no flame graph)"
fi
if [ "$tool" = callgrind ]; then
  command -v valgrind >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq valgrind >/dev/null; }
fi

actions="$out/$SCENARIO.actions.txt"
server=("$AROVM" run "$app" --bind 127.0.0.1 --port "$port" --profile-actions)
case "$tool" in
  perf) ARO_SOCKET_PORT=$sport $TS0 perf record -q -F 1999 -g -o "$out/$SCENARIO.perf.data" -- "${server[@]}" >/dev/null 2>"$actions" & ;;
  callgrind) ARO_SOCKET_PORT=$sport $TS0 valgrind -q --tool=callgrind --callgrind-out-file="$out/$SCENARIO.callgrind" "${server[@]}" >/dev/null 2>"$actions" & ;;
esac
rec=$!
# Wait until the server listens (the recorder starts it).
for _ in $(seq 100); do
  if python3 -c "import socket,sys;socket.create_connection(('127.0.0.1',int(sys.argv[1])),0.2)" "$port" 2>/dev/null; then break; fi
  sleep 0.1
done

echo "== load: $SCENARIO for ${SECS}s"
case "$SCENARIO" in
  http) $TS1 wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:$port/hello" | grep -E 'Requests/sec|Latency' ;;
  post-broadcast) $TS1 "$LOADGEN" post-broadcast "$port" 100 "$SECS" ;;
  ws-broadcast) $TS1 "$LOADGEN" broadcast "$port" 1000 "$SECS" ;;
  ws-chat) $TS1 "$LOADGEN" chat "$port" 16 "$SECS" 16 ;;
  ws-echo) $TS1 "$LOADGEN" echo "$port" 100 "$SECS" ;;
  tcp-echo) $TS1 "$LOADGEN" tcp-echo "$sport" 100 "$SECS" ;;
esac

# Stop the server gracefully so it prints its action table and the recorder finishes.
pkill -INT -f "target/profiling/arovm run $app --bind 127.0.0.1 --port $port" || true
wait "$rec" || true

top="$out/$SCENARIO.top.txt"
{
  echo "# $SCENARIO: 20 hottest functions by self time ($tool), rev $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
  if [ "$tool" = perf ]; then
    perf script -i "$out/$SCENARIO.perf.data" 2>/dev/null | inferno-collapse-perf > "$out/$SCENARIO.folded"
    inferno-flamegraph --title "arovm: $SCENARIO" < "$out/$SCENARIO.folded" > "$out/$SCENARIO.svg"
    python3 - "$out/$SCENARIO.folded" <<'PY'
import collections, sys
self_time = collections.Counter(); total = 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    leaf = stack.split(";")[-1]
    self_time[leaf] += int(n); total += int(n)
for name, n in self_time.most_common(20):
    print("%6.2f%%  %s" % (100.0 * n / max(total, 1), name[:150]))
PY
  else
    callgrind_annotate "$out/$SCENARIO.callgrind" 2>/dev/null > "$out/$SCENARIO.annotate" || true
    grep -E '^ *[0-9,]+ \(' "$out/$SCENARIO.annotate" | sed -n 2,21p || true
  fi
  echo
  echo "# arovm --profile-actions"
  cat "$actions"
} > "$top"
cat "$top"
[ "$tool" = perf ] && echo "flame graph: $out/$SCENARIO.svg"
echo "top-20 and action table: $top"
