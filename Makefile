# Inkwell developer commands. `make run` and `make test` are the two that matter.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install run test lint format bench clean

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install the front-end libraries (htmx): install Node.js and npm." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(PY) -m inkwell.devstack run

# The suite runs in parallel, one process per core (at most 4), each with a test database and a
# Redis of its own; `make test PYTEST_ARGS="-n 0 …"` runs it in one process. Compiled modules are
# written even where PYTHONDONTWRITEBYTECODE is set: otherwise every test process, and every
# process of every stack the launcher tests start, compiles the project (and pytest rewrites the
# tests) all over again.
PYTEST_PARALLEL ?= -n logical --maxprocesses 4 --dist loadfile

test: install lint
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(PY_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/provisioning.py
	$(PY) bench/load.py
	$(PY) bench/signing.py
	$(PY) bench/site.py
	$(PY) bench/ingestion.py
	$(PY) bench/webhook.py
	$(PY) bench/signup.py
	$(PY) bench/dashboard.py
	$(PY) bench/memory.py
	$(PY) bench/mcp.py
	$(PY) bench/migrations.py

clean:
	rm -rf $(VENV) node_modules .inkwell staticfiles
