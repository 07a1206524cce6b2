# The README's two entry points. Both work on a fresh machine with Python >= 3.11 and pip:
# they create .venv when it is missing and install the project with the tested versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SPEC ?= models/iraq_2010.toml
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: forecast test lock clean

$(BIN)/python:
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
	$(BIN)/python -m pytest

# Refresh constraints.txt from the current venv after a deliberate upgrade.
lock: $(VENV)/.installed-test
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^forecast' > constraints.txt

clean:
	rm -rf $(VENV) reports/out
