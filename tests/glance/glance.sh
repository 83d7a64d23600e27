#!/usr/bin/env bash
# A real OpenStack Glance (33.0.0, from PyPI) on loopback, to compare Glint
# with Glance side by side and to test Glint on a database Glance made.
#
#   bash tests/glance/glance.sh start STATE_DIR DB_URL DATA_DIR  # prints URL (pid in STATE_DIR/glance.pid)
#   bash tests/glance/glance.sh stop STATE_DIR                   # stop it, leave nothing running
#   bash tests/glance/glance.sh manage STATE_DIR DB_URL ARGS...  # glance-manage (e.g. db sync)
#   bash tests/glance/glance.sh install                          # only make the venv
#
# The venv lives at ${GLANCE_VENV:-~/.cache/glint/glance-venv} (made once;
# remade when the pins or the python version change). `start` writes
# STATE_DIR/glance-api.conf and glance-api-paste.ini and serves
# glance.wsgi.api:application under uWSGI on a free 127.0.0.1 port:
#   - [paste_deploy] flavor = keystone, with Glance's own keystone pipeline
#     minus `authtoken`: identity comes from the X-Identity-Status: Confirmed,
#     X-Project-Id, X-User-Id and X-Roles headers (as Glance's functional
#     tests run it); default (new) policies;
#   - [database] connection = DB_URL (e.g. mysql+pymysql://root@127.0.0.1/db);
#   - one file store (`file`) whose filesystem_store_datadir is DATA_DIR;
#   - logs in STATE_DIR/glance-api.log and STATE_DIR/server.log;
#   - GLANCE_SHOW_MULTIPLE_LOCATIONS=true shows (and lets members set)
#     image locations.
# Sourcing the script (`. tests/glance/glance.sh`) defines glance_start,
# glance_stop and glance_manage without running anything.
set -euo pipefail

GLANCE_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GLANCE_CACHE="${GLINT_CACHE:-$HOME/.cache/glint}"
GLANCE_VENV="${GLANCE_VENV:-$GLANCE_CACHE/glance-venv}"
GLANCE_PINS="glance==33.0.0 uWSGI==2.0.31 PyMySQL==1.2.4"

glance_log() { echo "glance.sh: $*" >&2; }

glance_install() {
    local stamp="$GLANCE_VENV/.glint-glance-stamp" want
    want="$(echo "$GLANCE_PINS $(python3 -c 'import sys; print(sys.version)')" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$GLANCE_VENV")"
    exec 8>"$GLANCE_VENV.lock"
    flock 8
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        local t0=$SECONDS
        glance_log "installing $GLANCE_PINS into $GLANCE_VENV"
        rm -rf "$GLANCE_VENV"
        python3 -m venv "$GLANCE_VENV"
        local pip=("$GLANCE_VENV/bin/python" -m pip install -q --disable-pip-version-check)
        "${pip[@]}" --upgrade pip
        # shellcheck disable=SC2086  # the pins are words
        "${pip[@]}" $GLANCE_PINS
        echo "$want" > "$stamp"
        glance_log "installed in $((SECONDS - t0)) s"
    fi
    exec 8>&-
}

glance_free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

