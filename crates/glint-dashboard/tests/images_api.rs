//! `/api/glance/version/` and `/api/glance/images/…` over HTTP: Horizon's
//! shapes, paging, filters, creating from a file and from a URL, changes,
//! properties, actions and errors.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{As, TestApp};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ALICE: As = As::Member("alice");
const BOB: As = As::Member("bob");

fn url_form(url: &str) -> Value {
    json!({
        "name": "from-url", "source_type": "url", "image_url": url,
        "disk_format": "raw", "visibility": "private", "protected": false,
        "import_data": true, "os_distro": "debian",
    })
}

async fn uploaded(app: &TestApp, who: As, name: &str, data: &[u8]) -> Value {
    let answer = app
        .upload(
            who,
            &[
                ("name", name),
                ("disk_format", "raw"),
                ("visibility", "private"),
            ],
            data,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.json()
}

#[tokio::test]
async fn version_is_two() {
    let app = TestApp::new().await;
    let answer = app.get(As::Anyone, "/api/glance/version/").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), json!({"version": "2"}));
}

#[tokio::test]
async fn upload_creates_an_active_image_in_horizon_shape() {
    let app = TestApp::new().await;
    let answer = app
        .upload(
            ALICE,
            &[
                ("name", "cirros"),
                ("disk_format", "raw"),
                ("visibility", "shared"),
                ("protected", "false"),
                ("min_ram", "64"),
                ("architecture", "x86_64"),
                ("os_distro", "cirros"),
            ],
            b"0123456789",
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let image = answer.json();
    let id = image["id"].as_str().unwrap();
    assert_eq!(
        answer.header("location"),
        Some(format!("/api/glance/images/{id}/").as_str())
    );
    let mut keys: Vec<&str> = image
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "architecture",
            "checksum",
            "container_format",
            "created_at",
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
            "visibility"
        ]
    );
    assert_eq!(image["status"], "active");
    assert_eq!(image["size"], 10);
    assert_eq!(image["checksum"], "781e5e245d69b566979b86e28d23f2c7");
    assert_eq!(image["container_format"], "bare");
    assert_eq!(image["min_ram"], 64);
    assert_eq!(image["architecture"], "x86_64");
    assert_eq!(image["owner"], "alice");
    assert_eq!(image["is_public"], false);
    assert_eq!(image["properties"]["os_distro"], "cirros");
    assert!(
        image["properties"].get("tags").is_none(),
        "lists leave out tags"
    );

    // The bytes went into the store.
    let stored = app
        .services
        .images
        .get(&glint_domain::RequestContext::member_of("alice"), id)
        .await
        .unwrap();
    assert_eq!(stored.size, Some(10));
}

#[tokio::test]
async fn upload_without_data_names_the_field() {
    let app = TestApp::new().await;
    let boundary = "b";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--{boundary}--\r\n"
    );
    let answer = app
        .send(
            ALICE,
            Method::POST,
            "/api/glance/images/",
            &[("content-type", "multipart/form-data; boundary=b")],
            Body::from(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json(), json!("missing required field: data"));
    // $$originalJSON carries typed fields.
    let answer = app
        .upload(
            ALICE,
            &[(
                "$$originalJSON",
                r#"{"name": "typed", "min_disk": 3, "visibility": "public"}"#,
            )],
            b"abc",
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::FORBIDDEN,
        "members may not publicize: {}",
        answer.text
    );
    let answer = app
        .upload(
            As::Anyone,
            &[(
                "$$originalJSON",
                r#"{"name": "typed", "min_disk": 3, "visibility": "public"}"#,
            )],
            b"abc",
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.json()["min_disk"], 3);
    assert_eq!(answer.json()["is_public"], true);
}

