#!/usr/bin/env bash
# The sandbox against Prism's static mock and WireMock: bench/run.sh [run.py options] [-- sandbox serve flags]
# Installs what is missing: Prism and WireMock (bench/node_modules, from package-lock.json), wrk, Java for
# WireMock (Debian's default-jre-headless) and, with --state redis, redis-server (apt); then runs
# bench/run.py, which writes bench/results.md. See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

apt_install() {
    local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
no_wiremock=false redis=false prev=""
for a in "$@"; do
    [ "$a" = -- ] && break
    case "$a" in
        --no-wiremock) no_wiremock=true ;;
        --state=redis) redis=true ;;
    esac
    [ "$prev" = --state ] && [ "$a" = redis ] && redis=true
    prev="$a"
done

if [ ! -x "$here/node_modules/.bin/prism" ] || ! compgen -G "$here/node_modules/wiremock/build/*.jar" >/dev/null; then
    npm ci --prefix "$here" --no-audit --no-fund
fi
if ! command -v wrk >/dev/null; then apt_install wrk; fi
if ! $no_wiremock && [ -z "${JAVA:-}" ] && ! command -v java >/dev/null; then apt_install default-jre-headless; fi
if $redis && ! command -v redis-server >/dev/null; then make -C "$root" redis; fi
python="${PYTHON:-$root/.venv/bin/python}"
if [ ! -x "$python" ]; then
    make -C "$root" .venv/.installed
fi
exec "$python" "$here/run.py" --python "$python" "$@"
