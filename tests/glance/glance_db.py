"""Glint on a Glance database, and Glance on a Glint database (MariaDB).

Run by glance_db.sh (which makes the Glance venv and checks for MariaDB):

    python glance_db.py WORK_DIR

For each way the database is made (`glance-manage db sync`, `glint db sync`):
Glance fills it through its API (images in two projects: private, public,
shared with an accepted member, community; tags, properties, data in a file
store; metadefs) and answers every read; Glint, on the same database and
image folder, must answer the same; Glint then writes (images, data,
members, tags, properties, metadefs) and Glance, restarted, must read back
what Glint answers. Answers are compared field by field; IGNORED says what
may differ and why.
"""

import hashlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import pymysql
import requests

HERE = pathlib.Path(__file__).resolve().parent
GLANCE_SH = HERE / "glance.sh"
GLINT_BIN = os.environ.get("GLINT_BIN", str(HERE.parent.parent / "target/debug/glint"))
MYSQL = dict(host="127.0.0.1", port=3306, user="root", password="")

P1, P2, P3 = "11111111111111111111111111111111", "22222222222222222222222222222222", \
    "33333333333333333333333333333333"
ADMIN_PROJECT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
VIEWERS = {
    "p1": (P1, "member,reader"),
    "p2": (P2, "member,reader"),
    "p3": (P3, "member,reader"),
    "admin": (ADMIN_PROJECT, "admin,member,reader"),
}
NS = "Glint::Test::NS"
NS2 = "Glint::Test::FromGlint"

# Keys whose values may differ between the two servers for the same rows:
# none so far; every difference found is either fixed or listed here with
# the reason.
IGNORED = {
    # The links Glance and Glint put in list answers ('first', 'next') name
    # the same page; compared separately without the query order.
}

failures = []


def log(msg):
    print(f"glance_db: {msg}", flush=True)


def headers(viewer, **extra):
    project, roles = VIEWERS[viewer]
    h = {
        "X-Identity-Status": "Confirmed",
        "X-Project-Id": project,
        "X-Tenant-Id": project,
        "X-User-Id": f"user-{viewer}",
        "X-Roles": roles,
    }
    h.update(extra)
    return h


class Api:
    def __init__(self, url, name):
        self.url, self.name = url.rstrip("/"), name

    def call(self, method, path, viewer, expect=None, **kw):
        h = headers(viewer, **kw.pop("headers", {}))
        r = requests.request(method, self.url + path, headers=h, timeout=60, **kw)
        if expect is not None and r.status_code != expect:
            raise AssertionError(
                f"{self.name}: {method} {path} as {viewer}: {r.status_code} "
                f"(want {expect}): {r.text[:500]}")
        return r

    def json(self, method, path, viewer, body=None, expect=200, content_type=None):
        kw = {}
        if body is not None:
            kw["data"] = json.dumps(body)
            kw["headers"] = {"Content-Type": content_type or "application/json"}
        r = self.call(method, path, viewer, expect=expect, **kw)
        return r.json() if r.content else None

    def patch(self, image_id, viewer, ops):
        return self.json("PATCH", f"/v2/images/{image_id}", viewer, ops,
                         content_type="application/openstack-images-v2.1-json-patch")

    def upload(self, image_id, viewer, data):
        self.call("PUT", f"/v2/images/{image_id}/file", viewer, expect=204, data=data,
                  headers={"Content-Type": "application/octet-stream"})


# --- what each server answers -----------------------------------------------

