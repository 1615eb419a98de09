#!/usr/bin/env bash
# `make bench`: prints figures (never fails on a number). Language-core scenarios:
#  1. compile throughput on a generated 10,000-line app (lines/s) and .arob size vs source size
#  2. `arovm app.arob` start to first Log, and peak RSS, for a hello app
#  3. a `for each` over 1,000,000 items with a Compute inside: ns per statement
set -euo pipefail
cd "$(dirname "$0")/.."
AROVM=${AROVM:-target/release/arovm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p bench/results
csv=bench/results/core.csv
[ -f "$csv" ] || echo "date,rev,metric,value,unit" > "$csv"
record() { echo "$(date -u +%FT%TZ),$rev,$1,$2,$3" >> "$csv"; printf '%-44s %12s %s\n' "$1" "$2" "$3"; }
ms() { python3 -c 'import sys;print("%.3f"%((int(sys.argv[2])-int(sys.argv[1]))/1e6))' "$1" "$2"; }

echo "== arovm language core (rev $rev) =="
python3 bench/gen_app.py "$work/gen" 10000
lines=$(wc -l < "$work/gen/main.aro"); src=$(wc -c < "$work/gen/main.aro")
best=999999
for _ in 1 2 3 4 5; do
  t0=$(date +%s%N); "$AROVM" build "$work/gen" -o "$work/gen.arob" >/dev/null; t1=$(date +%s%N)
  t=$(( (t1 - t0) / 1000 )); [ "$t" -lt "$best" ] && best=$t
done
record "compile 10k-line app (best of 5)" "$(python3 -c "print(round($lines/($best/1e6)))")" "lines/s"
arob=$(wc -c < "$work/gen.arob")
record ".arob size / source size" "$(python3 -c "print('%.2f'%($arob/$src))")" "x ($arob / $src bytes)"

"$AROVM" build bench/apps/hello -o "$work/hello.arob" >/dev/null
best=999999
for _ in $(seq 20); do
  t0=$(date +%s%N); "$AROVM" "$work/hello.arob" | head -1 >/dev/null; t1=$(date +%s%N)
  t=$(( (t1 - t0) / 1000 )); [ "$t" -lt "$best" ] && best=$t
done
record "hello: start to first Log (best of 20)" "$(python3 -c "print('%.2f'%($best/1000))")" "ms"
rss=$( { /usr/bin/time -f '%M' "$AROVM" "$work/hello.arob" >/dev/null; } 2>&1 | tail -1)
record "hello: peak RSS" "$(python3 -c "print('%.2f'%($rss/1024))")" "MiB"

mkdir -p "$work/loop"
cat > "$work/loop/main.aro" <<'ARO'
(Application-Start: Loop) {
    Create the <seed> with [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].
    Create the <empty> with [].
    Log "start" to the <console>.
    for each <a> in <seed> {
        for each <b> in <seed> {
            for each <c> in <seed> {
                for each <d> in <seed> {
                    for each <e> in <seed> {
                        for each <f> in <seed> {
                            Compute the <x> from <f> * 2 + 1.
                        }
                    }
                }
            }
        }
    }
    Log "done" to the <console>.
    Return an <OK: status> for the <application>.
}
ARO
"$AROVM" build "$work/loop" -o "$work/loop.arob" >/dev/null
"$AROVM" build bench/apps/hello -o "$work/h.arob" >/dev/null
t0=$(date +%s%N); "$AROVM" "$work/loop.arob" >/dev/null; t1=$(date +%s%N)
t0h=$(date +%s%N); "$AROVM" "$work/h.arob" >/dev/null; t1h=$(date +%s%N)
net=$(( (t1 - t0) - (t1h - t0h) ))
record "for each x 1,000,000 with Compute" "$(python3 -c "print('%.1f'%($net/1e6))")" "ns per iteration (loop step + Compute)"
echo "(results appended to $csv)"
echo
bash bench/http.sh
echo
bash bench/ws.sh
echo
bash bench/peers.sh
