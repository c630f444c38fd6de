#!/usr/bin/env bash
# The sandbox against Prism's static mock: bench/run.sh [run.py options] [-- sandbox serve flags]
# Installs Prism (bench/node_modules, from package-lock.json) and wrk (apt) when missing,
# then runs bench/run.py, which writes bench/results.md. See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

if [ ! -x "$here/node_modules/.bin/prism" ]; then
    npm ci --prefix "$here" --no-audit --no-fund
fi
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
python="${PYTHON:-$root/.venv/bin/python}"
if [ ! -x "$python" ]; then
    make -C "$root" .venv/.installed
fi
exec "$python" "$here/run.py" --python "$python" "$@"
