# Shared helpers for the bench scripts (sourced). Everything is loopback; the server runs on
# CPU 0 and the load on CPU 1 when `taskset` exists. Figures go to stdout and, one row each, to
# bench/results/bench.csv: date,rev,scenario,server,metric,value,unit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
AROVM=${AROVM:-target/release/arovm}
LOADGEN=${LOADGEN:-target/release/arovm-loadgen}
CEILING=${CEILING:-target/release/arovm-ceiling}
PEER_RUST=${PEER_RUST:-bench/peers/rust/target/release/peer-rust}
SECS=${SECS:-5}
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
CSV=bench/results/bench.csv
mkdir -p bench/results
[ -f "$CSV" ] || echo "date,rev,scenario,server,metric,value,unit" > "$CSV"
# The Python interpreter itself: a version manager's shim (pyenv) costs ~0.2 s per call, and the
# scripts call python3 for every port, ratio and median.
PY3=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)
python3() { "$PY3" "$@"; }
TS0=""; TS1=""
if command -v taskset >/dev/null; then TS0="taskset -c 0"; TS1="taskset -c 1"; fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# record SCENARIO SERVER METRIC VALUE UNIT
record() { echo "$(date -u +%FT%TZ),$REV,$1,$2,$3,$4,$5" >> "$CSV"; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# wait_listen PORT: until a TCP connect succeeds (at most 10 s; bash's /dev/tcp).
wait_listen() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2; return 1
}

# field KEY: the value of KEY=... in a loadgen line on stdin.
field() { sed -n "s/.*[ ^]$1=\([0-9.]*\).*/\1/p" | head -1; }

# ratio A B: A/B with two decimals ("-" when either is missing or zero).
ratio() { python3 -c "import sys
try: print('%.2f' % (float(sys.argv[1])/float(sys.argv[2])))
except Exception: print('-')" "${1:-}" "${2:-}"; }

# median VALUE...: the median with two decimals, ignoring missing values ("-" when none).
median() { python3 -c "import statistics,sys;v=[float(x) for x in sys.argv[1:] if x not in ('','-')];print(('%.2f' % statistics.median(v)) if v else '-')" "$@"; }

# meets VALUE le|ge LIMIT: "met" or "not met" ("n/a" when VALUE is missing).
meets() { python3 -c "import sys
try:
    v, lim = float(sys.argv[1]), float(sys.argv[3])
    print('met' if (v <= lim if sys.argv[2] == 'le' else v >= lim) else 'not met')
except Exception: print('n/a')" "${1:-}" "$2" "$3"; }

# rss_kib PID: resident set of a process.
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_server NAME PORT [APP]: starts one server of the comparison on CPU 0; sets SERVER_PID.
# arovm runs bench/apps/APP (hello-api, chat, ws-broadcast); each peer serves all of their
# behaviour at once (GET /hello, POST /messages, /ws broadcast, /echo).
start_server() {
  local name=$1 port=$2 app=${3:-chat}
  case "$name" in
    arovm) $TS0 "$AROVM" run "bench/apps/$app" --bind 127.0.0.1 --port "$port" >/dev/null 2>&1 & ;;
    ceiling) $TS0 "$CEILING" "$port" >/dev/null 2>&1 & ;;
    hyper|tokio-tungstenite) $TS0 "$PEER_RUST" "$port" >/dev/null 2>&1 & ;;
    node) $TS0 node bench/peers/node/server.js "$port" >/dev/null 2>&1 & ;;
    python) $TS0 target/venv/bin/python bench/peers/python/server.py "$port" >/dev/null 2>&1 & ;;
  esac
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_listen "$port"
}

stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# row LABEL VALUE... : one aligned table row.
row() { local cell; printf "%-26s" "$1"; shift; for cell in "$@"; do printf " %12s" "$cell"; done; printf "\n"; }
