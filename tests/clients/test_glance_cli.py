"""The `glance` CLI (python-glanceclient, API v2) against the server."""

import hashlib
import json

import pytest

from conftest import MISSING_ID, list_table, table, unique

DATA = b"glint glance-cli image data\n" * 1000


@pytest.fixture(scope="module")
def batch(glance, http, tmp_path_factory):
    """Three images sharing a `group` property, created in the order c, a, b:
    a is private and active (has data), b public with tags, c the default
    visibility with os_distro and min_disk."""
    prefix = unique("gl")
    src = tmp_path_factory.mktemp("glance") / "disk.raw"
    src.write_bytes(DATA)
    created = {}
    try:
        created["c"] = table(glance.run(
            "image-create", "--name", f"{prefix}-c", "--disk-format", "qcow2",
            "--container-format", "bare", "--property", f"group={prefix}",
            "--property", "os_distro=ubuntu", "--min-disk", "2").stdout)
        created["a"] = table(glance.run(
            "image-create", "--name", f"{prefix}-a", "--disk-format", "raw",
            "--container-format", "bare", "--visibility", "private",
            "--property", f"group={prefix}", "--file", src).stdout)
        created["b"] = table(glance.run(
            "image-create", "--name", f"{prefix}-b", "--disk-format", "qcow2",
            "--container-format", "bare", "--visibility", "public",
            "--property", f"group={prefix}", "--tags", f"{prefix}-tag", "other").stdout)
        yield prefix, {k: v["id"] for k, v in created.items()}, created
    finally:
        for image in created.values():
            http.purge(image["id"])


def names(glance, *args):
    return [row["Name"] for row in list_table(glance.run("image-list", *args).stdout)]


def test_create_with_properties_tags_and_data(batch):
    prefix, _, created = batch
    c, a, b = created["c"], created["a"], created["b"]
    assert c["status"] == "queued"
    assert c["name"] == f"{prefix}-c"
    assert c["os_distro"] == "ubuntu"
    assert c["group"] == prefix
    assert c["min_disk"] == "2"
    assert c["disk_format"] == "qcow2" and c["container_format"] == "bare"
    assert c["visibility"] == "shared"
    assert c["protected"] == "False"
    assert a["status"] == "active"
    assert a["visibility"] == "private"
    assert a["size"] == str(len(DATA))
    assert a["checksum"] == hashlib.md5(DATA).hexdigest()
    assert a["os_hash_algo"] == "sha512"
    assert b["visibility"] == "public"
    assert sorted(json.loads(b["tags"])) == sorted([f"{prefix}-tag", "other"])


def test_list_sorted(glance, batch):
    prefix, _, _ = batch
    group = f"group={prefix}"
    assert names(glance, "--property-filter", group, "--sort-key", "name",
                 "--sort-dir", "asc") == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert names(glance, "--property-filter", group, "--sort", "name:desc") == \
        [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]
    # Two keys: disk_format asc (qcow2 > raw), then name desc.
    assert names(glance, "--property-filter", group,
                 "--sort", "disk_format:asc,name:desc") == \
        [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]


def test_list_filters(glance, batch):
    prefix, _, _ = batch
    group = f"group={prefix}"
    # glanceclient sends each --property-filter as a query parameter, so
    # name= and status= filter on the image's own attributes.
    assert names(glance, "--property-filter", f"name={prefix}-b") == [f"{prefix}-b"]
    assert names(glance, "--property-filter", group, "--visibility", "public") == [f"{prefix}-b"]
    assert names(glance, "--property-filter", group, "--visibility", "private") == [f"{prefix}-a"]
    assert names(glance, "--property-filter", group, "--property-filter", "status=active") == \
        [f"{prefix}-a"]
    assert names(glance, "--tag", f"{prefix}-tag") == [f"{prefix}-b"]
    assert names(glance, "--property-filter", group,
                 "--property-filter", "os_distro=ubuntu") == [f"{prefix}-c"]


def test_list_filter_by_checksum_and_hash(glance, batch):
    prefix, ids, _ = batch
    group = f"group={prefix}"
    rows = list_table(glance.run("image-list", "--checksum", hashlib.md5(DATA).hexdigest(),
                                 "--property-filter", group).stdout)
    assert [r["ID"] for r in rows] == [ids["a"]]
    rows = list_table(glance.run("image-list", "--hash", hashlib.sha512(DATA).hexdigest(),
                                 "--property-filter", group).stdout)
    assert [r["ID"] for r in rows] == [ids["a"]]


