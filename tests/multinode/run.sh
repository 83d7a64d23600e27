#!/usr/bin/env bash
# The three-node test: three `glint serve` processes sharing one fresh
# PostgreSQL database and one S3 bucket (s3s-fs on loopback, from
# tests/s3/s3.sh), driven concurrently with openstacksdk, then every
# image's state and bytes checked; a node restarts beside another's live
# upload, and a node killed mid-upload stays down while the others undo its
# upload. Skips, saying why, when PostgreSQL is absent.
#
#   GLINT_BIN=target/debug/glint bash tests/multinode/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${GLINT_CLIENTS_VENV:-$HOME/.cache/glint/clients-venv}"
pg="${GLINT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if ! psql "$pg" -Atc 'select 1' >/dev/null 2>&1; then
    echo "multinode: skipped, PostgreSQL is not reachable at $pg"
    exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
    # The client suite's runner makes the venv; run nothing else of it.
    bash "$root/tests/clients/run.sh" --collect-only -q >/dev/null
fi
s3_env="$(bash "$root/tests/s3/s3.sh")"
eval "$s3_env"

db="glint_multinode_$$_$(date +%s)"
psql "$pg" -qc "CREATE DATABASE $db"
cleanup() { psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; }
trap cleanup EXIT

export GLINT_BIN="${GLINT_BIN:-$root/target/debug/glint}"
export GLINT_MULTINODE_DB="${pg%/*}/$db"
"$venv/bin/python" "$here/multinode.py"
