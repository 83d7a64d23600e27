#!/usr/bin/env bash
# Glint on a database Glance made, and Glance on a database Glint made, with
# the real Glance 33 from PyPI against MariaDB (127.0.0.1:3306, root, no
# password; a fresh database per way). See glance_db.py.
#
#   bash tests/glance/glance_db.sh        # GLINT_BIN=... to pick the binary
#
# Skips (exit 0, with a message) when MariaDB does not answer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export GLINT_BIN="${GLINT_BIN:-$root/target/debug/glint}"
# shellcheck source=glance.sh
. "$here/glance.sh"

if ! python3 -c 'import socket; socket.create_connection(("127.0.0.1", 3306), 2)' 2>/dev/null; then
    echo "glance_db.sh: SKIPPED: no MariaDB/MySQL on 127.0.0.1:3306"
    exit 0
fi
[ -x "$GLINT_BIN" ] || { echo "glance_db.sh: no glint binary at $GLINT_BIN" >&2; exit 1; }

t0=$SECONDS
glance_install
echo "glance_db.sh: Glance venv ready in $((SECONDS - t0)) s"
work="$(mktemp -d "${TMPDIR:-/tmp}/glint-glance-db.XXXXXX")"
trap 'for s in "$work"/*/glance; do glance_stop "$s" 2>/dev/null || true; done' EXIT
t1=$SECONDS
status=0
"$GLANCE_VENV/bin/python" "$here/glance_db.py" "$work" || status=$?
if [ "$status" = 0 ]; then
    rm -rf "$work"
    echo "glance_db.sh: test ran in $((SECONDS - t1)) s"
else
    echo "glance_db.sh: test ran in $((SECONDS - t1)) s (logs in $work)"
fi
exit $status
