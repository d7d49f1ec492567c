# The two commands: `make run` and `make test`. Both build .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the packaging metadata changes.
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8776
FIXTURES ?= fixtures/default.json

.PHONY: run test lint bench profile fuzz coverage-table clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fake-cinder serve --host $(HOST) --port $(PORT) --fixtures $(FIXTURES)

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check fake_cinder tests benchmarks

# schemathesis from /openapi.json against a live fake: >= 10 000 generated requests.
FUZZ_REQUESTS ?= 10000
fuzz: $(STAMP)
	FUZZ_REQUESTS=$(FUZZ_REQUESTS) $(BIN)/python -m pytest -q -s tests/fuzz/test_fuzz.py

# Rewrite the README's coverage table from the route declarations.
coverage-table: $(STAMP)
	$(BIN)/python -c "from fake_cinder.api.openapi import main; main(['--readme'])"

lint: $(STAMP)
	$(BIN)/ruff check fake_cinder tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info

# Issue 7's figures against their targets (not part of `make test`): BENCH_ARGS="show --quick".
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Profile one figure with pyinstrument: make profile FIGURE=create
FIGURE ?= show
profile: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks --profile $(FIGURE)
