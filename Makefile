# The two quick-start commands: `make example` and `make test`.
# Each creates the local virtual environment .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: example test screenshots clean

example: $(VENV)/.core
	$(BIN)/chainrule example

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

# The README's pictures of the explorer, taken by its browser tests (docs/explorer-*.png).
screenshots: $(VENV)/.test
	CHAINRULE_DOCS_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_explorer_browser.py \
	  -k "readmes or training_n or bad_values or matrix_view or data_view or practice"

$(VENV)/.core: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Tests also compare with PyTorch when torch==2.13.0 (CPU) can be installed;
# without it those tests are skipped, never the others.
$(VENV)/.test: $(VENV)/.core pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet torch==2.13.0 \
	  || echo "note: torch==2.13.0 not installable here; the PyTorch comparison tests will be skipped"
	touch $@

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