#[tokio::test]
async fn a_failed_upload_leaves_no_image() {
    let mut config = glint_config::Config::defaults();
    config.image_size_cap = 4;
    let app = TestApp::with_config(config).await;
    let answer = app
        .upload(
            ALICE,
            &[("name", "big"), ("disk_format", "raw")],
            b"0123456789",
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    assert!(answer.json().is_string());
    let list = app.get(ALICE, "/api/glance/images/").await.json();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn list_pages_like_horizon() {
    let app = TestApp::new().await;
    for name in ["a", "b", "c", "d", "e"] {
        uploaded(&app, ALICE, name, name.as_bytes()).await;
    }
    let page = |query: String| {
        let app = &app;
        async move {
            app.send(
                ALICE,
                Method::GET,
                &format!("/api/glance/images/?{query}"),
                &[("cookie", "API_RESULT_PAGE_SIZE=2")],
                Body::empty(),
            )
            .await
            .json()
        }
    };
    let names = |p: &Value| -> Vec<String> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let first = page("paginate=true&sort_key=name&sort_dir=asc".into()).await;
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(
        (
            first["has_more_data"].clone(),
            first["has_prev_data"].clone()
        ),
        (json!(true), json!(false))
    );
    let marker = first["items"][1]["id"].as_str().unwrap().to_string();
    let middle = page(format!(
        "paginate=True&sort_key=name&sort_dir=asc&marker={marker}"
    ))
    .await;
    assert_eq!(names(&middle), ["c", "d"]);
    assert_eq!(
        (
            middle["has_more_data"].clone(),
            middle["has_prev_data"].clone()
        ),
        (json!(true), json!(true))
    );
    let marker = middle["items"][1]["id"].as_str().unwrap().to_string();
    let last = page(format!(
        "paginate=true&sort_key=name&sort_dir=asc&marker={marker}"
    ))
    .await;
    assert_eq!(names(&last), ["e"]);
    assert_eq!(
        (last["has_more_data"].clone(), last["has_prev_data"].clone()),
        (json!(false), json!(true))
    );

    // Without paginate: everything, newest first by default.
    let all = page(String::new()).await;
    assert_eq!(names(&all), ["e", "d", "c", "b", "a"]);
    assert_eq!(
        (all["has_more_data"].clone(), all["has_prev_data"].clone()),
        (json!(false), json!(false))
    );
}

#[tokio::test]
async fn list_filters_pass_through() {
    let app = TestApp::new().await;
    uploaded(&app, ALICE, "one", b"1").await;
    let two = uploaded(&app, ALICE, "two", b"22").await;
    uploaded(&app, BOB, "bobs", b"3").await;
    let public = app
        .upload(
            As::Anyone,
            &[("name", "pub"), ("visibility", "public")],
            b"4",
        )
        .await;
    assert_eq!(public.status, StatusCode::CREATED);

    let list = app.get(ALICE, "/api/glance/images/?name=two").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], two["id"]);
    let list = app
        .get(ALICE, "/api/glance/images/?is_public=True")
        .await
        .json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pub"]);
    let list = app
        .get(ALICE, "/api/glance/images/?size_min=2&status=active")
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = app
        .get(ALICE, "/api/glance/images/?property-owner_id=bob")
        .await
        .json();
    assert_eq!(
        list["items"],
        json!([]),
        "bob's private image is not alice's to see"
    );
    let list = app
        .get(As::Anyone, "/api/glance/images/?property-owner_id=bob")
        .await
        .json();
    assert_eq!(list["items"][0]["name"], "bobs");

    let bad = app
        .get(ALICE, "/api/glance/images/?visibility=everyone")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json().as_str().unwrap().contains("everyone"));
    let bad = app.get(ALICE, "/api/glance/images/?marker=nope").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn show_update_and_delete() {
    let app = TestApp::new().await;
    let image = uploaded(&app, ALICE, "old", b"x").await;
    let uri = format!("/api/glance/images/{}/", image["id"].as_str().unwrap());

    let shown = app.get(ALICE, &uri).await;
    assert_eq!(shown.status, StatusCode::OK);
    let shown = shown.json();
    assert_eq!(
        shown["properties"]["tags"],
        json!([]),
        "a single image shows tags"
    );
    assert!(shown["properties"].get("virtual_size").is_some());

    let missing = app
        .json(ALICE, Method::PATCH, &uri, json!({"name": "n"}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json(),
        json!("missing required fields: disk_format, visibility, protected")
    );
    let empty = app.json(ALICE, Method::PATCH, &uri, json!({})).await;
    assert_eq!(empty.json(), json!("request requires JSON body"));

    let changed = app
        .json(
            ALICE,
            Method::PATCH,
            &uri,
            json!({"name": "new", "disk_format": "qcow2", "visibility": "shared",
                   "protected": true, "description": "d", "min_disk": 2, "os_distro": "arch"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
    let shown = app.get(ALICE, &uri).await.json();
    assert_eq!(shown["name"], "new");
    assert_eq!(shown["visibility"], "shared");
    assert_eq!(shown["protected"], true);
    assert_eq!(shown["min_disk"], 2);
    assert_eq!(shown["properties"]["description"], "d");
    assert_eq!(shown["properties"]["os_distro"], "arch");

    let refused = app
        .send(ALICE, Method::DELETE, &uri, &[], Body::empty())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.json().as_str().unwrap().contains("protected"));
    let others = app
        .send(BOB, Method::DELETE, &uri, &[], Body::empty())
        .await;
    assert_eq!(others.status, StatusCode::NOT_FOUND);

    app.json(
        ALICE,
        Method::PATCH,
        &uri,
        json!({"name": "new", "disk_format": "qcow2", "visibility": "shared", "protected": false}),
    )
    .await;
    let deleted = app
        .send(ALICE, Method::DELETE, &uri, &[], Body::empty())
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.get(ALICE, &uri).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.header("content-type"), Some("application/json"));
    assert!(gone.json().is_string());
    assert!(app.get(ALICE, "/api/glance/images/default/").await.status == StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivate_and_reactivate() {
    let app = TestApp::new().await;
    let image = uploaded(&app, As::Anyone, "img", b"x").await;
    let id = image["id"].as_str().unwrap();
    let action = |verb: &'static str| {
        let app = &app;
        let uri = format!("/api/glance/images/{id}/actions/{verb}");
        async move {
            app.send(As::Anyone, Method::POST, &uri, &[], Body::empty())
                .await
        }
    };
    assert_eq!(action("deactivate").await.status, StatusCode::NO_CONTENT);
    let shown = app
        .get(As::Anyone, &format!("/api/glance/images/{id}/"))
        .await
        .json();
    assert_eq!(shown["status"], "deactivated");
    assert_eq!(action("reactivate").await.status, StatusCode::NO_CONTENT);
    let shown = app
        .get(As::Anyone, &format!("/api/glance/images/{id}/"))
        .await
        .json();
    assert_eq!(shown["status"], "active");
    let unknown = app
        .send(
            As::Anyone,
            Method::POST,
            "/api/glance/images/nope/actions/deactivate",
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn custom_properties_read_and_change() {
    let app = TestApp::new().await;
    let image = app
        .upload(
            ALICE,
            &[
                ("name", "p"),
                ("os_distro", "debian"),
                ("hw_cpu_mode", "host-model"),
            ],
            b"x",
        )
        .await
        .json();
    let uri = format!(
        "/api/glance/images/{}/properties/",
        image["id"].as_str().unwrap()
    );
    let props = app.get(ALICE, &uri).await;
    assert_eq!(props.status, StatusCode::OK);
    let props = props.json();
    assert_eq!(props["os_distro"], "debian");
    assert_eq!(props["hw_cpu_mode"], "host-model");
    assert!(props.get("name").is_none() && props.get("tags").is_none());

    let missing = app
        .json(ALICE, Method::PATCH, &uri, json!({"removed": ["x"]}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json(), json!("missing required field: updated"));

    let changed = app
        .json(
            ALICE,
            Method::PATCH,
            &uri,
            json!({"updated": {"os_distro": "arch", "hw_watchdog_action": "reset", "hw_cpu_cores": 4, "os_hidden": "true"},
                   "removed": ["hw_cpu_mode", "not_there"]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
    let props = app.get(ALICE, &uri).await.json();
    assert_eq!(props["os_distro"], "arch");
    assert_eq!(props["hw_watchdog_action"], "reset");
    assert_eq!(props["hw_cpu_cores"], "4");
    assert_eq!(props["os_hidden"], true);
    assert!(props.get("hw_cpu_mode").is_none());
}

/// Serves `body` once per connection on a loopback port, as a plain HTTP
/// server would; returns the port.
async fn serve_bytes(body: &'static [u8]) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn create_from_url_copies_the_data_in() {
    let port = serve_bytes(b"bytes from the web").await;
    let mut config = glint_config::Config::defaults();
    config.dashboard_url_hosts = vec!["127.0.0.1".into()];
    config.import.uri_filter.allowed_ports = vec![];
    let app = TestApp::with_config(config).await;
    let url = format!("http://127.0.0.1:{port}/disk.img");

    let answer = app
        .json(ALICE, Method::PUT, "/api/glance/images/", url_form(&url))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let image = answer.json();
    let id = image["id"].as_str().unwrap().to_string();
    assert_eq!(
        answer.header("location"),
        Some(format!("/api/glance/images/{id}/").as_str())
    );
    assert_eq!(image["name"], "from-url");
    assert_eq!(image["properties"]["os_distro"], "debian");
    assert!(image["properties"].get("import_data").is_none());

    let mut status = String::new();
    for _ in 0..100 {
        let shown = app
            .get(ALICE, &format!("/api/glance/images/{id}/"))
            .await
            .json();
        status = shown["status"].as_str().unwrap().to_string();
        if status == "active" {
            assert_eq!(shown["size"], 18);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "active");
}

#[tokio::test]
async fn create_from_url_refusals_are_named() {
    let mut config = glint_config::Config::defaults();
    config.dashboard_url_hosts = vec!["127.0.0.1".into()];
    let app = TestApp::with_config(config).await;
    let put = |body: Value| {
        let app = &app;
        async move {
            app.json(ALICE, Method::PUT, "/api/glance/images/", body)
                .await
        }
    };
    let missing = put(json!({"name": "x", "image_url": "http://127.0.0.1/x"})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json(),
        json!("missing required fields: source_type, disk_format, visibility, protected")
    );
    // A location nobody answers at is refused, and no image is left.
    let mut form = url_form("http://127.0.0.1:1/x");
    form["import_data"] = json!(false);
    let location = put(form).await;
    assert_eq!(
        location.status,
        StatusCode::BAD_REQUEST,
        "{}",
        location.text
    );
    assert!(location.json().as_str().unwrap().contains("127.0.0.1:1/x"));
    let elsewhere = put(url_form("http://169.254.169.254/latest")).await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    assert!(elsewhere
        .json()
        .as_str()
        .unwrap()
        .contains("169.254.169.254"));
    let ftp = put(url_form("ftp://127.0.0.1/x")).await;
    assert_eq!(ftp.status, StatusCode::BAD_REQUEST);
    let mut form = url_form("http://127.0.0.1/x");
    form["visibility"] = json!("everyone");
    let bad = put(form).await;
    assert_eq!(bad.json(), json!("invalid visibility option: everyone"));
    // Refusals create nothing.
    let list = app.get(ALICE, "/api/glance/images/").await.json();
    assert_eq!(list["items"], json!([]));
}