def snapshot(api):
    """Every read the test compares, keyed by what was asked."""
    out = {}
    for viewer in VIEWERS:
        listed = api.json("GET", "/v2/images?limit=1000", viewer)
        images = sorted(listed["images"], key=lambda i: i["id"])
        out[f"{viewer} list"] = [i["id"] for i in images]
        for filt in ("visibility=community", "visibility=shared", "visibility=public",
                     "member_status=all&visibility=shared", "tag=common"):
            got = api.json("GET", f"/v2/images?limit=1000&{filt}", viewer)
            out[f"{viewer} list {filt}"] = sorted(i["id"] for i in got["images"])
        for image in images:
            iid = f'{image["name"]} {image["id"]}'
            out[f"{viewer} image {iid} (listed)"] = image
            out[f"{viewer} image {iid}"] = api.json("GET", f"/v2/images/{image['id']}", viewer)
            if image["status"] == "active":
                r = api.call("GET", f"/v2/images/{image['id']}/file", viewer)
                out[f"{viewer} image {iid} data"] = {
                    "status": r.status_code,
                    "md5": hashlib.md5(r.content).hexdigest(),
                    "size": len(r.content),
                    "Content-MD5": r.headers.get("Content-MD5"),
                }
            r = api.call("GET", f"/v2/images/{image['id']}/members", viewer)
            members = r.json().get("members", []) if r.status_code == 200 else None
            out[f"{viewer} image {iid} members"] = {
                "status": r.status_code,
                "members": sorted(members, key=lambda m: m["member_id"]) if members else members,
            }
        namespaces = api.json("GET", "/v2/metadefs/namespaces?limit=1000", viewer)
        names = sorted(n["namespace"] for n in namespaces["namespaces"])
        out[f"{viewer} namespaces"] = names
        for ns in names:
            if not ns.startswith("Glint::Test"):
                continue
            base = f"/v2/metadefs/namespaces/{ns}"
            out[f"{viewer} ns {ns}"] = api.json("GET", base, viewer)
            out[f"{viewer} ns {ns} objects"] = api.json("GET", base + "/objects", viewer)
            out[f"{viewer} ns {ns} properties"] = api.json("GET", base + "/properties", viewer)
            out[f"{viewer} ns {ns} tags"] = api.json("GET", base + "/tags", viewer)
            out[f"{viewer} ns {ns} resource_types"] = api.json(
                "GET", base + "/resource_types", viewer)
    types = api.json("GET", "/v2/metadefs/resource_types", "admin")
    out["resource types"] = sorted(t["name"] for t in types["resource_types"])
    return out


