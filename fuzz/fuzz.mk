# Coverage-guided fuzzing (libFuzzer via cargo-fuzz; see fuzz/README.md). Include from the root
# Makefile (`include fuzz/fuzz.mk`) or run standalone from the repo root (`make -f fuzz/fuzz.mk`).
#
#   make fuzz-build          build every target
#   make fuzz-smoke          every target for FUZZ_SMOKE_SECS (5 s): what CI runs
#   make fuzz                every target for FUZZ_SECS (600 s), one after the other
#   make fuzz FUZZ_TARGETS=router FUZZ_SECS=60
#   make fuzz-regressions    replay every input in fuzz/regressions/<target>/ once
#
# Stable toolchain: --sanitizer=none (ASan needs nightly); debug assertions on, so integer
# overflow panics. A crash, a timeout (> 5 s for one input) or an out-of-memory (> 512 MB RSS)
# leaves its input in fuzz/artifacts/<target>/ and fails the make target once every target ran.
# New corpus entries go to fuzz/runs/<target>/ (git-ignored); the committed seeds in
# fuzz/corpus/<target>/ are only read. Each run's libFuzzer log is fuzz/runs/<target>.log.

FUZZ_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
CARGO ?= cargo
FUZZ_SECS ?= 600
FUZZ_SMOKE_SECS ?= 5
FUZZ_TARGETS ?= http_request http_response http_content router ws_session forwarded link_header compile template contract arob dates formats
FUZZ_FLAGS ?= --sanitizer=none --debug-assertions
FUZZ_LIBFUZZER_FLAGS ?= -rss_limit_mb=512 -timeout=5 -print_final_stats=1
FUZZ_NICE ?= nice -n 10

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps fuzz-regressions

fuzz-deps:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz-build: fuzz-deps
	cd $(FUZZ_DIR) && $(CARGO) fuzz build $(FUZZ_FLAGS)

# $(1) = seconds per target.
define fuzz_run_all
	@cd $(FUZZ_DIR) && failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  case $$t in \
	    compile|template) dict=-dict=dict/aro.dict ;; \
	    contract) dict=-dict=dict/yaml.dict ;; \
	    arob) dict= ;; \
	    *) dict=-dict=dict/http.dict ;; \
	  esac; \
	  mkdir -p runs/$$t artifacts/$$t; \
	  echo "== fuzz $$t for $(1) s"; \
	  if $(FUZZ_NICE) $(CARGO) fuzz run $(FUZZ_FLAGS) $$t runs/$$t corpus/$$t -- \
	       -max_total_time=$(1) $(FUZZ_LIBFUZZER_FLAGS) $$dict > runs/$$t.log 2>&1; then \
	    grep -E '^#[0-9]+' runs/$$t.log | tail -n 1; grep -E '^Done ' runs/$$t.log; \
	  else \
	    grep -E -A6 'panicked at|ERROR: libFuzzer' runs/$$t.log | head -n 30; \
	    grep -E -A2 '^Failing input' runs/$$t.log; failed="$$failed $$t"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "fuzz: findings in:$$failed (inputs in $(FUZZ_DIR)/artifacts/<target>/)"; exit 1; \
	fi
endef

fuzz: fuzz-build
	$(call fuzz_run_all,$(FUZZ_SECS))

fuzz-smoke: fuzz-build
	$(call fuzz_run_all,$(FUZZ_SMOKE_SECS))

# Inputs that once crashed a target must not crash it again.
fuzz-regressions: fuzz-build
	@cd $(FUZZ_DIR) && mkdir -p runs && failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  [ -n "$$(ls regressions/$$t 2>/dev/null)" ] || continue; \
	  echo "== replay regressions/$$t"; \
	  if ! $(CARGO) fuzz run $(FUZZ_FLAGS) $$t regressions/$$t/* -- -runs=1 > runs/$$t.replay.log 2>&1; then \
	    grep -E -A1 'panicked at|ERROR: libFuzzer|^Running: ' runs/$$t.replay.log | head -n 8; failed="$$failed $$t"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: regressions fail in:$$failed"; exit 1; fi
