"""Raw HTTP checks of what the clients hide: status codes, headers, errors."""


def test_request_id_and_versions(http):
    r = http.get("/")
    assert r.status_code == 300
    assert r.headers["x-openstack-request-id"].startswith("req-")
    assert http.get("/versions").json()["versions"][0]["id"] == "v2.18"


def test_error_statuses(http):
    r = http.post("/v2/images", json={"name": "x", "status": "active"})
    assert r.status_code == 403
    r = http.post("/v2/images", json={"name": "http-check"})
    assert r.status_code == 201
    assert r.headers["Location"].endswith("/v2/images/" + r.json()["id"])
    image_id = r.json()["id"]
    r = http.patch(f"/v2/images/{image_id}", json=[],
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    r = http.patch(f"/v2/images/{image_id}",
                   json=[{"op": "replace", "path": "/checksum", "value": "x"}],
                   headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert r.status_code == 403
    for query in ("limit=-1", "sort_key=nosuch", "marker=3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11",
                  "sort_dir=sideways", "created_at=gt:not-a-date"):
        assert http.get("/v2/images?" + query).status_code == 400, query
    assert http.delete(f"/v2/images/{image_id}").status_code == 204
    assert http.delete(f"/v2/images/{image_id}").status_code == 404
