"""Fixtures for the client suite: a running Glint and the three clients.

The server is $GLINT_URL when set; otherwise $GLINT_BIN (default
target/debug/glint) is started on a free loopback port with a fresh data
folder and stopped after the session. The clients authenticate with a dummy
token: a bare Glint treats requests without identity headers as an admin of
the `default` project.
"""

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
BIN_DIR = pathlib.Path(sys.executable).parent
PTY = pty.openpty()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    url = os.environ.get("GLINT_URL")
    if url:
        yield url.rstrip("/")
        return
    binary = os.environ.get("GLINT_BIN", str(REPO / "target" / "debug" / "glint"))
    with tempfile.TemporaryDirectory(prefix="glint-clients-") as tmp:
        port = _free_port()
        conf = pathlib.Path(tmp) / "glint.conf"
        conf.write_text(
            "[DEFAULT]\n"
            "bind_host = 127.0.0.1\n"
            f"bind_port = {port}\n"
            f"data_dir = {tmp}/data\n"
            "[database]\n"
            f"connection = sqlite:///{tmp}/glint.sqlite\n"
            "[glance_store]\n"
            f"filesystem_store_datadir = {tmp}/images\n"
        )
        log = open(pathlib.Path(tmp) / "glint.log", "w+")
        proc = subprocess.Popen([binary, "serve", "--config-file", str(conf)],
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                if requests.get(url + "/versions", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                log.seek(0)
                pytest.fail("glint did not start:\n" + log.read())
            time.sleep(0.1)
        try:
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def unique(prefix="img"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Cli:
    """Runs a client command line and returns its output."""

    def __init__(self, argv_prefix):
        self.argv_prefix = argv_prefix

    def run(self, *args, ok=True):
        # A terminal on stdin: otherwise the CLIs read stdin as image data.
        _, terminal = PTY
        proc = subprocess.run(self.argv_prefix + [str(a) for a in args],
                              capture_output=True, text=True, timeout=120,
                              stdin=terminal)
        if ok and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(self.argv_prefix[:1] + list(map(str, args)))} failed "
                f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def json(self, *args):
        return json.loads(self.run(*args, "-f", "json").stdout)


@pytest.fixture(scope="session")
def glance(server):
    return Cli([str(BIN_DIR / "glance"), "--os-image-url", server,
                "--os-auth-token", "dummy", "--os-image-api-version", "2"])


@pytest.fixture(scope="session")
def openstack(server):
    # With a fixed endpoint the client does no version discovery: name v2.
    return Cli([str(BIN_DIR / "openstack"), "--os-auth-type", "admin_token",
                "--os-endpoint", server + "/v2", "--os-token", "dummy",
                "--os-image-api-version", "2"])


@pytest.fixture(scope="session")
def sdk(server):
    import openstack as openstacksdk
    return openstacksdk.connection.Connection(
        auth_type="admin_token",
        auth={"endpoint": server, "token": "dummy"},
        image_endpoint_override=server,
        image_api_version="2",
    )


@pytest.fixture(scope="session")
def http(server):
    """Raw HTTP with the identity headers a Keystone middleware sets."""
    session = requests.Session()
    session.headers.update({
        "X-Project-Id": "clients-project",
        "X-User-Id": "clients-user",
        "X-Roles": "admin,member,reader",
        "X-Identity-Status": "Confirmed",
    })

    class Http:
        base = server

        def __getattr__(self, method):
            def call(path, **kw):
                return session.request(method.upper(), server + path, **kw)
            return call

    return Http()


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
    lines = [l for l in output.splitlines() if l.startswith("|")]
    if not lines:
        return []
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in l.strip("|").split("|"))))
            for l in lines[1:]]
