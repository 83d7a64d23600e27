#!/usr/bin/env bash
# Image cache benchmark: one SIZE_MIB (default 1024) image in an S3 store
# (s3s-fs on loopback, from tests/s3/s3.sh), downloaded with curl through a
# server without a cache, then through one with image_cache_dir and the
# caching flavor: the first download fills the cache, the next ones hit it.
#
#   bash bench/cache.sh              # builds release, starts its own servers
#   SIZE_MIB=4096 bash bench/cache.sh
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${SIZE_MIB:-1024}"
work="$(mktemp -d "${TMPDIR:-/tmp}/glint-bench-cache.XXXXXX")"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin glint
glint="${CARGO_TARGET_DIR:-target}/release/glint"
eval "$(bash tests/s3/s3.sh)"
bucket="glint-bench-cache-$$-$RANDOM"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME EXTRA_CONF: a server on the shared database and bucket; its
# URL in $url.
start() {
    local name="$1" port
    port="$(free_port)"
    cat > "$work/$name.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
data_dir = $work/$name
enabled_backends = objects:s3
[database]
connection = sqlite:///$work/glint.sqlite
[glance_store]
default_backend = objects
[objects]
s3_store_host = $GLINT_TEST_S3_ENDPOINT
s3_store_access_key = $GLINT_TEST_S3_ACCESS_KEY
s3_store_secret_key = $GLINT_TEST_S3_SECRET_KEY
s3_store_bucket = $bucket
s3_store_create_bucket_on_put = true
$2
CONF
    "$glint" db sync --config-file "$work/$name.conf" >/dev/null 2>&1
    "$glint" serve --config-file "$work/$name.conf" >"$work/$name.log" 2>&1 &
    pids+=($!)
    url="http://127.0.0.1:$port"
    for _ in $(seq 100); do curl -sf "$url/versions" >/dev/null && break; sleep 0.1; done
}
start plain ""
plain="$url"
start cached "[DEFAULT]
image_cache_dir = $work/cache
[paste_deploy]
flavor = caching"
cached="$url"

echo "== uploading ${size_mib} MiB of random data into the S3 store"
head -c "$((size_mib * 1048576))" /dev/urandom > "$work/image.raw"
id="$(curl -sf -XPOST "$plain/v2/images" -H 'Content-Type: application/json' \
    -d '{"disk_format": "raw", "container_format": "bare", "visibility": "public"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
curl -sf -XPUT "$plain/v2/images/$id/file" -H 'Content-Type: application/octet-stream' \
    -T "$work/image.raw" -o /dev/null
rm "$work/image.raw"

download() {  # URL LABEL
    curl -sf -o /dev/null -w '%{speed_download}' "$1/v2/images/$id/file" |
        python3 -c "import sys; print(f'$2: {float(sys.stdin.read()) / 1e6:.0f} MB/s')"
}
echo "== downloads (MB = 10^6 bytes)"
download "$plain" "no cache, from S3, 1st"
download "$plain" "no cache, from S3, 2nd"
download "$cached" "through the cache, 1st (reads S3, fills the cache)"
for _ in $(seq 50); do
    curl -sf "$cached/v2/cache" | grep -q "\"$id\"" && break
    sleep 0.1
done
for n in 2nd 3rd 4th; do
    download "$cached" "through the cache, $n (hit)"
done
curl -sf "$cached/v2/cache" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["cached_images"]:
    print("cache:", c["image_id"], "size", c["size"], "hits", c["hits"])'
echo "server RSS: no cache $(awk '/^VmRSS:/ {print $2}' "/proc/${pids[0]}/status") KiB," \
    "with cache $(awk '/^VmRSS:/ {print $2}' "/proc/${pids[1]}/status") KiB"
