# chatrec: the two commands are `make run` and `make test`; each sets everything up first.
#   make run     set up, then the Gradio chat at http://127.0.0.1:7860 (python app.py)
#   make test    set up (with Debian's chromium for the browser tests), then the whole test suite
#   make index   set up, then `chatrec index` on CATALOG (default: the bundled movies)
#   make bench   set up, then every benchmarks/bench_*.py (BENCH_ARGS are passed on)
#   make setup   only the set-up (scripts/setup.sh; a stamp makes a second run instant)
# Variables: PYTEST_FLAGS (extra pytest options), CATALOG, MAP (e.g. MAP="--map id=href"), BENCH_ARGS.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_FLAGS ?=
CATALOG ?=
MAP ?=
BENCH_ARGS ?=

.PHONY: run test index bench setup setup-browser

setup:
	bash scripts/setup.sh

setup-browser:
	CHATREC_SETUP_BROWSER=1 bash scripts/setup.sh

run: setup
	$(PY) app.py

# pytest exits 5 when it collected no test: that is a failure here, with a message.
test: setup-browser
	@rc=0; $(PY) -m pytest -q --durations=15 $(PYTEST_FLAGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5); counting that as a failure" >&2; fi; \
	exit $$rc

index: setup
	$(VENV)/bin/chatrec index $(CATALOG) $(MAP)

bench: setup
	@for script in benchmarks/bench_*.py; do \
		echo "==> $$script"; $(PY) $$script $(BENCH_ARGS); \
	done
