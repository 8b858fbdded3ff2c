# hylo — set-up, demo, tests and benchmarks.
#
#   make demo    create .venv if missing, install hylo, learn a library on the bundled list tasks
#   make test    the same set-up, then ruff, mypy --strict and pytest
#   make bench   the full benchmark scripts in benchmarks/ (10 s per task; tens of minutes)
#
# Everything is installed from the package index; nothing else is downloaded.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hylo-installed

# The demo: a short wake-sleep session on the 217 bundled DreamCoder list tasks (learn
# from the 136 training tasks, measure on the 81 held-out ones), DEMO_ITERATIONS
# iterations of DEMO_TIMEOUT seconds per task, one worker per core, into a fresh
# library under results/ (about two minutes on 2 cores). Prints the learning curve.
DEMO_TIMEOUT ?= 0.5
DEMO_ITERATIONS ?= 2
DEMO_LIBRARY ?= results/demo.hylo
DEMO_ARGS ?=

.PHONY: demo test lint format typecheck pytest bench install clean

demo: $(STAMP)
	rm -f $(DEMO_LIBRARY) $(DEMO_LIBRARY)-wal $(DEMO_LIBRARY)-shm
	mkdir -p $(dir $(DEMO_LIBRARY))
	$(BIN)/hylo learn lists --iterations $(DEMO_ITERATIONS) --timeout $(DEMO_TIMEOUT) \
		--library $(DEMO_LIBRARY) $(DEMO_ARGS)
	$(BIN)/hylo report $(DEMO_LIBRARY)

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
