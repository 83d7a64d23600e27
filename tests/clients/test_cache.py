"""The image cache with the real clients: `glance cache-*` (API 2.14/2.18),
`openstack cached image …` and openstacksdk against a Glint with
`image_cache_dir` and the `caching` flavor, whose downloads fill the cache
and are then served from it."""

import hashlib
import os
import pathlib
import time

import pytest

from conftest import BIN_DIR, Cli, running_glint, table, unique

DATA = os.urandom(2 * 1024 * 1024 + 5)
MD5 = hashlib.md5(DATA).hexdigest()


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    folder = tmp_path_factory.mktemp("image-cache")
    conf = (
        "[DEFAULT]\n"
        f"image_cache_dir = {folder}\n"
        "[paste_deploy]\n"
        "flavor = caching\n"
    )
    with running_glint(conf) as url:
        yield url, folder


def glance(url):
    return Cli([str(BIN_DIR / "glance"), "--os-image-url", url,
                "--os-auth-token", "dummy", "--os-image-api-version", "2"])


def openstack(url):
    return Cli([str(BIN_DIR / "openstack"), "--os-auth-type", "admin_token",
                "--os-endpoint", url + "/v2", "--os-token", "dummy",
                "--os-image-api-version", "2"])


def sdk(url):
    import openstack as openstacksdk
    return openstacksdk.connection.Connection(
        auth_type="admin_token", auth={"endpoint": url, "token": "dummy"},
        image_endpoint_override=url, image_api_version="2")


def new_image(url, tmp_path):
    path = tmp_path / "disk.raw"
    path.write_bytes(DATA)
    out = glance(url).run("image-create", "--name", unique("cache"), "--disk-format", "raw",
                          "--container-format", "bare", "--file", path).stdout
    return table(out)["id"]


def cache_rows(url):
    """`glance cache-list` as {image id: row}."""
    out = glance(url).run("cache-list").stdout
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("ID", ""):
            rows[cells[0]] = dict(zip(["id", "state", "accessed", "modified", "size", "hits"],
                                      cells))
    return rows


def wait_cached(url, image_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        rows = cache_rows(url)
        if rows.get(image_id, {}).get("state") == "cached":
            return rows[image_id]
        assert time.monotonic() < deadline, f"{image_id} never cached: {rows}"
        time.sleep(0.2)


def test_queue_with_the_glance_cli_then_downloads_hit(cached, tmp_path):
    url, folder = cached
    image_id = new_image(url, tmp_path)
    assert image_id not in cache_rows(url)

    glance(url).run("cache-queue", image_id)
    row = wait_cached(url, image_id)
    assert row["size"] == str(len(DATA)) and row["hits"] == "0"
    assert (pathlib.Path(folder) / image_id).read_bytes() == DATA

    out = tmp_path / "out.raw"
    glance(url).run("image-download", "--file", out, image_id)
    assert hashlib.md5(out.read_bytes()).hexdigest() == MD5
    assert cache_rows(url)[image_id]["hits"] == "1"

    glance(url).run("cache-delete", image_id)
    assert image_id not in cache_rows(url)
    assert not (pathlib.Path(folder) / image_id).exists()


def test_a_download_fills_the_cache_for_openstack_cli(cached, tmp_path):
    url, _ = cached
    image_id = new_image(url, tmp_path)
    conn = sdk(url)
    assert hashlib.md5(conn.image.download_image(image_id).content).hexdigest() == MD5
    deadline = time.monotonic() + 30
    while True:
        rows = openstack(url).json("cached", "image", "list")
        mine = [r for r in rows if r["ID"] == image_id]
        if mine and mine[0]["State"] == "cached":
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    assert mine[0]["Size"] == len(DATA)

    openstack(url).run("cached", "image", "delete", image_id)
    assert image_id not in cache_rows(url)
    openstack(url).run("cached", "image", "queue", image_id)
    wait_cached(url, image_id)
    openstack(url).run("cached", "image", "clear")
    assert cache_rows(url) == {}


def test_clean_prune_and_errors(cached, tmp_path):
    url, _ = cached
    image_id = new_image(url, tmp_path)
    glance(url).run("cache-queue", image_id)
    wait_cached(url, image_id)
    out = glance(url).run("cache-prune").stdout
    assert "Pruned 0 file(s), 0 byte(s)." in out
    glance(url).run("cache-clean")
    assert image_id in cache_rows(url)

    conn = sdk(url)
    conn.image.clear_cache("queue")
    assert image_id in cache_rows(url)
    conn.image.clear_cache("cache")
    assert cache_rows(url) == {}

    # A queued image cannot be cached; a missing one is not found.
    queued = conn.image.create_image(name=unique("q"), disk_format="raw",
                                     container_format="bare")
    err = glance(url).run("cache-queue", queued.id).stderr
    assert "HTTP 400" in err and "Only images with status active" in err
    err = glance(url).run("cache-delete", "6b9fbf2b-3031-429a-80b1-b509e4c44046").stderr
    assert "HTTP 404" in err


def test_without_a_cache_the_clients_are_told(server):
    err = glance(server).run("cache-list", ok=False).stderr
    assert "Caching via API is not supported at this site." in err
