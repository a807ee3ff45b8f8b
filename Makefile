# Everything installs itself: python3 is the only thing a fresh machine needs.
SHELL := /bin/bash
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup demo test bench bench-match soak lint clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.9

$(BIN)/scr: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python python3 --compile-bytecode
	@touch $@

setup: $(BIN)/scr  ## create the environment from the lock file

demo: setup  ## generate a demo landing zone, run a full wave, print progress
	$(BIN)/scr demo

test: setup  ## run the test suite (and list its 25 slowest tests: CI must stay under 30 minutes)
	$(BIN)/pytest -n 2 --maxschedchunk 2 --durations=25

bench-match: setup  ## matching benchmark against Splink and Febrl (not a test)
	$(BIN)/python -m benchmarks.match

bench: setup  ## the whole journey at ~100k, 300k and 1M records beside Splink, the operators' commands, then the matcher benchmark (not a test)
	$(BIN)/python -m benchmarks.journey
	$(BIN)/python -m benchmarks.operator
	$(BIN)/python -m benchmarks.match

soak: setup  ## waves and reruns over a 1,000-practice zone with random kills and write errors (not in CI)
	$(BIN)/python -m benchmarks.soak $(SOAK_ARGS)

lint: setup  ## pyflakes-level checks
	$(BIN)/ruff check flows landing synthetic transforms quality warehouse benchmarks tests
	$(BIN)/lint-imports

clean:
	rm -rf .venv .tools demo .pytest_cache
