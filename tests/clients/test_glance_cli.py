"""The `glance` CLI (python-glanceclient) against Glint."""

import hashlib
import json
import os

from conftest import list_table, table, unique


def test_create_show_update_tags_and_delete(glance):
    name = unique()
    created = table(glance.run(
        "image-create", "--name", name, "--disk-format", "qcow2",
        "--container-format", "bare", "--min-disk", "2",
        "--property", "os_distro=ubuntu", "--property", "hw_disk_bus=virtio").stdout)
    image_id = created["id"]
    assert created["status"] == "queued"
    assert created["os_distro"] == "ubuntu"
    assert created["min_disk"] == "2"

    glance.run("image-update", image_id, "--name", name + "-renamed",
               "--property", "extra=1", "--remove-property", "hw_disk_bus",
               "--min-ram", "512")
    shown = table(glance.run("image-show", image_id).stdout)
    assert shown["name"] == name + "-renamed"
    assert shown["extra"] == "1"
    assert "hw_disk_bus" not in shown
    assert shown["min_ram"] == "512"

    glance.run("image-tag-update", image_id, "blue")
    glance.run("image-tag-update", image_id, "green")
    tags = json.loads(table(glance.run("image-show", image_id).stdout)["tags"])
    assert sorted(tags) == ["blue", "green"]
    glance.run("image-tag-delete", image_id, "blue")
    assert json.loads(table(glance.run("image-show", image_id).stdout)["tags"]) == ["green"]

    glance.run("image-delete", image_id)
    gone = glance.run("image-show", image_id, ok=False)
    assert gone.returncode != 0
    assert "No image found" in gone.stderr + gone.stdout


def test_list_filters_sorting_and_paging(glance):
    prefix = unique("list")
    ids = []
    for n in ("c", "a", "b"):
        out = table(glance.run("image-create", "--name", f"{prefix}-{n}",
                               "--disk-format", "raw", "--container-format", "bare",
                               "--property", f"group={prefix}").stdout)
        ids.append(out["id"])
    try:
        rows = list_table(glance.run(
            "image-list", "--property-filter", f"group={prefix}",
            "--sort-key", "name", "--sort-dir", "asc").stdout)
        assert [r["Name"] for r in rows] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]

        rows = list_table(glance.run("image-list", "--property-filter", f"group={prefix}",
                                     "--sort", "name:desc").stdout)
        assert [r["Name"] for r in rows] == [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]

        # A page size of 1 makes the client follow `next` links.
        rows = list_table(glance.run("image-list", "--property-filter", f"group={prefix}",
                                     "--page-size", "1").stdout)
        assert sorted(r["ID"] for r in rows) == sorted(ids)

        rows = list_table(glance.run("image-list", "--property-filter", f"group={prefix}",
                                     "--limit", "2").stdout)
        assert len(rows) == 2
    finally:
        for image_id in ids:
            glance.run("image-delete", image_id)


def test_upload_download_deactivate(glance, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 5)
    src = tmp_path / "disk.raw"
    src.write_bytes(data)
    created = table(glance.run("image-create", "--name", unique(), "--disk-format", "raw",
                               "--container-format", "bare", "--file", src).stdout)
    image_id = created["id"]
    try:
        assert created["status"] == "active"
        assert created["size"] == str(len(data))
        assert created["checksum"] == hashlib.md5(data).hexdigest()
        # The table truncates long values; the full hash is checked over HTTP.
        assert hashlib.sha512(data).hexdigest().startswith(created["os_hash_value"].rstrip("."))

        dst = tmp_path / "copy.raw"
        glance.run("image-download", image_id, "--file", dst)
        assert dst.read_bytes() == data

        glance.run("image-deactivate", image_id)
        assert table(glance.run("image-show", image_id).stdout)["status"] == "deactivated"
        glance.run("image-reactivate", image_id)
        assert table(glance.run("image-show", image_id).stdout)["status"] == "active"
    finally:
        glance.run("image-delete", image_id)


def test_errors(glance):
    bad = glance.run("image-create", "--name", unique(), "--disk-format", "floppy",
                     "--container-format", "bare", ok=False)
    assert bad.returncode != 0

    image_id = table(glance.run("image-create", "--name", unique(),
                                "--protected", "True").stdout)["id"]
    refused = glance.run("image-delete", image_id, ok=False)
    assert refused.returncode != 0
    assert "not permitted" in (refused.stdout + refused.stderr)
    glance.run("image-update", image_id, "--protected", "False")
    glance.run("image-delete", image_id)
