"""Raw HTTP (requests) checks of what the clients hide: status codes,
headers and error handling. Every request carries Keystone-style identity
headers (see conftest.IDENTITY_HEADERS)."""

import json

import pytest

from conftest import MISSING_ID, PATCH_TYPE, unique


@pytest.fixture
def image(http, cleanup):
    r = http.post("/v2/images", json={"name": unique("http"), "disk_format": "raw",
                                      "container_format": "bare"})
    assert r.status_code == 201, r.text
    cleanup.append(r.json()["id"])
    return r.json()


def request_id(r):
    rid = r.headers.get("x-openstack-request-id", "")
    assert rid.startswith("req-"), (r.status_code, dict(r.headers))
    return rid


def test_versions(http):
    r = http.get("/")
    assert r.status_code == 300
    r = http.get("/versions")
    assert r.status_code == 200
    current = [v["id"] for v in r.json()["versions"] if v["status"] == "CURRENT"]
    assert current == ["v2.18"]


def test_request_id_on_api_responses(http, image):
    ids = {request_id(http.get("/v2/images?limit=1")),
           request_id(http.get(f"/v2/images/{image['id']}")),
           request_id(http.get(f"/v2/images/{MISSING_ID}")),
           request_id(http.get("/v2/images?limit=-1")),
           request_id(http.patch_image(image["id"], [], content_type="application/json"))}
    assert len(ids) == 5, "request ids are unique per request"


def test_create_status_and_location(http, cleanup):
    r = http.post("/v2/images", json={"name": unique("http"), "min_disk": 1,
                                      "tags": ["x"], "glint_prop": "v"})
    assert r.status_code == 201, r.text
    body = r.json()
    cleanup.append(body["id"])
    assert r.headers["Location"].endswith("/v2/images/" + body["id"])
    assert body["status"] == "queued"
    assert body["visibility"] == "shared"
    assert body["glint_prop"] == "v"
    assert body["tags"] == ["x"]
    assert body["self"] == f"/v2/images/{body['id']}"
    assert body["file"] == f"/v2/images/{body['id']}/file"
    assert body["schema"] == "/v2/schemas/image"


@pytest.mark.parametrize("body, status", [
    ({"disk_format": "floppy"}, 400),
    ({"container_format": "crate"}, 400),
    ({"min_disk": -1}, 400),
    ({"visibility": "everyone"}, 400),
    ({"status": "active"}, 403),
    ({"checksum": "0" * 32}, 403),
])
def test_create_rejected(http, body, status):
    name = unique("http")
    r = http.post("/v2/images", json={"name": name, **body})
    assert r.status_code == status, r.text
    assert http.get(f"/v2/images?name={name}").json()["images"] == []


def test_patch(http, image):
    image_id = image["id"]
    r = http.patch_image(image_id, [{"op": "replace", "path": "/name", "value": "x"}],
                         content_type="application/json")
    assert r.status_code == 415
    for path in ("/checksum", "/status", "/id", "/size"):
        r = http.patch_image(image_id, [{"op": "replace", "path": path, "value": "x"}])
        assert r.status_code == 403, (path, r.text)
    r = http.patch_image(image_id, [{"op": "replace", "path": "/disk_format",
                                     "value": "floppy"}])
    assert r.status_code == 400
    r = http.patch_image(image_id, [{"op": "add", "path": "/glint_prop", "value": "v"},
                                    {"op": "replace", "path": "/min_ram", "value": 64}])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert (r.json()["glint_prop"], r.json()["min_ram"]) == ("v", 64)
    r = http.patch_image(MISSING_ID, [{"op": "replace", "path": "/name", "value": "x"}])
    assert r.status_code == 404


@pytest.mark.parametrize("query", [
    "limit=-1", "limit=abc", "sort_key=nosuch", "sort_dir=sideways", "sort=name:sideways",
    f"marker={MISSING_ID}", "created_at=gt:not-a-date", "visibility=everyone",
])
def test_bad_list_params(http, query):
    r = http.get("/v2/images?" + query)
    assert r.status_code == 400, (query, r.status_code, r.text[:300])


def test_next_links(http, cleanup):
    tag = unique("http")
    for _ in range(3):
        r = http.post("/v2/images", json={"name": tag, "tags": [tag]})
        cleanup.append(r.json()["id"])
    seen, url = [], f"/v2/images?tag={tag}&limit=2"
    for _ in range(5):
        page = http.get(url).json()
        seen += [i["id"] for i in page["images"]]
        if "next" not in page:
            break
        assert page["next"].startswith("/v2/images?")
        url = page["next"]
    assert sorted(seen) == sorted(cleanup)


def test_protected_and_delete(http, cleanup):
    r = http.post("/v2/images", json={"name": unique("http"), "protected": True})
    image_id = r.json()["id"]
    cleanup.append(image_id)
    assert http.delete(f"/v2/images/{image_id}").status_code == 403
    r = http.patch_image(image_id, [{"op": "replace", "path": "/protected", "value": False}])
    assert r.status_code == 200
    assert http.delete(f"/v2/images/{image_id}").status_code == 204
    assert http.get(f"/v2/images/{image_id}").status_code == 404
    assert http.delete(f"/v2/images/{image_id}").status_code == 404


def test_tags(http, image):
    image_id = image["id"]
    assert http.put(f"/v2/images/{image_id}/tags/blue").status_code == 204
    assert http.put(f"/v2/images/{image_id}/tags/blue").status_code == 204
    assert http.get(f"/v2/images/{image_id}").json()["tags"] == ["blue"]
    assert http.delete(f"/v2/images/{image_id}/tags/blue").status_code == 204
    assert http.delete(f"/v2/images/{image_id}/tags/blue").status_code == 404
    assert http.put(f"/v2/images/{MISSING_ID}/tags/blue").status_code == 404


def test_deactivate_requires_active(http, image):
    r = http.post(f"/v2/images/{image['id']}/actions/deactivate")
    assert r.status_code == 403, r.text
    assert json.loads(http.get(f"/v2/images/{image['id']}").text)["status"] == "queued"
