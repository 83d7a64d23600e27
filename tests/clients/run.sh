#!/usr/bin/env bash
# The client suite: the real `glance` CLI, `openstack image …` and
# openstacksdk against a running Image API v2 server — the server at
# $GLINT_URL, or `glint serve` started by conftest.py from $GLINT_BIN
# (default target/debug/glint).
#
#   bash tests/clients/run.sh                       # whole suite
#   bash tests/clients/run.sh -k sdk -x             # pytest options pass through
#   bash tests/clients/run.sh tests/clients/test_http.py
#   GLINT_URL=http://127.0.0.1:9393 GLINT_IDENTITY_PROXY=1 bash tests/clients/run.sh
#   GLINT_DATA_API=registry bash tests/clients/run.sh   # glint serve in front of glint registry
#
# The clients live in a venv at $GLINT_CLIENTS_VENV (default
# ~/.cache/glint/clients-venv), (re)installed only when requirements.txt
# changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${GLINT_CLIENTS_VENV:-$HOME/.cache/glint/clients-venv}"
stamp="$venv/.requirements.sha256"
want="$( (sha256sum < "$here/requirements.txt"; python3 --version 2>&1) | sha256sum | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ]; then
    mkdir -p "$(dirname "$venv")"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian without python3-venv has no ensurepip: make the venv with
        # virtualenv (from PyPI, kept beside the venv) instead.
        rm -rf "$venv"
        echo "run.sh: python3 -m venv failed; using virtualenv" >&2
        python3 -m pip install -q --disable-pip-version-check \
            --target "$venv.virtualenv" virtualenv
        PYTHONPATH="$venv.virtualenv" python3 -m virtualenv -q "$venv"
    fi
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "run.sh: installing the clients into $venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi

cd "$root"
# Default to the whole suite unless a test path was named.
target=(tests/clients)
for arg in "$@"; do
    case "$arg" in
        -*) ;;
        *) if [ -e "${arg%%::*}" ]; then target=(); break; fi ;;
    esac
done
export PATH="$venv/bin:$PATH"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "${target[@]}" "$@"
