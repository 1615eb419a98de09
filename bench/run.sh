#!/usr/bin/env bash
# `make bench`: builds release binaries and the peers, then prints one table per scenario with
# every server's figures and its ratio to arovm's, all measured in this run. Rows are appended to
# bench/results/bench.csv (with the git revision); `make bench-plot` draws them. Never fails on a
# number. SECS=N sets the length of each load run (default 5), ROUNDS=N the interleaved rounds of
# the HTTP and WebSocket scenarios (default 3); CARGO may name the cargo command.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
${CARGO:-cargo} build --release --quiet -p arovm -p arovm-loadgen -p arovm-ceiling
# The allocation-counting arovm (bench/allocs.sh), in its own target directory.
${CARGO:-cargo} build --release --quiet -p arovm --features count-allocs --target-dir target/count-allocs
bash bench/peers/setup.sh
echo "arovm $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, $(uname -r)"
echo "x arovm = that server's figure / arovm's figure (for times and bytes, lower is better)"
echo
bash bench/core.sh
echo
bash bench/http.sh
echo
bash bench/ws.sh
echo
bash bench/tcp.sh
bash bench/files.sh
echo
bash bench/allocs.sh
echo
echo "(rows appended to bench/results/bench.csv; make bench-plot draws them)"
