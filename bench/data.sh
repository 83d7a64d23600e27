#!/usr/bin/env bash
# Data-path benchmark: upload and download SIZE_MIB (default 1024) of image
# data through the Image API with curl on loopback, with the server's RSS,
# next to `dd` to the same disk and a plain loopback socket copy.
#
#   bash bench/data.sh              # builds release, starts its own server
#   SIZE_MIB=10240 bash bench/data.sh
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${SIZE_MIB:-1024}"
work="$(mktemp -d "${TMPDIR:-/tmp}/glint-bench.XXXXXX")"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin glint
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$work/glint.conf" <<CONF
[DEFAULT]
bind_port = $port
data_dir = $work/data
CONF
target/release/glint serve --config-file "$work/glint.conf" 2>"$work/server.log" &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/versions" >/dev/null && break; sleep 0.1; done

rss_kib() { awk "/^$1:/ {print \$2}" "/proc/$server_pid/status"; }
mbps() { python3 -c "print(f'{$1 / 1048576 / $2:.0f}')"; }

echo "== preparing ${size_mib} MiB of random data"
head -c "$((size_mib * 1048576))" /dev/urandom > "$work/image.raw"
bytes=$((size_mib * 1048576))
idle_rss=$(rss_kib VmRSS)

echo "== dd (write ${size_mib} MiB to the data disk, fdatasync)"
dd_out=$(dd if="$work/image.raw" of="$work/dd.out" bs=1M conv=fdatasync 2>&1 | tail -1)
echo "   $dd_out"
rm -f "$work/dd.out"

echo "== loopback socket copy (sendfile → recv, no HTTP)"
loop_s=$(python3 - "$work/image.raw" <<'PY'
import os, socket, sys, threading, time
path = sys.argv[1]
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def send():
    c, _ = srv.accept()
    with open(path, "rb") as f:
        c.sendfile(f)
    c.close()
threading.Thread(target=send).start()
cli = socket.create_connection(srv.getsockname())
buf = bytearray(1 << 20); t = time.time()
while cli.recv_into(buf):
    pass
print(f"{time.time() - t:.3f}")
PY
)
echo "   $(mbps $bytes "$loop_s") MB/s"

id=$(curl -sf -H 'Content-Type: application/json' -d '{"name":"bench","disk_format":"raw","container_format":"bare"}' "$url/v2/images" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "== upload through the API (MD5 + SHA-512 computed)"
up_s=$(curl -sf -o /dev/null -w '%{time_total}' -X PUT -H 'Content-Type: application/octet-stream' -T "$work/image.raw" "$url/v2/images/$id/file")
peak_rss=$(rss_kib VmHWM)
echo "   $(mbps $bytes "$up_s") MB/s ($up_s s)"

echo "== download through the API"
down_s=$(curl -sf -o /dev/null -w '%{time_total}' "$url/v2/images/$id/file")
echo "   $(mbps $bytes "$down_s") MB/s ($down_s s)"

echo
echo "figures (${size_mib} MiB):"
echo "  upload      $(mbps $bytes "$up_s") MB/s"
echo "  download    $(mbps $bytes "$down_s") MB/s  ($(python3 -c "print(f'{$loop_s / $down_s * 100:.0f}')")% of loopback copy)"
echo "  loopback    $(mbps $bytes "$loop_s") MB/s"
echo "  dd          ${dd_out##*, }"
echo "  server RSS  idle $((idle_rss / 1024)) MiB, peak $((peak_rss / 1024)) MiB (peak - idle: $(((peak_rss - idle_rss) / 1024)) MiB)"
