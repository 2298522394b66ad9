# TrialSite: two commands a new user needs, `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/trialsite
export TRIALSITE_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test setup serve lint bench check clean

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)
	mkdir -p var

## make demo: set up, migrate SQLite under var/, load the demo network, serve on http://127.0.0.1:8000
demo: setup
	DATABASE_URL= $(BIN)/trialsite migrate --noinput -v0
	DATABASE_URL= $(BIN)/trialsite demo
	DATABASE_URL= $(BIN)/trialsite runserver 127.0.0.1:8000

## make test: set up, lint, run the whole suite on SQLite, then on PostgreSQL when reachable
test: setup
	$(BIN)/ruff check .
	DATABASE_URL= $(BIN)/trialsite makemigrations --check --dry-run -v0
	DJANGO_SETTINGS_MODULE=trialsite.settings TRIALSITE_ENV=production DJANGO_SECRET_KEY=check-deploy-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz DJANGO_ALLOWED_HOSTS=trialsite.example $(BIN)/trialsite check --deploy --fail-level WARNING
	@echo "== Test suite on SQLite =="
	DATABASE_URL= $(BIN)/pytest -n 2 -q
	@if [ -n "$$DATABASE_URL" ] || $(BIN)/python scripts/pg_reachable.py "$(PG_URL)"; then \
	  echo "== Test suite on PostgreSQL ($${DATABASE_URL:-$(PG_URL)}) =="; \
	  DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -n 2 -q || exit 1; \
	  echo "== Ran on: SQLite and PostgreSQL =="; \
	else \
	  echo "== PostgreSQL not reachable at $(PG_URL): ran on SQLite only =="; \
	fi

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## make bench: build or reuse the large network and print response times and queries per request
bench: setup
	$(BIN)/trialsite bench

clean:
	rm -rf $(VENV) var
