# Two commands do everything on a fresh machine with Python 3.11: `make run` and `make test`.
# Each creates .venv inside the repository and installs the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,notebooks,dask]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/gridgov batch params/batches/luzhou_policies.yaml --out outputs/luzhou_policies

# Test files run in parallel on up to 4 cores, each file in one worker (its module fixtures run once).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py

clean:
	rm -rf $(VENV) .pytest_cache
