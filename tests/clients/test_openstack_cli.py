"""`openstack image …` (python-openstackclient) against the server.

Note what python-openstackclient does itself: `--sort` and `--property` of
`image list` are applied client-side, `--limit` asks for one page of that
size (no `next` link is followed) and `--max-items` caps the total.
"""

import hashlib

import pytest

from conftest import MISSING_ID, unique

DATA = b"glint openstack-cli image data\n" * 1000


@pytest.fixture(scope="module")
def batch(openstack, http, tmp_path_factory):
    """Three images tagged with a unique tag, created in the order c, a, b:
    a is private and active (has data), b public with a second tag, c of the
    default visibility with os_distro and min_disk."""
    prefix = unique("osc")
    src = tmp_path_factory.mktemp("osc") / "disk.raw"
    src.write_bytes(DATA)
    created = {}
    common = ("--property", f"batch={prefix}", "--tag", prefix)
    try:
        created["c"] = openstack.json(
            "image", "create", f"{prefix}-c", "--disk-format", "qcow2",
            "--container-format", "bare", "--property", "os_distro=fedora",
            "--min-disk", "3", *common)
        created["a"] = openstack.json(
            "image", "create", f"{prefix}-a", "--disk-format", "raw",
            "--container-format", "bare", "--private", "--file", src, *common)
        created["b"] = openstack.json(
            "image", "create", f"{prefix}-b", "--disk-format", "qcow2",
            "--container-format", "bare", "--public", "--tag", f"{prefix}-extra", *common)
        yield prefix, {k: v["id"] for k, v in created.items()}, created
    finally:
        for image in created.values():
            http.purge(image["id"])


def listed(openstack, *args):
    return [row["Name"] for row in openstack.json("image", "list", *args)]


def test_create_with_properties_and_tags(openstack, batch):
    prefix, ids, created = batch
    c = created["c"]
    assert c["name"] == f"{prefix}-c"
    assert c["status"] == "queued"
    assert c["disk_format"] == "qcow2" and c["container_format"] == "bare"
    assert c["min_disk"] == 3
    assert c["visibility"] == "shared"
    assert sorted(c["tags"]) == [prefix]
    assert c["properties"]["os_distro"] == "fedora"
    assert c["properties"]["batch"] == prefix
    assert created["b"]["visibility"] == "public"
    assert sorted(created["b"]["tags"]) == sorted([prefix, f"{prefix}-extra"])

    a = openstack.json("image", "show", ids["a"])
    assert a["status"] == "active"
    assert a["visibility"] == "private"
    assert a["size"] == len(DATA)
    assert a["checksum"] == hashlib.md5(DATA).hexdigest()


def test_list_filters(openstack, batch):
    prefix, ids, _ = batch
    assert [r["ID"] for r in openstack.json("image", "list", "--name", f"{prefix}-b")] == \
        [ids["b"]]
    assert listed(openstack, "--tag", prefix) == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert listed(openstack, "--tag", prefix, "--tag", f"{prefix}-extra") == [f"{prefix}-b"]
    assert listed(openstack, "--tag", prefix, "--public") == [f"{prefix}-b"]
    assert listed(openstack, "--tag", prefix, "--private") == [f"{prefix}-a"]
    assert listed(openstack, "--tag", prefix, "--shared") == [f"{prefix}-c"]
    assert listed(openstack, "--tag", prefix, "--status", "active") == [f"{prefix}-a"]
    assert listed(openstack, "--tag", prefix, "--property", "os_distro=fedora") == \
        [f"{prefix}-c"]
    rows = openstack.json("image", "list", "--tag", prefix, "--long",
                          "--sort", "name:desc")
    assert [r["Name"] for r in rows] == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]
    assert [r["Visibility"] for r in rows] == ["shared", "public", "private"]
    assert [r["Disk Format"] for r in rows] == ["qcow2", "qcow2", "raw"]


