"""Glint behind a real Keystone: tokens validated by Keystone, Glance's
default policy for each role, sharing between projects with the real CLIs,
and a tenant-isolation sweep over every endpoint.

Keystone is started by tests/keystone/keystone.sh (from PyPI, on loopback)
unless $GLINT_KEYSTONE_STATE names the state folder of one already running.
The identities are those tests/keystone/README.md lists: project alpha
(alpha-admin, alpha-member, alpha-reader), project beta (beta-member), the
service account glint, and system-scoped system-admin.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from conftest import BIN_DIR, REPO, _terminal, running_glint, table, unique

sys.path.insert(0, str(REPO / "tests" / "keystone"))
import keystone_fixture  # noqa: E402

HARNESS = REPO / "tests" / "keystone" / "keystone.sh"
TOKEN_CACHE_SECONDS = 2


@pytest.fixture(scope="module")
def keystone():
    """The state of a running Keystone (see keystone_fixture.load)."""
    given = os.environ.get("GLINT_KEYSTONE_STATE")
    if given:
        yield keystone_fixture.load(given)
        return
    state_dir = tempfile.mkdtemp(prefix="glint-keystone-")
    started = subprocess.run(["bash", str(HARNESS), "start", state_dir],
                             capture_output=True, text=True, timeout=900)
    try:
        if started.returncode != 0:
            pytest.fail(f"Keystone did not start:\n{started.stdout}\n{started.stderr}")
        yield keystone_fixture.load(state_dir)
    finally:
        subprocess.run(["bash", str(HARNESS), "stop", state_dir],
                       capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def glint(keystone):
    """Glint with `flavor = keystone`, registered in Keystone's catalog as
    the image service, so clients find it as they find Glance."""
    glint_user = keystone["users"]["glint"]
    conf = (
        "[paste_deploy]\n"
        "flavor = keystone\n"
        "[keystone_authtoken]\n"
        f"auth_url = {keystone['auth_url']}\n"
        "username = glint\n"
        f"password = {glint_user['password']}\n"
        "project_name = service\n"
        f"token_cache_time = {TOKEN_CACHE_SECONDS}\n"
    )
    with running_glint(conf) as url:
        register_image_endpoint(keystone, url)
        yield url


def admin_token(keystone):
    admin = keystone["admin"]
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": admin["username"], "domain": {"id": "default"},
            "password": admin["password"]}}},
        "scope": {"project": {"name": admin["project"], "domain": {"id": "default"}}}}}
    r = requests.post(keystone["auth_url"] + "/auth/tokens", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def register_image_endpoint(keystone, url):
    """Puts Glint in Keystone's catalog as the image service (replacing
    any earlier image endpoint), so clients find it from auth alone."""
    headers = {"X-Auth-Token": admin_token(keystone)}
    base = keystone["auth_url"]
    services = requests.get(base + "/services?type=image", headers=headers, timeout=30)
    for service in services.json()["services"]:
        requests.delete(f"{base}/services/{service['id']}", headers=headers, timeout=30)
    r = requests.post(base + "/services", headers=headers, timeout=30, json={
        "service": {"type": "image", "name": "glance", "enabled": True}})
    assert r.status_code == 201, r.text
    service_id = r.json()["service"]["id"]
    for interface in ("public", "internal", "admin"):
        r = requests.post(base + "/endpoints", headers=headers, timeout=30, json={
            "endpoint": {"service_id": service_id, "interface": interface,
                         "url": url, "region_id": "RegionOne"}})
        assert r.status_code == 201, r.text


def token(keystone, user, system=False):
    return keystone_fixture.token(keystone, user, system=system)


class As:
    """Raw HTTP to Glint with a user's token."""

    def __init__(self, base, tok):
        self.base = base
        self.token = tok

    def request(self, method, path, headers=None, **kw):
        headers = {"X-Auth-Token": self.token, **(headers or {})}
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kw)

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda path, **kw: self.request(method.upper(), path, **kw)

    def patch_image(self, image_id, ops):
        return self.request(
            "PATCH", f"/v2/images/{image_id}", data=json.dumps(ops),
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})

    def create(self, **attrs):
        r = self.post("/v2/images", json=attrs)
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
def who(keystone, glint):
    """`who["alpha-member"]` → an As for that user's project-scoped token."""
    users = ["alpha-admin", "alpha-member", "alpha-reader", "beta-member", "glint"]
    return {u: As(glint, token(keystone, u)) for u in users}


