#!/usr/bin/env bash
# The dashboard in a real browser: installs Debian's chromium and
# playwright-core (cached under ~/.cache/glint/), then drives /dashboard
# headless against `glint serve` on free loopback ports:
#   1. noauth, with the metadefs catalogs loaded (browser.mjs);
#   2. Keystone sign-in against a real Keystone from tests/keystone
#      (keystone.mjs); skipped with a message when Keystone cannot start, or
#      when GLINT_DASHBOARD_KEYSTONE=0.
# Screenshots of every step go to target/dashboard-screenshots/.
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
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    # playwright-core 1.65 needs Node 20; Debian 12's own nodejs is 18.
    PLAYWRIGHT_VERSION=1.49.1
    PLAYWRIGHT_DIR="$CACHE/playwright-node18"
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
SERVERS=()
KS_DIR=""
stop() {
    for pid in "${SERVERS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$KS_DIR" ]; then bash tests/keystone/keystone.sh stop "$KS_DIR" >/dev/null 2>&1 || true; fi
    rm -rf "$TMP"
}
trap stop EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Writes $TMP/NAME/glint.conf for a server on a free port, with EXTRA appended;
# prints the port.
configure() {
    local name=$1 extra=$2 port dir
    port=$(free_port)
    dir="$TMP/$name"
    mkdir -p "$dir"
    cat >"$dir/glint.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
data_dir = $dir/data
[database]
connection = sqlite:///$dir/glint.sqlite
[glance_store]
filesystem_store_datadir = $dir/images
[dashboard]
image_url_allowed_hosts = 127.0.0.1
[import_filtering_opts]
allowed_ports =
$extra
CONF
    echo "$port"
}

# Starts `glint serve` for $TMP/NAME and waits until it answers.
serve() {
    local name=$1 port=$2
    "$GLINT_BIN" serve --config-file "$TMP/$name/glint.conf" >"$TMP/$name/glint.log" 2>&1 &
    SERVERS+=($!)
    for _ in $(seq 1 100); do
        if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
            "http://127.0.0.1:$port/versions" 2>/dev/null; then return 0; fi
        if ! kill -0 "${SERVERS[-1]}" 2>/dev/null; then break; fi
        sleep 0.1
    done
    cat "$TMP/$name/glint.log" >&2
    echo "glint serve ($name) did not start" >&2
    exit 1
}

# Runs a browser script against the server of NAME on PORT.
drive() {
    local name=$1 port=$2 script=$3
    shift 3
    if ! env "$@" GLINT_URL="http://127.0.0.1:$port" CHROMIUM="$CHROMIUM" \
        PLAYWRIGHT_DIR="$PLAYWRIGHT_DIR" SCREENSHOTS="$ROOT/target/dashboard-screenshots" \
        node "$ROOT/tests/dashboard/$script"; then
        echo "---- glint serve ($name) log" >&2
        tail -n 60 "$TMP/$name/glint.log" >&2
        exit 1
    fi
}

rm -rf "$ROOT/target/dashboard-screenshots"
mkdir -p "$ROOT/target/dashboard-screenshots"

echo "-- noauth"
port=$(configure noauth "")
"$GLINT_BIN" --config-file "$TMP/noauth/glint.conf" db load-metadefs "$METADEFS_DIR" >"$TMP/noauth/load.log" 2>&1 ||
    { cat "$TMP/noauth/load.log" >&2; exit 1; }
serve noauth "$port"
drive noauth "$port" browser.mjs SCREENSHOT_PREFIX=noauth-

echo "-- Keystone sign-in"
if [ "${GLINT_DASHBOARD_KEYSTONE:-1}" = 0 ]; then
    echo "SKIP Keystone sign-in: GLINT_DASHBOARD_KEYSTONE=0"
    exit 0
fi
KS_DIR="$TMP/keystone"
if ! bash tests/keystone/keystone.sh start "$KS_DIR" >"$TMP/keystone-start.log" 2>&1; then
    tail -n 20 "$TMP/keystone-start.log" >&2
    echo "SKIP Keystone sign-in: Keystone did not start (log above)"
    exit 0
fi
read -r AUTH_URL GLINT_PASSWORD BETA_PROJECT_ID < <(python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))
print(k["auth_url"], k["users"]["glint"]["password"], k["projects"]["beta"])' "$KS_DIR/keystone.json")
port=$(configure keystone "[paste_deploy]
flavor = keystone
[keystone_authtoken]
auth_url = $AUTH_URL
username = glint
password = $GLINT_PASSWORD
project_name = service")
serve keystone "$port"
drive keystone "$port" keystone.mjs SCREENSHOT_PREFIX=keystone- BETA_PROJECT_ID="$BETA_PROJECT_ID"
