# escalation-sim: everything runs from a local virtual environment (.venv),
# created on first use from nothing but Python and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint typecheck bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,distributed]"
	touch $(STAMP)

install: $(STAMP)

## demo: run the flagship Iraq scenario (100 parameter draws x 100 replications) and (re)write results/demo/
demo: $(STAMP)
	$(BIN)/escsim run scenarios/iraq_2024_israel_threat.yaml --seed 1 \
		--workers 2 --out results/demo --force

## test: lint, type-check and run the whole test suite (notebooks included)
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -n 2

## test-fast: lint and the quick tests (no slow, notebook or browser tests); about a minute
test-fast: $(STAMP) lint
	$(BIN)/python -m pytest -m "not slow" -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: measure the speed targets and write benchmarks/RESULTS.md
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
