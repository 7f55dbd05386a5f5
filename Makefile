# labelhub: `make demo` sets up everything and serves a demo; `make test` sets up everything and runs every test.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8080
JOBS    ?= 2

.PHONY: install web demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The CPU build of PyTorch goes in first: a bare `torch` requirement would pull a CUDA build of several GB.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) web

# The browser UI is built here once it exists (web/); its assets ship inside the Python package.
web:
	@if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund && npm run build; fi

demo: install
	LABELHUB_DEV=1 $(BIN)/labelhub demo --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy src

pytest: install
	$(BIN)/pytest -q -n $(JOBS)

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/bench_store.py --db sqlite
	$(BIN)/python benchmarks/bench_store.py --db postgres

clean:
	rm -rf $(VENV) labelhub-data .pytest_cache .mypy_cache .ruff_cache
