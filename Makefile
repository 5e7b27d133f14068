# The two commands a newcomer needs: `make run` and `make test`. `make` alone lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTEST_ARGS ?=
DB ?= sqlite
QUICK ?=
PYTEST_WORKERS ?= auto
# The second interpreter `make test` runs the unit and integration tests on: the newest supported
# Python found here (tools/find-python), a path, or `none` to skip that run.
NEWEST_PYTHON ?= newest

.DEFAULT_GOAL := help
.PHONY: help run test test-newest lint bench screenshots lock clean venv-app venv-test oidc-provider
# The OpenID Connect provider the tests sign in through (npm's oidc-provider, tests/oidc/).
OIDC_DIR := tests/oidc

help: ## List the targets
	@echo "Ideas: make TARGET [PYTHON=python3.12] [PORT=8000] [PYTEST_ARGS=...]"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14 | sed 's/^/  /'

venv-app:
	@tools/venv $(VENV) $(PYTHON) app

venv-test:
	@tools/venv $(VENV) $(PYTHON) test

# `npm ci` from the committed lock whenever node_modules is missing or older than the lock; without
# npm the OpenID Connect tests skip and say why. --ignore-scripts: no package runs code at install.
oidc-provider: $(OIDC_DIR)/node_modules/.installed

$(OIDC_DIR)/node_modules/.installed: $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	@if command -v npm > /dev/null && command -v node > /dev/null; then \
	  echo "Installing the test OpenID provider into $(OIDC_DIR)/node_modules (npm ci)"; \
	  cd $(OIDC_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "No node or npm here: the OpenID Connect tests will skip."; fi

run: venv-app ## Serve the app on SQLite with demo data at http://127.0.0.1:5000 (PORT=...)
	$(BIN)/flask --app ideas db upgrade
	$(BIN)/flask --app ideas seed-demo --if-empty
	FLASK_RUN_PORT=$(PORT) $(BIN)/flask --app ideas run --debug --host 127.0.0.1

test: venv-test oidc-provider ## Install the locked dependencies, lint (ruff, mypy), run the whole suite, then test-newest
	@$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-newest

test-newest: oidc-provider ## Unit and integration tests (SQLite) on the newest supported Python found
	@tools/test-newest "$(NEWEST_PYTHON)" $(BIN)/python -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: venv-test ## ruff over the whole repository, mypy over the package (setup.cfg [mypy])
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: venv-test ## The benchmark (DB=postgres, QUICK=1, RUNS=3); writes BENCHMARKS.md
	$(BIN)/python bench/run.py --db $(DB) $(if $(QUICK),--quick,) $(if $(RUNS),--runs $(RUNS),)

screenshots: venv-test ## Refresh the README's pictures in docs/screenshots/ (needs Chromium)
	$(BIN)/python -m pytest -p no:xdist tests/browser/test_screenshots.py --update-screenshots

lock: ## Rewrite requirements/*.txt for every supported Python here (UPGRADE=1 for new releases)
	tools/lock $(if $(UPGRADE),--upgrade,)

clean: ## Remove the virtualenvs and caches
	rm -rf $(VENV) .venv-3.* .pytest_cache
