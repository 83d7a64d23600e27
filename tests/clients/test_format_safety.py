"""Format safety with the real clients: `glance image-create --file` of an
unsafe or mismatched disk image is refused, and the image stays queued.
Fixtures come from qemu-img; the tests skip when it is not installed."""

import shutil
import subprocess

import pytest

from conftest import unique

pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                reason="qemu-img not installed (apt-get install qemu-utils)")


def qemu_img(tmp_path, fmt, name, *args):
    path = tmp_path / name
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, *args, str(path), "16M"],
                   check=True, cwd=tmp_path)
    return path


def created(http, name):
    images = http.get(f"/v2/images?name={name}").json()["images"]
    assert len(images) == 1, images
    return images[0]


@pytest.mark.parametrize("case", ["backing-file", "data-file", "flat-vmdk", "raw-as-qcow2"])
def test_unsafe_or_mismatched_upload_is_refused(glance, http, cleanup, tmp_path, case):
    if case == "backing-file":
        qemu_img(tmp_path, "qcow2", "base.qcow2")
        path = qemu_img(tmp_path, "qcow2", "unsafe.qcow2", "-b", "base.qcow2", "-F", "qcow2")
        disk_format, reason = "qcow2", "Image has a backing file"
    elif case == "data-file":
        path = qemu_img(tmp_path, "qcow2", "unsafe.qcow2",
                        "-o", f"data_file={tmp_path / 'data.raw'}")
        disk_format, reason = "qcow2", "Image has data_file set"
    elif case == "flat-vmdk":
        path = qemu_img(tmp_path, "vmdk", "flat.vmdk", "-o", "subformat=monolithicFlat")
        disk_format, reason = "vmdk", "Unsupported subformat"
    else:
        path = tmp_path / "disk.raw"
        path.write_bytes(b"\0" * (1 << 20))
        disk_format, reason = "qcow2", "does not match stream data raw"
    name = unique("unsafe")
    out = glance.fail("image-create", "--name", name, "--disk-format", disk_format,
                      "--container-format", "bare", "--file", path)
    image = created(http, name)
    cleanup.append(image["id"])
    assert "415" in out and reason in out, out
    assert image["status"] == "queued"
    assert image["size"] is None


def test_safe_qcow2_gets_its_virtual_size(glance, http, cleanup, tmp_path):
    path = qemu_img(tmp_path, "qcow2", "good.qcow2")
    name = unique("safe")
    glance.run("image-create", "--name", name, "--disk-format", "qcow2",
               "--container-format", "bare", "--file", path)
    image = created(http, name)
    cleanup.append(image["id"])
    assert image["status"] == "active"
    assert image["virtual_size"] == 16 << 20
    assert image["size"] == path.stat().st_size
