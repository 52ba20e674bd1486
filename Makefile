# Two commands matter on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench clean installer

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hotline

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks installer tools

# Tests run on every core (pytest-xdist), a file's tests in one process so its module fixtures
# are made once; each test has its own data folder and PostgreSQL schema.
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n auto --dist loadfile

# The edit loop: everything but the tests marked slow.
test-fast: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n auto --dist loadfile -m "not slow" -x -q

bench: $(STAMP)
	$(BIN)/python benchmarks/import.py --services 100000
	$(BIN)/python benchmarks/search.py --services 100000
	$(BIN)/python benchmarks/sync.py --services 100000
	$(BIN)/python benchmarks/push.py --cases 1000
	$(BIN)/python benchmarks/cases.py --cases 50000
	$(BIN)/python benchmarks/ui.py --services 100000
	$(BIN)/python benchmarks/print.py

# The Linux installers in dist/: the frozen console folder, the .deb and the .tar.gz.
installer: $(STAMP)
	PYTHON=$(BIN)/python installer/build-linux.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
