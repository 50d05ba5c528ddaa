# `make demo` and `make test` each bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest node-test sandbox clean bench node-runtime

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[sandbox,dev]'
	touch $(STAMP)

# The AWS SDK v3 packages the local AWS gives the Node.js functions it runs, installed from the
# package's lock file into the user's cache: the code path the local AWS itself takes on its
# first start (a second run only checks the cache against the lock file).
node-runtime: $(STAMP)
	$(BIN)/python -m reconciler.sandbox.lambda_.node_sdk

demo: $(STAMP) node-runtime
	$(BIN)/python -m reconciler.demo

test: lint typecheck pytest node-test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Whole files to each worker: a module's fixtures deploy once, and LocalStack (only
# test_journey.py uses it) has a single user.
PYTEST_WORKERS ?= 2
pytest: $(STAMP) node-runtime
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

# The layer's nodejs/node_modules is on NODE_PATH in Lambda; the tests load it the same way.
node-test:
	NODE_PATH=$(CURDIR)/layers/etl-shared/nodejs/node_modules node --test handlers/ layers/etl-shared/test/

sandbox: $(STAMP) node-runtime
	$(BIN)/python -m reconciler.sandbox --port 4566

# API calls, wall time and memory against the local AWS with 50 ms per call (about 15
# minutes); writes BENCHMARKS.md. `$(BIN)/python -m bench.run --quick` prints a short run.
bench: $(STAMP) node-runtime
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
