# Every target does its own set-up: a fresh clone with only python3 is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Installs the pinned tools and the package (editable) into the venv $(1), then stamps it.
define SETUP
$(1)/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt && \
$(1)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . && \
touch $(1)/.installed
endef

.PHONY: test lint typecheck typing unit unit-all generate demo bench clean

$(STAMP): pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(call SETUP,$(VENV))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict openrouter_core funcs tests examples tools

# The typing tests (tests/typing/): the types users see, under both mypy and pyright.
typing: $(STAMP)
	$(BIN)/mypy --strict tests/typing
	$(BIN)/pyright -p tests/typing

# pytest on the default venv only (the quick loop).
unit: $(STAMP)
	$(BIN)/pytest

# pytest on every supported Python found (on PATH as pythonX.Y, or under `pyenv root`/versions),
# each in its own venv, and with the lowest attrs and cattrs pyproject.toml admits: two runs at a
# time, each run's output printed whole when it ends (tools/test_all.py).
unit-all: $(STAMP)
	$(BIN)/python tools/test_all.py

# The checks of lint, typecheck and typing run as one more run beside the pytest ones.
test: $(STAMP)
	$(BIN)/python tools/test_all.py --checks

# Models, operation modules, the fake's answers and docs/ from spec/openapi (tools/generate.py).
generate: $(STAMP)
	$(BIN)/python tools/generate.py

# The demo needs the runtime only: its own small venv with the four dependencies pyproject.toml
# declares (no development tools), and this checkout on the path.
DEMO := .venv-demo
$(DEMO)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DEMO)
	$(DEMO)/bin/python -m pip install -q --disable-pip-version-check $$($(PYTHON) -c \
	  "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))")
	touch $@

demo: $(DEMO)/.installed
	PYTHONPATH=$(CURDIR) $(DEMO)/bin/python examples/quickstart.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .venv-* .bench-venv .mypy_cache .ruff_cache \
	  .hypothesis build dist
