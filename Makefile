# Two commands do everything on a fresh machine with Python 3.11: `make run` and `make test`.
# Each creates .venv inside the repository and installs the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

JUPYTER_CONFIG := jupyter-config/jupyter_server_config.d/gridgov.json
# The project and what its tests, notebooks and Dask recipe need. uv (from PyPI) installs it in about 15 s
# where pip takes over a minute; pip remains the fallback.
EXTRAS := -e ".[test,notebooks,dask]"

.PHONY: run test install clean bench browser

# The Jupyter config (strip the shipped notebooks on save) is copied by hand: an editable install leaves out
# pyproject's data-files.
$(STAMP): pyproject.toml $(JUPYTER_CONFIG)
	$(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install --quiet uv && $(BIN)/uv pip install --quiet --python $(BIN)/python $(EXTRAS); then :; else \
	  echo "uv could not install the project: installing it with pip (slower)"; \
	  $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet $(EXTRAS); fi
	install -D -m 644 $(JUPYTER_CONFIG) $(VENV)/etc/$(JUPYTER_CONFIG:jupyter-config/%=jupyter/%)
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/gridgov batch params/batches/luzhou_policies.yaml --out outputs/luzhou_policies

# Test files run in parallel on up to 4 cores, each file in one worker (its module fixtures run once).
test: $(STAMP) browser
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile --durations=25

# Debian's Chromium and ChromeDriver for the browser test of gridgov app (tests/test_app_browser.py), where this
# runs as root with apt; elsewhere, or if the install fails or takes over 5 minutes, that test is skipped and says why.
browser:
	@if ! command -v chromedriver >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and chromium-driver for the browser test"; \
	  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	  { timeout 300 apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; } || \
	  echo "could not install chromium: the browser test will be skipped"; fi

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py

clean:
	rm -rf $(VENV) .pytest_cache