def normalise(value):
    """Order-free lists where the API promises no order."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        try:
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        except TypeError:
            return items
    return value


def compare(what, want, got, want_name, got_name):
    """Records every difference between two snapshots."""
    before = len(failures)
    for key in sorted(set(want) | set(got)):
        if key not in got:
            failures.append(f"{what}: {key}: {got_name} has no answer")
            continue
        if key not in want:
            failures.append(f"{what}: {key}: only {got_name} answers")
            continue
        a, b = normalise(want[key]), normalise(got[key])
        if isinstance(a, dict) and isinstance(b, dict):
            for field in sorted(set(a) | set(b)):
                if field in IGNORED:
                    continue
                if a.get(field, "<absent>") != b.get(field, "<absent>"):
                    failures.append(
                        f"{what}: {key}: field {field!r}: {want_name} "
                        f"{json.dumps(a.get(field, '<absent>'))[:300]} != {got_name} "
                        f"{json.dumps(b.get(field, '<absent>'))[:300]}")
        elif a != b:
            failures.append(f"{what}: {key}: {want_name} {json.dumps(a)[:300]} != "
                            f"{got_name} {json.dumps(b)[:300]}")
    log(f"{what}: {len(want)} answers compared, {len(failures) - before} differences")


# --- what each server writes ------------------------------------------------

def fill_with(api, tag):
    """Images, members, tags, properties, data and metadefs, as a user would
    make them; returns the ids by role."""
    ids = {}
    blob = lambda n: (f"{tag}-{n}-".encode() * 1000)[: 3000 + n]  # noqa: E731

    def image(name, viewer, visibility, data=None, **extra):
        body = {"name": f"{tag}-{name}", "disk_format": "raw", "container_format": "bare",
                "visibility": visibility, "tags": ["common", f"{tag}-{name}"],
                "os_distro": "debian", f"{tag}_prop": f"value of {name}", **extra}
        created = api.json("POST", "/v2/images", viewer, body, expect=201)
        if data is not None:
            api.upload(created["id"], viewer, data)
        ids[name] = created["id"]
        return created["id"]

    image("private", "p1", "private", blob(1), min_disk=1, min_ram=64)
    shared = image("shared", "p1", "shared", blob(2))
    api.json("POST", f"/v2/images/{shared}/members", "p1", {"member": P2})
    api.json("PUT", f"/v2/images/{shared}/members/{P2}", "p2", {"status": "accepted"})
    api.json("POST", f"/v2/images/{shared}/members", "p1", {"member": P3})
    image("community", "p2", "community", blob(3), protected=False)
    image("public", "admin", "public", blob(4))
    image("queued", "p2", "private")
    hidden = image("hidden", "p1", "public" if False else "shared", blob(5), os_hidden=True)
    api.json("POST", f"/v2/images/{hidden}/members", "p1", {"member": P2})
    # An image whose property was removed and a tag deleted: soft-deleted rows.
    edited = image("edited", "p1", "private", blob(6))
    api.patch(edited, "p1", [
        {"op": "remove", "path": f"/{tag}_prop"},
        {"op": "replace", "path": "/name", "value": f"{tag}-edited-renamed"},
        {"op": "add", "path": "/extra", "value": "x"},
    ])
    api.call("DELETE", f"/v2/images/{edited}/tags/common", "p1", expect=204)
    api.call("PUT", f"/v2/images/{edited}/tags/added", "p1", expect=204)
    gone = image("deleted", "p1", "private", blob(7))
    api.call("DELETE", f"/v2/images/{gone}", "p1", expect=204)
    deactivated = image("deactivated", "p1", "private", blob(8))
    api.call("POST", f"/v2/images/{deactivated}/actions/deactivate", "admin", expect=204)
    return ids


def metadefs_with(api, ns, tag):
    base = f"/v2/metadefs/namespaces/{ns}"
    api.json("POST", "/v2/metadefs/namespaces", "admin", {
        "namespace": ns, "display_name": f"{tag} namespace", "description": "for tests",
        "visibility": "public", "protected": False,
        "resource_type_associations": [
            {"name": "OS::Glance::Image", "prefix": f"{tag}_"}],
    }, expect=201)
    api.json("POST", base + "/properties", "admin", {
        "name": f"{tag}_size", "title": "Size", "type": "integer", "minimum": 1,
        "description": "a property"}, expect=201)
    api.json("POST", base + "/objects", "admin", {
        "name": f"{tag} object", "description": "an object", "required": ["a"],
        "properties": {"a": {"title": "A", "type": "string", "enum": ["x", "y"]}}},
        expect=201)
    api.json("POST", base + "/tags/" + f"{tag}-tag", "admin", expect=201)
    api.json("POST", base + "/resource_types", "admin", {
        "name": "OS::Cinder::Volume", "prefix": f"{tag}_vol_",
        "properties_target": "image"}, expect=201)


def glint_writes(api, ids):
    """Glint changes what Glance made: every kind of row, both ways."""
    new = api.json("POST", "/v2/images", "p1", {
        # raw: uploads are format-inspected, and these bytes are no qcow2.
        "name": "glint-made", "disk_format": "raw", "container_format": "bare",
        "visibility": "shared", "tags": ["common", "glint"], "glint_prop": "yes"},
        expect=201)
    api.upload(new["id"], "p1", b"bytes written by glint" * 500)
    api.json("POST", f"/v2/images/{new['id']}/members", "p1", {"member": P3})
    api.json("PUT", f"/v2/images/{new['id']}/members/{P3}", "p3", {"status": "accepted"})
    api.patch(ids["private"], "p1", [
        {"op": "replace", "path": "/name", "value": "renamed by glint"},
        {"op": "add", "path": "/glint_added", "value": "added"},
        {"op": "remove", "path": "/os_distro"},
        {"op": "replace", "path": "/min_ram", "value": 128},
    ])
    api.call("PUT", f"/v2/images/{ids['private']}/tags/by-glint", "p1", expect=204)
    api.call("DELETE", f"/v2/images/{ids['private']}/tags/common", "p1", expect=204)
    shared = ids["shared"]
    api.json("PUT", f"/v2/images/{shared}/members/{P3}", "p3", {"status": "rejected"})
    api.call("DELETE", f"/v2/images/{shared}/members/{P2}", "p1", expect=204)
    api.call("DELETE", f"/v2/images/{ids['community']}", "p2", expect=204)
    api.call("POST", f"/v2/images/{ids['deactivated']}/actions/reactivate", "admin",
             expect=204)
    api.json("PATCH", f"/v2/images/{ids['public']}", "admin",
             [{"op": "replace", "path": "/visibility", "value": "community"}],
             content_type="application/openstack-images-v2.1-json-patch")
    # Metadefs: update and delete what Glance made, make a namespace anew.
    base = f"/v2/metadefs/namespaces/{NS}"
    api.json("PUT", base, "admin", {
        "namespace": NS, "display_name": "renamed by glint", "description": "changed",
        "visibility": "public", "protected": False})
    api.json("PUT", base + "/properties/glance_size", "admin", {
        "name": "glance_size", "title": "Size (Glint)", "type": "integer", "minimum": 2})
    api.call("DELETE", base + "/tags/glance-tag", "admin", expect=204)
    api.json("POST", base + "/tags/glint-tag", "admin", expect=201)
    api.call("DELETE", base + "/resource_types/OS::Cinder::Volume", "admin", expect=204)
    metadefs_with(api, NS2, "glint")


# --- servers ------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n"
                             f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


class Glance:
    def __init__(self, state, db_url, data):
        self.state, self.db_url, self.data = state, db_url, data

    def __enter__(self):
        t0 = time.monotonic()
        url = run(["bash", GLANCE_SH, "start", self.state, self.db_url, self.data]).stdout
        log(f"glance up at {url.strip()} in {time.monotonic() - t0:.1f}s")
        return Api(url.strip(), "glance")

    def __exit__(self, *exc):
        run(["bash", GLANCE_SH, "stop", self.state])


class Glint:
    def __init__(self, state, db_url, data):
        self.state, self.db_url, self.data = pathlib.Path(state), db_url, data

    def conf(self, port=9292):
        self.state.mkdir(parents=True, exist_ok=True)
        conf = self.state / "glint.conf"
        conf.write_text(
            "[DEFAULT]\nbind_host = 127.0.0.1\n"
            f"bind_port = {port}\ndata_dir = {self.state}/data\n"
            "show_multiple_locations = true\n"
            f"[database]\nconnection = {self.db_url}\n"
            f"[glance_store]\nfilesystem_store_datadir = {self.data}\n")
        return conf

    def db_sync(self):
        run([GLINT_BIN, "--config-file", self.conf(), "db", "sync"])

    def __enter__(self):
        port = free_port()
        conf = self.conf(port)
        self.log = open(self.state / "glint.log", "a")
        self.proc = subprocess.Popen([GLINT_BIN, "serve", "--config-file", str(conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/versions", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"glint serve did not start; see {self.state}/glint.log")
            time.sleep(0.1)
        log(f"glint up at {url}")
        return Api(url, "glint")

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def fresh_database(name):
    conn = pymysql.connect(**MYSQL)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    return f"mysql+pymysql://root@127.0.0.1:3306/{name}"


def drop_database(name):
    conn = pymysql.connect(**MYSQL)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def one_way(work, made_by):
    """The whole round trip on a database made by `made_by`."""
    name = f"glint_glance_{made_by}_{os.getpid()}_{int(time.time())}"
    db_url = fresh_database(name)
    root = pathlib.Path(work) / made_by
    data = root / "images"
    glance_state, glint_state = root / "glance", root / "glint"
    try:
        t0 = time.monotonic()
        if made_by == "glance":
            run(["bash", GLANCE_SH, "manage", glance_state, db_url, "db", "sync"])
        else:
            Glint(glint_state, db_url, data).db_sync()
            # Glance must see Glint's schema as its own, up to date.
            out = run(["bash", GLANCE_SH, "manage", glance_state, db_url, "db", "sync"])
            if "up to date" not in (out.stdout + out.stderr):
                failures.append(f"glint-made: glance-manage db sync did not find the "
                                f"schema up to date:\n{out.stdout[-1000:]}{out.stderr[-1000:]}")
        log(f"{made_by}-made database {name} ready in {time.monotonic() - t0:.1f}s")
        with Glance(glance_state, db_url, data) as glance:
            ids = fill_with(glance, "glance")
            metadefs_with(glance, NS, "glance")
            before = snapshot(glance)
        with Glint(glint_state, db_url, data) as glint:
            compare(f"{made_by}-made db, Glance's writes", before, snapshot(glint),
                    "glance", "glint")
            glint_writes(glint, ids)
            after = snapshot(glint)
        with Glance(glance_state, db_url, data) as glance:
            compare(f"{made_by}-made db, Glint's writes", after, snapshot(glance),
                    "glint", "glance")
    finally:
        drop_database(name)


def main():
    work = sys.argv[1]
    os.environ["GLANCE_SHOW_MULTIPLE_LOCATIONS"] = "true"
    t0 = time.monotonic()
    for made_by in ("glance", "glint"):
        one_way(work, made_by)
    log(f"both ways in {time.monotonic() - t0:.1f}s")
    if failures:
        for f in failures:
            print(f"DIFF {f}")
        log(f"{len(failures)} differences")
        sys.exit(1)
    log("Glint and Glance answer the same, both ways")


if __name__ == "__main__":
    main()
