# Set-up and tests on a fresh machine: `make test` (ruff and mypy first: `make lint`). Everything installs into .venv.
VENV ?= .venv
# The venv's interpreter: the distribution's python3 when it is 3.11 or newer, else python3 from PATH.
# Debian's is built with PGO and LTO and ran the sandbox ~10-25% faster here than this machine's
# default python3, a plain pyenv build (bench/README.md, "Interpreter"). Any python3 >= 3.11 works:
# `make PYTHON=python3.12 test` (after `make clean`, since the venv is made once).
SYSTEM_PYTHON := $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' \
                   2>/dev/null && echo /usr/bin/python3)
PYTHON ?= $(or $(SYSTEM_PYTHON),python3)
PY := $(VENV)/bin/python
SDK := tests/sdk

.PHONY: test lint serve bench spec check-spec catalog clean sdk node have-redis redis lock

# What is installed is requirements.lock: the whole dependency tree at the versions tested (`make lock`
# writes it from pyproject.toml's ranges), then the project itself without resolving again.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# requirements.lock from pyproject.toml (dependencies and the test extra) by pip-tools, for the Python the venv
# uses; run after changing a dependency, then commit both.
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
	  -o requirements.lock pyproject.toml

test: $(VENV)/.installed $(SDK)/node_modules/.installed have-redis lint
	$(PY) -m pytest

# ruff (rules in pyproject.toml, [tool.ruff]) and mypy ([tool.mypy]: sandbox and conformance).
lint: $(VENV)/.installed
	$(PY) -m ruff check sandbox conformance
	$(PY) -m mypy

# The tests start their own redis-server (tests/rediskit.py) for the Redis state: Debian's, where the machine
# has none.
have-redis:
	@command -v redis-server >/dev/null 2>&1 || $(MAKE) --no-print-directory redis

redis:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server

# The official Fynd JavaScript SDK for tests/test_sdk_journey.py, at the versions tests/sdk/package-lock.json
# pins (npm ci), on the machine's Node; Debian's nodejs and npm where the machine has no npm.
sdk: $(SDK)/node_modules/.installed

$(SDK)/node_modules/.installed: $(SDK)/package.json $(SDK)/package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || $(MAKE) --no-print-directory node
	cd $(SDK) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm

# The sandbox on 127.0.0.1:8080 (default seed); flags and CARTWRIGHT_* variables: `cartwright serve --help`.
serve: $(VENV)/.installed
	$(VENV)/bin/cartwright serve $(ARGS)

# The sandbox against Prism and WireMock (installs them into bench/, wrk and Java); writes bench/results.md.
# bench/run.sh --state redis also runs it on a Redis state with 1, 2 and 4 workers (bench/README.md).
bench: $(VENV)/.installed
	bench/run.sh

spec: $(VENV)/.installed
	$(PY) spec/capture.py

check-spec: $(VENV)/.installed
	$(PY) spec/capture.py --check

# fixtures/catalog.json from the seeded generator (default seed and size).
catalog: $(VENV)/.installed
	$(PY) -m cartwright.sandbox.fixturegen

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis $(SDK)/node_modules

# The README's settings table, from the declarations in sandbox/_settings.py (tests/test_settings.py checks it).
.PHONY: settings-table
settings-table: $(VENV)/.installed
	$(PY) -c 'from cartwright.sandbox._settings import rewrite_readme; rewrite_readme("README.md")'
