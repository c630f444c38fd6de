# Set-up and tests on a fresh machine: `make test`. Everything installs into .venv.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: test spec check-spec clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: $(VENV)/.installed
	$(PY) -m pytest

spec: $(VENV)/.installed
	$(PY) spec/capture.py

check-spec: $(VENV)/.installed
	$(PY) spec/capture.py --check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
