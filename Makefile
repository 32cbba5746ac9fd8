# Two commands on a fresh machine (Python 3.11, root):
#   make run    set up and start Athena on the embedded defaults
#   make test   set up and run the whole test suite (what .ci/run calls)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test venv browser bench notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[ui,jobs,postgres]'
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[dev]'
	touch $@ $(VENV)/.run-deps

venv: $(VENV)/.test-deps

# Debian's Chromium for the browser tests; never a downloaded browser build.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: $(VENV)/.run-deps
	$(BIN)/athena init
	$(BIN)/athena up

test: $(VENV)/.test-deps browser
	$(BIN)/mypy
	$(BIN)/ruff check athena tests benchmarks
	$(BIN)/pytest

# Re-execute the job notebooks and keep only the outputs nbval checks.
notebooks: $(VENV)/.test-deps
	$(BIN)/python -m athena.jobs.outputs papermill_jobs/*.ipynb notebooks/*.ipynb

bench: $(VENV)/.test-deps
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_trading.py
	$(BIN)/python benchmarks/bench_risk.py
	$(BIN)/python benchmarks/bench_var_limit.py
	$(BIN)/python benchmarks/bench_backtest.py
	$(BIN)/python benchmarks/bench_dashboards.py
	$(BIN)/python benchmarks/bench_pages.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache tests/artifacts