def cli_env(keystone, user):
    """The OS_* variables a user of the cloud would have."""
    u = keystone["users"][user]
    return {
        **os.environ,
        "OS_AUTH_URL": keystone["auth_url"],
        "OS_USERNAME": user,
        "OS_PASSWORD": u["password"],
        "OS_PROJECT_NAME": u["project"],
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_IDENTITY_API_VERSION": "3",
        "OS_IMAGE_API_VERSION": "2",
        "OS_INTERFACE": "public",
        "OS_REGION_NAME": "RegionOne",
    }


def run(keystone, user, *argv, ok=True):
    proc = subprocess.run([str(BIN_DIR / argv[0]), *map(str, argv[1:])],
                          capture_output=True, text=True, timeout=120,
                          env=cli_env(keystone, user), stdin=_terminal())
    if ok and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} as {user} failed "
                             f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    if not ok and proc.returncode == 0:
        raise AssertionError(f"{' '.join(map(str, argv))} as {user} should have failed:\n"
                             f"{proc.stdout}")
    return proc


# --- tokens -----------------------------------------------------------------

def test_no_token_or_a_bad_one_is_401_with_keystone_uri(keystone, glint):
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        r = requests.get(glint + "/v2/images", headers=headers, timeout=30)
        assert r.status_code == 401, r.text
        assert r.headers["WWW-Authenticate"] == f'Keystone uri="{keystone["auth_url"]}"'
    # Headers claiming an identity are not trusted.
    r = requests.get(glint + "/v2/images", timeout=30, headers={
        "X-Project-Id": keystone["projects"]["alpha"], "X-Roles": "admin",
        "X-Identity-Status": "Confirmed"})
    assert r.status_code == 401
    assert requests.get(glint + "/versions", timeout=30).status_code == 200


def test_a_revoked_token_stops_working_within_the_cache_time(keystone, glint):
    tok = token(keystone, "alpha-member")
    assert As(glint, tok).get("/v2/images").status_code == 200
    keystone_fixture.revoke(keystone, tok)
    time.sleep(TOKEN_CACHE_SECONDS + 0.5)
    assert As(glint, tok).get("/v2/images").status_code == 401


def test_service_token_is_validated_too(keystone, who):
    user = who["alpha-member"]
    service = token(keystone, "glint")
    ok = user.get("/v2/images", headers={"X-Service-Token": service})
    assert ok.status_code == 200, ok.text
    bad = user.get("/v2/images", headers={"X-Service-Token": "forged"})
    assert bad.status_code == 401


# --- Glance's default rules, role by role -----------------------------------

def test_role_matrix(keystone, who):
    alpha = keystone["projects"]["alpha"]
    reader, member, admin = who["alpha-reader"], who["alpha-member"], who["alpha-admin"]

    assert reader.get("/v2/images").status_code == 200
    assert reader.post("/v2/images", json={"name": unique("ks")}).status_code == 403
    image = member.create(name=unique("ks-member"), visibility="private")
    assert image["owner"] == alpha
    assert reader.get(f"/v2/images/{image['id']}").status_code == 200
    assert reader.patch_image(image["id"], [
        {"op": "replace", "path": "/name", "value": "x"}]).status_code == 403
    assert reader.delete(f"/v2/images/{image['id']}").status_code == 403

    # Only an admin publicizes; a member may make an image community.
    assert member.post("/v2/images", json={"visibility": "public"}).status_code == 403
    assert member.patch_image(image["id"], [
        {"op": "replace", "path": "/visibility", "value": "public"}]).status_code == 403
    public = admin.create(name=unique("ks-public"), visibility="public")
    community = member.create(name=unique("ks-community"), visibility="community")
    # Another project's member sees public and community, not private.
    other = who["beta-member"]
    assert other.get(f"/v2/images/{public['id']}").status_code == 200
    assert other.get(f"/v2/images/{community['id']}").status_code == 200
    assert other.get(f"/v2/images/{image['id']}").status_code == 404
    # An admin acts on any project's image.
    assert admin.delete(f"/v2/images/{image['id']}").status_code == 204
    for i in (public, community):
        assert admin.delete(f"/v2/images/{i['id']}").status_code == 204


def test_system_scoped_token_is_refused_project_rules(keystone, glint):
    system_admin = As(glint, token(keystone, "system-admin", system=True))
    r = system_admin.get("/v2/images")
    assert r.status_code == 403, r.text


# --- sharing with the real clients ------------------------------------------

