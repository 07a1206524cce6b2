# The two entry points of the README. Both work on a fresh machine with Python >= 3.11 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SPEC ?= models/iraq_2010.toml

.PHONY: forecast test install install-test lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

forecast: install
	$(BIN)/forecast run $(SPEC)

test: install
	$(BIN)/python -m pytest

lock: $(BIN)/python
	$(BIN)/pip freeze --exclude-editable | grep -v '^forecast' > constraints.txt

clean:
	rm -rf $(VENV) reports/out
