"""Fixtures for the client suite: a running Image API v2 server and the real
clients (`glance`, `openstack image …`, openstacksdk) pointed at it.

The server is $GLINT_URL when set (nothing is started); otherwise $GLINT_BIN
(default target/debug/glint under the repo root) is started as
`glint serve --config-file CONF` on a free loopback port with a fresh data
folder, and stopped at the end of the session.

The clients authenticate with a dummy token and a fixed endpoint, so no
Keystone is needed: Glint treats a request without identity headers as an
admin of its default project. Raw HTTP checks (the `http` fixture) send the
headers a Keystone middleware would set, which Glint and Glance both honour.

To run the suite against a real Glance whose pipeline has the Keystone
context middleware but no authtoken (so identity-less requests get 401), set
GLINT_IDENTITY_PROXY=1 as well: the clients then go through
identity_proxy.py, which adds those headers.
"""

import contextlib
import json
import os
import pathlib
import pty
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
# run.sh runs pytest with the venv's python; its CLIs are beside it.
BIN_DIR = pathlib.Path(sys.executable).parent
START_TIMEOUT = 30

# Raw requests carry what Keystone's middleware would set.
IDENTITY_HEADERS = {
    "X-Project-Id": "clients-project",
    "X-User-Id": "clients-user",
    "X-Roles": "admin,member,reader",
    "X-Identity-Status": "Confirmed",
}
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
MISSING_ID = "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11"

_PTY = None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _terminal():
    """A terminal for the CLIs' stdin: given a pipe or /dev/null, `glance
    image-create` and `openstack image create` read it as image data."""
    global _PTY
    if _PTY is None:
        _PTY = pty.openpty()
    return _PTY[1]


