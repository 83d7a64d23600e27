#!/usr/bin/env bash
# A real Keystone (OpenStack Identity) for the test suite, on loopback.
#
#   bash tests/keystone/keystone.sh start STATE_DIR    # install if needed, start, provision
#   bash tests/keystone/keystone.sh stop STATE_DIR     # stop it, leave nothing running
#   bash tests/keystone/keystone.sh token STATE_DIR USER [--system] [--project NAME]
#   bash tests/keystone/keystone.sh status STATE_DIR   # exit 0 when it answers
#
# `start` keeps a venv at ${GLINT_CACHE:-~/.cache/glint}/keystone-venv
# (reinstalled only when requirements.txt, the WSGI server pin or the python
# version change), writes STATE_DIR/keystone.conf (SQLite, fernet keys and
# logs all in STATE_DIR), runs keystone-manage db_sync/fernet_setup/
# credential_setup/bootstrap (in one interpreter: manage_many.py), serves
# Keystone with uWSGI (gunicorn when uWSGI cannot be built) on 127.0.0.1 on a
# free port, creates the test identities through Keystone's API
# (provision.py) and writes STATE_DIR/keystone.json. Every start begins from
# an empty database; a start for a STATE_DIR whose Keystone still answers
# only prints its URL. See README.md.
#
# Environment:
#   GLINT_CACHE                 cache dir (default ~/.cache/glint)
#   KEYSTONE_VENV               venv path (default $GLINT_CACHE/keystone-venv)
#   KEYSTONE_PYTHON             interpreter for the venv, 3.11+ (default python3)
#   KEYSTONE_TOKEN_EXPIRATION   token lifetime in seconds (default 3600)
#   KEYSTONE_WSGI_SERVER        uwsgi (default) or gunicorn
#   KEYSTONE_WORKERS            server processes (default 1; more turn the cache off)
#   KEYSTONE_THREADS            threads per server process (default 1: SQLite
#                               deadlocks ("database is locked") between
#                               concurrent writers)
#   KEYSTONE_START_TIMEOUT      seconds to wait for GET /v3 (default 60)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${GLINT_CACHE:-$HOME/.cache/glint}"
venv="${KEYSTONE_VENV:-$cache/keystone-venv}"
python="${KEYSTONE_PYTHON:-python3}"
UWSGI_PIN="uWSGI==2.0.31"
GUNICORN_PIN="gunicorn==27.0.1"

