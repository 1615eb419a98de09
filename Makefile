# arovm — build, test, conformance, bench. `make test` is what CI runs.
CARGO ?= cargo
AROVM := target/release/arovm

.PHONY: build test unit conformance lint fmt bench run-example clean autobahn

build:
	$(CARGO) build --release

unit:
	$(CARGO) test --workspace --quiet

conformance: build
	AROVM=$(CURDIR)/$(AROVM) $(CARGO) run --release --quiet -p arovm-conformance

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

test: lint unit conformance

fmt:
	$(CARGO) fmt --all

bench: build
	bash bench/run.sh

run-example: build
	$(AROVM) run examples/hello

clean:
	$(CARGO) clean

autobahn: build
	bash autobahn/run-arovm.sh
