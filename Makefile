# The two commands: `make run` and `make test`. Both build .venv when missing.
# `make` alone prints the targets: each has a "## what it does" comment on its rule's line.
.DEFAULT_GOAL := help
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the packaging metadata changes. `make run` needs the package only;
# everything else also its test extra (the OpenStack clients take minutes to install).
CKSUM := $(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(CKSUM)
STAMP := $(VENV)/.installed-test-$(CKSUM)
HOST ?= 127.0.0.1
PORT ?= 8776
FIXTURES ?= fixtures/default.json
# Extra `fake-cinder serve` options, e.g. SERVE_FLAGS=--allow-in-use-delete
SERVE_FLAGS ?=
URL = http://$(HOST):$(PORT)

.PHONY: help run clients test test-oldest typecheck lint bench profile fuzz coverage-table layout screenshots consumers clean conformance conformance-quick conformance-nova conformance-shadow tempest

help:  ## list the targets
	@echo 'make TARGET, one of:'
	@awk -F ':.*## ' '/^[a-z-]+:.*## /{printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(RUN_STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $(RUN_STAMP)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)  ## serve the fake on 127.0.0.1:8776 (HOST, PORT, FIXTURES, SERVE_FLAGS)
	@echo 'Dashboard (state, live journal, faults): $(URL)/_fake/ui'
	@echo 'Pointing clients at it (docs/clients.md); users admin/admin, demo/demo, nova/nova (service):'
	@echo '  openstack and cinder CLIs (not installed by make run: `make clients` adds them to .venv):'
	@echo '    export OS_AUTH_URL=$(URL)/identity OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne'
	@echo '    export OS_USERNAME=demo OS_PASSWORD=demo OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default'
	@echo '    openstack volume attachment create demo-volume --server demo-server; cinder attachment-list'
	@echo '  cinder CLI without Keystone:'
	@echo '    OS_AUTH_TYPE=noauth OS_USER_ID=demo OS_PROJECT_ID=demo CINDER_ENDPOINT=$(URL)/v3/demo cinder attachment-list'
	@echo '  openstacksdk (clouds.yaml): auth_url: $(URL)/identity with the user above,'
	@echo '    or auth_type: none with block_storage_endpoint_override: $(URL)/v3'
	@echo '  python-cinderclient: Password(auth_url="$(URL)/identity", ...) in a keystoneauth1 session,'
	@echo '    or CinderNoAuthPlugin("demo", "demo", endpoint="$(URL)/v3")'
	@echo '  Deleting connected attachments needs a service token, as in Cinder; or: make run SERVE_FLAGS=--allow-in-use-delete'
	$(BIN)/fake-cinder serve --host $(HOST) --port $(PORT) --fixtures $(FIXTURES) $(SERVE_FLAGS)

# The `openstack` and `cinder` CLIs that `make run`'s banner shows (also in the test extra).
clients: $(RUN_STAMP)  ## install the openstack and cinder CLIs into .venv
	$(BIN)/python -m pip install --quiet -e '.[clients]'

test: $(STAMP)  ## install the test extra and run every test, then ruff and mypy
	$(BIN)/python -m pytest -q -n 2  # pytest-xdist: 2 workers keep it well under 5 minutes here
	$(BIN)/ruff check fake_cinder tests benchmarks tools
	$(BIN)/mypy

typecheck: $(STAMP)  ## mypy (strict for fake_cinder/core)
	$(BIN)/mypy

# The suite on the oldest Flask and werkzeug setup.cfg accepts, in a venv of its own.
OLDEST_VENV := .venv-oldest
OLDEST_PINS := flask==3.0.0 werkzeug==3.0.0
OLDEST_STAMP := $(OLDEST_VENV)/.installed-$(CKSUM)
$(OLDEST_STAMP): setup.cfg pyproject.toml
	test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(OLDEST_VENV)/bin/python -m pip install --quiet -e '.[test]' $(OLDEST_PINS)
	rm -f $(OLDEST_VENV)/.installed-*
	touch $(OLDEST_STAMP)

test-oldest: $(OLDEST_STAMP)  ## the tests on the oldest Flask/werkzeug accepted (.venv-oldest)
	$(OLDEST_VENV)/bin/python -c "import importlib.metadata as m; \
	  print('flask', m.version('flask'), 'werkzeug', m.version('werkzeug'))"
	$(OLDEST_VENV)/bin/python -m pytest -q -n 2

# schemathesis from /openapi.json against a live fake: >= 10 000 generated requests.
FUZZ_REQUESTS ?= 10000
fuzz: $(STAMP)  ## schemathesis against a live fake (FUZZ_REQUESTS)
	FUZZ_REQUESTS=$(FUZZ_REQUESTS) $(BIN)/python -m pytest -q -s tests/fuzz/test_fuzz.py

# Rewrite the coverage table of docs/api-coverage.md from the route declarations.
coverage-table: $(STAMP)  ## rewrite docs/api-coverage.md's API coverage table
	$(BIN)/python -c "from fake_cinder.api.openapi import main; main(['--readme'])"

# Rewrite docs/maintainers.md's layout from the module docstrings.
layout: $(STAMP)  ## rewrite docs/maintainers.md's layout section
	$(BIN)/python -m tools.layout

screenshots: $(STAMP)  ## retake the dashboard's screenshots in docs/ (headless Chromium)
	$(BIN)/python tests/ui/screenshots.py

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check fake_cinder tests benchmarks tools

clean:  ## remove .venv, .venv-oldest, .venv-nova, .venv-tempest and build outputs
	rm -rf $(VENV) $(OLDEST_VENV) $(NOVA_VENV) $(TEMPEST_VENV) .tempest build dist *.egg-info

# Nova 34's own nova.volume.cinder.API against a live fake (docs/consumers.md), in its own
# environment pinned by consumers/nova/constraints.txt. NOVA_CONSUMER_TARGET=<json> points
# it at a real Cinder instead.
NOVA_VENV := .venv-nova
NOVA_CONSTRAINTS := consumers/nova/constraints.txt
NOVA_STAMP := $(NOVA_VENV)/.installed-$(shell cat setup.cfg pyproject.toml $(NOVA_CONSTRAINTS) | cksum | cut -d' ' -f1)

$(NOVA_VENV)/bin/python:
	$(PYTHON) -m venv $(NOVA_VENV)
	$(NOVA_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools wheel

$(NOVA_STAMP): $(NOVA_VENV)/bin/python setup.cfg pyproject.toml $(NOVA_CONSTRAINTS)
	$(NOVA_VENV)/bin/python -m pip install --quiet -c $(NOVA_CONSTRAINTS) nova==34.0.0 pytest ruff -e .
	rm -f $(NOVA_VENV)/.installed-*
	touch $(NOVA_STAMP)

consumers: $(NOVA_STAMP)  ## Nova 34's nova.volume.cinder.API against a live fake (.venv-nova)
	$(NOVA_VENV)/bin/python -m pytest -q consumers/nova
	$(NOVA_VENV)/bin/ruff check consumers

# Issue 7's figures against their targets (not part of `make test`): BENCH_ARGS="show --quick".
bench: $(STAMP)  ## the benchmarks against their targets (BENCH_ARGS)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Profile one figure with pyinstrument: make profile FIGURE=create
FIGURE ?= show
profile: $(STAMP)  ## profile one benchmark figure (FIGURE)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks --profile $(FIGURE)

# Differential conformance against a real Cinder 29.0.0 (docs/conformance.md; not part of
# `make test`). Cinder gets its own .venv-cinder, pinned by conformance/constraints.txt.
# make conformance [SEED="1 2 3"] [STEPS=2000]: all scenarios, a walk per seed, the report.
# make conformance-quick [SEED=N]: all scenarios and a 300-step walk (CI), no report; without
# SEED the walk's seed is the commit id's first 8 hex digits, so a re-run of a commit repeats
# its walk (the seed is printed; a difference it finds becomes a scenario once fixed).
CINDER_PYTHON ?= python3.11
CINDER_VENV := .venv-cinder
CINDER_STAMP := $(CINDER_VENV)/.installed-$(shell cksum < conformance/constraints.txt | cut -d' ' -f1)
SEED ?=
STEPS ?= 2000
SEED_ARGS = $(foreach seed,$(SEED),--seed $(seed))

$(CINDER_STAMP): conformance/constraints.txt
	$(CINDER_PYTHON) -m venv $(CINDER_VENV)
	$(CINDER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CINDER_VENV)/bin/python -m pip install --quiet -c conformance/constraints.txt cinder==29.0.0
	rm -f $(CINDER_VENV)/.installed-*
	touch $@

conformance: $(STAMP) $(CINDER_STAMP)  ## compare with a real Cinder 29.0.0, rewrite docs/conformance.md (SEED, STEPS)
	$(BIN)/python -m conformance $(SEED_ARGS) --steps $(STEPS)

COMMIT_SEED = $(shell git rev-parse HEAD 2>/dev/null | cut -c1-8 | sed -n 's/^\([0-9a-f]\{8\}\)$$/0x\1/p' | xargs -r printf '%d')
QUICK_SEED_ARGS = $(if $(SEED),$(SEED_ARGS),$(if $(COMMIT_SEED),--seed $(COMMIT_SEED)))

conformance-quick: $(STAMP) $(CINDER_STAMP)  ## CI: every scenario and a 300-step walk against Cinder
	$(BIN)/python -m conformance --quick $(QUICK_SEED_ARGS) --no-report

# Nova 34's consumer group against the harness's real Cinder 29.0.0 behind keystonemiddleware
# (a `fake-cinder serve` as its Keystone) and against the fake: the same results required.
conformance-nova: $(NOVA_STAMP) $(CINDER_STAMP)  ## Nova's consumer group against a real Cinder 29.0.0 and the fake
	$(NOVA_VENV)/bin/python -m conformance.nova

# tempest 47.0.0's tempest.api.volume (docs/tempest.md), in .venv-tempest pinned by
# tempest/constraints.txt. make tempest [TARGET=cinder] [TEMPEST_ARGS=--check]: against the
# fake (or the harness's Cinder 29.0.0 behind keystonemiddleware, the fake as its Keystone);
# writes tempest/outcomes-$(TARGET).txt and docs/tempest.md's table, --check (CI) compares.
TEMPEST_VENV := .venv-tempest
TEMPEST_CONSTRAINTS := tempest/constraints.txt
TEMPEST_STAMP := $(TEMPEST_VENV)/.installed-$(shell cksum < $(TEMPEST_CONSTRAINTS) | cut -d' ' -f1)
TARGET ?= fake
TEMPEST_ARGS ?=

$(TEMPEST_STAMP): $(TEMPEST_CONSTRAINTS)
	test -x $(TEMPEST_VENV)/bin/python || $(PYTHON) -m venv $(TEMPEST_VENV)
	$(TEMPEST_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(TEMPEST_VENV)/bin/python -m pip install --quiet -c $(TEMPEST_CONSTRAINTS) tempest==47.0.0
	rm -f $(TEMPEST_VENV)/.installed-*
	touch $@

tempest: $(STAMP) $(TEMPEST_STAMP) $(if $(filter cinder,$(TARGET)),$(CINDER_STAMP))  ## tempest's tempest.api.volume against the fake (TARGET=cinder: real Cinder 29)
	$(BIN)/python -m conformance.tempest --target $(TARGET) $(TEMPEST_ARGS)

# fake-cinder shadow, record and replay against the harness's real Cinder 29.0.0 behind
# keystonemiddleware (docs/shadow.md): cinderclient's attach flow through the shadow, then
# Nova's consumer group through it (in .venv-nova).
conformance-shadow: $(STAMP) $(CINDER_STAMP) $(NOVA_STAMP)  ## the shadow proxy, record and replay against a real Cinder 29.0.0
	$(BIN)/python -m conformance.shadow
	$(NOVA_VENV)/bin/python -m conformance.shadow_nova
