# Every target does its own set-up: a fresh clone with only python3 is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Python versions the package supports (pyproject.toml: requires-python and classifiers).
# `make test` runs pytest on each of them found on this machine, each in its own venv: $(VENV) for
# the version $(PYTHON) is, .venv-X.Y for the others. A version not installed is skipped (and
# said so); none found at all is an error.
SUPPORTED_PYTHONS := 3.11 3.12 3.13

# Installs the pinned tools and the package (editable) into the venv $(1), then stamps it.
define SETUP
$(1)/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt && \
$(1)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . && \
touch $(1)/.installed
endef

.PHONY: test lint typecheck typing unit unit-all unit-lowest generate demo bench clean

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

# pytest on every supported Python found: on PATH as pythonX.Y, or under `pyenv root`/versions.
unit-all: $(STAMP)
	@default=$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	root=$$(pyenv root 2>/dev/null || true); \
	passed=; failed=; skipped=; \
	for v in $(SUPPORTED_PYTHONS); do \
	  venv=$(VENV); \
	  if [ "$$v" != "$$default" ]; then \
	    venv=.venv-$$v; exe=; \
	    for c in $$(command -v python$$v 2>/dev/null) \
	             $$([ -n "$$root" ] && ls -d "$$root"/versions/$$v.* 2>/dev/null \
	                | grep -E "/$$v\.[0-9]+$$" | sort -V -r | sed 's|$$|/bin/python3|'); do \
	      if [ "$$("$$c" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$$v" ]; then \
	        exe=$$c; break; \
	      fi; \
	    done; \
	    if [ -z "$$exe" ]; then \
	      echo "== Python $$v: not installed on this machine, SKIPPED"; skipped="$$skipped $$v"; continue; \
	    fi; \
	    if [ ! -f $$venv/.installed ] || [ pyproject.toml -nt $$venv/.installed ] \
	       || [ requirements-dev.txt -nt $$venv/.installed ] || ! $$venv/bin/python -c '' 2>/dev/null; then \
	      echo "== Python $$v: setting up $$venv with $$exe"; \
	      rm -rf $$venv; \
	      if ! { "$$exe" -m venv $$venv && $(call SETUP,$$venv); }; then \
	        echo "== Python $$v: set-up FAILED"; failed="$$failed $$v"; continue; \
	      fi; \
	    fi; \
	  fi; \
	  echo "== pytest on Python $$($$venv/bin/python -c 'import platform; print(platform.python_version())') ($$venv)"; \
	  start=$$(date +%s); \
	  if $$venv/bin/pytest; then passed="$$passed $$v"; else failed="$$failed $$v"; fi; \
	  echo "== Python $$v: pytest took $$(( $$(date +%s) - start )) s"; \
	done; \
	echo "== pytest passed on:$${passed:- none}; failed on:$${failed:- none}; skipped (not installed):$${skipped:- none}"; \
	if [ -z "$$passed$$failed" ]; then echo "== no supported Python ($(SUPPORTED_PYTHONS)) found"; exit 1; fi; \
	[ -z "$$failed" ]

# The lowest attrs and cattrs that pyproject.toml admits, beside the pinned (newest) ones: the
# models, the converter and the corpus of real traffic on $(PYTHON).
LOWEST := attrs==23.1.0 cattrs==24.1.0
LOWEST_VENV := .venv-lowest
LOWEST_TESTS := tests/test_models.py tests/test_models_stack.py tests/test_converter_paths.py \
	tests/test_corpus.py tests/test_api_conformance.py tests/test_chat_send.py

$(LOWEST_VENV)/.installed: pyproject.toml requirements-dev.txt
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(LOWEST_VENV)/bin/python -m pip install -q --disable-pip-version-check $(LOWEST)
	$(LOWEST_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps \
	  --no-build-isolation -e .
	touch $@

unit-lowest: $(LOWEST_VENV)/.installed
	@$(LOWEST_VENV)/bin/python -c 'import importlib.metadata as m; \
	  print("== pytest with attrs", m.version("attrs"), "and cattrs", m.version("cattrs"))'
	$(LOWEST_VENV)/bin/pytest $(LOWEST_TESTS)

test: lint typecheck typing unit-all unit-lowest

# Models, operation modules, the fake's answers and docs/ from spec/openapi (tools/generate.py).
generate: $(STAMP)
	$(BIN)/python tools/generate.py

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(addprefix .venv-,$(SUPPORTED_PYTHONS)) $(LOWEST_VENV) .bench-venv .mypy_cache .ruff_cache \
	  .hypothesis build dist
