# Set-up and tests on a fresh machine: `make test`. Everything installs into .venv.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: test serve bench spec check-spec catalog clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: $(VENV)/.installed
	$(PY) -m pytest

# The sandbox on 127.0.0.1:8080 (default seed); flags and CARTWRIGHT_* variables: `cartwright serve --help`.
serve: $(VENV)/.installed
	$(VENV)/bin/cartwright serve $(ARGS)

# The sandbox against Prism's static mock (installs Prism into bench/ and wrk); writes bench/results.md.
bench: $(VENV)/.installed
	bench/run.sh

spec: $(VENV)/.installed
	$(PY) spec/capture.py

check-spec: $(VENV)/.installed
	$(PY) spec/capture.py --check

# fixtures/catalog.json from the seeded generator (default seed and size).
catalog: $(VENV)/.installed
	$(PY) -m sandbox.fixturegen

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
