//! The images resource over HTTP, as Glance's api-ref describes it.

mod common;

use axum::http::{Method, StatusCode};
use common::{As, TestApp};
use serde_json::{json, Value};

const P1: As = As::Member("p1");
const P2: As = As::Member("p2");

fn id(image: &Value) -> String {
    image["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn create_shows_every_base_attribute_and_a_location() {
    let app = TestApp::new().await;
    let r = app
        .post_json(
            P1,
            "/v2/images",
            json!({"name": "cirros", "disk_format": "qcow2", "container_format": "bare",
                   "min_disk": 1, "min_ram": 64, "os_distro": "cirros", "tags": ["a", "b", "a"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let image = r.json();
    let image_id = id(&image);
    assert_eq!(
        r.header("location").unwrap(),
        format!("http://glint.test:9292/v2/images/{image_id}")
    );
    assert_eq!(image["status"], "queued");
    assert_eq!(image["visibility"], "shared");
    assert_eq!(image["owner"], "p1");
    assert_eq!(image["os_distro"], "cirros");
    assert_eq!(image["tags"], json!(["a", "b"]));
    assert_eq!(image["self"], format!("/v2/images/{image_id}"));
    assert_eq!(image["file"], format!("/v2/images/{image_id}/file"));
    assert_eq!(image["schema"], "/v2/schemas/image");
    for key in [
        "size",
        "virtual_size",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
    ] {
        assert_eq!(image[key], Value::Null, "{key}");
    }
    assert!(image["created_at"].as_str().unwrap().ends_with('Z'));

    let shown = app.get(P1, &format!("/v2/images/{image_id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json(), image);
}

#[tokio::test]
async fn create_refuses_what_glance_refuses() {
    let app = TestApp::new().await;
    let cases = [
        (
            json!({"status": "active"}),
            StatusCode::FORBIDDEN,
            "Attribute 'status' is read-only.",
        ),
        (json!({"checksum": "x"}), StatusCode::FORBIDDEN, "read-only"),
        (
            json!({"location": "x"}),
            StatusCode::FORBIDDEN,
            "Attribute 'location' is reserved.",
        ),
        (
            json!({"os_glance_x": "x"}),
            StatusCode::FORBIDDEN,
            "reserved",
        ),
        (
            json!({"visibility": "public"}),
            StatusCode::FORBIDDEN,
            "publicize_image",
        ),
        (
            json!({"owner": "p2"}),
            StatusCode::FORBIDDEN,
            "owned by 'p2'",
        ),
        (
            json!({"disk_format": "bogus"}),
            StatusCode::BAD_REQUEST,
            "does not match schema",
        ),
        (
            json!({"visibility": "bogus"}),
            StatusCode::BAD_REQUEST,
            "does not match schema",
        ),
        (
            json!({"foo": 1}),
            StatusCode::BAD_REQUEST,
            "is not of type 'string'",
        ),
        (
            json!({"name": "x".repeat(256)}),
            StatusCode::BAD_REQUEST,
            "too long",
        ),
        (
            json!({"min_ram": -1}),
            StatusCode::BAD_REQUEST,
            "Cannot be a negative value",
        ),
        (
            json!({"min_disk": 99999999999u64}),
            StatusCode::BAD_REQUEST,
            "out of range",
        ),
        (
            json!({"protected": "yes"}),
            StatusCode::BAD_REQUEST,
            "boolean",
        ),
        (
            json!({"id": "not-a-uuid"}),
            StatusCode::BAD_REQUEST,
            "does not match",
        ),
        (json!([1]), StatusCode::BAD_REQUEST, "JSON object"),
    ];
    for (body, status, message) in cases {
        let r = app.post_json(P1, "/v2/images", body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(
            r.text.contains(&message.replace('\'', "&#x27;")),
            "{body}: {}",
            r.text
        );
    }
    let r = app
        .request(
            P1,
            Method::POST,
            "/v2/images",
            Some("application/json"),
            Some("{not json".into()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Malformed JSON in request body."));

    let reader = app
        .post_json(As::Reader("p1"), "/v2/images", json!({}))
        .await;
    assert_eq!(reader.status, StatusCode::FORBIDDEN);

    let given = "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11";
    app.create_image(P1, json!({"id": given})).await;
    let again = app.post_json(P1, "/v2/images", json!({"id": given})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn quotas_are_413() {
    let mut config = glint_config::Config::defaults();
    config.image_property_quota = 2;
    config.image_tag_quota = 1;
    let app = TestApp::with_config(config).await;
    let r = app
        .post_json(P1, "/v2/images", json!({"a": "1", "b": "2", "c": "3"}))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let r = app
        .post_json(P1, "/v2/images", json!({"tags": ["x", "y"]}))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let image = app.create_image(P1, json!({"tags": ["x"]})).await;
    let r = app
        .put(P1, &format!("/v2/images/{}/tags/y", id(&image)))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = app
        .put(P1, &format!("/v2/images/{}/tags/x", id(&image)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn visibility_decides_who_sees_and_who_changes() {
    let app = TestApp::new().await;
    let private = app.create_image(P1, json!({"visibility": "private"})).await;
    let community = app
        .create_image(P1, json!({"visibility": "community"}))
        .await;
    let public = app
        .create_image(As::Admin("p1"), json!({"visibility": "public"}))
        .await;

    let url = |i: &Value| format!("/v2/images/{}", id(i));
    assert_eq!(
        app.get(P2, &url(&private)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(P2, &url(&community)).await.status, StatusCode::OK);
    assert_eq!(app.get(P2, &url(&public)).await.status, StatusCode::OK);
    assert_eq!(
        app.get(As::Admin("p9"), &url(&private)).await.status,
        StatusCode::OK
    );

    // Seen but not theirs: 403. Not seen: 404.
    let r = app
        .patch(
            P2,
            &url(&public),
            json!([{"op": "replace", "path": "/name", "value": "x"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(P2, &url(&public)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(P2, &url(&private)).await.status,
        StatusCode::NOT_FOUND
    );

    let listed: Vec<String> = app.get(P2, "/v2/images").await.json()["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(listed, vec![id(&public)]);
    let listed = app.get(P2, "/v2/images?visibility=community").await.json();
    assert_eq!(listed["images"][0]["id"], community["id"]);
}

#[tokio::test]
async fn list_filters_sorts_and_pages_with_links() {
    let app = TestApp::new().await;
    let mut ids = vec![];
    for (i, name) in ["d", "b", "a", "c", "e"].iter().enumerate() {
        let distro = if i % 2 == 0 { "ubuntu" } else { "fedora" };
        let image = app
            .create_image(
                P1,
                json!({"name": name, "os_distro": distro, "tags": [format!("t{i}"), "all"]}),
            )
            .await;
        ids.push(id(&image));
    }
    let names = |v: &Value| -> Vec<String> {
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get(P1, "/v2/images?sort=name:asc").await.json();
    assert_eq!(names(&r), vec!["a", "b", "c", "d", "e"]);
    let r = app
        .get(P1, "/v2/images?sort_key=name&sort_dir=desc")
        .await
        .json();
    assert_eq!(names(&r), vec!["e", "d", "c", "b", "a"]);
    let r = app
        .get(P1, "/v2/images?os_distro=ubuntu&sort_key=name&sort_dir=asc")
        .await
        .json();
    assert_eq!(names(&r), vec!["a", "d", "e"]);
    let r = app.get(P1, "/v2/images?name=in:a,%22b%22,zz").await.json();
    assert_eq!(r["images"].as_array().unwrap().len(), 2);
    let r = app.get(P1, "/v2/images?tag=all&tag=t2").await.json();
    assert_eq!(names(&r), vec!["a"]);
    let r = app
        .get(P1, "/v2/images?created_at=lt:2000-01-01T00:00:00Z")
        .await
        .json();
    assert_eq!(r["images"].as_array().unwrap().len(), 0);

    // Paging: follow `next` until it stops; every image once, in order.
    let mut seen = vec![];
    let mut url = "/v2/images?sort=name:asc&limit=2".to_string();
    let first = app.get(P1, &url).await.json();
    assert_eq!(first["first"], "/v2/images?sort=name%3Aasc&limit=2");
    assert_eq!(first["schema"], "/v2/schemas/images");
    loop {
        let page = app.get(P1, &url).await.json();
        seen.extend(names(&page));
        match page.get("next").and_then(Value::as_str) {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, vec!["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn list_rejects_bad_parameters_with_400() {
    let app = TestApp::new().await;
    for (query, message) in [
        ("limit=-1", "limit param must be positive"),
        ("limit=abc", "limit param must be an integer"),
        ("sort_key=nosuch", "Invalid sort key: nosuch"),
        ("sort_dir=up", "Invalid sort direction: up"),
        ("visibility=bogus", "Invalid visibility value: bogus"),
        (
            "marker=3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11",
            "No image found with ID 3b5f5a63",
        ),
        ("created_at=gt:yesterday", "Use ISO 8601 DateTime notation."),
        (
            "created_at=zz:2016-01-01T00:00:00Z",
            "Unable to filter on a unknown operator.",
        ),
        (
            "size_min=abc",
            "Unable to filter on a range with a non-numeric value.",
        ),
        ("protected=maybe", "for &#x27;protected&#x27; filter"),
        (
            "sort=name&sort_key=name",
            "Old and new sorting syntax cannot be combined",
        ),
    ] {
        let r = app.get(P1, &format!("/v2/images?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert!(r.text.contains(message), "{query}: {}", r.text);
    }
}

#[tokio::test]
async fn limits_default_and_cap() {
    let mut config = glint_config::Config::defaults();
    config.limit_param_default = 2;
    config.api_limit_max = 3;
    let app = TestApp::with_config(config).await;
    for _ in 0..5 {
        app.create_image(P1, json!({})).await;
    }
    let r = app.get(P1, "/v2/images").await.json();
    assert_eq!(r["images"].as_array().unwrap().len(), 2);
    assert!(r["next"].is_string());
    let r = app.get(P1, "/v2/images?limit=100").await.json();
    assert_eq!(r["images"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn patch_adds_replaces_and_removes() {
    let app = TestApp::new().await;
    let image = app
        .create_image(P1, json!({"name": "old", "foo": "1"}))
        .await;
    let url = format!("/v2/images/{}", id(&image));
    let r = app
        .patch(
            P1,
            &url,
            json!([
                {"op": "replace", "path": "/name", "value": "new"},
                {"op": "add", "path": "/bar", "value": "2"},
                {"op": "add", "path": "/foo", "value": "overwritten"},
                {"op": "replace", "path": "/min_disk", "value": 5},
                {"op": "add", "path": "/tags", "value": ["x"]},
                {"op": "remove", "path": "/bar"}
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let body = r.json();
    assert_eq!(body["name"], "new");
    assert_eq!(body["foo"], "overwritten");
    assert!(body.get("bar").is_none());
    assert_eq!(body["min_disk"], 5);
    assert_eq!(body["tags"], json!(["x"]));
    assert_eq!(app.get(P1, &url).await.json(), body);
}

#[tokio::test]
async fn patch_errors_match_glance() {
    let app = TestApp::new().await;
    let image = app.create_image(P1, json!({"name": "x"})).await;
    let url = format!("/v2/images/{}", id(&image));
    for (ops, status, message) in [
        (
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
            StatusCode::FORBIDDEN,
            "Attribute 'status' is read-only.",
        ),
        (
            json!([{"op": "add", "path": "/os_glance_foo", "value": "x"}]),
            StatusCode::FORBIDDEN,
            "reserved",
        ),
        (
            json!([{"op": "replace", "path": "/nosuch", "value": "x"}]),
            StatusCode::CONFLICT,
            "Property nosuch does not exist.",
        ),
        (
            json!([{"op": "remove", "path": "/nosuch"}]),
            StatusCode::CONFLICT,
            "Property nosuch does not exist.",
        ),
        (
            json!([{"op": "remove", "path": "/name"}]),
            StatusCode::FORBIDDEN,
            "may not be removed",
        ),
        (
            json!([{"op": "replace", "path": "/visibility", "value": "bogus"}]),
            StatusCode::BAD_REQUEST,
            "does not match schema",
        ),
        (
            json!([{"op": "replace", "path": "/visibility", "value": "public"}]),
            StatusCode::FORBIDDEN,
            "publicize_image",
        ),
        (
            json!([{"op": "move", "path": "/name"}]),
            StatusCode::BAD_REQUEST,
            "Invalid operation",
        ),
        (json!({"op": "add"}), StatusCode::BAD_REQUEST, "JSON array"),
        (
            json!([{"op": "replace", "path": "/owner", "value": "p2"}]),
            StatusCode::FORBIDDEN,
            "Owner can't be updated by non admin.",
        ),
    ] {
        let r = app.patch(P1, &url, ops.clone()).await;
        assert_eq!(r.status, status, "{ops}: {}", r.text);
        assert!(
            r.text.contains(&message.replace('\'', "&#x27;")),
            "{ops}: {}",
            r.text
        );
    }
    // Nothing of a refused document was applied.
    let r = app
        .patch(P1, &url, json!([{"op": "replace", "path": "/name", "value": "y"}, {"op": "remove", "path": "/nosuch"}]))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(app.get(P1, &url).await.json()["name"], "x");

    let r = app
        .request(
            P1,
            Method::PATCH,
            &url,
            Some("application/json"),
            Some("[]".into()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r
        .text
        .contains("application/openstack-images-v2.1-json-patch"));
    assert!(r
        .header("accept-patch")
        .unwrap()
        .contains("v2.0-json-patch"));
}

#[tokio::test]
async fn patch_in_the_deprecated_v2_0_dialect() {
    let app = TestApp::new().await;
    let image = app.create_image(P1, json!({"foo": "1"})).await;
    let url = format!("/v2/images/{}", id(&image));
    let send = |body: Value| {
        let app = &app;
        let url = url.clone();
        async move {
            app.request(
                P1,
                Method::PATCH,
                &url,
                Some("application/openstack-images-v2.0-json-patch"),
                Some(body.to_string()),
                &[],
            )
            .await
        }
    };
    let r = send(json!([{"replace": "/name", "value": "renamed"}, {"add": "/bar", "value": "2"}]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["name"], "renamed");
    let r = send(json!([{"add": "/foo", "value": "again"}])).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

#[tokio::test]
async fn delete_soft_deletes_and_respects_protection() {
    let app = TestApp::new().await;
    let image = app.create_image(P1, json!({"protected": true})).await;
    let url = format!("/v2/images/{}", id(&image));
    let r = app.delete(P1, &url).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("is protected and cannot be deleted"));
    let r = app
        .patch(
            P1,
            &url,
            json!([{"op": "replace", "path": "/protected", "value": false}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.delete(P1, &url).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(P1, &url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(P1, &url).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivate_and_reactivate_need_an_active_image() {
    let app = TestApp::new().await;
    let image = app.create_image(P1, json!({})).await;
    let url = format!("/v2/images/{}/actions", id(&image));
    let r = app.post(P1, &format!("{url}/deactivate")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.text.contains("Not allowed to deactivate image in status"));
    let r = app.post(P1, &format!("{url}/reactivate")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(P2, &format!("{url}/deactivate")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tags_are_added_and_removed() {
    let app = TestApp::new().await;
    let image = app.create_image(P1, json!({})).await;
    let url = format!("/v2/images/{}", id(&image));
    assert_eq!(
        app.put(P1, &format!("{url}/tags/x")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.put(P1, &format!("{url}/tags/x")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.put(P1, &format!("{url}/tags/y%20z")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(P1, &url).await.json()["tags"], json!(["x", "y z"]));
    assert_eq!(
        app.delete(P1, &format!("{url}/tags/x")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(P1, &format!("{url}/tags/x")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(P2, &format!("{url}/tags/x")).await.status,
        StatusCode::NOT_FOUND
    );
    let long = "t".repeat(256);
    assert_eq!(
        app.put(P1, &format!("{url}/tags/{long}")).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn schemas_carry_the_configured_formats() {
    let mut config = glint_config::Config::defaults();
    config.disk_formats = vec!["raw".into(), "qcow2".into()];
    let app = TestApp::with_config(config).await;
    let image = app.get(As::Anonymous, "/v2/schemas/image").await.json();
    assert_eq!(image["name"], "image");
    assert_eq!(
        image["properties"]["disk_format"]["enum"],
        json!([null, "raw", "qcow2"])
    );
    assert_eq!(image["additionalProperties"], json!({"type": "string"}));
    let images = app.get(As::Anonymous, "/v2/schemas/images").await.json();
    assert_eq!(images["properties"]["images"]["items"], image);
}

#[tokio::test]
async fn usage_is_empty_without_keystone_limits() {
    let app = TestApp::new().await;
    let r = app.get(P1, "/v2/info/usage").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"usage": {}}));
}
