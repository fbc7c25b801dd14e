# The two commands in the README: `make serve` and `make test`. Both set up everything on a
# fresh machine: a virtualenv in .venv, the CPU build of PyTorch, and this project.

PYTHON ?= python3
VENV ?= .venv
# The CPU build of PyTorch. Here `torch==2.13.0` installs a local CPU wheel; an unpinned torch
# would pull a multi-GB CUDA build. Elsewhere, point pip at PyTorch's CPU-only wheel index.
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test install index eval bench chromium lint shell mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/reportqa serve

index: $(STAMP)
	$(BIN)/reportqa index

# A shell with the virtualenv active, so that `reportqa` is on the PATH.
shell: $(STAMP)
	@echo "reportqa is on the PATH here; exit to leave"; . $(BIN)/activate && exec $${SHELL:-/bin/sh} -i

eval: $(STAMP)
	$(BIN)/reportqa eval --split dev

# Mutation testing of the core modules (see [tool.mutmut] in pyproject.toml); not part of CI.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet "mutmut>=3.3"
	rm -rf mutants
	$(BIN)/mutmut run; $(BIN)/mutmut results | tail -n 40

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

# Browser tests drive Debian's Chromium; install it when missing and we may (root + apt).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is not installed: browser tests will be skipped (sudo apt-get install chromium)"; fi; }

# Style (ruff) and the import layers (tests/test_layers.py) are checked before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) chromium lint
	$(BIN)/python -m pytest
