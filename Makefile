# The two quick-start commands: `make example` and `make test`; `make docs` builds the documentation
# site into site/, `make dist` the sdist and the wheel into dist/.
# Each creates the local virtual environment .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: example test lint docs docs-serve dist mutation screenshots clean

example: $(VENV)/.core
	$(BIN)/chainrule example

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

# Lint and format check (ruff) and type check (mypy --strict over src/), configured in pyproject.toml;
# CI runs it. `.venv/bin/ruff format .` formats the code as the check wants it.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The documentation site (mkdocs.yml, docs/): warnings are errors, as in tests/test_docs.py.
docs: $(VENV)/.docs
	$(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.docs
	$(BIN)/mkdocs serve

# The sdist and the wheel, built in isolation (setuptools comes from the package index).
dist: $(VENV)/.core
	$(BIN)/python -m pip install --quiet 'build>=1.2'
	$(BIN)/python -m build --outdir dist .

# The README's pictures of the explorer, taken by its browser tests (docs/explorer-*.png).
screenshots: $(VENV)/.test
	CHAINRULE_DOCS_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_explorer_browser.py \
	  -k "readmes or training_n or bad_values or matrix_view or data_view or practice or language_switch"

$(VENV)/.core: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.docs: $(VENV)/.core pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

# Tests also compare with PyTorch when torch==2.13.0 (CPU) can be installed; without it
# those tests are skipped, never the others -- except in CI (CI=true), where a missing
# family fails the run (tests/needs.py), so the install failing stops here with the reason.
$(VENV)/.test: $(VENV)/.core pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet torch==2.13.0 \
	  || { case "$$CI" in [Tt]rue|1|yes) echo "error: CI=true and torch==2.13.0 (CPU) does not install:" \
	       "the PyTorch comparison tests cannot run" >&2; exit 1;; esac; \
	     echo "note: torch==2.13.0 not installable here; the PyTorch comparison tests will be skipped"; }
	touch $@

# The dev extra: the test extra, ruff, mypy and its stubs, pre-commit (`$(BIN)/pre-commit install`).
$(VENV)/.dev: $(VENV)/.test pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Mutation testing of the core with mutmut (docs/mutation-testing.md); not part of `make test`.
# A fresh run: tens of minutes on two cores. MUTATION_JOBS sets the parallel workers.
MUTATION_JOBS ?= 2
mutation: $(VENV)/.test
	$(BIN)/python -m pip install --quiet mutmut==3.8.1
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS) > mutation-run.log 2>&1 || { tail -c 3000 mutation-run.log; exit 1; }
	$(BIN)/python tools/mutation_summary.py

clean:
	rm -rf $(VENV) build dist site src/*.egg-info .pytest_cache .mypy_cache .ruff_cache mutants mutation-run.log
