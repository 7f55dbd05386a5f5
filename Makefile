# labelhub: `make demo` sets up everything and serves a demo; `make test` sets up everything and runs every test.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8080
JOBS    ?= 2

.PHONY: install web web-check api-client demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The CPU build of PyTorch goes in first: a bare `torch` requirement would pull a CUDA build of several GB.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) web

# The browser UI (web/, Svelte + Vite) builds into the Python package, so `labelhub serve` needs no Node.
# npm ci runs when package-lock.json changed, the build when a source changed (both are quick to skip).
WEB_DIST := src/labelhub/web/dist/index.html
WEB_DEPS := web/node_modules/.package-lock.json
WEB_SRC  := $(shell find web/src web/index.html web/vite.config.ts web/svelte.config.js web/tsconfig.json -type f 2>/dev/null)

web:
	@if [ -f web/package.json ]; then $(MAKE) --no-print-directory $(WEB_DIST); fi

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_DEPS)

$(WEB_DIST): $(WEB_DEPS) $(WEB_SRC)
	cd web && npm run build

# svelte-check (strict TypeScript) and the unit tests of the UI's plain TypeScript modules.
web-check: $(WEB_DEPS)
	cd web && npm run check && npm test

# The TypeScript API client: dump the OpenAPI schema from the app, then generate types from it (both committed).
api-client: $(STAMP) $(WEB_DEPS)
	$(BIN)/labelhub openapi --output web/openapi.json
	cd web && npm run api-types

demo: install
	LABELHUB_DEV=1 $(BIN)/labelhub demo --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy src

pytest: install
	$(BIN)/pytest -q -n $(JOBS)

# The checks run side by side (mypy and svelte-check use one core each), then the tests.
test: install
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck web-check
	$(MAKE) --no-print-directory pytest

bench: install
	$(BIN)/python benchmarks/bench_store.py --db sqlite
	$(BIN)/python benchmarks/bench_store.py --db postgres

clean:
	rm -rf $(VENV) labelhub-data .pytest_cache .mypy_cache .ruff_cache web/node_modules src/labelhub/web/dist test-artifacts
