# claimflow: `make run` sets up and serves; `make test` installs what tests need and runs them all.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export CLAIMFLOW_DATABASE_URL ?= sqlite:///$(CURDIR)/claimflow.db

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/claimflow init
	$(BIN)/claimflow seed
	CLAIMFLOW_BASE_URL=$${CLAIMFLOW_BASE_URL:-http://127.0.0.1:$(PORT)} \
		$(BIN)/claimflow serve --host 127.0.0.1 --port $(PORT) --demo-logins

test: install
	scripts/run_tests.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy workflow claims notifications seeds bench

bench: install
	$(BIN)/python -m bench.transitions
	$(BIN)/python -m bench.claim_list
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.sweep
	$(BIN)/python -m bench.exports
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) claimflow.db claimflow.db-wal claimflow.db-shm test-artifacts
