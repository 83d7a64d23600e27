"""Interoperable import with the real clients: glance-direct, web-download
(from an HTTP server on loopback) and copy-image between two stores, the
import filter refusing URLs, and a server killed mid-import resuming the
task after its restart."""

import contextlib
import gzip
import shutil
import hashlib
import http.server
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

from conftest import (BIN_DIR, IDENTITY_HEADERS, MISSING_ID, Cli, glint_binary, running_glint,
                      table, unique, wait_until_serving)

DATA = os.urandom(3 * 1024 * 1024 + 17)
MD5 = hashlib.md5(DATA).hexdigest()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Source(http.server.BaseHTTPRequestHandler):
    """Serves DATA at /disk.raw (slowly at /slow.raw), redirects
    /elsewhere to a host the import filter refuses, and 404s the rest."""

    slow_seconds = 0.0

    def do_GET(self):
        if self.path == "/elsewhere":
            self.send_response(302)
            self.send_header("Location", "http://localhost:1/disk.raw")
            self.end_headers()
            return
        if self.path not in ("/disk.raw", "/slow.raw"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()
        step = 256 * 1024
        pause = Source.slow_seconds * step / len(DATA) if self.path == "/slow.raw" else 0
        try:
            for i in range(0, len(DATA), step):
                self.wfile.write(DATA[i:i + step])
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_HEAD(self):
        if self.path != "/disk.raw":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def source():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Source)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def import_conf(data):
    return (
        "[DEFAULT]\n"
        "enabled_backends = fast:file, slow:file\n"
        "show_multiple_locations = true\n"
        "[glance_store]\n"
        "default_backend = fast\n"
        "[fast]\n"
        f"filesystem_store_datadir = {data}/fast\n"
        "[slow]\n"
        f"filesystem_store_datadir = {data}/slow\n"
        "[import_filtering_opts]\n"
        "allowed_hosts = 127.0.0.1\n"
        "allowed_ports =\n"
        "[task]\n"
        "task_heartbeat_timeout = 2\n"
    )


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    """A Glint with two file stores (fast, the default, and slow)."""
    data = tmp_path_factory.mktemp("import-stores")
    with running_glint(import_conf(data)) as url:
        yield url


def api(url, method, path, **kw):
    headers = {**IDENTITY_HEADERS, **kw.pop("headers", {})}
    return requests.request(method, url + path, headers=headers, timeout=30, **kw)


def wait_for(url, image_id, statuses, timeout=30):
    """The image once in one of `statuses` with its import tasks finished
    (a task finishes just after it unlocks its image)."""
    deadline = time.monotonic() + timeout
    while True:
        image = api(url, "GET", f"/v2/images/{image_id}").json()
        if image["status"] in statuses and not image.get("os_glance_import_task") and all(
                t["status"] in ("success", "failure") for t in tasks_of(url, image_id)):
            return image
        assert time.monotonic() < deadline, f"image stuck: {json.dumps(image)}"
        time.sleep(0.2)


def tasks_of(url, image_id):
    return api(url, "GET", f"/v2/images/{image_id}/tasks").json()["tasks"]


def downloaded(url, image_id):
    r = api(url, "GET", f"/v2/images/{image_id}/file")
    assert r.status_code == 200, r.text
    return hashlib.md5(r.content).hexdigest()


def cli(url):
    return Cli([str(BIN_DIR / "glance"), "--os-image-url", url,
                "--os-auth-token", "dummy", "--os-image-api-version", "2"])


def test_discovery_and_create_header(multi):
    methods = api(multi, "GET", "/v2/info/import").json()["import-methods"]["value"]
    assert methods == ["glance-direct", "web-download", "copy-image"]
    r = api(multi, "POST", "/v2/images", json={"name": unique()})
    assert r.headers["OpenStack-image-import-methods"] == "glance-direct,web-download,copy-image"
    assert r.headers["OpenStack-image-store-ids"] == "fast,slow"


def test_glance_direct_with_the_glance_cli(multi, tmp_path):
    disk = tmp_path / "disk.raw"
    disk.write_bytes(DATA)
    out = table(cli(multi).run(
        "image-create-via-import", "--name", unique("gd"), "--disk-format", "raw",
        "--container-format", "bare", "--import-method", "glance-direct",
        "--file", disk).stdout)
    image = wait_for(multi, out["id"], {"active"})
    assert image["checksum"] == MD5
    assert image["size"] == len(DATA)
    assert image["stores"] == "fast"
    assert downloaded(multi, out["id"]) == MD5
    [task] = tasks_of(multi, out["id"])
    assert task["status"] == "success"
    assert task["input"]["import_req"]["method"]["name"] == "glance-direct"


