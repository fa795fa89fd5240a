# The London Pledge portal. `make run` sets everything up and serves the portal; `make test` runs the suite.
# Both work on a fresh Debian machine with Python 3.11, Node.js and npm.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
GOVUK := node_modules/govuk-frontend/dist/govuk

.PHONY: run setup install assets migrate demo test lint format bench bench-load fuzz worker beat clean code

run: setup ## Install, migrate, load demo data and serve the portal at http://127.0.0.1:8000
	$(BIN)/python manage.py demo_logins
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

setup: install assets migrate demo

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# GOV.UK Frontend comes from the npm registry; its built files land in static/vendor and static/build,
# which git ignores.
assets: node_modules/.package-lock.json
	mkdir -p static/vendor/govuk static/build
	cp $(GOVUK)/govuk-frontend.min.js static/vendor/govuk/
	rm -rf static/vendor/govuk/assets && mkdir -p static/vendor/govuk/assets
	cp -r $(GOVUK)/assets/images static/vendor/govuk/assets/images  # not fonts: GDS Transport is GOV.UK's own
	npx --no-install sass --no-source-map --style=compressed --load-path=node_modules --quiet-deps \
		--silence-deprecation=import static/src/portal.scss static/build/portal.css
	cp static/src/portal.js static/src/js-enabled.js static/src/api-docs.css static/build/

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: install ## Idempotent: safe to run again
	$(BIN)/python manage.py load_authorities
	$(BIN)/python manage.py seed_demo

code: install ## The current two-factor code for a demo user: make code EMAIL=analyst@demo.pledge.test
	$(BIN)/python manage.py demo_code $(EMAIL)

# Tests run in parallel, one process per core (pytest-xdist): each process has its own test database.
PYTEST_WORKERS ?= auto

test: install assets ## The whole suite. Set DATABASE_URL and REDIS_URL to run it on PostgreSQL and Redis.
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install ## A Celery worker (needs REDIS_URL)
	$(BIN)/celery -A pledge_portal worker --loglevel=info

beat: install ## The Celery beat scheduler (needs REDIS_URL)
	$(BIN)/celery -A pledge_portal beat --loglevel=info

bench: install assets ## Prints performance figures
	$(BIN)/python -m benchmarks

# Needs DATABASE_URL (PostgreSQL: a throwaway database is made on its server) and REDIS_URL. See README.
bench-load: install assets ## Deadline day under load (gunicorn, Celery, locust), then the load's ceiling
	$(BIN)/python -m benchmarks.loadtest

fuzz: install assets ## The API fuzzed from its OpenAPI description in full (make test runs it bounded)
	API_FUZZ_EXAMPLES=$${API_FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest -p no:cacheprovider tests/api $(PYTEST_ARGS)

clean:
	rm -rf static/build static/vendor staticfiles .pytest_cache test-db.sqlite3
