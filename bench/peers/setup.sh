#!/usr/bin/env bash
# Installs and builds the bench peers from the package registries (nothing vendored): wrk and Lua
# 5.4 (Debian), Node `ws` (npm), Python `websockets` (PyPI), and the hyper / tokio-tungstenite peer
# (crates.io, its own workspace under bench/peers/rust). Idempotent. CARGO may name the cargo
# command (e.g. a wrapper that serialises builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
fi
# Lua 5.4 for the interpreter-loop comparison (core.sh); without apt the Lua row is left out.
if ! command -v lua5.4 >/dev/null; then
  if command -v apt-get >/dev/null; then
    { apt-get update -qq >/dev/null && apt-get install -y -qq lua5.4 >/dev/null; } ||
      echo "notice: apt-get could not install lua5.4; the interpreter bench leaves Lua out" >&2
  else
    echo "notice: lua5.4 missing and no apt-get; the interpreter bench leaves Lua out" >&2
  fi
fi
[ -d bench/peers/node/node_modules/ws ] || (cd bench/peers/node && npm install --silent --no-audit --no-fund)
# Python packages go into the build's virtual environment (target/venv), not the system Python.
[ -x target/venv/bin/python ] || python3 -m venv target/venv
target/venv/bin/python -c 'import websockets' 2>/dev/null || target/venv/bin/python -m pip install -q websockets
(cd bench/peers/rust && CARGO_TARGET_DIR=target ${CARGO:-cargo} build --release --quiet)
