# psfkg: every target bootstraps its own virtualenv from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test serve build validate lint typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks server.py
	$(BIN)/ruff format --check src tests benchmarks server.py

typecheck: $(STAMP)
	$(BIN)/mypy

build: $(STAMP)
	$(BIN)/psfkg build

validate: $(STAMP)
	$(BIN)/psfkg validate

# Build the release if there is none, then serve it with gunicorn on 127.0.0.1:8000 (PSFKG_* settings).
serve: $(STAMP)
	$(BIN)/psfkg serve

clean:
	rm -rf $(VENV) releases .pytest_cache .mypy_cache .ruff_cache

# Build time and peak memory, and the endpoint's latency (on its own store and on a real
# Virtuoso, against Virtuoso's endpoint) and throughput, on the PSF release and on synthetic data
# at 10x and 100x (benchmarks/benchmark.py); BENCH_ARGS="--sizes 1,10" limits it, "--with-1000x" adds
# a 1000x build. Builds are cached in releases/bench/; the report is bench.json and bench.md there.
# It ends with the memory of the server with 20 releases on disk at 10x against one
# (benchmarks/releases_memory.py); `make bench-memory` runs that alone, BENCH_MEMORY_ARGS=--quick
# at 1x with 5 releases. `make bench-cordis` is the 100,000-project run (benchmarks/cordis.py: build,
# Virtuoso bulk load, the query mix on Virtuoso against its own endpoint; about 20 GiB of memory);
# CORDIS_ARGS="--projects 10000" makes a smaller one. Its report is cordis.json and cordis.md.
.PHONY: bench bench-memory bench-cordis
bench: $(STAMP)
	$(BIN)/python benchmarks/benchmark.py $(BENCH_ARGS)

bench-memory: $(STAMP)
	$(BIN)/python benchmarks/releases_memory.py $(BENCH_MEMORY_ARGS)

bench-cordis: $(STAMP)
	$(BIN)/python benchmarks/cordis.py $(CORDIS_ARGS)

# Load, runaway queries and a memory soak against `psfkg serve` on 127.0.0.1 (benchmarks/loadtest.py):
# bounded, stops by itself, prints a table. LOADTEST_ARGS="--duration 30 --soak 60" for a short run;
# LOADTEST_ARGS=--attacks for the attacks instead (a few minutes; --attacks memory,flood for some).
.PHONY: loadtest
loadtest: $(STAMP)
	$(BIN)/python benchmarks/loadtest.py $(LOADTEST_ARGS)
