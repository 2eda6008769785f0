# careloop — the two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint bench-import bench-billing bench-generate bench-population bench-store browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

## demo: venv, install, migrate, generate 300 patients, import, demo users, serve on :8000
demo: $(STAMP)
	$(BIN)/careloop demo

## browser-deps: Debian's chromium for the Playwright tests (never a downloaded browser)
browser-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

## test: the whole suite (SQLite; set DATABASE_URL=postgres://... for PostgreSQL)
test: $(STAMP) browser-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

bench-import: $(STAMP)
	$(BIN)/python bench/import_bench.py

bench-billing: $(STAMP)
	$(BIN)/python bench/billing_engine_bench.py

bench-generate: $(STAMP)
	$(BIN)/python bench/generate_bench.py

## bench-population: 1M patients (snapshot cached and resumable under var/bench), whole pipeline, HCC vs hccinfhir
bench-population: $(STAMP)
	$(BIN)/python bench/population_bench.py $(ARGS)

## bench-store: store_results on the population benchmark's run (after bench-population), scratch SQLite
bench-store: $(STAMP)
	$(BIN)/python bench/store_bench.py $(ARGS)

clean:
	rm -rf $(VENV) var test-artifacts
