# dapolice: `make run` to see it working, `make test` for the whole suite. `make` lists targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
DEMO_ENV := DAPOLICE_ENV=demo
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench faults mutate audit fuzz frontend install migrate seed clean loadtest

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) frontend ## Create .venv; install the product with its demo, bench and dev extras, and the front end

var/frontend/.built: package.json package-lock.json frontend/build.mjs frontend/app.scss
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

frontend: var/frontend/.built ## Build the GOV.UK / MOJ front end from package-lock.json

run: install ## Migrate, load demo data and serve the app with a worker and beat on :8000
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py collectstatic --no-input --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(DEMO_ENV) $(BIN)/honcho start -f Procfile

lint: $(STAMP) ## ruff, ruff format --check, import-linter layers, mypy (django-stubs), djLint, bandit (high severity)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DAPOLICE_ENV=test $(BIN)/mypy
	$(BIN)/djlint templates --lint --quiet
	$(BIN)/bandit -q -c pyproject.toml -r dapolice incidents risk mash marac --severity-level high

audit: $(STAMP) ## bandit (every severity, for review) and pip-audit of the dependencies (needs PyPI; says SKIPPED offline); not part of make test
	$(BIN)/bandit -q -c pyproject.toml -r dapolice incidents risk mash marac --severity-level medium || true
	$(BIN)/bandit -q -c pyproject.toml -r dapolice incidents risk mash marac --severity-level high
	$(PY) -m tests.security.audit_deps

format: $(STAMP) ## Apply ruff format and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make test SKIP_LINT=1` runs the suite alone (CI's second run, on a shifted clock);
# `make test PYTEST_ARGS=--suite-clock=2027-10-31T01:30:00+01:00` runs it at another instant.
# PYTEST_WORKERS: pytest-xdist processes (`-n`, default 2: the suite outgrew 10 minutes in one); 0 runs in one process.
PYTEST_WORKERS ?= 2
test: install $(if $(SKIP_LINT),,lint) ## Lint, then the whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
	DAPOLICE_ENV=test $(BIN)/pytest -p no:cacheprovider $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)

fuzz: install ## schemathesis over the whole API schema, 100 examples per operation as every role (make test runs 3)
	DAPOLICE_ENV=test SCHEMATHESIS_EXAMPLES=100 SCHEMATHESIS_ALL_ROLES=1 $(BIN)/pytest -p no:cacheprovider --timeout 1800 tests/security/test_schemathesis.py $(PYTEST_ARGS)

mutate: install ## Mutation testing of the rule modules (mutmut; MODULE=incidents/matching/scoring.py for one); not part of make test
	$(PY) -m tests.mutation.run $(MODULE) $(MUTATE_ARGS)

bench: install ## Benchmarks under bench/ (not part of make test); prints one table
	DAPOLICE_ENV=test $(PY) -m bench $(BENCH_ARGS)

# LOADTEST_ARGS: e.g. --steps 10,20 --duration 30 --size 1k --search-workers 1 (bench/loadtest.py).
loadtest: install ## Control-room load on loopback (gunicorn; steps of call takers; sign-in storm); not part of make test
	$(PY) -m bench.loadtest $(LOADTEST_ARGS)

faults: install ## Alerts and the control room under injected faults (own redis-server :6391, own PostgreSQL cluster :5499); not part of make test
	DAPOLICE_ENV=test $(PY) -m bench.faults $(FAULTS_ARGS)

clean: ## Remove the virtualenv, node_modules and var/ (the embedded database too)
	rm -rf $(VENV) node_modules var
