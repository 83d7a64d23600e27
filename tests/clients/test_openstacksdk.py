"""openstacksdk's image proxy against Glint."""

import hashlib
import os

import openstack.exceptions
import pytest

from conftest import unique


def test_image_lifecycle(sdk):
    name = unique()
    image = sdk.image.create_image(name=name, disk_format="qcow2",
                                   container_format="bare", min_disk=1,
                                   os_distro="debian", allow_duplicates=True)
    try:
        fetched = sdk.image.get_image(image.id)
        assert fetched.name == name
        assert fetched.status == "queued"
        assert fetched.properties.get("os_distro") == "debian" or fetched.os_distro == "debian"

        sdk.image.update_image(image, name=name + "-new", min_ram=128)
        fetched = sdk.image.get_image(image.id)
        assert fetched.name == name + "-new"
        assert fetched.min_ram == 128

        sdk.image.add_tag(image, "sdk-tag")
        assert "sdk-tag" in sdk.image.get_image(image.id).tags
        sdk.image.remove_tag(image, "sdk-tag")
        assert "sdk-tag" not in sdk.image.get_image(image.id).tags

        found = list(sdk.image.images(name=name + "-new"))
        assert [i.id for i in found] == [image.id]
    finally:
        sdk.image.delete_image(image)
    with pytest.raises(openstack.exceptions.NotFoundException):
        sdk.image.get_image(image.id)


def test_upload_and_download(sdk):
    data = os.urandom(1024 * 1024 + 7)
    image = sdk.image.create_image(name=unique(), disk_format="raw",
                                   container_format="bare", data=data,
                                   allow_duplicates=True)
    try:
        fetched = sdk.image.get_image(image.id)
        assert fetched.status == "active"
        assert fetched.size == len(data)
        assert fetched.checksum == hashlib.md5(data).hexdigest()
        downloaded = sdk.image.download_image(fetched)
        body = downloaded.content if hasattr(downloaded, "content") else downloaded
        assert body == data
    finally:
        sdk.image.delete_image(image)


def test_paging_follows_next_links(sdk):
    prefix = unique("sdk")
    ids = [sdk.image.create_image(name=f"{prefix}-{i}", allow_duplicates=True,
                                  tags=[prefix]).id for i in range(3)]
    try:
        listed = [i.id for i in sdk.image.images(limit=1, tag=prefix)]
        assert sorted(listed) == sorted(ids)
    finally:
        for image_id in ids:
            sdk.image.delete_image(image_id)


def test_forbidden_and_missing(sdk):
    with pytest.raises(openstack.exceptions.NotFoundException):
        sdk.image.get_image("3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11")
    image = sdk.image.create_image(name=unique(), is_protected=True, allow_duplicates=True)
    with pytest.raises(openstack.exceptions.ForbiddenException):
        sdk.image.delete_image(image)
    sdk.image.update_image(image, is_protected=False)
    sdk.image.delete_image(image)