def test_list_paging(glance, batch):
    prefix, _, _ = batch
    group = f"group={prefix}"
    everything = [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    # A page size of 1 makes the client follow three `next` links.
    assert names(glance, "--property-filter", group, "--sort", "name:asc",
                 "--page-size", "1") == everything
    assert names(glance, "--property-filter", group, "--sort", "name:asc",
                 "--limit", "2") == everything[:2]
    assert names(glance, "--property-filter", group, "--sort", "name:asc",
                 "--limit", "2", "--page-size", "1") == everything[:2]


def test_show_update_tags_and_delete(glance):
    name = unique("gl")
    image_id = table(glance.run(
        "image-create", "--name", name, "--disk-format", "qcow2", "--container-format", "bare",
        "--property", "os_distro=ubuntu", "--property", "hw_disk_bus=virtio").stdout)["id"]
    try:
        glance.run("image-update", image_id, "--name", name + "-renamed",
                   "--property", "extra=1", "--remove-property", "hw_disk_bus",
                   "--min-disk", "5", "--min-ram", "512")
        shown = table(glance.run("image-show", image_id).stdout)
        assert shown["id"] == image_id
        assert shown["name"] == name + "-renamed"
        assert shown["extra"] == "1"
        assert shown["os_distro"] == "ubuntu"
        assert "hw_disk_bus" not in shown
        assert shown["min_disk"] == "5"
        assert shown["min_ram"] == "512"

        glance.run("image-tag-update", image_id, "blue")
        glance.run("image-tag-update", image_id, "green")
        assert sorted(json.loads(table(glance.run("image-show", image_id).stdout)["tags"])) == \
            ["blue", "green"]
        glance.run("image-tag-delete", image_id, "blue")
        assert json.loads(table(glance.run("image-show", image_id).stdout)["tags"]) == ["green"]
    finally:
        glance.run("image-delete", image_id)
    assert "No image found" in glance.fail("image-show", image_id)


def test_deactivate_reactivate_download(glance, batch, tmp_path):
    _, ids, _ = batch
    glance.run("image-deactivate", ids["a"])
    assert table(glance.run("image-show", ids["a"]).stdout)["status"] == "deactivated"
    glance.run("image-reactivate", ids["a"])
    assert table(glance.run("image-show", ids["a"]).stdout)["status"] == "active"
    dst = tmp_path / "copy.raw"
    glance.run("image-download", ids["a"], "--file", dst)
    assert dst.read_bytes() == DATA


def test_show_missing(glance):
    assert "No image found" in glance.fail("image-show", MISSING_ID)


def test_invalid_disk_format(glance):
    # glanceclient checks values against the server's /v2/schemas/image.
    assert "floppy" in glance.fail("image-create", "--name", unique("gl"),
                                   "--disk-format", "floppy", "--container-format", "bare")


def test_protected_image_cannot_be_deleted(glance, cleanup):
    image_id = table(glance.run("image-create", "--name", unique("gl"),
                                "--protected", "True").stdout)["id"]
    cleanup.append(image_id)
    assert "not permitted" in glance.fail("image-delete", image_id)
    assert table(glance.run("image-show", image_id).stdout)["protected"] == "True"
    glance.run("image-update", image_id, "--protected", "False")
    glance.run("image-delete", image_id)


def test_members_create_update_list_delete(glance, http, cleanup):
    """`glance member-create`, `member-update`, `member-list`,
    `member-delete`; the member project then sees the image it accepted."""
    image = table(glance.run("image-create", "--name", unique("gl-share"),
                             "--visibility", "shared").stdout)
    cleanup.append(image["id"])
    friend = unique("proj")
    created = list_table(glance.run("member-create", image["id"], friend).stdout)
    assert [(m["Member ID"], m["Status"]) for m in created] == [(friend, "pending")]
    updated = list_table(glance.run("member-update", image["id"], friend, "accepted").stdout)
    assert updated[0]["Status"] == "accepted"
    listed = list_table(glance.run("member-list", "--image-id", image["id"]).stdout)
    assert [(m["Image ID"], m["Member ID"], m["Status"]) for m in listed] == [
        (image["id"], friend, "accepted")]
    as_friend = {"X-Project-Id": friend, "X-Roles": "member,reader"}
    seen = http.get("/v2/images", headers=as_friend).json()["images"]
    assert image["id"] in [i["id"] for i in seen]
    out = glance.fail("member-create", image["id"], friend)
    assert "409" in out or "duplicated" in out, out
    glance.run("member-delete", image["id"], friend)
    assert list_table(glance.run("member-list", "--image-id", image["id"]).stdout) == []
    assert http.get(f"/v2/images/{image['id']}", headers=as_friend).status_code == 404


def test_metadef_commands(glance, http):
    """`glance md-*`: namespaces, properties, objects, tags and resource
    type associations, on a namespace shaped like the standard catalogs."""
    name = "Glint::Test::" + unique("md")
    r = http.post("/v2/metadefs/namespaces", json={
        "namespace": name, "display_name": "Glint test", "visibility": "public",
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "gt_"}],
        "properties": {"speed": {"type": "integer", "title": "Speed"}},
        "objects": [{"name": "Engine",
                     "properties": {"power": {"type": "integer", "title": "Power"}}}]})
    assert r.status_code == 201, r.text
    try:
        assert name in glance.run("md-namespace-list").stdout
        shown = table(glance.run("md-namespace-show", name).stdout)
        assert shown["display_name"] == "Glint test"
        props = list_table(glance.run("md-property-list", name).stdout)
        assert [(p["name"], p["type"]) for p in props] == [("speed", "integer")]
        glance.run("md-property-create", name, "--name", "color", "--title", "Color",
                   "--type", "string",
                   "--schema", '{"type": "string", "title": "Color"}')
        assert table(glance.run("md-property-show", name, "color").stdout)["title"] == "Color"
        objects = list_table(glance.run("md-object-list", name).stdout)
        assert [o["name"] for o in objects] == ["Engine"]
        glance.run("md-tag-create-multiple", "--names", "fast,cheap", name)
        tags = [t["name"] for t in list_table(glance.run("md-tag-list", name).stdout)]
        assert tags == ["fast", "cheap"]
        assocs = list_table(glance.run("md-namespace-resource-type-list", name).stdout)
        assert [(a["name"], a["prefix"]) for a in assocs] == [("OS::Glance::Image", "gt_")]
        types = [t["name"] for t in list_table(glance.run("md-resource-type-list").stdout)]
        assert "OS::Glance::Image" in types
    finally:
        glance.run("md-namespace-delete", name)
    assert http.get(f"/v2/metadefs/namespaces/{name}").status_code == 404
