#!/usr/bin/env bash
# The dashboard in a real browser: installs Debian's chromium and
# playwright-core (cached under ~/.cache/glint/), starts `glint serve`
# (noauth) on a free loopback port with the metadefs catalogs loaded, and
# drives /dashboard headless with browser.mjs. Screenshots of every step go
# to target/dashboard-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/glint"
PLAYWRIGHT_DIR="$CACHE/playwright"
PLAYWRIGHT_VERSION=1.65.1
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
GLINT_BIN="${GLINT_BIN:-$ROOT/target/debug/glint}"
METADEFS_DIR="${METADEFS_DIR:-$ROOT/../shared/metadefs}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

if [ ! -x "$CHROMIUM" ] || ! command -v npm >/dev/null; then
    missing=""
    [ -x "$CHROMIUM" ] || missing="chromium"
    command -v npm >/dev/null || missing="$missing nodejs npm"
    echo "installing$missing (apt)"
    if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; }; then
        echo "SKIP dashboard browser suite: cannot install$missing (needs root or sudo with apt-get)" >&2
        exit 0
    fi
fi
if [ ! -f "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json" ] ||
    ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json"; then
    echo "installing playwright-core $PLAYWRIGHT_VERSION into $PLAYWRIGHT_DIR"
    mkdir -p "$PLAYWRIGHT_DIR"
    (cd "$PLAYWRIGHT_DIR" && npm install --silent --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
fi
if [ ! -d "$METADEFS_DIR" ]; then
    echo "the metadefs catalogs are not at $METADEFS_DIR (set METADEFS_DIR)" >&2
    exit 1
fi
if [ ! -x "$GLINT_BIN" ]; then
    cargo build --quiet --bin glint
fi

TMP=$(mktemp -d /tmp/glint-dashboard-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TMP/glint.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $PORT
data_dir = $TMP/data
[database]
connection = sqlite:///$TMP/glint.sqlite
[glance_store]
filesystem_store_datadir = $TMP/images
[dashboard]
image_url_allowed_hosts = 127.0.0.1
CONF
"$GLINT_BIN" --config-file "$TMP/glint.conf" db load-metadefs "$METADEFS_DIR" >"$TMP/load.log" 2>&1 ||
    { cat "$TMP/load.log" >&2; exit 1; }

"$GLINT_BIN" serve --config-file "$TMP/glint.conf" >"$TMP/glint.log" 2>&1 &
SERVER=$!
stop() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    rm -rf "$TMP"
}
trap stop EXIT
for _ in $(seq 1 100); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "http://127.0.0.1:$PORT/versions" 2>/dev/null; then break; fi
    if ! kill -0 "$SERVER" 2>/dev/null; then cat "$TMP/glint.log" >&2; exit 1; fi
    sleep 0.1
done

mkdir -p "$ROOT/target/dashboard-screenshots"
status=0
GLINT_URL="http://127.0.0.1:$PORT" CHROMIUM="$CHROMIUM" PLAYWRIGHT_DIR="$PLAYWRIGHT_DIR" \
    SCREENSHOTS="$ROOT/target/dashboard-screenshots" \
    node "$ROOT/tests/dashboard/browser.mjs" || status=$?
if [ "$status" != 0 ]; then
    echo "---- glint serve log" >&2
    tail -n 60 "$TMP/glint.log" >&2
fi
exit "$status"
