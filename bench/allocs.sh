#!/usr/bin/env bash
# Heap allocations of arovm per handled WebSocket message, per delivered frame and per HTTP
# request (issue 18: "no heap allocation per delivered frame, a small fixed number per handled
# message"). arovm is built with `--features count-allocs` (a counting global allocator) into
# target/count-allocs and run with `--admin`; the load client reads arovm_heap_allocations_total
# from /metrics once every client is connected and again after the last delivery. The counting
# build is slower: none of these runs is timed or compared.
source "$(dirname "$0")/lib.sh"
COUNTING=target/count-allocs/release/arovm
${CARGO:-cargo} build --release --quiet -p arovm --features count-allocs --target-dir target/count-allocs

# start_counting APP [FLAG...]: the counting arovm serving bench/apps/APP on PORT, admin on APORT.
start_counting() {
  local app=$1; shift
  PORT=$(free_port); APORT=$(free_port)
  $TS0 "$COUNTING" run "bench/apps/$app" --bind 127.0.0.1 --port "$PORT" --admin "127.0.0.1:$APORT" "$@" >/dev/null 2>&1 &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  wait_listen "$PORT" && wait_listen "$APORT"
}

# allocs_now: "ALLOCATIONS BYTES" from the admin /metrics of the counting arovm.
allocs_now() {
  python3 - "$APORT" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
v = {l.split()[0]: l.split()[1] for l in text.splitlines() if l.startswith("arovm_heap_")}
print(v.get("arovm_heap_allocations_total", "-"), v.get("arovm_heap_allocated_bytes_total", "-"))
PY
}

# div A B [DIGITS]: A/B ("-" when either is missing or B is zero).
div() { python3 -c "import sys
try: print('%.*f' % (int(sys.argv[3]), float(sys.argv[1])/float(sys.argv[2])))
except Exception: print('-')" "${1:-}" "${2:-}" "${3:-2}"; }

echo "== heap allocations (arovm --features count-allocs, not timed; ${SECS}s each) =="
row "scenario" "messages" "frames" "allocations" "per message" "per frame" "bytes/msg"
declare -A M F A
for spec in "chat 16 16 chat-16-w16" "broadcast 100 16 broadcast-100-w16"; do
  set -- $spec
  start_counting ws-broadcast
  line=$(LOADGEN_METRICS_PORT=$APORT $TS1 timeout $((SECS + 120)) "$LOADGEN" "$1" "$PORT" "$2" "$SECS" "$3" 2>/dev/null || true)
  stop_server "$SERVER_PID"
  m=$(echo "$line" | field messages); f=$(echo "$line" | field frames); a=$(echo "$line" | field allocs)
  M[$4]=$m; F[$4]=$f; A[$4]=$a
  pm=$(div "$a" "$m"); pf=$(div "$a" "$f")
  if [ "$1" = chat ]; then label="chat room, $3 in flight"; else label="1 -> $2, $3 in flight"; fi
  row "$label" "$m" "$f" "$a" "$pm" "$pf" "$(div "$(echo "$line" | field alloc_bytes)" "$m" 0)"
  record "allocs-$4" arovm allocs_per_message "$pm" allocs
  record "allocs-$4" arovm allocs_per_frame "$pf" allocs
done
# Both runs together: allocations = x * messages + y * frames (two equations, two unknowns); the
# chat room delivers 16 frames per message, the broadcast 101.
fit=$(python3 -c "import sys
try:
    m1, f1, a1, m2, f2, a2 = map(float, sys.argv[1:])
    det = m1 * f2 - m2 * f1
    print('%.1f %.3f' % ((a1 * f2 - a2 * f1) / det, (m1 * a2 - m2 * a1) / det))
except Exception: print('- -')" "${M[chat-16-w16]:-}" "${F[chat-16-w16]:-}" "${A[chat-16-w16]:-}" \
  "${M[broadcast-100-w16]:-}" "${F[broadcast-100-w16]:-}" "${A[broadcast-100-w16]:-}")
set -- $fit
echo "fit over both runs: $1 allocations per handled message + $2 per delivered frame"
record allocs-fit arovm allocs_per_message "$1" allocs
record allocs-fit arovm allocs_per_frame "$2" allocs
fit_msg=$1; fit_frame=$2

echo
row "HTTP hello (wrk -t1 -c16)" "requests" "allocations" "per request"
for log in on off; do
  flags=(); [ "$log" = off ] && flags=(--no-access-log)
  start_counting hello-api "${flags[@]}"
  a0=$(allocs_now | cut -d' ' -f1)
  $TS1 wrk -t1 -c16 -d"${SECS}s" "http://127.0.0.1:$PORT/hello" > /tmp/wrk.allocs.txt 2>&1 || true
  a1=$(allocs_now | cut -d' ' -f1)
  stop_server "$SERVER_PID"
  n=$(awk '/requests in/ {print $1}' /tmp/wrk.allocs.txt)
  d=$(python3 -c "import sys
try: print(int(sys.argv[2]) - int(sys.argv[1]))
except Exception: print('-')" "$a0" "$a1")
  pr=$(div "$d" "$n" 1)
  row "access log $log" "${n:--}" "$d" "$pr"
  record http-hello arovm "allocs_per_request_log_$log" "$pr" allocs
done
echo "goals: no heap allocation per delivered frame (fit < 0.1): $(meets "$fit_frame" le 0.1) ($fit_frame); a small fixed number per handled message: $fit_msg"
