# Two commands: `make run` (the app on embedded defaults) and `make test` (the whole suite).
# Only make and a Python 3 are needed: uv is installed when missing and brings the
# interpreter pinned in .python-version and the packages pinned in uv.lock.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH if it works, else as a module of python3 (installed on first use).
UV = $(shell if uv --version >/dev/null 2>&1; then echo uv; else echo python3 -m uv; fi)
PYTEST_ARGS ?=

.PHONY: help install run test lint format e2e clean reliability bench

help:
	@echo "make run    - run the app with demo data at http://127.0.0.1:8000 (web + Celery worker + beat)"
	@echo "make test   - run the whole test suite (SQLite by default; DATABASE_URL/REDIS_URL for PostgreSQL/Redis)"
	@echo "make lint   - ruff check and format check"
	@echo "make reliability - the fault-injection suite (real processes, ~10 min; QUICK=1 for ~4 min)"
	@echo "make bench  - benchmark the real app on 100,000 issues (~30 min; BENCH_ARGS=\"--reuse\" skips seeding)"

.venv/.synced: pyproject.toml uv.lock .python-version
	@uv --version >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet uv || \
		python3 -m pip install --quiet --user --break-system-packages uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced

run: install
	$(UV) run --frozen python manage.py migrate --noinput
	$(UV) run --frozen python manage.py seed_demo
	$(UV) run --frozen python -m issuetracker.devserver

test: install
	$(UV) run --frozen pytest -n auto $(PYTEST_ARGS)

# Fault-injection suite: private PostgreSQL + Redis, real gunicorn/Celery/beat/SMTP sink.
# `make reliability SCENARIOS="redis-down load" QUICK=1` runs a subset with smaller numbers.
reliability: install
	$(UV) run --frozen python -m reliability $(if $(QUICK),--quick) $(SCENARIOS)

# Benchmark: seeds var/bench/data-N/ (private PostgreSQL), runs gunicorn + Redis like
# production, writes var/bench/<timestamp>.md/.json and latest.md/.json.
# `make bench BENCH_ARGS="--reuse --issues 5000 --duration 3 --repeats 1"` for a quick look.
bench: install
	$(UV) run --frozen python -m bench $(BENCH_ARGS)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen bandit -c pyproject.toml -r . -q

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

clean:
	rm -rf .venv var db.sqlite3 db.sqlite3-* staticfiles artifacts
