# KubeOpt AI — the two set-up commands are `make run` and `make test`; both bootstrap everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# uv from PATH, else the one pip installs into this Python (`python3 -m uv` always finds it).
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
UV_SPEC := uv>=0.9,<0.14
PYTEST_ARGS ?=

.PHONY: help
help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

.PHONY: uv
uv: ## Install uv if it is missing
	@$(UV) --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet '$(UV_SPEC)' \
		|| python3 -m pip install --quiet --user '$(UV_SPEC)' \
		|| python3 -m pip install --quiet --user --break-system-packages '$(UV_SPEC)'

.PHONY: install
install: uv ## Install every workspace package and the dev tools from uv.lock
	$(UV) sync --frozen --all-packages

.PHONY: run
run: install ## Run KubeOpt AI all-in-one (embedded NATS + chDB + SQLite + simulator)
	$(UV) run --frozen kubeopt up

.PHONY: test
test: install ## The whole suite: unit + integration + e2e (starts its own nats-server; uses local PostgreSQL)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: install ## Fast subset: no servers
	$(UV) run --frozen pytest -m 'not integration and not e2e' $(PYTEST_ARGS)

.PHONY: fmt
fmt: install ## Format and auto-fix
	$(UV) run --frozen ruff format
	$(UV) run --frozen ruff check --fix

.PHONY: check
check: install ## Format check, lint, import contracts, strict types
	$(UV) run --frozen ruff format --check
	$(UV) run --frozen ruff check
	$(UV) run --frozen lint-imports
	$(UV) run --frozen mypy

.PHONY: check-isolation
check-isolation: uv ## Each service installs and imports on its own
	@for pkg in kubeopt-collector kubeopt-costing kubeopt-recommender kubeopt-budgets kubeopt-notifier; do \
		mod=$$(echo $$pkg | tr - _); \
		echo "== $$pkg"; \
		$(UV) run --frozen --isolated --package $$pkg --no-dev python -c "import $$mod.app" || exit 1; \
	done

.PHONY: bench
bench: install ## Benchmarks; JSON results in bench-results/
	$(UV) run --frozen python -m bench

.PHONY: bench-quality
bench-quality: install ## Recommendation quality against KRR and VPA (bench-results/quality.json)
	$(UV) run --frozen python -m bench quality

.PHONY: run-%
run-%: install ## Run one service in distributed mode, e.g. make run-costing
	$(UV) run --frozen kubeopt up --service $*

.PHONY: clean
clean: ## Remove local state and caches
	rm -rf .kubeopt bench-results .pytest_cache .mypy_cache .ruff_cache