def test_share_with_glance_and_openstack_clients(keystone, glint):
    beta = keystone["projects"]["beta"]
    created = table(run(keystone, "alpha-member", "glance", "image-create",
                        "--name", unique("ks-share"), "--visibility", "shared").stdout)
    image_id = created["id"]
    try:
        run(keystone, "alpha-member", "glance", "member-create", image_id, beta)
        # Pending: not in beta's list; beta accepts with the glance CLI.
        listed = run(keystone, "beta-member", "glance", "image-list").stdout
        assert image_id not in listed
        run(keystone, "beta-member", "glance", "member-update", image_id, beta, "accepted")
        assert image_id in run(keystone, "beta-member", "glance", "image-list").stdout
        # The owner withdraws and offers again with openstack image …
        run(keystone, "alpha-member", "openstack", "image", "remove", "project", image_id, beta)
        assert image_id not in run(keystone, "beta-member", "glance", "image-list").stdout
        run(keystone, "alpha-member", "openstack", "image", "add", "project", image_id, beta)
        members = json.loads(run(keystone, "alpha-member", "openstack", "image", "member",
                                 "list", image_id, "-f", "json").stdout)
        assert [(m["Member ID"], m["Status"]) for m in members] == [(beta, "pending")]
        run(keystone, "beta-member", "openstack", "image", "set", "--accept", image_id)
        shown = json.loads(run(keystone, "beta-member", "openstack", "image", "show",
                               image_id, "-f", "json").stdout)
        assert shown["id"] == image_id
        # A member cannot offer the image further, nor change it.
        out = run(keystone, "beta-member", "glance", "member-create", image_id,
                  keystone["projects"]["alpha"], ok=False)
        assert "403" in out.stdout + out.stderr
    finally:
        run(keystone, "alpha-member", "glance", "image-delete", image_id)


# --- tenant isolation -------------------------------------------------------

