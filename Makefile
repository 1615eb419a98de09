# arovm — build, test, conformance, bench. `make test` is what CI runs.
CARGO ?= cargo
AROVM := target/release/arovm
# Python packages the tests and benches install go into this virtual environment, never into the
# system Python.
VENV := target/venv
VPY := $(VENV)/bin/python

$(VENV):
	python3 -m venv $(VENV)

.PHONY: build test unit conformance lint fmt bench run-example clean autobahn e2e e2e-deps profile bench-plot attack

build:
	$(CARGO) build --release

unit:
	$(CARGO) test --workspace --quiet

conformance: build
	AROVM=$(CURDIR)/$(AROVM) $(CARGO) run --release --quiet -p arovm-conformance

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

test: lint unit conformance attack e2e

# Issue 13's attack suite: every hostile-input finding replayed over real sockets against the
# release binary (status, connection fate, RSS and latency bounds). See tests/attack/README.md.
attack: build
	AROVM=$(CURDIR)/$(AROVM) python3 tests/attack/run.py

fmt:
	$(CARGO) fmt --all

bench: build
	bash bench/run.sh

# PNG of bench/results/bench.csv (one panel per scenario, one line per server, across runs).
bench-plot: $(VENV)
	$(VPY) -c 'import matplotlib' 2>/dev/null || $(VPY) -m pip install -q matplotlib
	$(VPY) bench/plot.py bench/results/bench.csv bench/results/bench.png

# Flame graph + top-20 hot functions + per-action table for one scenario:
# make profile SCENARIO=http|post-broadcast|ws-broadcast|ws-chat|ws-echo|tcp-echo
SCENARIO ?= http
profile:
	SCENARIO=$(SCENARIO) bash bench/profile.sh

run-example: build
	$(AROVM) run examples/hello

clean:
	$(CARGO) clean

autobahn: build
	bash autobahn/run-arovm.sh

# End-to-end tests with real clients (Python websockets, headless Chromium); installs them if missing.
e2e-deps: $(VENV)
	$(VPY) -c 'import websockets' 2>/dev/null || $(VPY) -m pip install -q websockets
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
	command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl >/dev/null; }
	command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
	command -v certutil >/dev/null || { apt-get update -qq && apt-get install -y -qq libnss3-tools >/dev/null; }
	test -d tests/e2e/node_modules/playwright-core || (cd tests/e2e && npm install --silent --no-audit --no-fund)

e2e: build e2e-deps
	$(VPY) tests/e2e/ws_python.py
	$(VPY) tests/e2e/proxy_nginx.py
	$(VPY) tests/e2e/tls.py
	node tests/e2e/webchat.mjs
	node tests/e2e/tls_chromium.mjs

# Fuzzing: make fuzz (each target FUZZ_SECS=600), make fuzz-smoke (5 s each), make fuzz-build.
include fuzz/fuzz.mk
