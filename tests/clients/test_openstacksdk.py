"""openstacksdk's image proxy (`conn.image`) against the server."""

import hashlib

import openstack.exceptions
import pytest

from conftest import MISSING_ID, unique

DATA = b"glint openstacksdk image data\n" * 1000


@pytest.fixture(scope="module")
def batch(sdk, http):
    """Three images tagged with a unique tag, created in the order c, a, b:
    a is private and active (has data), b public with a second tag, c of the
    default visibility with os_distro and min_disk."""
    prefix = unique("sdk")
    created = {}
    try:
        created["c"] = sdk.image.create_image(
            name=f"{prefix}-c", disk_format="qcow2", container_format="bare",
            tags=[prefix], min_disk=2, os_distro="debian", batch=prefix,
            allow_duplicates=True)
        created["a"] = sdk.image.create_image(
            name=f"{prefix}-a", disk_format="raw", container_format="bare",
            tags=[prefix], visibility="private", data=DATA, batch=prefix,
            allow_duplicates=True)
        created["b"] = sdk.image.create_image(
            name=f"{prefix}-b", disk_format="qcow2", container_format="bare",
            tags=[prefix, f"{prefix}-extra"], visibility="public", batch=prefix,
            allow_duplicates=True)
        yield prefix, {k: v.id for k, v in created.items()}
    finally:
        for image in created.values():
            http.purge(image.id)


def names(sdk, **query):
    return [i.name for i in sdk.image.images(**query)]


def test_create_with_properties_tags_and_data(sdk, batch):
    prefix, ids = batch
    c = sdk.image.get_image(ids["c"])
    assert c.name == f"{prefix}-c"
    assert c.status == "queued"
    assert (c.disk_format, c.container_format) == ("qcow2", "bare")
    assert c.min_disk == 2
    assert c.visibility == "shared"
    assert c.is_protected is False
    assert c.tags == [prefix]
    assert c.os_distro == "debian"
    assert c.properties["batch"] == prefix

    a = sdk.image.get_image(ids["a"])
    assert a.status == "active"
    assert a.visibility == "private"
    assert a.size == len(DATA)
    assert a.checksum == hashlib.md5(DATA).hexdigest()
    assert a.hash_algo == "sha512"
    assert a.hash_value == hashlib.sha512(DATA).hexdigest()

    b = sdk.image.get_image(ids["b"])
    assert b.visibility == "public"
    assert sorted(b.tags) == sorted([prefix, f"{prefix}-extra"])


def test_list_filters(sdk, batch):
    prefix, ids = batch
    assert [i.id for i in sdk.image.images(name=f"{prefix}-b")] == [ids["b"]]
    assert names(sdk, tag=prefix, visibility="public") == [f"{prefix}-b"]
    assert names(sdk, tag=prefix, visibility="private") == [f"{prefix}-a"]
    assert names(sdk, tag=prefix, visibility="shared") == [f"{prefix}-c"]
    assert names(sdk, tag=prefix, status="active") == [f"{prefix}-a"]
    assert names(sdk, tag=[prefix, f"{prefix}-extra"]) == [f"{prefix}-b"]
    assert names(sdk, tag=prefix, size_min=1) == [f"{prefix}-a"]


