#!/usr/bin/env bash
# The client suite: the real `glance` CLI, `openstack image …` and
# openstacksdk against a running `glint serve` (started by conftest.py
# from $GLINT_BIN, or the server at $GLINT_URL).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${GLINT_CLIENTS_VENV:-$HOME/.cache/glint/clients-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$here/../.."
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