def test_web_download_into_two_stores_then_copy(multi, source):
    out = table(cli(multi).run(
        "image-create-via-import", "--name", unique("wd"), "--disk-format", "raw",
        "--container-format", "bare", "--import-method", "web-download",
        "--uri", f"{source}/disk.raw", "--stores", "fast").stdout)
    image = wait_for(multi, out["id"], {"active"})
    assert image["stores"] == "fast"
    assert image["os_glance_failed_import"] == ""
    assert downloaded(multi, out["id"]) == MD5

    # copy-image into the second store, with the CLI.
    cli(multi).run("image-import", out["id"], "--import-method", "copy-image",
                   "--stores", "slow")
    deadline = time.monotonic() + 30
    while wait_for(multi, out["id"], {"active"})["stores"] != "fast,slow":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # Copying to a store that has it already is a conflict.
    r = api(multi, "POST", f"/v2/images/{out['id']}/import",
            json={"method": {"name": "copy-image"}, "stores": ["slow"]})
    assert r.status_code == 409, r.text


def test_web_download_with_openstacksdk(multi, source):
    import openstack as openstacksdk
    conn = openstacksdk.connection.Connection(
        auth_type="admin_token", auth={"endpoint": multi, "token": "dummy"},
        image_endpoint_override=multi, image_api_version="2")
    image = conn.image.create_image(name=unique("sdk-wd"), disk_format="raw",
                                    container_format="bare")
    conn.image.import_image(image, method="web-download", uri=f"{source}/disk.raw")
    done = wait_for(multi, image.id, {"active"})
    assert done["checksum"] == MD5
    assert hashlib.md5(conn.image.download_image(image).content).hexdigest() == MD5


def test_the_import_filter_refuses_urls(multi, source):
    glance = cli(multi)
    image = table(glance.run("image-create", "--name", unique("refused"),
                             "--disk-format", "raw", "--container-format", "bare").stdout)
    for uri in ("file:///etc/passwd", "http://10.1.2.3/disk.raw", "ftp://127.0.0.1/x"):
        out = glance.fail("image-import", image["id"], "--import-method", "web-download",
                          "--uri", uri)
        assert "does not pass filtering" in out, out
    # A redirect to a refused host fails the task; the image is queued again.
    r = api(multi, "POST", f"/v2/images/{image['id']}/import",
            json={"method": {"name": "web-download", "uri": f"{source}/elsewhere"}})
    assert r.status_code == 202, r.text
    queued = wait_for(multi, image["id"], {"queued"})
    assert queued["size"] is None
    [task] = tasks_of(multi, image["id"])
    assert task["status"] == "failure"
    assert "redirects to a refused URI" in task["message"]