def test_list_paging(openstack, http, batch):
    prefix, ids, _ = batch
    assert len(openstack.json("image", "list", "--tag", prefix, "--limit", "2")) == 2
    assert len(openstack.json("image", "list", "--tag", prefix, "--max-items", "2")) == 2
    # The server's own order (created_at desc, id desc) decides what
    # follows a marker.
    order = [i["id"] for i in http.get(f"/v2/images?tag={prefix}").json()["images"]]
    assert sorted(order) == sorted(ids.values())
    rows = openstack.json("image", "list", "--tag", prefix, "--marker", order[0])
    assert sorted(r["ID"] for r in rows) == sorted(order[1:])


def test_show_set_unset_and_delete(openstack):
    name = unique("osc")
    image = openstack.json("image", "create", name, "--disk-format", "qcow2",
                           "--container-format", "bare", "--property", "os_distro=fedora",
                           "--tag", "one", "--tag", "two")
    image_id = image["id"]
    try:
        openstack.run("image", "set", image_id, "--name", name + "-2",
                      "--property", "foo=bar", "--min-disk", "4", "--min-ram", "256",
                      "--tag", "three")
        shown = openstack.json("image", "show", image_id)
        assert shown["id"] == image_id
        assert shown["name"] == name + "-2"
        assert shown["min_disk"] == 4
        assert shown["min_ram"] == 256
        assert sorted(shown["tags"]) == ["one", "three", "two"]
        assert shown["properties"]["foo"] == "bar"
        assert shown["properties"]["os_distro"] == "fedora"

        openstack.run("image", "unset", image_id, "--property", "foo", "--tag", "one")
        shown = openstack.json("image", "show", image_id)
        assert "foo" not in shown["properties"]
        assert sorted(shown["tags"]) == ["three", "two"]
    finally:
        openstack.run("image", "delete", image_id)
    assert "No Image found" in openstack.fail("image", "show", image_id)


def test_deactivate_reactivate_save(openstack, batch, tmp_path):
    _, ids, _ = batch
    openstack.run("image", "set", "--deactivate", ids["a"])
    assert openstack.json("image", "show", ids["a"])["status"] == "deactivated"
    openstack.run("image", "set", "--activate", ids["a"])
    assert openstack.json("image", "show", ids["a"])["status"] == "active"
    dst = tmp_path / "saved.raw"
    openstack.run("image", "save", "--file", dst, ids["a"])
    assert dst.read_bytes() == DATA


def test_show_missing(openstack):
    assert "No Image found" in openstack.fail("image", "show", MISSING_ID)


def test_invalid_values(openstack, http):
    # The disk format is checked by the client itself...
    assert "invalid choice" in openstack.fail("image", "create", unique("osc"),
                                              "--disk-format", "floppy")
    # ...a negative min_disk by the server's schema (400).
    name = unique("osc")
    openstack.fail("image", "create", name, "--min-disk", "-1")
    assert http.get(f"/v2/images?name={name}").json()["images"] == []


def test_protected_image_cannot_be_deleted(openstack, cleanup):
    image_id = openstack.json("image", "create", unique("osc"), "--protected")["id"]
    cleanup.append(image_id)
    out = openstack.fail("image", "delete", image_id)
    assert "Failed to delete" in out
    assert openstack.json("image", "show", image_id)["protected"] is True
    openstack.run("image", "set", "--unprotected", image_id)
    openstack.run("image", "delete", image_id)


def test_metadef_namespaces(openstack, http):
    """`openstack image metadef namespace create / list / show / delete`."""
    name = "Glint::Test::" + unique("ns")
    created = openstack.json("image", "metadef", "namespace", "create", "--public",
                             "--display-name", "Test namespace", "--description", "for tests",
                             name)
    assert created["namespace"] == name and created["visibility"] == "public"
    try:
        listed = [n["namespace"] for n in openstack.json("image", "metadef", "namespace",
                                                         "list")]
        assert name in listed
        shown = openstack.json("image", "metadef", "namespace", "show", name)
        assert shown["display_name"] == "Test namespace"
        assert shown["description"] == "for tests"
    finally:
        openstack.run("image", "metadef", "namespace", "delete", name)
    assert http.get(f"/v2/metadefs/namespaces/{name}").status_code == 404