glance_write_conf() {  # STATE_DIR DB_URL DATA_DIR URL
    local st="$1" db="$2" data="$3" url="$4"
    mkdir -p "$data" "$st/staging" "$st/tasks" "$st/cache"
    # Glance's own paste file, with authtoken taken out of the keystone
    # pipeline: its `context` filter then trusts the identity headers.
    sed -e '/^keystone = /s/ authtoken / /' \
        -e "s#/etc/glance/healthcheck_disable#$st/healthcheck_disable#" \
        "$GLANCE_VENV/etc/glance/glance-api-paste.ini" > "$st/glance-api-paste.ini"
    cat > "$st/glance-api.conf" <<EOF
# Written by tests/glance/glance.sh: a throwaway Glance for tests.
[DEFAULT]
debug = ${GLANCE_DEBUG:-false}
use_stderr = false
log_file = $st/glance-api.log
worker_self_reference_url = $url
image_cache_dir = $st/cache
node_staging_uri = file://$st/staging
show_image_direct_url = false
show_multiple_locations = ${GLANCE_SHOW_MULTIPLE_LOCATIONS:-false}

[database]
connection = $db

[paste_deploy]
flavor = keystone
config_file = $st/glance-api-paste.ini

[glance_store]
stores = file,http
default_store = file
filesystem_store_datadir = $data

[os_glance_staging_store]
filesystem_store_datadir = $st/staging

[os_glance_tasks_store]
filesystem_store_datadir = $st/tasks

[oslo_policy]
enforce_new_defaults = true
enforce_scope = true
EOF
}

glance_manage() {  # STATE_DIR DB_URL ARGS...
    local st="$1" db="$2"; shift 2
    glance_install
    mkdir -p "$st"
    st="$(cd "$st" && pwd)"
    [ -f "$st/glance-api.conf" ] || glance_write_conf "$st" "$db" "$st/images" "http://127.0.0.1:9292"
    cat > "$st/glance-manage.conf" <<EOF
[DEFAULT]
log_file = $st/glance-manage.log
[database]
connection = $db
EOF
    "$GLANCE_VENV/bin/glance-manage" --config-file "$st/glance-manage.conf" "$@"
}

glance_start() {  # STATE_DIR DB_URL DATA_DIR -> prints URL
    local st="$1" db="$2" data="$3"
    glance_install
    mkdir -p "$st" "$data"
    st="$(cd "$st" && pwd)"; data="$(cd "$data" && pwd)"
    glance_stop "$st"
    local port url pid
    port="$(glance_free_port)"
    url="http://127.0.0.1:$port"
    glance_write_conf "$st" "$db" "$data" "$url"
    rm -f "$st/server.log"
    OS_GLANCE_CONFIG_DIR="$st" PATH="$GLANCE_VENV/bin:$PATH" PYTHONWARNINGS=ignore \
        setsid "$GLANCE_VENV/bin/uwsgi" --master --die-on-term --need-app \
        --http-socket "127.0.0.1:$port" --module glance.wsgi.api:application \
        --processes 1 --threads 4 --enable-threads --buffer-size 65535 \
        --disable-logging --add-header "Connection: close" \
        </dev/null >"$st/server.log" 2>&1 &
    pid=$!
    echo "$pid" > "$st/glance.pid"
    echo "$url" > "$st/glance.url"
    local deadline=$((SECONDS + ${GLANCE_START_TIMEOUT:-90}))
    until curl -fsS -o /dev/null --max-time 5 "$url/healthcheck" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            tail -n 30 "$st/server.log" "$st/glance-api.log" >&2 || true
            glance_stop "$st"
            glance_log "glance did not start; see $st/server.log"
            return 1
        fi
        sleep 0.3
    done
    glance_log "glance at $url pid $pid"
    echo "$url"
}

glance_stop() {  # STATE_DIR: TERM the server's process group, then KILL it
    local st="$1" pid _
    pid="$(cat "$st/glance.pid" 2>/dev/null || true)"
    [ -n "$pid" ] || return 0
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q glance; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$st/glance.pid"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    sub="${1:-}"; shift || true
    case "$sub" in
        install) glance_install ;;
        start) [ $# -eq 3 ] || { sed -n '5,8p' "$0" >&2; exit 2; }; glance_start "$@" ;;
        stop) [ $# -eq 1 ] || { sed -n '5,8p' "$0" >&2; exit 2; }; glance_stop "$1" ;;
        manage) [ $# -ge 3 ] || { sed -n '5,8p' "$0" >&2; exit 2; }; glance_manage "$@" ;;
        *) sed -n '5,8p' "$0" >&2; exit 2 ;;
    esac
fi
