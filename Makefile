# Dossier: `make run` serves the app, `make test` runs the whole suite, `make bench` measures speed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test test-long bench install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Dossier needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/dossier run

test: $(STAMP)
	$(BIN)/python scripts/run_tests.py

test-long: $(STAMP)
	$(BIN)/python scripts/run_tests.py --long

# PEERS=1 adds rows for tools users would pick instead (the `peers` extra, installed here only)
bench: $(STAMP)
ifeq ($(PEERS),1)
	$(BIN)/python -m pip install --quiet -e '.[test,peers]'
endif
	BENCH_PEERS=$(PEERS) $(BIN)/dossier bench

clean:
	rm -rf $(VENV) var/bench