def test_nothing_private_leaks_to_another_project(keystone, who):
    owner, stranger = who["alpha-member"], who["beta-member"]
    data = b"private bytes\n" * 100
    image = owner.create(name=unique("ks-private"), visibility="private", tags=["secret"])
    iid = image["id"]
    r = owner.put(f"/v2/images/{iid}/file", data=data,
                  headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    shared = owner.create(name=unique("ks-shared-not-offered"), visibility="shared")
    try:
        for target in (iid, shared["id"]):
            attempts = {
                "show": stranger.get(f"/v2/images/{target}"),
                "download": stranger.get(f"/v2/images/{target}/file"),
                "upload": stranger.put(f"/v2/images/{target}/file", data=b"x",
                                       headers={"Content-Type": "application/octet-stream"}),
                "patch": stranger.patch_image(target, [
                    {"op": "replace", "path": "/name", "value": "pwned"}]),
                "delete": stranger.delete(f"/v2/images/{target}"),
                "tag add": stranger.put(f"/v2/images/{target}/tags/x"),
                "tag delete": stranger.delete(f"/v2/images/{target}/tags/secret"),
                "deactivate": stranger.post(f"/v2/images/{target}/actions/deactivate"),
                "reactivate": stranger.post(f"/v2/images/{target}/actions/reactivate"),
                "members": stranger.get(f"/v2/images/{target}/members"),
                "member add": stranger.post(f"/v2/images/{target}/members",
                                            json={"member": keystone["projects"]["beta"]}),
                "member show": stranger.get(
                    f"/v2/images/{target}/members/{keystone['projects']['beta']}"),
            }
            leaked = {k: (r.status_code, r.text[:200]) for k, r in attempts.items()
                      if r.status_code != 404}
            assert not leaked, leaked
        listings = [
            "/v2/images", "/v2/images?visibility=private", "/v2/images?visibility=shared",
            "/v2/images?member_status=all", "/v2/images?member_status=pending",
            f"/v2/images?owner={keystone['projects']['alpha']}", "/v2/images?tag=secret",
            f"/v2/images?name={image['name']}",
        ]
        for path in listings:
            r = stranger.get(path)
            assert r.status_code == 200, (path, r.text)
            ids = [i["id"] for i in r.json()["images"]]
            assert iid not in ids and shared["id"] not in ids, path
        # Nothing changed for the owner.
        got = owner.get(f"/v2/images/{iid}").json()
        assert got["name"] == image["name"] and got["tags"] == ["secret"]
        assert owner.get(f"/v2/images/{iid}/file").content == data
    finally:
        owner.delete(f"/v2/images/{iid}")
        owner.delete(f"/v2/images/{shared['id']}")


# --- glance-download between two regions -----------------------------------

def keystone_conf(keystone, token_cache_time=TOKEN_CACHE_SECONDS):
    return (
        "[paste_deploy]\n"
        "flavor = keystone\n"
        "[keystone_authtoken]\n"
        f"auth_url = {keystone['auth_url']}\n"
        "username = glint\n"
        f"password = {keystone['users']['glint']['password']}\n"
        "project_name = service\n"
        f"token_cache_time = {token_cache_time}\n"
    )


def settled(user, image_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        image = user.get(f"/v2/images/{image_id}").json()
        if image["status"] in ("active", "queued") and not image.get("os_glance_import_task"):
            return image
        assert time.monotonic() < deadline, image
        time.sleep(0.2)


def test_glance_download_finds_the_region_in_the_token_catalog(keystone, glint):
    """A second Glint is RegionTwo's image endpoint in Keystone; Glint
    finds it in the catalog of the caller's token and downloads with that
    token, so the remote applies the caller's own rights."""
    headers = {"X-Auth-Token": admin_token(keystone)}
    base = keystone["auth_url"]
    r = requests.post(base + "/regions", headers=headers, timeout=30,
                      json={"region": {"id": "RegionTwo"}})
    assert r.status_code in (201, 409), r.text
    service_id = requests.get(base + "/services?type=image", headers=headers,
                              timeout=30).json()["services"][0]["id"]
    local_conf = keystone_conf(keystone) + (
        "[DEFAULT]\n"
        "enabled_import_methods = web-download,glance-download\n"
        "[import_filtering_opts]\n"
        "allowed_hosts = 127.0.0.1\n"
        "allowed_ports =\n"
    )
    added = []
    with running_glint(keystone_conf(keystone)) as remote, running_glint(local_conf) as local:
        try:
            r = requests.post(base + "/endpoints", headers=headers, timeout=30, json={
                "endpoint": {"service_id": service_id, "interface": "public",
                             "url": remote, "region_id": "RegionTwo"}})
            assert r.status_code == 201, r.text
            added.append(r.json()["endpoint"]["id"])

            alpha_token = token(keystone, "alpha-member")
            owner = As(remote, alpha_token)
            data = os.urandom(300 * 1024)
            source = owner.create(name=unique("ks-remote"), disk_format="raw",
                                  container_format="bare", visibility="private",
                                  os_distro="debian")
            r = owner.put(f"/v2/images/{source['id']}/file", data=data,
                          headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 204, r.text
            source = owner.get(f"/v2/images/{source['id']}").json()

            body = {"method": {"name": "glance-download", "glance_region": "RegionTwo",
                               "glance_image_id": source["id"]}}
            for user, works in (("alpha-member", True), ("beta-member", False)):
                caller = As(local, token(keystone, user))
                image = caller.create(name=unique("ks-gdl"), disk_format="iso",
                                      container_format="bare")
                r = caller.post(f"/v2/images/{image['id']}/import", json=body)
                assert r.status_code == 202, r.text
                done = settled(caller, image["id"])
                [task] = caller.get(f"/v2/images/{image['id']}/tasks").json()["tasks"]
                if works:
                    assert done["status"] == "active", (done, task)
                    assert done["os_hash_value"] == source["os_hash_value"]
                    assert done["disk_format"] == "raw" and done["os_distro"] == "debian"
                    assert caller.get(f"/v2/images/{image['id']}/file").content == data
                else:
                    # The private source is not beta's to read.
                    assert done["status"] == "queued", done
                    assert done["disk_format"] == "iso"
                    assert task["status"] == "failure" and "404" in task["message"], task
        finally:
            for endpoint_id in added:
                requests.delete(f"{base}/endpoints/{endpoint_id}", headers=headers, timeout=30)


# --- unified limits ---------------------------------------------------------

def image_endpoint_id(keystone, headers):
    base = keystone["auth_url"]
    services = requests.get(base + "/services?type=image", headers=headers, timeout=30)
    service_id = services.json()["services"][0]["id"]
    endpoints = requests.get(f"{base}/endpoints?service_id={service_id}&interface=public",
                             headers=headers, timeout=30)
    return service_id, endpoints.json()["endpoints"][0]["id"]


def test_unified_limits_from_keystone(keystone, glint, who):
    system = {"X-Auth-Token": token(keystone, "system-admin", system=True)}
    base = keystone["auth_url"]
    service_id, endpoint_id = image_endpoint_id(keystone, system)
    registered = [("image_count_total", 2), ("image_size_total", 1),
                  ("image_stage_total", 1), ("image_count_uploading", 1)]
    r = requests.post(base + "/registered_limits", headers=system, timeout=30, json={
        "registered_limits": [{"service_id": service_id, "region_id": "RegionOne",
                               "resource_name": name, "default_limit": limit}
                              for name, limit in registered]})
    assert r.status_code == 201, r.text
    r = requests.post(base + "/limits", headers=system, timeout=30, json={
        "limits": [{"service_id": service_id, "region_id": "RegionOne",
                    "project_id": keystone["projects"]["beta"],
                    "resource_name": "image_count_total", "resource_limit": 5}]})
    assert r.status_code == 201, r.text
    glint_user = keystone["users"]["glint"]
    conf = (
        "[DEFAULT]\n"
        "use_keystone_limits = true\n"
        "[paste_deploy]\n"
        "flavor = keystone\n"
        "[keystone_authtoken]\n"
        f"auth_url = {keystone['auth_url']}\n"
        "username = glint\n"
        f"password = {glint_user['password']}\n"
        "project_name = service\n"
        "[oslo_limit]\n"
        f"endpoint_id = {endpoint_id}\n"
        "username = system-admin\n"
        f"password = {keystone['users']['system-admin']['password']}\n"
        "system_scope = all\n"
    )
    try:
        with running_glint(conf) as limited:
            alpha = As(limited, who["alpha-member"].token)
            beta = As(limited, who["beta-member"].token)
            made = [alpha.create(name=unique("ks-limit")) for _ in range(2)]
            r = alpha.post("/v2/images", json={"name": unique("ks-limit")})
            assert r.status_code == 413, r.text
            assert "image_count_total is over limit of 2" in r.text
            usage = alpha.get("/v2/info/usage").json()["usage"]
            assert usage["image_count_total"] == {"usage": 2, "limit": 2}
            assert usage["image_size_total"] == {"usage": 0, "limit": 1}
            # beta's own limit is higher than the registered default.
            made += [beta.create(name=unique("ks-limit")) for _ in range(3)]
            assert beta.get("/v2/info/usage").json()["usage"]["image_count_total"] == {
                "usage": 3, "limit": 5}
            # image_size_total is 1 MiB: a 2 MiB upload is refused up front.
            r = alpha.put(f"/v2/images/{made[0]['id']}/file", data=b"\0" * (2 << 20),
                          headers={"Content-Type": "application/octet-stream"})
            assert r.status_code == 413, r.text
            for image in made:
                requests.delete(f"{limited}/v2/images/{image['id']}", timeout=30,
                                headers={"X-Auth-Token": who["alpha-admin"].token})
    finally:
        limits = requests.get(base + f"/registered_limits?service_id={service_id}",
                              headers=system, timeout=30).json()["registered_limits"]
        project_limits = requests.get(base + f"/limits?service_id={service_id}",
                                      headers=system, timeout=30).json()["limits"]
        for limit in project_limits:
            requests.delete(f"{base}/limits/{limit['id']}", headers=system, timeout=30)
        for limit in limits:
            requests.delete(f"{base}/registered_limits/{limit['id']}", headers=system,
                            timeout=30)


# --- expiry -----------------------------------------------------------------

SHORT_LIFE = 4


@pytest.fixture(scope="module")
def short_lived_keystone():
    """A second Keystone whose tokens live SHORT_LIFE seconds."""
    state_dir = tempfile.mkdtemp(prefix="glint-keystone-short-")
    env = {**os.environ, "KEYSTONE_TOKEN_EXPIRATION": str(SHORT_LIFE)}
    try:
        yield keystone_fixture.start(state_dir, env=env)
    finally:
        keystone_fixture.stop(state_dir)


def test_an_expired_token_is_refused_and_the_service_token_renewed(short_lived_keystone):
    keystone = short_lived_keystone
    with running_glint(keystone_conf(keystone, token_cache_time=300)) as url:
        old = token(keystone, "alpha-member")
        assert As(url, old).get("/v2/images").status_code == 200
        time.sleep(SHORT_LIFE + 1)
        # Cached, but past its expiry: refused all the same.
        assert As(url, old).get("/v2/images").status_code == 401
        # Glint's own token expired too; it gets a new one to validate this.
        fresh = token(keystone, "alpha-member")
        assert As(url, fresh).get("/v2/images").status_code == 200
