# Stockwise — the shared entry points. `make demo` and `make test` work on a fresh
# machine with only Python 3.11+: they create .venv and install everything pinned.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
export STOCKWISE_INSTANCE ?= $(CURDIR)/instance

.PHONY: demo test test-pg lint typecheck venv browser translations bench-api bench-cpu bench-forecast bench-scorecards clean forecast-worker messages

venv: $(STAMP)

$(STAMP): setup.cfg constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"' \
		|| { echo "error: $(PYTHON) is older than 3.11; run: make PYTHON=python3.11 ..."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,distributed]'
	# mlforecast's wheel installs its own top-level tests/__init__.py, which would shadow
	# this repository's tests package (tests.planning_data ...).
	rm -f $(VENV)/lib/python3*/site-packages/tests/__init__.py
	touch $(STAMP)

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null; }

translations: venv
	@if ls app/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel compile -d app/translations >/dev/null; fi

# The suite in two steps: every test but the `serial` ones on $(TEST_WORKERS) pytest-xdist workers
# (whole files per worker; each worker has its own databases, instance dir, ports and browser),
# then the `serial` ones (races, lock waits, timings: tests/conftest.py) alone.
TEST_WORKERS ?= 2
PYTEST_STEPS = $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not serial" && $(PY) -m pytest -q -m serial

test: venv browser translations
	$(PYTEST_STEPS)

test-pg: venv browser translations
	export TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}; $(PYTEST_STEPS)

lint: venv
	$(VENV)/bin/ruff check .
	$(MAKE) --no-print-directory typecheck

typecheck: venv
	$(VENV)/bin/mypy app portal forecasting

demo: venv translations
	@mkdir -p "$(STOCKWISE_INSTANCE)"
	$(FLASK) db upgrade
	@$(FLASK) seed-demo --if-empty
	@$(FLASK) forecast run --if-none
	@echo
	@echo "Stockwise demo: http://$(HOST):$(PORT)/   (supplier portal: http://$(HOST):$(PORT)/portal/)"
	@cat "$(STOCKWISE_INSTANCE)/demo-logins.txt"
	@echo "(forecast runs started from the UI are executed by a worker; its log: $(STOCKWISE_INSTANCE)/forecast-worker.log)"
	@echo
	@$(FLASK) forecast worker > "$(STOCKWISE_INSTANCE)/forecast-worker.log" 2>&1 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(VENV)/bin/granian --interface wsgi --workers 2 --blocking-threads 4 --host $(HOST) --port $(PORT) --no-ws --access-log wsgi:app

bench-api: venv
	$(PY) bench/stock_api.py

# CPU per API request in-process (deterministic: fine on a busy machine), by part, and PostgreSQL's
bench-cpu: venv
	$(PY) bench/request_cpu.py --requests 2000 --parts --db

bench-forecast: venv
	$(PY) bench/forecast.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache

# Re-extract every translatable string (app/ and portal/) and merge it into the catalogs;
# then translate the new entries in app/translations/<lang>/LC_MESSAGES/messages.po.
messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

bench-scorecards: venv
	$(PY) bench/scorecards.py

# Executes forecast runs queued from the web UI (Replenishment → Start forecast run).
forecast-worker: venv
	$(VENV)/bin/flask --app wsgi forecast worker
