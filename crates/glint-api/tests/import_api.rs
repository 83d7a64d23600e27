//! glance-download between two apps: the remote region is an app served on
//! a loopback port; the local one finds it in the caller's
//! `X-Service-Catalog` and acts as the caller there.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{As, TestApp};
use glint_config::Config;
use serde_json::{json, Value};

/// Serves `app` on a free loopback port for the rest of the test.
async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

fn glance_download_enabled() -> Config {
    let mut config = Config::defaults();
    config.import.methods.push("glance-download".into());
    // The remote listens on a random port.
    config.import.uri_filter.allowed_ports.clear();
    config
}

fn catalog(region: &str, url: &str) -> String {
    json!([{"type": "image", "endpoints": [
        {"interface": "public", "region_id": region, "url": url}]}])
    .to_string()
}

async fn import(
    local: &TestApp,
    who: As,
    image_id: &str,
    body: Value,
    catalog: &str,
) -> StatusCode {
    local
        .request(
            who,
            Method::POST,
            &format!("/v2/images/{image_id}/import"),
            Some("application/json"),
            Some(body.to_string()),
            &[("x-service-catalog", catalog)],
        )
        .await
        .status
}

/// The image once its import is over.
async fn settled(app: &TestApp, who: As, image_id: &str) -> Value {
    for _ in 0..200 {
        let image = app.get(who, &format!("/v2/images/{image_id}")).await.json();
        let status = image["status"].as_str().unwrap_or_default();
        if (status == "active" || status == "queued")
            && image.get("os_glance_import_task").is_none()
        {
            return image;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import of {image_id} did not finish");
}

async fn task_of(app: &TestApp, who: As, image_id: &str) -> Value {
    let tasks = app
        .get(who, &format!("/v2/images/{image_id}/tasks"))
        .await
        .json();
    tasks["tasks"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glance_download_copies_data_formats_and_chosen_properties() {
    let remote = TestApp::new().await;
    let url = serve(&remote).await;
    let local = TestApp::with_config(glance_download_enabled()).await;
    let east = As::Member("east");

    let source = remote
        .create_image(
            east,
            json!({"name": "src", "disk_format": "raw", "container_format": "bare",
                   "hw_disk_bus": "scsi", "os_distro": "debian", "not_copied": "x"}),
        )
        .await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let src_id = source["id"].as_str().unwrap();
    assert_eq!(
        remote.upload(east, src_id, data.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    let source = remote
        .get(east, &format!("/v2/images/{src_id}"))
        .await
        .json();

    let image = local
        .create_image(
            east,
            json!({"name": "copy", "disk_format": "qcow2", "container_format": "ovf",
                   "os_distro": "arch"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    let body = json!({"method": {"name": "glance-download", "glance_image_id": src_id,
                                 "glance_region": "RegionTwo"}});
    let status = import(&local, east, id, body.clone(), &catalog("RegionTwo", &url)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let done = settled(&local, east, id).await;
    let task = task_of(&local, east, id).await;
    assert_eq!(done["status"], "active", "{task}");
    assert_eq!(done["disk_format"], "raw");
    assert_eq!(done["container_format"], "bare");
    assert_eq!(done["checksum"], source["checksum"]);
    assert_eq!(done["os_hash_value"], source["os_hash_value"]);
    assert_eq!(done["hw_disk_bus"], "scsi");
    assert_eq!(done["os_distro"], "debian");
    assert!(done.get("not_copied").is_none());
    let file = local.get(east, &format!("/v2/images/{id}/file")).await;
    assert_eq!(file.body, data);
    assert_eq!(
        task["input"]["import_req"]["method"]["glance_service_interface"],
        "public"
    );

    // Another project cannot see the private source: the remote answers
    // 404, the task fails and the image is as it was.
    let west = As::Member("west");
    let (done, task) = failed_import(&local, west, &body, &url).await;
    assert!(task["message"].as_str().unwrap().contains("404"), "{task}");
    assert_eq!(done["os_distro"], "arch");

    // The source's data is gone from the remote store: the download fails
    // after the metadata was copied, and the copy is taken back.
    let stored = remote.data_dir().join("images").join(src_id);
    std::fs::remove_file(&stored).unwrap();
    let (done, task) = failed_import(&local, east, &body, &url).await;
    assert!(task["message"].as_str().unwrap().contains(src_id), "{task}");
    assert_eq!(done["os_distro"], "arch");
    assert!(done.get("hw_disk_bus").is_none(), "{done}");
}

/// Imports `body` into a new qcow2/ovf image as `who`; asserts it failed
/// and the image is queued with its own formats. Answers image and task.
async fn failed_import(local: &TestApp, who: As, body: &Value, url: &str) -> (Value, Value) {
    let image = local
        .create_image(
            who,
            json!({"name": "copy", "disk_format": "qcow2", "container_format": "ovf",
                   "os_distro": "arch"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    let status = import(local, who, id, body.clone(), &catalog("RegionTwo", url)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let done = settled(local, who, id).await;
    let task = task_of(local, who, id).await;
    assert_eq!(task["status"], "failure", "{task}");
    assert_eq!(done["status"], "queued");
    assert_eq!(done["disk_format"], "qcow2");
    assert_eq!(done["container_format"], "ovf");
    assert!(done["size"].is_null(), "{done}");
    (done, task)
}

#[tokio::test]
async fn glance_download_requests_are_checked() {
    let off = TestApp::new().await;
    let image = off
        .create_image(
            As::Anonymous,
            json!({"name": "x", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    let good = json!({"method": {"name": "glance-download", "glance_region": "R",
                                 "glance_image_id": "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11"}});
    // Off by default.
    assert_eq!(
        import(&off, As::Anonymous, id, good.clone(), "[]").await,
        StatusCode::BAD_REQUEST
    );

    let on = TestApp::with_config(glance_download_enabled()).await;
    let info = on.get(As::Anonymous, "/v2/info/import").await.json();
    assert_eq!(
        info["import-methods"]["value"],
        json!([
            "glance-direct",
            "web-download",
            "copy-image",
            "glance-download"
        ])
    );
    let image = on
        .create_image(
            As::Anonymous,
            json!({"name": "x", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let id = image["id"].as_str().unwrap();
    for method in [
        json!({"name": "glance-download", "glance_region": "R"}),
        json!({"name": "glance-download", "glance_image_id": "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11"}),
        json!({"name": "glance-download", "glance_region": "R", "glance_image_id": "x"}),
    ] {
        let r = on
            .post_json(
                As::Anonymous,
                &format!("/v2/images/{id}/import"),
                json!({ "method": method }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method}: {}", r.text);
    }
    // No endpoint for the region: accepted, and the task says why it failed.
    assert_eq!(
        import(&on, As::Anonymous, id, good, "[]").await,
        StatusCode::ACCEPTED
    );
    let done = settled(&on, As::Anonymous, id).await;
    assert_eq!(done["status"], "queued");
    let task = task_of(&on, As::Anonymous, id).await;
    assert_eq!(
        task["message"], "public glance endpoint not found for region R",
        "{task}"
    );
}

#[tokio::test]
async fn an_image_without_formats_cannot_be_imported() {
    let app = TestApp::new().await;
    for (values, missing) in [
        (json!({"name": "x"}), "container_format"),
        (
            json!({"name": "x", "container_format": "bare"}),
            "disk_format",
        ),
    ] {
        let image = app.create_image(As::Anonymous, values).await;
        let id = image["id"].as_str().unwrap();
        let r = app
            .post_json(
                As::Anonymous,
                &format!("/v2/images/{id}/import"),
                json!({"method": {"name": "web-download", "uri": "http://example.com/x.img"}}),
            )
            .await;
        // Glance answers a conflict, naming the container format first.
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(
            r.text.contains(missing) && r.text.contains("needs to be set before import"),
            "{}",
            r.text
        );
    }
}
