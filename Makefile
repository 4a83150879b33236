# Entry points for platform engineers and CI. Every target sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What `make preview` needs (base + preview requirements); a full install satisfies it too.
PREVIEW_STAMP := $(VENV)/.installed-preview
STACK ?= staging
PORT ?= 8000

.PHONY: help setup sysdeps test pytest lint serve preview bootstrap up destroy bench bench-ratelimit bench-app bench-plan bench-backup load mutation docs clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

REQUIREMENTS := requirements/base.txt requirements/preview.txt requirements/tools.txt pyproject.toml

$(STAMP): $(REQUIREMENTS) requirements/dev.txt scripts/install_venv.sh
	@VENV=$(VENV) PYTHON=$(PYTHON) bash scripts/install_venv.sh dev
	@touch $(STAMP) $(PREVIEW_STAMP)

$(PREVIEW_STAMP): $(REQUIREMENTS) scripts/install_venv.sh
	@VENV=$(VENV) PYTHON=$(PYTHON) bash scripts/install_venv.sh preview
	@touch $(PREVIEW_STAMP)

setup: $(STAMP) ## create .venv with pinned dependencies and hrmsctl

sysdeps: ## install PostgreSQL/Redis server packages when missing (Debian, root)
	@bash scripts/sysdeps.sh

test: sysdeps setup ## the whole suite: lint, type checks and tests against real services
	$(MAKE) --no-print-directory lint
	@# One worker per core: each worker shares one PostgreSQL, one Redis and one sandbox.
	$(BIN)/pytest -n auto --durations=15

pytest: setup ## tests only (pass ARGS=...)
	$(BIN)/pytest $(ARGS)

lint: setup ## ruff + mypy + the import contracts (pyproject.toml [tool.importlinter])
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy infra stacks policies scripts app
	$(BIN)/lint-imports

serve: setup ## the HRMS app with demo tenants at 127.0.0.1:$(PORT) (SQLite; DB=postgres: local PostgreSQL + Redis)
	@if [ "$(DB)" = postgres ]; then bash scripts/sysdeps.sh; fi
	@bash scripts/serve.sh $(PORT)

preview: $(PREVIEW_STAMP) ## offline plan of both stacks, policy verdicts, parity; HTML in build/report/
	$(BIN)/hrmsctl preview --stack staging --json build/plan/staging.json --k8s-dir build/k8s/staging
	$(BIN)/hrmsctl preview --stack prod --json build/plan/prod.json --k8s-dir build/k8s/prod
	@rm -f build/.preview-failed
	$(BIN)/hrmsctl parity --staging build/plan/staging.json --prod build/plan/prod.json \
		--json build/parity.json || touch build/.preview-failed
	$(BIN)/hrmsctl policy --stack staging --plan build/plan/staging.json \
		--json build/policy/staging.json || touch build/.preview-failed
	$(BIN)/hrmsctl policy --stack prod --plan build/plan/prod.json \
		--json build/policy/prod.json || touch build/.preview-failed
	$(BIN)/hrmsctl accept --stack staging --plan build/plan/staging.json \
		--json build/acceptance/staging.json || touch build/.preview-failed
	$(BIN)/hrmsctl accept --stack prod --plan build/plan/prod.json \
		--json build/acceptance/prod.json || touch build/.preview-failed
	$(BIN)/hrmsctl report --plans build/plan --out build/report
	@# The report is written either way and its last line is the verdict; the target still fails.
	@test ! -e build/.preview-failed

docs: $(PREVIEW_STAMP) ## regenerate docs/reference/ (config keys, stack outputs)
	$(BIN)/hrmsctl docs

bootstrap: setup ## account singletons STACK's account and region needs (once; AWS credentials)
	@$(BIN)/hrmsctl bootstrap --stack $(STACK)

up: setup ## real `pulumi up` for STACK=staging|prod with the policy pack and its stack config
	@$(BIN)/hrmsctl up --stack $(STACK)

destroy: setup ## real `pulumi destroy` for STACK (only a disposable stack; prod refuses)
	@$(BIN)/hrmsctl destroy --stack $(STACK)

bench: bench-ratelimit bench-app bench-plan bench-backup ## all benchmarks (JSON in build/bench/)

bench-ratelimit: sysdeps setup ## rate limiter overhead and overshoot vs django-ratelimit
	$(BIN)/python -m scripts.bench.ratelimit

bench-app: sysdeps setup ## tenant API throughput vs a bare Django view (PostgreSQL, RLS, Redis)
	$(BIN)/python -m scripts.bench.app

bench-plan: setup ## plan synthesis time, per-resource cost, import time and memory
	$(BIN)/python -m scripts.bench.plan

bench-backup: sysdeps setup ## logical backup throughput vs plain pg_dump, restore time per GB
	$(BIN)/python -m scripts.bench.backup

load: sysdeps setup ## Locust SCENARIO=smoke|load|stress|spike|soak on a local app (TARGET=URL CREDENTIALS=FILE: staging)
	@$(BIN)/python -m scripts.load --scenario "$(SCENARIO)" $(if $(TARGET),--target "$(TARGET)") \
		$(if $(CREDENTIALS),--credentials "$(CREDENTIALS)")

mutation: sysdeps setup ## mutation scores of the core modules (slow; ONLY=parity for one target)
	$(BIN)/python -m scripts.mutation $(foreach t,$(ONLY),--only $(t))

clean: ## remove build output (keeps .venv)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
