# vidensdata — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.chromium
NGINX_STAMP := $(VENV)/.nginx
AXE := tests/a11y/node_modules/axe-core/axe.min.js
CONSTRAINTS := requirements/constraints.txt
PORT ?= 8866

.PHONY: help setup lint reports test test-fast app lab bench bench-reports bench-apps bench-methods audit clean distclean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

TEMPLATE_FILES := $(wildcard src/vidensdata/app_template/voila/templates/vidensdata/*)

# the template files too: the install copies them to .venv/share/jupyter (a plain `voila --template=vidensdata`)
$(STAMP): pyproject.toml $(CONSTRAINTS) $(TEMPLATE_FILES)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e '.[test]'
	@touch $(STAMP)

$(BROWSER_STAMP): $(STAMP)
	@bash scripts/install-chromium.sh
	@touch $(BROWSER_STAMP)

# Debian's nginx for the reverse-proxy test (tests/test_proxy.py runs its own nginx on loopback)
$(NGINX_STAMP): scripts/install-nginx.sh
	@bash scripts/install-nginx.sh
	@mkdir -p $(VENV) && touch $(NGINX_STAMP)

$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

setup: $(STAMP) ## Create .venv and install the project (idempotent, quick when nothing changed)

reports: $(STAMP) $(BROWSER_STAMP) ## Set up (incl. headless Chromium for the profiles' PDFs), then regenerate the reports that changed (reports/) and audit them
	$(VENV)/bin/vidensdata run
	$(VENV)/bin/vidensdata audit reports

audit: $(STAMP) ## Disclosure audit of every table published under reports/
	$(VENV)/bin/vidensdata audit reports

lint: $(STAMP) ## Lint the code with ruff (rules in pyproject.toml, [tool.ruff])
	$(VENV)/bin/ruff check .

test: $(STAMP) lint $(BROWSER_STAMP) $(NGINX_STAMP) $(AXE) reports ## Set up (incl. headless Chromium, nginx and axe-core), lint, make reports (with the audit), then run every test
	$(PY) -m pytest

test-fast: $(STAMP) ## Unit tests only (no notebooks, no browser)
	$(PY) -m pytest -m "not slow and not browser"

app: reports ## Make the reports (they precompute the apps' default views), then serve the Voila apps on http://localhost:$(PORT)
	$(VENV)/bin/vidensdata app --port $(PORT)

# JUPYTER_PREFER_ENV_PATH=1: the .venv's kernel (the project's) wins over any user-level "python3" kernel
lab: $(STAMP) ## Open JupyterLab on the starter notebook with the project's kernel (theme notebooks are interactive there)
	JUPYTER_PREFER_ENV_PATH=1 $(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) \
		--ServerApp.root_dir=notebooks --LabApp.default_url=/lab/tree/kom-godt-i-gang.ipynb

.PHONY: docs
docs: $(STAMP) ## Build the documentation site (README, docs/, the method notebooks, executed afresh) into site/; open site/index.html
	$(PY) -m sphinx -b html -c docs -d build/doctrees -E -W --keep-going -q . site

bench: bench-reports bench-apps ## Run the benchmarks

bench-reports: $(STAMP) ## Benchmark report generation (ratios against a papermill baseline)
	$(PY) benchmarks/bench_reports.py

bench-apps: $(STAMP) $(BROWSER_STAMP) ## Benchmark the apps in Chromium: Voila's defaults, the served app and the page without a kernel (QUICK=1: short run; ARGS="--users 100 …")
	$(PY) benchmarks/bench_apps.py $(if $(QUICK),--quick,) $(ARGS)

bench-methods: $(STAMP) ## Coverage study of the capture-recapture intervals on the synthetic generator (275 replicates, ~2 min)
	$(PY) benchmarks/bench_methods.py

clean: ## Remove generated reports and caches
	rm -rf reports data/cache

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)
