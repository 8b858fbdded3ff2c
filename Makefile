# hylo — set-up, demo, tests and benchmarks.
#
#   make demo    create .venv if missing, install hylo, benchmark the bundled list tasks
#   make test    the same set-up, then ruff, mypy --strict and pytest
#   make bench   the full benchmark scripts in benchmarks/ (10 s per task; tens of minutes)
#
# Everything is installed from the package index; nothing else is downloaded.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hylo-installed

# The demo: every bundled DreamCoder list task (217), DEMO_TIMEOUT seconds each,
# one worker per core: at most 217 x DEMO_TIMEOUT / cores seconds, under 2 minutes on 2 cores.
DEMO_TIMEOUT ?= 2
DEMO_ARGS ?=

.PHONY: demo test lint format typecheck pytest bench install clean

demo: $(STAMP)
	$(BIN)/hylo bench lists --timeout $(DEMO_TIMEOUT) $(DEMO_ARGS)

test: lint typecheck pytest

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "hylo needs Python 3.11 or newer; try: make PYTHON=python3.11 $(MAKECMDGOALS)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's metadata changes (the install is editable).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check hylo tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format hylo tests benchmarks
	$(BIN)/ruff check --fix hylo tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict hylo

# pytest exits with 5 when it collects no tests: that fails the build too.
pytest: $(STAMP)
	$(BIN)/pytest -n auto

bench: $(STAMP)
	@set -e; for script in benchmarks/[a-z]*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

clean:
	rm -rf build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis results
