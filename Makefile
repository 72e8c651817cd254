# shadowscan developer commands. Everything runs from a local .venv that the
# targets create on first use, so a machine needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE ?= build/demo-store

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint format bench soak golden clean

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "need python3.11 (or python3 >= 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## Ingest the fixture organisation's logs and print its shadow-AI gap report
	rm -rf $(STORE)
	$(BIN)/shadowscan ingest --store $(STORE) fixtures/org/logs
	$(BIN)/shadowscan report --store $(STORE) --config fixtures/org/shadowscan.toml \
		--since 2026-11-02 --until 2026-11-29T23:59:59Z

test: $(STAMP)  ## Run the whole test suite, one worker per core
	$(BIN)/python -m pytest -n auto

test-fast: $(STAMP)  ## The suite without the slow tests (properties, split points, kill -9, wheel)
	$(BIN)/python -m pytest -n auto -m "not slow"

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check shadowscan tests bench
	$(BIN)/ruff format --check shadowscan tests bench

format: $(STAMP)  ## Apply ruff's formatting and fixes
	$(BIN)/ruff format shadowscan tests bench
	$(BIN)/ruff check --fix shadowscan tests bench

bench: $(STAMP)  ## Speed and memory: Squid at 5M/20M lines, 3M unique hosts, a 200 MB line, every format at 1M, the matcher, shadowscan beside minimal Polars pipelines, a dashboard refresh over 10M events, watch at 50k lines/s, ingest from and into S3 on loopback, 2 Dask workers against a local run and Delta commits/s
	$(BIN)/python -m bench.matcher
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.bounded
	$(BIN)/python -m bench.formats
	$(BIN)/python -m bench.compare
	$(BIN)/python -m bench.dashboard
	$(BIN)/python -m bench.watch
	$(BIN)/python -m bench.s3
	$(BIN)/python -m bench.dask

soak: $(STAMP)  ## Five minutes of appends and rotations under a cron-like ingest loop: exact counts
	$(BIN)/python -m bench.soak 300

golden: $(STAMP)  ## Rewrite the expected outputs of the golden tests (review the diff!)
	$(BIN)/python -m tests.golden

clean:  ## Remove the venv and build outputs
	rm -rf $(VENV) build
