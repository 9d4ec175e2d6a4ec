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
	$(BIN)/ruff check src tests server.py
	$(BIN)/ruff format --check src tests server.py

typecheck: $(STAMP)
	$(BIN)/mypy

build: $(STAMP)
	$(BIN)/psfkg build

validate: $(STAMP)
	$(BIN)/psfkg validate

# Until the endpoint lands, `serve` builds the release and says where it is.
serve: $(STAMP)
	$(BIN)/psfkg serve

clean:
	rm -rf $(VENV) releases .pytest_cache .mypy_cache .ruff_cache