def test_list_sorted(sdk, batch):
    prefix, _ = batch
    everything = [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert names(sdk, tag=prefix, sort="name:asc") == everything
    assert names(sdk, tag=prefix, sort_key="name", sort_dir="desc") == everything[::-1]
    assert names(sdk, tag=prefix, sort="disk_format:asc,name:desc") == \
        [f"{prefix}-c", f"{prefix}-b", f"{prefix}-a"]


def test_list_paging(sdk, batch):
    prefix, ids = batch
    everything = [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    # limit=1 is the page size: the SDK follows the `next` links.
    assert names(sdk, tag=prefix, sort="name:asc", limit=1) == everything
    assert names(sdk, tag=prefix, sort="name:asc", marker=ids["a"]) == everything[1:]
    assert names(sdk, tag=prefix, sort="name:asc", marker=ids["a"], limit=1) == everything[1:]
    assert names(sdk, tag=prefix, sort="name:asc", max_items=2, limit=1) == everything[:2]


def test_update_tags_and_delete(sdk):
    name = unique("sdk")
    image = sdk.image.create_image(name=name, disk_format="qcow2", container_format="bare",
                                   os_distro="debian", foo="bar", allow_duplicates=True)
    try:
        # The SDK diffs the resource against the GET it came from, and a
        # custom property given as a keyword replaces all of `properties`:
        # pass the whole dict to add one property and drop another.
        fetched = sdk.image.get_image(image.id)
        props = {**fetched.properties, "glint_note": "scsi"}
        del props["foo"]
        sdk.image.update_image(fetched, name=name + "-new", min_disk=4, min_ram=128,
                               properties=props)
        fetched = sdk.image.get_image(image.id)
        assert fetched.name == name + "-new"
        assert (fetched.min_disk, fetched.min_ram) == (4, 128)
        assert fetched.properties["glint_note"] == "scsi"
        assert "foo" not in fetched.properties
        assert fetched.os_distro == "debian"

        sdk.image.add_tag(image, "sdk-tag")
        sdk.image.add_tag(image, "other")
        assert sorted(sdk.image.get_image(image.id).tags) == ["other", "sdk-tag"]
        sdk.image.remove_tag(image, "sdk-tag")
        assert sdk.image.get_image(image.id).tags == ["other"]
    finally:
        sdk.image.delete_image(image)
    with pytest.raises(openstack.exceptions.NotFoundException):
        sdk.image.get_image(image.id)
    with pytest.raises(openstack.exceptions.NotFoundException):
        sdk.image.delete_image(image.id, ignore_missing=False)


def test_deactivate_reactivate_download(sdk, batch):
    _, ids = batch
    sdk.image.deactivate_image(ids["a"])
    assert sdk.image.get_image(ids["a"]).status == "deactivated"
    sdk.image.reactivate_image(ids["a"])
    assert sdk.image.get_image(ids["a"]).status == "active"
    downloaded = sdk.image.download_image(ids["a"])
    assert getattr(downloaded, "content", downloaded) == DATA


def test_missing(sdk):
    with pytest.raises(openstack.exceptions.NotFoundException):
        sdk.image.get_image(MISSING_ID)


def test_invalid_disk_format(sdk, http):
    name = unique("sdk")
    with pytest.raises(openstack.exceptions.BadRequestException):
        sdk.image.create_image(name=name, disk_format="floppy", container_format="bare",
                               allow_duplicates=True)
    assert http.get(f"/v2/images?name={name}").json()["images"] == []


def test_read_only_attribute(sdk, cleanup):
    image = sdk.image.create_image(name=unique("sdk"), allow_duplicates=True)
    cleanup.append(image.id)
    with pytest.raises(openstack.exceptions.ForbiddenException):
        sdk.image.update_image(image.id, checksum="0" * 32)
    with pytest.raises(openstack.exceptions.ForbiddenException):
        sdk.image.update_image(image.id, status="active")
    assert sdk.image.get_image(image.id).status == "queued"


def test_protected_image_cannot_be_deleted(sdk, cleanup):
    image = sdk.image.create_image(name=unique("sdk"), is_protected=True,
                                   allow_duplicates=True)
    cleanup.append(image.id)
    with pytest.raises(openstack.exceptions.ForbiddenException):
        sdk.image.delete_image(image)
    assert sdk.image.get_image(image.id).is_protected is True
    sdk.image.update_image(image, is_protected=False)
    sdk.image.delete_image(image)


def test_members(sdk, http, cleanup):
    """add_member / update_member / members / get_member / remove_member."""
    image = sdk.image.create_image(name=unique("sdk-share"), visibility="shared",
                                   allow_duplicates=True)
    cleanup.append(image.id)
    friend = unique("proj")
    member = sdk.image.add_member(image, member=friend)
    assert member.status == "pending"
    assert member.member_id == friend
    sdk.image.update_member(member, image, status="rejected")
    assert sdk.image.get_member(friend, image).status == "rejected"
    assert [(m.member_id, m.status) for m in sdk.image.members(image)] == [
        (friend, "rejected")]
    as_friend = {"X-Project-Id": friend, "X-Roles": "member,reader"}
    rejected = http.get("/v2/images?member_status=rejected", headers=as_friend).json()
    assert image.id in [i["id"] for i in rejected["images"]]
    accepted = http.get("/v2/images", headers=as_friend).json()
    assert image.id not in [i["id"] for i in accepted["images"]]
    with pytest.raises(openstack.exceptions.ConflictException):
        sdk.image.add_member(image, member=friend)
    sdk.image.remove_member(friend, image)
    assert list(sdk.image.members(image)) == []
    private = sdk.image.create_image(name=unique("sdk-private"), visibility="private",
                                     allow_duplicates=True)
    cleanup.append(private.id)
    with pytest.raises(openstack.exceptions.ForbiddenException):
        sdk.image.add_member(private, member=friend)
