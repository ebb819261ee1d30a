# МЦУ board. `make run` and `make test` are all a new user needs (README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HTMX_VERSION := 4.0.1
SORTABLE_VERSION := 1.15.7
export FLASK_APP := mcu

.PHONY: run test test-sqlite test-postgres bench mutate vendor lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

## run: set up, create or upgrade the database, load demo data on first start, serve on :$(PORT)
run: $(VENV)/.installed
	PORT=$(PORT) MCU_SECURE_COOKIES=$${MCU_SECURE_COOKIES:-false} $(BIN)/flask setup
	PORT=$(PORT) MCU_SECURE_COOKIES=$${MCU_SECURE_COOKIES:-false} $(BIN)/honcho start -f Procfile

## test: the whole suite on SQLite, then again on PostgreSQL when MCU_TEST_DATABASE_URL is set
test: $(VENV)/.installed
	$(BIN)/python -m pytest -q
	@if [ -n "$$MCU_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$MCU_TEST_DATABASE_URL)"; \
	  MCU_TEST_DB=postgresql $(BIN)/python -m pytest -q; \
	else echo "MCU_TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

## bench: speed figures, one `name: value unit` line each
bench: $(VENV)/.installed
	$(BIN)/python -m bench

## mutate: mutation testing of the domain core (setup.cfg [mutmut]); prints the score; takes a long while
mutate: $(VENV)/.installed
	rm -rf mutants
	MCU_TEST_REDIS_URL=$${MCU_TEST_REDIS_URL:-} $(BIN)/mutmut run --max-children 2 || true
	$(BIN)/python -m bench.mutation_score

lint: $(VENV)/.installed
	$(BIN)/ruff check mcu tests bench

## vendor: refresh htmx and Sortable.js from the npm registry into static/vendor/
vendor:
	cd $$(mktemp -d) && npm pack --silent htmx.org@$(HTMX_VERSION) sortablejs@$(SORTABLE_VERSION) \
	  && tar xzf htmx.org-$(HTMX_VERSION).tgz && cp package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx-$(HTMX_VERSION).min.js \
	  && rm -rf package && tar xzf sortablejs-$(SORTABLE_VERSION).tgz && cp package/Sortable.min.js $(CURDIR)/static/vendor/sortable-$(SORTABLE_VERSION).min.js

clean:
	rm -rf $(VENV) .pytest_cache
