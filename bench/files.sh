#!/usr/bin/env bash
# Issue 15: what large file work costs the other clients. arovm serves /hello to wrk (16
# connections, SECS seconds) once alone and once while a client keeps asking for one file job
# after another: /read (Read of a 200 MB text file), /copy (Read + atomic Write of it) or /list
# (List of a directory of 100,000 entries) or /stream (Stream of a 1 GB file, STREAM_MB, through
# an empty for each). Reported: /hello's p99 and max latency in each run,
# and each job's own time against `cat`/`cp`/`ls`/`wc -l` on the same files. Everything is under a temp
# directory (the server's working directory) and on loopback.
source "$(dirname "$0")/lib.sh"
WORK=$(mktemp -d /tmp/arovm-files-bench.XXXXXX)
trap 'cleanup; rm -rf "$WORK"' EXIT
SIZE_MB=${SIZE_MB:-200}
ENTRIES=${ENTRIES:-100000}
head -c $((SIZE_MB * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 120 > "$WORK/big.txt"
mkdir -p "$WORK/many" && (cd "$WORK/many" && seq 1 "$ENTRIES" | xargs touch)
# The streamed file: copies of big.txt up to STREAM_MB (default 1,024).
STREAM_MB=${STREAM_MB:-1024}
for _ in $(seq 1 $(( (STREAM_MB + SIZE_MB - 1) / SIZE_MB ))); do cat "$WORK/big.txt"; done > "$WORK/stream.txt"
port=$(free_port)
(cd "$WORK" && exec $TS0 "$OLDPWD/$AROVM" run "$OLDPWD/bench/apps/files" --port "$port" --bind 127.0.0.1 --no-access-log > "$WORK/server.log" 2>&1) &
PIDS+=($!)
wait_listen "$port"
timed() { python3 -c "import sys,time,urllib.request
t=time.time(); urllib.request.urlopen(sys.argv[1], timeout=120).read(); print('%.0f' % ((time.time()-t)*1000))" "$1"; }
hello() { $TS1 wrk -t1 -c16 -d"${SECS}s" --latency "http://127.0.0.1:$port/hello" 2>&1; }
p() { awk -v k="$2" '$1==k {print $2}' <<< "$1"; }
maxl() { awk '/Latency/ && NR<6 {print $4}' <<< "$1"; }
echo "== large file work beside HTTP hello (wrk -c16, ${SECS}s; ${SIZE_MB} MB file, ${ENTRIES} entries, ${STREAM_MB} MB stream) =="
row "while" "hello req/s" "p99" "max" "one job ms" "tool ms"
base=$(hello)
row "nothing" "$(awk '/Requests\/sec/ {print $2}' <<< "$base")" "$(p "$base" 99%)" "$(maxl "$base")" "-" "-"
for job in read copy list stream; do
  ( end=$((SECONDS + SECS)); while [ $SECONDS -lt "$end" ]; do timed "http://127.0.0.1:$port/$job" > /dev/null || true; done ) &
  loader=$!
  out=$(hello)
  wait "$loader" || true
  one=$(timed "http://127.0.0.1:$port/$job")
  case $job in
    read) t0=$(date +%s%N); cat "$WORK/big.txt" > /dev/null; tool=$(( ($(date +%s%N) - t0) / 1000000 )) ;;
    copy) t0=$(date +%s%N); cp "$WORK/big.txt" "$WORK/cp.txt" && sync "$WORK/cp.txt"; tool=$(( ($(date +%s%N) - t0) / 1000000 )) ;;
    list) t0=$(date +%s%N); ls -l "$WORK/many" > /dev/null; tool=$(( ($(date +%s%N) - t0) / 1000000 )) ;;
    stream) t0=$(date +%s%N); wc -l "$WORK/stream.txt" > /dev/null; tool=$(( ($(date +%s%N) - t0) / 1000000 )) ;;
  esac
  row "$job" "$(awk '/Requests\/sec/ {print $2}' <<< "$out")" "$(p "$out" 99%)" "$(maxl "$out")" "$one" "$tool"
  record "files-$job" arovm hello_p99 "$(p "$out" 99%)" time
  record "files-$job" arovm job_ms "$one" ms
done