log() { echo "keystone.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# --- venv -----------------------------------------------------------------

venv_stamp() {
    (
        sha256sum < "$here/requirements.txt"
        echo "$UWSGI_PIN $GUNICORN_PIN ${KEYSTONE_WSGI_SERVER:-uwsgi}"
        "$python" -c 'import sys; print(sys.version)'
    ) | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "keystone 30 needs python 3.11+; set KEYSTONE_PYTHON"
    local want stamp="$venv/.glint-keystone-stamp"
    want="$(venv_stamp)"
    if [ "$(sed -n 1p "$stamp" 2>/dev/null)" = "$want" ] \
        && [ -x "$venv/bin/keystone-manage" ]; then
        return 0
    fi
    # One installer at a time; the others wait and then find it complete.
    mkdir -p "$(dirname "$venv")"
    exec 9>"$venv.lock"
    flock 9
    if [ "$(sed -n 1p "$stamp" 2>/dev/null)" = "$want" ] \
        && [ -x "$venv/bin/keystone-manage" ]; then
        exec 9>&-
        return 0
    fi
    log "installing keystone into $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # A Debian python without python3-venv has no ensurepip.
        rm -rf "$venv"
        log "python -m venv failed; using virtualenv"
        "$python" -m pip install -q --disable-pip-version-check \
            --target "$venv.virtualenv" virtualenv
        PYTHONPATH="$venv.virtualenv" "$python" -m virtualenv -q "$venv"
    fi
    local pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
    "${pip[@]}" -r "$here/requirements.txt"
    local server=""
    if [ "${KEYSTONE_WSGI_SERVER:-uwsgi}" = uwsgi ]; then
        # uWSGI is built from source (~20 s once; pip caches the wheel).
        if "${pip[@]}" "$UWSGI_PIN" >"$venv/uwsgi-build.log" 2>&1; then
            server=uwsgi
        else
            log "uWSGI did not build (see $venv/uwsgi-build.log); using gunicorn"
        fi
    fi
    if [ -z "$server" ]; then
        "${pip[@]}" "$GUNICORN_PIN"
        server=gunicorn
    fi
    printf '%s\n%s\n' "$want" "$server" > "$stamp"
    exec 9>&-
}

# --- helpers --------------------------------------------------------------

free_port() {
    "$python" - <<'EOF'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    if port in (5000, 35357):
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
EOF
}

json_get() {  # json_get FILE KEY
    "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Whether a process (alive) or any process of a group (group_alive) exists
# and is not a zombie (a container's pid 1 may never reap). /proc/PID/stat:
# "pid (comm) state ppid pgrp ...".
alive() {
    local s
    [ -n "${1:-}" ] && { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
    s="${s##*) }"
    [ "${s%% *}" != Z ]
}

group_alive() {
    local f s
    [ -n "${1:-}" ] || return 1
    for f in /proc/[0-9]*/stat; do
        { read -r s < "$f"; } 2>/dev/null || continue
        s="${s##*) }"
        # shellcheck disable=SC2086  # split the fields on purpose
        set -- "$1" $s
        [ "$2" != Z ] && [ "$5" = "$1" ] && return 0
    done
    return 1
}

answers() {  # answers URL
    curl -fsS -o /dev/null --max-time 5 "$1" 2>/dev/null
}

write_conf() {  # write_conf STATE_DIR
    local st="$1"
    cat > "$st/keystone.conf" <<EOF
# Written by tests/keystone/keystone.sh: a throwaway Keystone for tests.
[DEFAULT]
debug = false
use_stderr = false
log_dir = $st
log_file = keystone.log

[database]
connection = sqlite:///$st/keystone.db

[token]
provider = fernet
expiration = ${KEYSTONE_TOKEN_EXPIRATION:-3600}

[fernet_tokens]
key_repository = $st/fernet-keys

[fernet_receipts]
key_repository = $st/fernet-keys

[credential]
provider = fernet
key_repository = $st/credential-keys

[identity]
# bcrypt's minimum cost: a password check takes ~1 ms instead of ~250 ms.
password_hash_rounds = 4
# bcrypt's own limit; above it keystone logs a warning on every password.
max_password_length = 72

[cache]
$(cache_conf)
EOF
}

cache_conf() {
    # Uncached, validating a token takes Keystone ~600 SQLite queries (~0.5 s
    # here); with the cache, ~5 ms. The cache lives in the server process and
    # its invalidations (revocations, role and password changes) reach only
    # that process, so it is on only with a single worker process.
    if [ "${KEYSTONE_WORKERS:-1}" = 1 ]; then
        printf 'enabled = true\nbackend = dogpile.cache.memory\n'
    else
        printf 'enabled = false\n'
    fi
}

manage() {  # manage STATE_DIR -- CMD ARGS... [-- CMD ARGS...]: keystone-manage
    # commands, all in one interpreter (manage_many.py), output to manage.log.
    local st="$1"; shift
    if ! "$venv/bin/python" "$here/manage_many.py" "$st/keystone.conf" "$@" \
            >> "$st/manage.log" 2>&1; then
        tail -n 30 "$st/manage.log" >&2
        die "keystone-manage failed; see $st/manage.log and $st/keystone.log"
    fi
}

bootstrap_args() {  # bootstrap_args URL
    echo bootstrap \
        --bootstrap-username admin --bootstrap-password secret-admin \
        --bootstrap-project-name admin --bootstrap-role-name admin \
        --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
        --bootstrap-admin-url "$1" --bootstrap-public-url "$1" \
        --bootstrap-internal-url "$1"
}

wait_up() {  # wait_up STATE_DIR PID URL -> prints up, port (taken) or failed
    local st="$1" pid="$2" url="$3"
    local deadline=$(( $(date +%s) + ${KEYSTONE_START_TIMEOUT:-60} ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if answers "$url"; then
            echo up; return
        fi
        if grep -qE "Address already in use|Connection in use" "$st/server.log" 2>/dev/null; then
            echo port; return
        fi
        # A server whose app does not load: uWSGI exits (--need-app),
        # gunicorn keeps respawning workers that exit.
        if ! alive "$pid" || grep -qE "exited with code|Traceback" "$st/server.log" 2>/dev/null; then
            echo failed; return
        fi
        sleep 0.2
    done
    echo failed
}

# --- start / stop ---------------------------------------------------------

start_server() {  # start_server STATE_DIR PORT SERVER -> prints pid
    local st="$1" port="$2" server="$3" workers="${KEYSTONE_WORKERS:-1}"
    local threads="${KEYSTONE_THREADS:-1}"
    local cmd
    if [ "$server" = uwsgi ]; then
        cmd=("$venv/bin/uwsgi" --master --die-on-term --need-app --lazy-apps
             --http-socket "127.0.0.1:$port" --module keystone.wsgi.api:application
             --processes "$workers" --threads "$threads" --buffer-size 65535
             --thunder-lock --disable-logging --vacuum
             --add-header "Connection: close")
        # Connection: close — a worker closes the socket after each response;
        # without the header, clients (python-requests, hyper) reuse it and a
        # request sent before the close lands gets "connection reset".
    else
        cmd=("$venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers "$workers"
             --threads "$threads"
             --chdir "$st" --timeout 120 --no-control-socket
             --pythonpath "$here" keystone_wsgi:application)
    fi
    # setsid: the server leads its own process group, which `stop` kills.
    OS_KEYSTONE_CONFIG_FILES="$st/keystone.conf" PATH="$venv/bin:$PATH" PYTHONWARNINGS=ignore \
        setsid "${cmd[@]}" </dev/null >"$st/server.log" 2>&1 &
    echo $!
}

cmd_status() {
    local st json
    st="$(abs_dir "$1")"; json="$st/keystone.json"
    [ -f "$json" ] || return 1
    alive "$(json_get "$json" pid)" && answers "$(json_get "$json" auth_url)"
}

cmd_start() {
    local st t0 server port pid url
    t0=$(date +%s%N)
    st="$(abs_dir "$1")"
    if cmd_status "$st" 2>/dev/null; then
        log "already running"
        json_get "$st/keystone.json" auth_url
        return 0
    fi
    cmd_stop "$st" 2>/dev/null || true
    case "${KEYSTONE_TOKEN_EXPIRATION:-3600}" in
        ''|*[!0-9]*) die "KEYSTONE_TOKEN_EXPIRATION must be a number of seconds" ;;
    esac
    ensure_venv
    server="$(sed -n 2p "$venv/.glint-keystone-stamp")"

    rm -rf "$st/keystone.db" "$st/fernet-keys" "$st/credential-keys" \
        "$st/keystone.json" "$st/keystone.log" "$st/server.log" "$st/keystone.pid" \
        "$st/manage.log"
    write_conf "$st"
    local owner=(--keystone-user "$(id -un)" --keystone-group "$(id -gn)")
    # Whatever fails or interrupts from here on stops the server it started.
    trap 'stop_pid "${pid:-}"' EXIT
    trap 'exit 130' INT TERM
    port="$(free_port)"
    url="http://127.0.0.1:$port/v3"
    # The server loads keystone (~3 s) while keystone-manage prepares the
    # database and keys: it reads neither before its first real request,
    # which comes after both are done (GET /v3 touches neither).
    pid="$(start_server "$st" "$port" "$server")"
    echo "$pid" > "$st/keystone.pid"
    # shellcheck disable=SC2046  # bootstrap_args: words without spaces
    manage "$st" -- db_sync -- fernet_setup "${owner[@]}" \
        -- credential_setup "${owner[@]}" -- $(bootstrap_args "$url")

    local attempt
    for attempt in 1 2 3; do
        if [ "$attempt" -gt 1 ]; then
            # Port taken meanwhile: bootstrap again (idempotent) to move the
            # identity endpoints to the new URL.
            port="$(free_port)"
            url="http://127.0.0.1:$port/v3"
            # shellcheck disable=SC2046
            manage "$st" -- $(bootstrap_args "$url")
            pid="$(start_server "$st" "$port" "$server")"
        fi
        echo "$pid" > "$st/keystone.pid"
        case "$(wait_up "$st" "$pid" "$url")" in
            up) break ;;
            port) log "port $port was taken (attempt $attempt)"
                  stop_pid "$pid"; pid="" ;;
            *) tail -n 30 "$st/server.log" >&2 || true
               die "keystone did not start; see $st/server.log and $st/keystone.log" ;;
        esac
    done
    [ -n "$pid" ] || die "keystone did not start; see $st/server.log and $st/keystone.log"

    "$venv/bin/python" "$here/provision.py" --auth-url "$url" \
        --pid "$pid" --out "$st/keystone.json" || die "provisioning failed"
    trap - EXIT INT TERM
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    log "keystone ($server) at $url pid $pid; start took $((ms / 1000)).$(printf %03d $((ms % 1000)))s"
    echo "$url"
}

stop_pid() {  # stop_pid PID: TERM the process group, then KILL it
    local pid="$1" _
    [ -n "$pid" ] || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        group_alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    for _ in $(seq 30); do
        group_alive "$pid" || return 0
        sleep 0.1
    done
    log "process group $pid still alive"
    return 1
}

group_is_keystone() {  # a process of group $1 runs keystone (a stale pid
    # file must not make us kill whoever has that pid now)
    local f s c
    for f in /proc/[0-9]*/stat; do
        { read -r s < "$f"; } 2>/dev/null || continue
        s="${s##*) }"
        # shellcheck disable=SC2086  # split the fields on purpose
        set -- "$1" $s
        [ "$5" = "$1" ] || continue
        c="$(tr '\0' ' ' < "${f%/stat}/cmdline" 2>/dev/null || true)"
        case "$c" in *keystone*) return 0 ;; esac
    done
    return 1
}

cmd_stop() {
    local st pid
    st="$(abs_dir "$1")"
    pid="$(cat "$st/keystone.pid" 2>/dev/null || true)"
    if [ -z "$pid" ] && [ -f "$st/keystone.json" ]; then
        pid="$(json_get "$st/keystone.json" pid)"
    fi
    if [ -n "$pid" ] && group_is_keystone "$pid"; then
        stop_pid "$pid"
    fi
    rm -f "$st/keystone.pid"
}

cmd_token() {
    local st="$1"; shift
    st="$(abs_dir "$st")"
    [ -f "$st/keystone.json" ] || die "no $st/keystone.json: run start first"
    "$python" "$here/keystone_fixture.py" token "$st" "$@"
}

[ $# -ge 2 ] || usage
sub="$1"; shift
case "$sub" in
    start)  [ $# -eq 1 ] || usage; cmd_start "$1" ;;
    stop)   [ $# -eq 1 ] || usage; cmd_stop "$1" ;;
    status) [ $# -eq 1 ] || usage; cmd_status "$1" ;;
    token)  [ $# -ge 2 ] || usage; cmd_token "$@" ;;
    *) usage ;;
esac