def wait_until_serving(url, proc, timeout=START_TIMEOUT):
    """Waits for the server `proc` to answer 200 on `url`/versions; answers
    None, or why it did not (a server still silent at the timeout is
    killed)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url + "/versions", timeout=1).status_code == 200:
                return None
        except requests.RequestException:
            pass
        exited = proc.poll()
        if exited is not None:
            return f"exited with {exited} before answering GET /versions"
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return f"did not answer GET /versions within {timeout}s"
        time.sleep(0.1)


def glint_binary():
    binary = os.environ.get("GLINT_BIN", str(REPO / "target" / "debug" / "glint"))
    if not os.path.isabs(binary):
        binary = str(REPO / binary)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no glint binary at {binary}: build it, or set GLINT_BIN or GLINT_URL")
    return binary


@contextlib.contextmanager
def running_glint(extra_conf=""):
    """Starts `glint serve` on a free loopback port with a fresh data folder
    and `extra_conf` appended to its configuration; yields its base URL and
    stops it afterwards."""
    binary = glint_binary()
    with tempfile.TemporaryDirectory(prefix="glint-clients-") as tmp:
        port = _free_port()
        conf = pathlib.Path(tmp) / "glint.conf"
        conf.write_text(
            "[DEFAULT]\n"
            "bind_host = 127.0.0.1\n"
            f"bind_port = {port}\n"
            + _registry_conf()
            + f"data_dir = {tmp}/data\n"
            "[database]\n"
            f"connection = sqlite:///{tmp}/glint.sqlite\n"
            "[glance_store]\n"
            f"filesystem_store_datadir = {tmp}/images\n"
            + extra_conf
        )
        log = open(pathlib.Path(tmp) / "glint.log", "w+")
        registry = _start_registry(binary, conf, tmp)
        proc = subprocess.Popen([binary, "serve", "--config-file", str(conf)],
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=tmp)
        url = f"http://127.0.0.1:{port}"
        try:
            why = wait_until_serving(url, proc)
            if why:
                log.seek(0)
                output = log.read()
                sys.stderr.write(output)
                pytest.fail(f"`{binary} serve` {why}; its output:\n{output}")
            yield url
        finally:
            for p in (proc, registry):
                if p is not None and p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            log.close()


# Registry mode (GLINT_DATA_API=registry): `glint registry` owns the database
# and `glint serve` keeps its records through it, both reading one file.
_REGISTRY_PORT = None


def _registry_conf():
    global _REGISTRY_PORT
    if os.environ.get("GLINT_DATA_API") != "registry":
        return ""
    _REGISTRY_PORT = _free_port()
    return f"data_api = registry\nregistry_host = 127.0.0.1\nregistry_port = {_REGISTRY_PORT}\n"


def _start_registry(binary, conf, tmp):
    """Starts `glint registry` on the configuration's registry_port, in
    registry mode; waits until it answers."""
    if os.environ.get("GLINT_DATA_API") != "registry":
        return None
    log = open(pathlib.Path(tmp) / "registry.log", "w+")
    proc = subprocess.Popen([binary, "registry", "--config-file", str(conf)],
                            stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=tmp)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", _REGISTRY_PORT), timeout=1):
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"`{binary} registry` did not start; its output:\n{log.read()}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def server():
    """The base URL of the server under test (no trailing slash)."""
    url = os.environ.get("GLINT_URL")
    if url:
        yield url.rstrip("/")
        return
    with running_glint() as url:
        yield url


@pytest.fixture(scope="session")
def client_url(server):
    """The URL the real clients talk to: the server, or an identity proxy."""
    if os.environ.get("GLINT_IDENTITY_PROXY"):
        import identity_proxy
        url, stop = identity_proxy.start(server)
        yield url
        stop()
    else:
        yield server


def unique(prefix="img"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Cli:
    """Runs a client command line; returns the CompletedProcess."""

    def __init__(self, argv_prefix):
        self.argv_prefix = argv_prefix

    def run(self, *args, ok=True):
        argv = self.argv_prefix + [str(a) for a in args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                              stdin=_terminal())
        if ok and proc.returncode != 0:
            raise AssertionError(
                f"{pathlib.Path(argv[0]).name} {' '.join(map(str, args))} failed "
                f"(exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        if not ok and proc.returncode == 0:
            raise AssertionError(
                f"{pathlib.Path(argv[0]).name} {' '.join(map(str, args))} should have "
                f"failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def fail(self, *args):
        """Runs a command that must exit non-zero; returns stdout+stderr."""
        proc = self.run(*args, ok=False)
        return proc.stdout + proc.stderr

    def json(self, *args):
        return json.loads(self.run(*args, "-f", "json").stdout)


@pytest.fixture(scope="session")
def glance(client_url):
    return Cli([str(BIN_DIR / "glance"), "--os-image-url", client_url,
                "--os-auth-token", "dummy", "--os-image-api-version", "2"])


@pytest.fixture(scope="session")
def openstack(client_url):
    # admin_token = a fixed endpoint and token. With a fixed endpoint the
    # client does no version discovery, so the endpoint names /v2.
    return Cli([str(BIN_DIR / "openstack"), "--os-auth-type", "admin_token",
                "--os-endpoint", client_url + "/v2", "--os-token", "dummy",
                "--os-image-api-version", "2"])


@pytest.fixture(scope="session")
def sdk(client_url):
    import openstack as openstacksdk
    return openstacksdk.connection.Connection(
        auth_type="admin_token",
        auth={"endpoint": client_url, "token": "dummy"},
        image_endpoint_override=client_url,
        image_api_version="2",
    )


class Http:
    """Raw HTTP to the server, with identity headers: `http.get(path, ...)`."""

    def __init__(self, base):
        self.base = base

    def request(self, method, path, headers=None, **kw):
        # No connection reuse: uWSGI (which serves the reference Glance)
        # closes connections after each response without saying so.
        kw.setdefault("timeout", 30)
        return requests.request(method, self.base + path,
                                headers={**IDENTITY_HEADERS, **(headers or {})}, **kw)

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda path, **kw: self.request(method.upper(), path, **kw)

    def patch_image(self, image_id, ops, content_type=PATCH_TYPE):
        return self.request("PATCH", f"/v2/images/{image_id}", data=json.dumps(ops),
                            headers={"Content-Type": content_type})

    def purge(self, image_id):
        """Deletes an image whatever its state (unprotecting it first)."""
        self.patch_image(image_id, [{"op": "replace", "path": "/protected", "value": False}])
        r = self.delete(f"/v2/images/{image_id}")
        assert r.status_code in (204, 404), (image_id, r.status_code, r.text)


@pytest.fixture(scope="session")
def http(server):
    return Http(server)


@pytest.fixture
def cleanup(http):
    """A list to append image ids to; they are purged after the test."""
    ids = []
    yield ids
    for image_id in ids:
        http.purge(image_id)


def table(output):
    """Parses the `| Property | Value |` table the glance CLI prints."""
    rows = {}
    for line in output.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("Property", "Field"):
            rows[cells[0]] = cells[1]
    return rows


def list_table(output):
    """Parses a list table into dicts keyed by its header."""
    lines = [line for line in output.splitlines() if line.startswith("|")]
    if not lines:
        return []
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
            for line in lines[1:]]