def test_import_errors_have_glance_status_codes(multi):
    image = api(multi, "POST", "/v2/images",
                json={"name": unique(), "disk_format": "raw", "container_format": "bare"}).json()
    path = f"/v2/images/{image['id']}/import"
    cases = [
        ({"method": {"name": "glance-direct"}}, 409),          # nothing staged
        ({"method": {"name": "copy-image"}, "stores": ["slow"]}, 409),  # not active
        ({"method": {"name": "web-download", "uri": "http://127.0.0.1/x"},
          "stores": ["nowhere"]}, 409),
        ({"method": {"name": "no-such-method"}}, 400),
        ({"method": {"name": "web-download"}}, 400),
        ({"method": {"name": "copy-image"}, "all_stores": True, "stores": ["fast"]}, 400),
    ]
    for body, status in cases:
        r = api(multi, "POST", path, json=body)
        assert r.status_code == status, (body, r.status_code, r.text)
    bare = api(multi, "POST", "/v2/images", json={"name": unique()}).json()
    r = api(multi, "POST", f"/v2/images/{bare['id']}/import",
            json={"method": {"name": "web-download", "uri": "http://127.0.0.1/x"}})
    assert r.status_code == 409, r.text  # formats not set (Glance: Conflict)
    r = api(multi, "PUT", f"/v2/images/{image['id']}/stage", data=b"x",
            headers={"Content-Type": "application/json"})
    assert r.status_code == 415, r.text
    # Staging twice: the second finds the image uploading.
    assert api(multi, "PUT", f"/v2/images/{image['id']}/stage", data=b"abc",
               headers={"Content-Type": "application/octet-stream"}).status_code == 204
    r = api(multi, "PUT", f"/v2/images/{image['id']}/stage", data=b"abc",
            headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 409, r.text


def test_tasks_api(multi):
    tasks = api(multi, "GET", "/v2/tasks?limit=2").json()
    assert len(tasks["tasks"]) == 2 and "next" in tasks
    assert tasks["schema"] == "/v2/schemas/tasks"
    one = api(multi, "GET", tasks["tasks"][0]["self"]).json()
    assert one["id"] == tasks["tasks"][0]["id"] and "input" in one
    r = api(multi, "GET", "/v2/tasks", headers={"X-Roles": "member,reader"})
    assert r.status_code == 403, r.text
    assert api(multi, "GET", "/v2/schemas/task").json()["name"] == "task"


@contextlib.contextmanager
def glint_on(folder, port):
    conf = pathlib.Path(folder) / "glint.conf"
    conf.write_text(
        "[DEFAULT]\nbind_host = 127.0.0.1\n"
        f"bind_port = {port}\ndata_dir = {folder}/data\n" + import_conf(f"{folder}/data"))
    log = open(pathlib.Path(folder) / "glint.log", "a")
    proc = subprocess.Popen([glint_binary(), "serve", "--config-file", str(conf)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    why = wait_until_serving(url, proc)
    assert why is None, f"glint did not start: {why}"
    try:
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        log.close()


def test_a_server_killed_mid_import_resumes_the_task(source):
    Source.slow_seconds = 6.0
    with tempfile.TemporaryDirectory(prefix="glint-crash-") as folder:
        port = _free_port()
        with glint_on(folder, port) as (url, proc):
            image = api(url, "POST", "/v2/images", json={
                "name": unique("crash"), "disk_format": "raw",
                "container_format": "bare"}).json()
            r = api(url, "POST", f"/v2/images/{image['id']}/import",
                    json={"method": {"name": "web-download", "uri": f"{source}/slow.raw"}})
            assert r.status_code == 202, r.text
            time.sleep(1.5)
            assert api(url, "GET", f"/v2/images/{image['id']}").json()["status"] == "importing"
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        Source.slow_seconds = 0.0
        staging = pathlib.Path(folder) / "data" / "staging"
        with glint_on(folder, port) as (url, _):
            done = wait_for(url, image["id"], {"active", "queued"}, timeout=60)
            assert done["status"] == "active", done
            assert downloaded(url, image["id"]) == MD5
            [task] = tasks_of(url, image["id"])
            assert task["status"] == "success", task
            # Nothing left in staging, partial or whole.
            assert list(staging.iterdir()) == []


def staging_conf(where, folder):
    """The staging area: the default folder, or a fresh S3 bucket on the
    test server (skipped without one), with `folder` for local copies."""
    if where == "folder":
        return ""
    endpoint = os.environ.get("GLINT_TEST_S3_ENDPOINT")
    if not endpoint:
        pytest.skip("GLINT_TEST_S3_ENDPOINT is not set (eval \"$(bash tests/s3/s3.sh)\")")
    return (
        "[os_glance_staging_store]\n"
        f"filesystem_store_datadir = {folder}\n"
        f"s3_store_host = {endpoint}\n"
        f"s3_store_access_key = {os.environ['GLINT_TEST_S3_ACCESS_KEY']}\n"
        f"s3_store_secret_key = {os.environ['GLINT_TEST_S3_SECRET_KEY']}\n"
        f"s3_store_bucket = {unique('glint-staging').lower()}\n"
        "s3_store_create_bucket_on_put = true\n"
    )


@pytest.fixture(scope="module", params=["folder", "s3"], ids=["staging-folder", "staging-s3"])
def converting(request, tmp_path_factory):
    """A Glint whose imports are decompressed, converted to raw, and get
    injected properties (for users without the admin role); staging in a
    folder, then in an S3 bucket."""
    work = tmp_path_factory.mktemp("staging-work")
    conf = staging_conf(request.param, work) + (
        "[image_import_opts]\n"
        "image_import_plugins = ['image_decompression', 'image_conversion', 'inject_image_metadata']\n"
        "[image_conversion]\noutput_format = raw\n"
        "[inject_metadata_properties]\ninject = injected_by:glint,tier:gold\n"
        "ignore_user_roles = admin\n"
        "[import_filtering_opts]\nallowed_hosts = 127.0.0.1\nallowed_ports =\n"
    )
    with running_glint(conf) as url:
        yield url
    assert list(work.iterdir()) == [], "local copies of staged data are removed"


def stage_and_import(url, path, disk_format, roles="admin,member,reader"):
    headers = {"X-Roles": roles}
    image = api(url, "POST", "/v2/images", headers=headers, json={
        "name": unique("conv"), "disk_format": disk_format,
        "container_format": "bare"}).json()
    r = api(url, "PUT", f"/v2/images/{image['id']}/stage", data=path.read_bytes(),
            headers={**headers, "Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    r = api(url, "POST", f"/v2/images/{image['id']}/import", headers=headers,
            json={"method": {"name": "glance-direct"}})
    assert r.status_code == 202, r.text
    return wait_for(url, image["id"], {"active", "queued"})


def qemu_img(*args):
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img is not installed (apt-get install qemu-utils)")
    subprocess.run(["qemu-img", *map(str, args)], check=True, capture_output=True)


def test_conversion_turns_qcow2_into_raw_and_injects(converting, tmp_path):
    raw = tmp_path / "disk.raw"
    raw.write_bytes(DATA[:1024 * 1024])
    qcow2 = tmp_path / "disk.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", raw, qcow2)
    image = stage_and_import(converting, qcow2, "qcow2", roles="member,reader")
    assert image["status"] == "active", image
    assert image["disk_format"] == "raw"
    assert image["virtual_size"] == 1024 * 1024
    assert image["injected_by"] == "glint" and image["tier"] == "gold"
    assert downloaded(converting, image["id"]) == hashlib.md5(raw.read_bytes()).hexdigest()


def test_decompression_then_admins_get_no_injection(converting, tmp_path):
    raw = tmp_path / "disk.raw"
    raw.write_bytes(DATA[:512 * 1024])
    gz = tmp_path / "disk.raw.gz"
    gz.write_bytes(gzip.compress(raw.read_bytes()))
    image = stage_and_import(converting, gz, "raw")
    assert image["status"] == "active", image
    assert image["size"] == 512 * 1024
    assert "injected_by" not in image
    assert downloaded(converting, image["id"]) == hashlib.md5(raw.read_bytes()).hexdigest()


def test_web_download_through_the_staging_area(converting, source):
    image = api(converting, "POST", "/v2/images", json={
        "name": unique("wd"), "disk_format": "raw", "container_format": "bare"}).json()
    r = api(converting, "POST", f"/v2/images/{image['id']}/import",
            json={"method": {"name": "web-download", "uri": f"{source}/disk.raw"}})
    assert r.status_code == 202, r.text
    done = wait_for(converting, image["id"], {"active", "queued"})
    assert done["status"] == "active" and done["checksum"] == MD5, done
    assert downloaded(converting, image["id"]) == MD5


def test_conversion_refuses_mismatched_and_backed_images(converting, tmp_path):
    raw = tmp_path / "disk.raw"
    raw.write_bytes(DATA[:64 * 1024])
    image = stage_and_import(converting, raw, "qcow2")
    assert image["status"] == "queued", image
    [task] = tasks_of(converting, image["id"])
    assert task["status"] == "failure" and "disk_format is qcow2" in task["message"], task

    base = tmp_path / "base.qcow2"
    qemu_img("create", "-f", "qcow2", base, "1M")
    child = tmp_path / "child.qcow2"
    qemu_img("create", "-f", "qcow2", "-b", base, "-F", "qcow2", child)
    image = stage_and_import(converting, child, "qcow2")
    assert image["status"] == "queued", image
    [task] = tasks_of(converting, image["id"])
    assert "backing" in task["message"], task


def test_locations_api_and_the_http_store(multi, source):
    image = api(multi, "POST", "/v2/images", json={
        "name": unique("loc"), "disk_format": "raw", "container_format": "bare"}).json()
    path = f"/v2/images/{image['id']}/locations"
    r = api(multi, "POST", path, json={"url": "file:///etc/passwd"})
    assert r.status_code == 400, r.text
    r = api(multi, "POST", path, json={"url": f"{source}/disk.raw", "validation_data": {
        "os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(DATA).hexdigest()}})
    assert r.status_code == 202, r.text
    shown = api(multi, "GET", f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active" and shown["size"] == len(DATA)
    assert shown["os_hash_value"] == hashlib.sha512(DATA).hexdigest()
    assert downloaded(multi, image["id"]) == MD5
    # Once active, no more locations through this API.
    r = api(multi, "POST", path, json={"url": f"{source}/disk.raw"})
    assert r.status_code == 409, r.text
    # Only services list locations.
    assert api(multi, "GET", path, headers={"X-Roles": "member,reader"}).status_code == 403
    listed = api(multi, "GET", path, headers={"X-Roles": "service"}).json()
    assert [loc["url"] for loc in listed] == [f"{source}/disk.raw"]


def test_store_details_and_deleting_a_copy(multi, source):
    detail = api(multi, "GET", "/v2/info/stores/detail").json()["stores"]
    assert [(s["id"], s["type"], s.get("default")) for s in detail] == [
        ("fast", "file", True), ("slow", "file", None)]
    r = api(multi, "GET", "/v2/info/stores/detail", headers={"X-Roles": "member,reader"})
    assert r.status_code == 403, r.text

    image = api(multi, "POST", "/v2/images", json={
        "name": unique("two"), "disk_format": "raw", "container_format": "bare"}).json()
    api(multi, "POST", f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": f"{source}/disk.raw"},
        "all_stores": True})
    deadline = time.monotonic() + 30
    while wait_for(multi, image["id"], {"active"})["stores"] != "fast,slow":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert api(multi, "DELETE", f"/v2/stores/nowhere/{image['id']}").status_code == 404
    assert api(multi, "DELETE", f"/v2/stores/slow/{image['id']}").status_code == 204
    shown = api(multi, "GET", f"/v2/images/{image['id']}").json()
    assert shown["stores"] == "fast"
    assert api(multi, "DELETE", f"/v2/stores/slow/{image['id']}").status_code == 404
    assert api(multi, "DELETE", f"/v2/stores/fast/{image['id']}").status_code == 409
    assert downloaded(multi, image["id"]) == MD5


def test_locations_through_patch_with_the_glance_cli(multi, source, tmp_path):
    glance = cli(multi)
    image = table(glance.run("image-create", "--name", unique("patched"),
                             "--disk-format", "raw", "--container-format", "bare").stdout)
    glance.run("location-add", image["id"], "--url", f"{source}/disk.raw")
    shown = api(multi, "GET", f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active" and shown["size"] == len(DATA)
    assert [loc["url"] for loc in shown["locations"]] == [f"{source}/disk.raw"]
    assert downloaded(multi, image["id"]) == MD5
    # The last location cannot go; file:// never comes in.
    assert "last location" in glance.fail("location-delete", image["id"],
                                          "--url", f"{source}/disk.raw")
    out = glance.fail("location-add", image["id"], "--url", "file:///etc/passwd")
    assert "Invalid location" in out, out
    # A second copy, then the first removed.
    glance.run("location-add", image["id"], "--url", f"{source}/slow.raw")
    glance.run("location-delete", image["id"], "--url", f"{source}/disk.raw")
    shown = api(multi, "GET", f"/v2/images/{image['id']}").json()
    assert [loc["url"] for loc in shown["locations"]] == [f"{source}/slow.raw"]
    assert downloaded(multi, image["id"]) == MD5


def test_imports_are_format_checked(multi, source, tmp_path):
    """The staged bytes are inspected like an upload's: a qcow2 with a
    backing file, or raw bytes declared qcow2, fail the import."""
    base = tmp_path / "base.qcow2"
    qemu_img("create", "-f", "qcow2", base, "1M")
    child = tmp_path / "child.qcow2"
    qemu_img("create", "-f", "qcow2", "-b", base, "-F", "qcow2", child)
    image = stage_and_import(multi, child, "qcow2")
    assert image["status"] == "queued", image
    [task] = tasks_of(multi, image["id"])
    assert task["status"] == "failure" and "backing file" in task["message"], task

    raw = tmp_path / "disk.raw"
    raw.write_bytes(DATA[:256 * 1024])
    image = stage_and_import(multi, raw, "qcow2")
    assert image["status"] == "queued", image
    [task] = tasks_of(multi, image["id"])
    assert "does not match" in task["message"], task

    good = tmp_path / "good.qcow2"
    qemu_img("create", "-f", "qcow2", good, "2M")
    image = stage_and_import(multi, good, "qcow2")
    assert image["status"] == "active", image
    assert image["virtual_size"] == 2 * 1024 * 1024


# glance-download: a second `glint serve` is the remote region.

ALL_METHODS = "glance-direct,web-download,copy-image,glance-download"


@pytest.fixture(scope="module")
def regions():
    """(local, remote): the remote is a plain Glint; the local one has
    glance-download on, RegionTwo configured as the remote, and an import
    filter that lets loopback ports through."""
    with running_glint() as remote:
        conf = (
            "[DEFAULT]\n"
            f"enabled_import_methods = {ALL_METHODS}\n"
            "[import_filtering_opts]\n"
            "allowed_hosts = 127.0.0.1\n"
            "allowed_ports =\n"
            "[glance_download_opts]\n"
            f"endpoints = RegionTwo={remote}\n"
            "[task]\n"
            "task_heartbeat_timeout = 2\n"
        )
        with running_glint(conf) as local:
            yield local, remote


def remote_image(remote, tmp_path, headers=None, upload=True, **props):
    """An image of the remote region: a 2 MiB qcow2 with `props`."""
    good = tmp_path / "remote.qcow2"
    if not good.exists():
        qemu_img("create", "-f", "qcow2", good, "2M")
    headers = headers or {}
    r = api(remote, "POST", "/v2/images", headers=headers, json={
        "name": unique("remote"), "disk_format": "qcow2", "container_format": "bare",
        **props})
    assert r.status_code == 201, r.text
    image = r.json()
    if upload:
        r = api(remote, "PUT", f"/v2/images/{image['id']}/file", data=good.read_bytes(),
                headers={**headers, "Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
    return api(remote, "GET", f"/v2/images/{image['id']}", headers=headers).json()


def catalog(region, url):
    """An X-Service-Catalog header as keystonemiddleware writes it (v2)."""
    return json.dumps([{"type": "image", "name": "glance", "endpoints": [
        {"region": region, "publicURL": url, "internalURL": url}]}])


def glance_download(local, image_id, remote_id, region, headers=None, **extra):
    return api(local, "POST", f"/v2/images/{image_id}/import", headers=headers or {}, json={
        "method": {"name": "glance-download", "glance_image_id": remote_id,
                   "glance_region": region, **extra}})


def test_glance_download_is_discovered_when_enabled(regions, multi):
    local, _ = regions
    methods = api(local, "GET", "/v2/info/import").json()["import-methods"]["value"]
    assert methods == ALL_METHODS.split(",")
    r = api(local, "POST", "/v2/images", json={"name": unique()})
    assert r.headers["OpenStack-image-import-methods"] == ALL_METHODS
    # Off by default, as in Glance.
    image = api(multi, "POST", "/v2/images", json={
        "name": unique(), "disk_format": "raw", "container_format": "bare"}).json()
    r = glance_download(multi, image["id"], MISSING_ID, "RegionTwo")
    assert r.status_code == 400, r.text


def test_glance_download_with_the_glance_cli(regions, tmp_path):
    local, remote = regions
    source = remote_image(remote, tmp_path, hw_disk_bus="scsi", os_distro="debian",
                          **{"trait:CUSTOM_FAST": "required", "not_copied": "x"})
    out = table(cli(local).run(
        "image-create-via-import", "--name", unique("gdl"), "--disk-format", "raw",
        "--container-format", "bare", "--import-method", "glance-download",
        "--remote-region", "RegionTwo", "--remote-image-id", source["id"]).stdout)
    image = wait_for(local, out["id"], {"active", "queued"})
    assert image["status"] == "active", (image, tasks_of(local, out["id"]))
    assert image["disk_format"] == "qcow2" and image["container_format"] == "bare"
    assert image["size"] == source["size"]
    assert image["virtual_size"] == 2 * 1024 * 1024
    assert image["checksum"] == source["checksum"]
    assert image["os_hash_value"] == source["os_hash_value"]
    assert image["hw_disk_bus"] == "scsi" and image["os_distro"] == "debian"
    assert image["trait:CUSTOM_FAST"] == "required"
    assert "not_copied" not in image
    assert downloaded(local, out["id"]) == downloaded(remote, source["id"])
    [task] = tasks_of(local, out["id"])
    assert task["status"] == "success", task
    method = task["input"]["import_req"]["method"]
    assert method["glance_service_interface"] == "public"
    assert method["glance_image_id"] == source["id"]


def test_glance_download_acts_as_the_caller(regions, tmp_path):
    """The catalog comes from X-Service-Catalog; the remote sees the
    caller's identity headers, so a project's private image comes across
    for that project only."""
    local, remote = regions
    east = {"X-Project-Id": "p-east", "X-User-Id": "u-east", "X-Roles": "member"}
    west = {"X-Project-Id": "p-west", "X-User-Id": "u-west", "X-Roles": "member"}
    source = remote_image(remote, tmp_path, headers=east, os_type="linux")
    assert source["visibility"] in ("private", "shared")
    for who, works in ((east, True), (west, False)):
        image = api(local, "POST", "/v2/images", headers=who, json={
            "name": unique("as"), "disk_format": "raw", "container_format": "bare",
            "os_type": "windows"}).json()
        r = glance_download(local, image["id"], source["id"], "RegionThree",
                            headers={**who, "X-Service-Catalog": catalog("RegionThree", remote)})
        assert r.status_code == 202, r.text
        done = wait_for(local, image["id"], {"active", "queued"})
        [task] = tasks_of(local, image["id"])
        if works:
            assert done["status"] == "active", (done, task)
            assert done["os_type"] == "linux" and done["disk_format"] == "qcow2"
        else:
            assert done["status"] == "queued", done
            assert task["status"] == "failure" and "404" in task["message"], task
            # The image is as it was before the import.
            assert done["os_type"] == "windows" and done["disk_format"] == "raw"


def test_glance_download_failures(regions, tmp_path):
    local, remote = regions
    queued_source = remote_image(remote, tmp_path, upload=False)
    active_source = remote_image(remote, tmp_path)

    def fresh():
        return api(local, "POST", "/v2/images", json={
            "name": unique("gdfail"), "disk_format": "raw",
            "container_format": "bare"}).json()

    # The import filter allows 127.0.0.1 only, whatever the catalog says.
    by_name = {"X-Service-Catalog": catalog("RegionTwo", remote.replace("127.0.0.1", "localhost"))}
    cases = [
        (queued_source["id"], "RegionTwo", {}, {},
         "Source image status should be active instead of queued"),
        (MISSING_ID, "RegionTwo", {}, {}, "404"),
        (active_source["id"], "RegionNine", {}, {},
         "public glance endpoint not found for region RegionNine"),
        (active_source["id"], "RegionTwo", {}, by_name,
         "Processed URI for glance-download does not pass filtering"),
        (active_source["id"], "RegionTwo", {"glance_service_interface": "admin"}, {},
         None),  # the configured endpoint serves every interface
    ]
    for remote_id, region, extra, headers, says in cases:
        image = fresh()
        r = glance_download(local, image["id"], remote_id, region, headers=headers, **extra)
        assert r.status_code == 202, r.text
        done = wait_for(local, image["id"], {"active", "queued"})
        [task] = tasks_of(local, image["id"])
        if says is None:
            assert done["status"] == "active", (done, task)
            continue
        assert done["status"] == "queued", done
        assert done["disk_format"] == "raw" and done["size"] is None
        assert task["status"] == "failure" and says in task["message"], task

    # A request without what glance-download needs is refused at once.
    image = fresh()
    for method, status in [
        ({"glance_image_id": active_source["id"]}, 400),
        ({"glance_region": "RegionTwo"}, 400),
        ({"glance_region": "RegionTwo", "glance_image_id": "nope"}, 400),
    ]:
        r = api(local, "POST", f"/v2/images/{image['id']}/import",
                json={"method": {"name": "glance-download", **method}})
        assert r.status_code == status, (method, r.text)
    r = api(local, "POST", "/v2/images", json={"name": unique()},
            headers={"X-Service-Catalog": "not json"})
    assert r.status_code == 400, r.text
