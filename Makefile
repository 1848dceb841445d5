# RetroSocial. Two commands on a fresh machine: `make run` serves the site, `make test` tests it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test test-postgres lint bench chaos soak lighthouse pictures course clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv and install the site, the retro CLI and the test tools (safe to repeat)

$(STAMP): requirements.txt requirements-local.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# The worker runs beside the server, as the Procfile's `worker:` does in production: it sends
# the mail (printed here, as no EMAIL_HOST is set) and any other background task.
run: install ## migrate and serve the site with websockets at http://$(HOST):$(PORT) (SQLite, in-memory layer), with its task worker
	DEBUG=1 $(PY) manage.py migrate --noinput
	@echo
	@echo "  RetroSocial is at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo
	DEBUG=1 $(PY) manage.py db_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# The PostgreSQL pass creates (and drops) a test database of its own on this server, and runs
# again the tests of what the database serves: the site's pages, sockets, API, messages and
# their limits. It leaves out what talks to the site only over HTTP and websockets (tests/cli),
# and what makes its databases itself whatever DATABASE_URL says (tests/course runs students'
# projects, tests/deploy their deployments, tests/chaos its own PostgreSQL cluster): the first
# pass runs those, with PostgreSQL and Redis where they need them.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/retrosocial
POSTGRES_PASS := tests/api tests/messaging tests/security tests/site

test: install ## run the whole suite on SQLite, then again on PostgreSQL if it is reachable
	$(PY) -m pytest $(PYTEST_ARGS)
	@$(PY) -m tests.services postgres; status=$$?; \
	if [ $$status -eq 0 ]; then \
	  echo "== the whole suite again, on PostgreSQL ($(TEST_POSTGRES_URL))"; \
	  DATABASE_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest $(POSTGRES_PASS) $(PYTEST_ARGS); \
	elif [ $$status -eq 1 ]; then \
	  echo "== PostgreSQL is not reachable: the PostgreSQL pass is skipped"; \
	else exit 1; fi

lint: install ## ruff
	$(VENV)/bin/ruff check .

# BENCH_ARGS: e.g. --quick, or --only api,checks (bench/run.py --help).
bench: install ## run the benchmarks and write bench/RESULTS.md (figures only: asserts nothing about speed)
	$(PY) bench/run.py $(BENCH_ARGS)

chaos: install ## live delivery while Redis, daphne and PostgreSQL fail: exact counts per client (a few minutes)
	$(PY) bench/chaos.py

soak: install ## 1,000 live sockets held 60 s while posting: drops, losses, daphne memory
	$(PY) bench/soak.py

lighthouse: install ## Lighthouse's four scores for every public page (installs lighthouse from npm the first time)
	$(PY) bench/lighthouse.py $(LIGHTHOUSE_ARGS)

# PICTURES_ARGS: e.g. --week 4, or --check to compare with lessons/pictures/ instead of writing.
pictures: install ## take the lessons' pictures from the checkpoints into lessons/pictures/ (Chromium, a few minutes)
	$(PY) course/pictures.py $(PICTURES_ARGS)

course: install ## build the lessons into a static site in build/course/ (strict: a broken link or picture fails)
	$(PY) course/site.py

clean: ## remove the virtual environment and generated files
	rm -rf $(VENV) staticfiles .pytest_cache
