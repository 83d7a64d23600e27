//! The registry v1 REST API over HTTP: shapes, filters, paging, errors.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use glint_db::sqlite::SqliteRepository;
use glint_registry::testing::noauth_state;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Registry {
    app: Router,
}

/// Who calls: an admin, or a member of a project.
#[derive(Clone, Copy)]
enum As {
    Admin,
    Member(&'static str),
}

impl Registry {
    async fn new() -> Self {
        let repo = SqliteRepository::open(None).await.expect("sqlite");
        Registry {
            app: glint_registry::app(noauth_state(Arc::new(repo))),
        }
    }

    async fn call(
        &self,
        who: As,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("accept", "application/json");
        match who {
            As::Admin => {
                request = request
                    .header("x-project-id", "admin-project")
                    .header("x-roles", "admin")
            }
            As::Member(project) => {
                request = request
                    .header("x-project-id", project)
                    .header("x-roles", "member")
            }
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(v) => Body::from(v.to_string()),
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    async fn get(&self, who: As, path: &str) -> (StatusCode, Value) {
        self.call(who, "GET", path, None, &[]).await
    }

    async fn create(&self, who: As, image: Value) -> Value {
        let (status, body) = self
            .call(who, "POST", "/images", Some(json!({ "image": image })), &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["image"].clone()
    }

    async fn names(&self, who: As, path: &str) -> Vec<String> {
        let (status, body) = self.get(who, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

#[tokio::test]
async fn create_answers_the_image_in_v1_shape() {
    let r = Registry::new().await;
    let image = r
        .create(
            As::Member("p1"),
            json!({"name": "cirros", "disk_format": "qcow2", "container_format": "bare",
                   "is_public": true, "min_disk": 1, "min_ram": 64, "size": 13,
                   "properties": {"os_distro": "cirros", "hw_disk_bus": "virtio"}}),
        )
        .await;
    assert_eq!(
        keys(&image),
        [
            "checksum",
            "container_format",
            "created_at",
            "deleted",
            "deleted_at",
            "disk_format",
            "id",
            "is_public",
            "min_disk",
            "min_ram",
            "name",
            "owner",
            "properties",
            "protected",
            "size",
            "status",
            "updated_at",
            "virtual_size",
            "visibility"
        ]
    );
    assert!(uuid::Uuid::parse_str(image["id"].as_str().unwrap()).is_ok());
    assert_eq!(image["status"], "queued");
    assert_eq!(image["is_public"], true);
    assert_eq!(image["owner"], "p1");
    assert_eq!(image["deleted"], false);
    assert_eq!(image["deleted_at"], Value::Null);
    assert_eq!(image["min_disk"], 1);
    assert_eq!(image["min_ram"], 64);
    assert_eq!(image["size"], 13);
    assert_eq!(
        image["properties"],
        json!({"hw_disk_bus": "virtio", "os_distro": "cirros"})
    );
    // v1 timestamps: no zone, microseconds.
    let created = image["created_at"].as_str().unwrap();
    assert_eq!(
        created.len(),
        "2012-03-27T18:34:36.000000".len(),
        "{created}"
    );

    let id = image["id"].as_str().unwrap();
    let (status, shown) = r.get(As::Member("p1"), &format!("/images/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["image"], image);

    // The id can be chosen; not twice.
    let chosen = "6f1c2e54-8a0b-4d55-9a4a-3f7f2bd8c001";
    let image = r
        .create(As::Member("p1"), json!({"id": chosen, "name": "x"}))
        .await;
    assert_eq!(image["id"], chosen);
    assert_eq!(image["is_public"], false);
    let (status, _) = r
        .call(
            As::Member("p1"),
            "POST",
            "/images",
            Some(json!({"image": {"id": chosen}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn create_refuses_bad_input() {
    let r = Registry::new().await;
    let bad = [
        json!({"image": {"status": "sleeping"}}),
        json!({"image": {"min_ram": -1}}),
        json!({"image": {"size": "big"}}),
        json!({"image": {"is_public": "maybe"}}),
        json!({"image": {"id": "not-a-uuid"}}),
        json!({"image": {"colour": "blue"}}),
        json!({"image": {"properties": ["a"]}}),
        json!({"name": "no image key"}),
    ];
    for body in bad {
        let (status, answer) = r
            .call(As::Member("p1"), "POST", "/images", Some(body.clone()), &[])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
    }
    let request = Request::builder()
        .method("POST")
        .uri("/images")
        .body(Body::from("{not json"))
        .unwrap();
    let response = r.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A member cannot create an image for another project; an admin can.
    let (status, _) = r
        .call(
            As::Member("p1"),
            "POST",
            "/images",
            Some(json!({"image": {"owner": "p2"}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let image = r.create(As::Admin, json!({"owner": "p2"})).await;
    assert_eq!(image["owner"], "p2");
}

#[tokio::test]
async fn index_lists_public_live_images_in_brief() {
    let r = Registry::new().await;
    let public = r
        .create(
            As::Member("p1"),
            json!({"name": "pub", "is_public": true, "disk_format": "raw",
                   "container_format": "bare", "size": 5, "checksum": "abc"}),
        )
        .await;
    r.create(As::Member("p1"), json!({"name": "priv"})).await;
    let gone = r
        .create(As::Member("p1"), json!({"name": "gone", "is_public": true}))
        .await;
    let (status, _) = r
        .call(
            As::Member("p1"),
            "DELETE",
            &format!("/images/{}", gone["id"].as_str().unwrap()),
            None,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = r.get(As::Member("p2"), "/images").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"images": [{"id": public["id"], "name": "pub", "size": 5,
                           "disk_format": "raw", "container_format": "bare",
                           "checksum": "abc"}]})
    );
    // The owner's private image only with is_public=false or none.
    assert_eq!(r.names(As::Member("p1"), "/images").await, ["pub"]);
    assert_eq!(
        r.names(As::Member("p1"), "/images?is_public=false").await,
        ["priv"]
    );
    assert_eq!(
        r.names(
            As::Member("p1"),
            "/images?is_public=none&sort_key=name&sort_dir=asc"
        )
        .await,
        ["priv", "pub"]
    );
}

#[tokio::test]
async fn detail_filters_sorts_and_pages() {
    let r = Registry::new().await;
    let p1 = As::Member("p1");
    for (name, disk, size, distro) in [
        ("a", "raw", 10, "ubuntu"),
        ("b", "qcow2", 20, "fedora"),
        ("c", "qcow2", 30, "ubuntu"),
        ("d", "iso", 40, "debian"),
    ] {
        r.create(
            p1,
            json!({"name": name, "disk_format": disk, "container_format": "bare",
                   "size": size, "status": "active", "is_public": name != "d",
                   "properties": {"os_distro": distro}}),
        )
        .await;
    }
    let asc = "sort_key=name&sort_dir=asc";
    let (_, body) = r.get(p1, &format!("/images/detail?{asc}&limit=1")).await;
    let first = &body["images"][0];
    assert_eq!(first["name"], "a");
    assert_eq!(first["properties"], json!({"os_distro": "ubuntu"}));
    assert_eq!(first["status"], "active");
    assert_eq!(first["is_public"], true);
    for (query, want) in [
        ("", vec!["a", "b", "c", "d"]),
        ("name=b", vec!["b"]),
        ("disk_format=qcow2", vec!["b", "c"]),
        ("container_format=ovf", vec![]),
        ("status=queued", vec![]),
        ("size_min=20&size_max=30", vec!["b", "c"]),
        ("is_public=true", vec!["a", "b", "c"]),
        ("is_public=false", vec!["d"]),
        ("property-os_distro=ubuntu", vec!["a", "c"]),
        ("property-os_distro=ubuntu&disk_format=raw", vec!["a"]),
    ] {
        let got = r.names(p1, &format!("/images/detail?{asc}&{query}")).await;
        assert_eq!(got, want, "{query}");
    }
    assert_eq!(
        r.names(p1, "/images/detail?sort_key=size&sort_dir=desc")
            .await,
        ["d", "c", "b", "a"]
    );
    // Pages follow the marker.
    let mut seen = Vec::new();
    let mut marker = String::new();
    loop {
        let (status, body) = r
            .get(p1, &format!("/images/detail?{asc}&limit=3{marker}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let page = body["images"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        seen.extend(page.iter().map(|i| i["name"].as_str().unwrap().to_string()));
        marker = format!("&marker={}", page.last().unwrap()["id"].as_str().unwrap());
    }
    assert_eq!(seen, ["a", "b", "c", "d"]);
    // Bad parameters are 400.
    for query in [
        "sort_key=colour",
        "sort_dir=up",
        "limit=-1",
        "limit=many",
        "size_min=x",
        "is_public=perhaps",
        "marker=3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11",
    ] {
        let (status, _) = r.get(p1, &format!("/images/detail?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
}

#[tokio::test]
async fn show_hides_what_the_caller_cannot_see() {
    let r = Registry::new().await;
    let private = r.create(As::Member("p1"), json!({"name": "mine"})).await;
    let path = format!("/images/{}", private["id"].as_str().unwrap());
    assert_eq!(
        r.get(As::Member("p2"), &path).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(r.get(As::Admin, &path).await.0, StatusCode::OK);
    assert_eq!(
        r.get(
            As::Member("p1"),
            "/images/3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11"
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // Others' images stay out of their lists too.
    assert!(r.names(As::Member("p2"), "/images/detail").await.is_empty());
}

#[tokio::test]
async fn update_sets_fields_and_purges_properties_when_asked() {
    let r = Registry::new().await;
    let p1 = As::Member("p1");
    let image = r
        .create(
            p1,
            json!({"name": "before", "properties": {"keep": "1", "drop": "2"}}),
        )
        .await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let (status, body) = r
        .call(
            p1,
            "PUT",
            &path,
            Some(
                json!({"image": {"name": "after", "min_disk": 5, "status": "active",
                                   "properties": {"new": "3"}}}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let updated = &body["image"];
    assert_eq!(updated["name"], "after");
    assert_eq!(updated["min_disk"], 5);
    assert_eq!(updated["status"], "active");
    assert_eq!(
        updated["properties"],
        json!({"drop": "2", "keep": "1", "new": "3"})
    );
    let (status, body) = r
        .call(
            p1,
            "PUT",
            &path,
            Some(json!({"image": {"properties": {"keep": "1"}}})),
            &[("x-glance-registry-purge-props", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["image"]["properties"], json!({"keep": "1"}));
    assert_eq!(body["image"]["name"], "after");

    // Errors: bad fields 400, others' images 404 or 403, missing 404.
    let (status, _) = r
        .call(
            p1,
            "PUT",
            &path,
            Some(json!({"image": {"status": "x"}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = r
        .call(
            As::Member("p2"),
            "PUT",
            &path,
            Some(json!({"image": {"name": "theirs"}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let public = r
        .create(p1, json!({"name": "shown", "is_public": true}))
        .await;
    let public_path = format!("/images/{}", public["id"].as_str().unwrap());
    let (status, _) = r
        .call(
            As::Member("p2"),
            "PUT",
            &public_path,
            Some(json!({"image": {"name": "theirs"}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = r
        .call(
            p1,
            "PUT",
            "/images/3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11",
            Some(json!({"image": {"name": "x"}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_answers_the_deleted_image() {
    let r = Registry::new().await;
    let p1 = As::Member("p1");
    let image = r
        .create(p1, json!({"name": "doomed", "is_public": true}))
        .await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let (status, _) = r.call(As::Member("p2"), "DELETE", &path, None, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = r.call(p1, "DELETE", &path, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["image"]["id"], image["id"]);
    assert_eq!(body["image"]["deleted"], true);
    assert_eq!(body["image"]["status"], "deleted");
    assert!(body["image"]["deleted_at"].is_string());
    assert_eq!(
        r.call(p1, "DELETE", &path, None, &[]).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(r.get(p1, &path).await.0, StatusCode::NOT_FOUND);
    // Admins still see deleted images.
    let (status, body) = r.get(As::Admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["image"]["deleted"], true);
    assert!(r.names(p1, "/images").await.is_empty());
}

#[tokio::test]
async fn refused_identity_is_401() {
    let r = Registry::new().await;
    let request = Request::builder()
        .uri("/images")
        .header("x-identity-status", "Invalid")
        .body(Body::empty())
        .unwrap();
    let response = r.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
