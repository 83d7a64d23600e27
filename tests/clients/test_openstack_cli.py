"""`openstack image …` (python-openstackclient) against Glint."""

import hashlib
import os

from conftest import unique


def test_create_list_set_and_delete(openstack):
    name = unique()
    image = openstack.json("image", "create", name, "--disk-format", "qcow2",
                           "--container-format", "bare", "--property", "os_distro=fedora",
                           "--tag", "one", "--tag", "two", "--min-disk", "3")
    image_id = image["id"]
    try:
        assert image["status"] == "queued"
        assert sorted(image["tags"]) == ["one", "two"]
        assert image["min_disk"] == 3

        listed = openstack.json("image", "list", "--name", name)
        assert [i["ID"] for i in listed] == [image_id]
        listed = openstack.json("image", "list", "--tag", "one", "--tag", "two",
                                "--property", "os_distro=fedora", "--long")
        assert image_id in [i["ID"] for i in listed]

        openstack.run("image", "set", image_id, "--name", name + "-2",
                      "--property", "foo=bar", "--min-ram", "256", "--tag", "three")
        shown = openstack.json("image", "show", image_id)
        assert shown["name"] == name + "-2"
        assert shown["min_ram"] == 256
        assert "three" in shown["tags"]
        props = shown.get("properties", {})
        assert props.get("foo") == "bar"

        openstack.run("image", "unset", image_id, "--property", "foo", "--tag", "one")
        shown = openstack.json("image", "show", image_id)
        assert "foo" not in shown.get("properties", {})
        assert "one" not in shown["tags"]
    finally:
        openstack.run("image", "delete", image_id)
    missing = openstack.run("image", "show", image_id, ok=False)
    assert missing.returncode != 0


def test_upload_save_and_deactivate(openstack, tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 3)
    src = tmp_path / "disk.img"
    src.write_bytes(data)
    image = openstack.json("image", "create", unique(), "--disk-format", "raw",
                           "--container-format", "bare", "--file", src)
    image_id = image["id"]
    try:
        shown = openstack.json("image", "show", image_id)
        assert shown["status"] == "active"
        assert shown["checksum"] == hashlib.md5(data).hexdigest()
        dst = tmp_path / "saved.img"
        openstack.run("image", "save", "--file", dst, image_id)
        assert dst.read_bytes() == data

        openstack.run("image", "set", "--deactivate", image_id)
        assert openstack.json("image", "show", image_id)["status"] == "deactivated"
        openstack.run("image", "set", "--activate", image_id)
        assert openstack.json("image", "show", image_id)["status"] == "active"
    finally:
        openstack.run("image", "delete", image_id)


def test_sorting_and_paging(openstack):
    prefix = unique("osc")
    ids = [openstack.json("image", "create", f"{prefix}-{n}", "--property",
                          f"batch={prefix}")["id"] for n in ("b", "c", "a")]
    try:
        rows = openstack.json("image", "list", "--property", f"batch={prefix}",
                              "--sort", "name:asc")
        assert [r["Name"] for r in rows] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
        rows = openstack.json("image", "list", "--property", f"batch={prefix}",
                              "--limit", "1", "--sort", "name:asc")
        assert len(rows) >= 1
    finally:
        openstack.run("image", "delete", *ids)
