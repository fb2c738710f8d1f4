# Qingyi: the two commands are `make serve` and `make test`. See README.md.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test serve build check-content schemas catalogue api bench bench-site lint typecheck clean import-cottages

# Create .venv on a fresh clone and install the pinned dependencies (again only when they change).
# The project itself is installed editable (pyproject.toml lists its packages), so nothing edits sys.path.
$(STAMP): requirements-dev.txt api/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.2.1  # pinned: chalice 1.34 wants pip < 26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

# System packages the browser tests and pages need: Debian's Chromium (Playwright drives it through
# executable_path), a CJK font (readable screenshots and share images) and Node's npm (axe-core).
# Installed with apt when this runs as root; otherwise it stops at once with the exact command to run.
SYSTEM_PACKAGES_MISSING = $(strip \
  $(if $(shell command -v chromium),,chromium) \
  $(if $(shell fc-list 2>/dev/null | grep -qi 'wenquanyi\|wqy' && echo y),,fonts-wqy-microhei) \
  $(if $(shell command -v npm),,nodejs npm))
# make bench also drives Debian's nginx (the stand-in for CloudFront) with wrk.
BENCH_PACKAGES_MISSING = $(strip \
  $(if $(shell command -v nginx),,nginx-light) \
  $(if $(shell command -v wrk),,wrk))
define install_or_explain
	@missing="$(1)"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages: $$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "缺少系统软件包 / missing system packages: $$missing"; \
	    echo "请运行 / run: sudo apt-get update && sudo apt-get install -y $$missing"; \
	    exit 2; \
	  fi; \
	fi
endef
.PHONY: system-packages bench-packages
system-packages:
	$(call install_or_explain,$(SYSTEM_PACKAGES_MISSING))
bench-packages:
	$(call install_or_explain,$(BENCH_PACKAGES_MISSING))

# axe-core for the browser tests' accessibility checks, at the version package-lock.json pins.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

# ---- editors -------------------------------------------------------------
check-content: $(STAMP)
	$(BIN)/python -m site_src check

# The JSON Schema of each kind (from the models) and site_src/schemas/ids.json (the ids in content/ that
# completion offers for reference fields; check-content refreshes it too).
schemas: $(STAMP)
	$(BIN)/python -m site_src schemas

import-cottages: $(STAMP)
	$(BIN)/python -m site_src import-cottages "$(CSV)"  # quoted: "小屋名单 (2).csv" is one argument

# ---- site ----------------------------------------------------------------
# The build runs every content check first (same verdict as check-content) and stops with the report.
build: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# ---- api -----------------------------------------------------------------
catalogue: $(STAMP)
	$(BIN)/python -m site_src catalogue --out api/chalicelib/catalogue.json

# The API alone on 127.0.0.1:$${QINGYI_API_PORT:-8001} over moto (one request at a time), until Ctrl-C.
api: $(STAMP)
	@if [ -z "$$QINGYI_CATALOGUE" ]; then $(MAKE) --no-print-directory catalogue; fi
	$(BIN)/python -m infra.local_api

# ---- the two commands ----------------------------------------------------
# The whole product on 127.0.0.1 (infra/local_stack.py): DynamoDB emulator, API on QINGYI_API_PORT (8001),
# site with live reload on QINGYI_SITE_PORT (8000); state kept in .local-state/ across restarts. Ctrl-C stops all.
serve: $(STAMP)
	$(BIN)/python infra/local_stack.py

# Two workers (pytest-xdist), one per core: the API's moto-bound tests and the browser tests wait on
# servers much of the time. Every fixture starts its own servers on free loopback ports.
test: system-packages $(STAMP) $(AXE)
	$(BIN)/python -m pytest -n 2

# ---- quality and speed ---------------------------------------------------
lint: $(STAMP)
	$(BIN)/ruff check site_src api tests
	$(BIN)/mypy site_src api/chalicelib

# CloudFormation templates (infra/api-merge.yaml is a fragment, linted inside the
# packaged API by tests/infra), the GitHub workflows (with shellcheck on their
# scripts) and the deploy script.
# checkov (security misconfigurations) on the templates and on the packaged API, both stages; every
# check it skips is justified in the template's Metadata (tests/infra/test_checkov_skips.py).
CHECKOV := $(VENV)/checkov/bin/checkov
$(CHECKOV): infra/requirements-lint.txt
	test -x $(VENV)/checkov/bin/python || $(PY) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet -r infra/requirements-lint.txt
	touch $(CHECKOV)

.PHONY: lint-infra
lint-infra: $(STAMP) $(CHECKOV)
	$(BIN)/cfn-lint --regions us-east-1 ap-east-1 -- $(filter-out infra/api-merge.yaml,$(wildcard infra/*.yaml))
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint
	$(BIN)/shellcheck infra/deploy.sh
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -d infra
	@for stage in dev prod; do \
	  rm -rf build/lint-api-$$stage; \
	  $(BIN)/python -m infra.package_api --stage $$stage --out build/lint-api-$$stage --site-origin https://$$stage.qingyi.example.org >/dev/null || exit 1; \
	  $(BIN)/cfn-lint --regions us-east-1 ap-east-1 -- build/lint-api-$$stage/sam.yaml || exit 1; \
	  $(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f build/lint-api-$$stage/sam.yaml || exit 1; \
	done

bench: system-packages bench-packages $(STAMP)
	$(BIN)/python -m pytest tests/bench -m bench -s -p no:cacheprovider
	$(BIN)/python -m pytest tests/bench/bench_api.py -m bench -s -q -p no:cacheprovider
	$(BIN)/python -m pytest tests/bench/bench_cold_start.py -m bench -s -q -p no:cacheprovider
	$(BIN)/python -m pytest tests/bench/bench_lighthouse.py -m bench -s -q -p no:cacheprovider

RECORDS ?= 1000
bench-site: $(STAMP)
	@$(BIN)/python tests/bench/bench_site.py --records $(RECORDS)

clean:
	rm -rf site build .pytest_cache .mypy_cache .ruff_cache
