#!/usr/bin/env bash
# A real S3-compatible server on loopback for the tests: s3s-fs (crates.io),
# which keeps objects as files and checks SigV4 signatures.
#
#   eval "$(bash tests/s3/s3.sh)"      install if needed, start if not running,
#                                      print the GLINT_TEST_S3_* variables
#   bash tests/s3/s3.sh stop           stop the server this script started
#
# GLINT_S3_PORT (default 19210) and GLINT_S3_DIR (default
# ~/.cache/glint/s3) choose where it listens and keeps its files.
set -euo pipefail

version=0.14.1
port="${GLINT_S3_PORT:-19210}"
dir="${GLINT_S3_DIR:-$HOME/.cache/glint/s3}"
access_key=glint-test
secret_key=glint-test-secret
bin="$HOME/.cargo/bin/s3s-fs"
pidfile="$dir/server-$port.pid"
endpoint="http://127.0.0.1:$port"

running() {
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

if [ "${1:-start}" = stop ]; then
    if running; then
        kill "$(cat "$pidfile")"
        rm -f "$pidfile"
        echo "stopped s3s-fs on $endpoint" >&2
    fi
    exit 0
fi

if ! "$bin" --version 2>/dev/null | grep -q "$version"; then
    echo "installing s3s-fs $version (about 2-3 minutes on two cores)" >&2
    # Its own target folder: the workspace's stays for the workspace.
    CARGO_TARGET_DIR="$HOME/.cache/glint/s3s-build" \
        cargo install --quiet --locked "s3s-fs@$version" --features binary >&2
    rm -rf "$HOME/.cache/glint/s3s-build"
fi

mkdir -p "$dir/data"
if ! running; then
    nohup "$bin" --host 127.0.0.1 --port "$port" \
        --access-key "$access_key" --secret-key "$secret_key" \
        "$dir/data" >"$dir/server-$port.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if ! running; then
        echo "s3s-fs did not start; see $dir/server-$port.log" >&2
        exit 1
    fi
    echo "s3s-fs listening on $endpoint (data in $dir/data)" >&2
fi

echo "export GLINT_TEST_S3_ENDPOINT=$endpoint"
echo "export GLINT_TEST_S3_ACCESS_KEY=$access_key"
echo "export GLINT_TEST_S3_SECRET_KEY=$secret_key"
echo "export GLINT_TEST_S3_DATA_DIR=$dir/data"
