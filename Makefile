# The README's two entry points. Both work on a fresh machine with Python >= 3.12 and pip:
# they create .venv when it is missing and install the project with the tested versions.
# PyMC 6 and ArviZ 1.x need Python >= 3.12: take the first interpreter on PATH (or under
# pyenv) that is new enough; override with `make PYTHON=/path/to/python3.12 ...`.
PY_CANDIDATES := python3.12 python3.13 python3 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3)
PYTHON ?= $(firstword $(foreach p,$(PY_CANDIDATES),$(shell $(p) -c \
	'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
SPEC ?= models/iraq_2010.toml
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: forecast test lock clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "make: no Python >= 3.12 found; set PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_INSTALL) -e ".[test]"
	touch $@

forecast: $(VENV)/.installed
	$(BIN)/forecast check-data $(SPEC)
	$(BIN)/forecast run $(SPEC)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Refresh constraints.txt from the current venv after a deliberate upgrade.
lock: $(VENV)/.installed-test
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^forecast' > constraints.txt

clean:
	rm -rf $(VENV) reports/out
