//! Image data over HTTP: upload, download, ranges, limits, deletion.

mod common;

use std::io;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use bytes::Bytes;
use common::{As, TestApp};
use md5::{Digest, Md5};
use serde_json::json;
use sha2::Sha512;

const P1: As = As::Member("p1");
const P2: As = As::Member("p2");

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn queued(app: &TestApp, who: As, body: serde_json::Value) -> String {
    app.create_image(who, body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn upload_then_download_round_trips_with_checksums() {
    let app = TestApp::new().await;
    let id = queued(
        &app,
        P1,
        json!({"disk_format": "raw", "container_format": "bare"}),
    )
    .await;
    let bytes = data(3 * 1024 * 1024 + 17);
    let r = app.upload(P1, &id, bytes.clone()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let image = app.get(P1, &format!("/v2/images/{id}")).await.json();
    assert_eq!(image["status"], "active");
    assert_eq!(image["size"], bytes.len());
    assert_eq!(image["virtual_size"], bytes.len());
    assert_eq!(image["checksum"], hex(&Md5::digest(&bytes)));
    assert_eq!(image["os_hash_algo"], "sha512");
    assert_eq!(image["os_hash_value"], hex(&Sha512::digest(&bytes)));

    let r = app.get(P1, &format!("/v2/images/{id}/file")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        r.header("content-length"),
        Some(bytes.len().to_string().as_str())
    );
    assert_eq!(r.header("content-md5"), image["checksum"].as_str());
    assert_eq!(r.body, bytes);

    // Others who see the image may download it too.
    app.patch(
        P1,
        &format!("/v2/images/{id}"),
        json!([{"op": "replace", "path": "/visibility", "value": "community"}]),
    )
    .await;
    assert_eq!(
        app.get(P2, &format!("/v2/images/{id}/file")).await.status,
        StatusCode::OK
    );

    // A second upload is a conflict.
    let r = app.upload(P1, &id, data(10)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r
        .text
        .contains("Image status transition from active to saving is not allowed"));
}

#[tokio::test]
async fn ranges_are_served_as_glance_serves_them() {
    let app = TestApp::new().await;
    let id = queued(&app, P1, json!({})).await;
    let bytes: Vec<u8> = (0..100u8).collect();
    app.upload(P1, &id, bytes.clone()).await;
    let url = format!("/v2/images/{id}/file");
    let r = app
        .request(
            P1,
            Method::GET,
            &url,
            None,
            None,
            &[("range", "bytes=10-19")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.header("content-range"), Some("bytes 10-19/100"));
    assert_eq!(r.header("content-length"), Some("10"));
    assert_eq!(r.body, &bytes[10..20]);
    let r = app
        .request(P1, Method::GET, &url, None, None, &[("range", "bytes=-5")])
        .await;
    assert_eq!(r.body, &bytes[95..]);
    let r = app
        .request(
            P1,
            Method::GET,
            &url,
            None,
            None,
            &[("range", "bytes=500-600")],
        )
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert!(r.text.contains("The Range requested is not available."));
}

#[tokio::test]
async fn no_data_is_204_and_deactivated_images_are_refused_to_members() {
    let app = TestApp::new().await;
    let id = queued(&app, P1, json!({})).await;
    let url = format!("/v2/images/{id}/file");
    assert_eq!(app.get(P1, &url).await.status, StatusCode::NO_CONTENT);
    app.upload(P1, &id, data(1000)).await;
    let r = app
        .post(P1, &format!("/v2/images/{id}/actions/deactivate"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app.get(P1, &url).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("has been deactivated"));
    assert_eq!(app.get(As::Admin("p9"), &url).await.status, StatusCode::OK);
    app.post(P1, &format!("/v2/images/{id}/actions/reactivate"))
        .await;
    assert_eq!(app.get(P1, &url).await.status, StatusCode::OK);
}

#[tokio::test]
async fn size_cap_and_quota_are_413_and_leave_nothing() {
    let mut config = glint_config::Config::defaults();
    config.image_size_cap = 1000;
    config.user_storage_quota = 1500;
    let app = TestApp::with_config(config).await;

    let id = queued(&app, P1, json!({})).await;
    let r = app.upload(P1, &id, data(1001)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert!(r.text.contains("The provided image is too large."));
    // Chunked (no Content-Length): refused while streaming.
    let chunks: Vec<io::Result<Bytes>> = (0..5).map(|_| Ok(Bytes::from(data(300)))).collect();
    let r = app
        .request_with_body(
            P1,
            Method::PUT,
            &format!("/v2/images/{id}/file"),
            Some("application/octet-stream"),
            Body::from_stream(futures_util::stream::iter(chunks)),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let image = app.get(P1, &format!("/v2/images/{id}")).await.json();
    assert_eq!(image["status"], "queued");
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());

    // Quota: 1000 used, 500 left.
    assert_eq!(
        app.upload(P1, &id, data(1000)).await.status,
        StatusCode::NO_CONTENT
    );
    let second = queued(&app, P1, json!({})).await;
    let r = app.upload(P1, &second, data(600)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text.contains("500 bytes remaining"), "{}", r.text);
    assert_eq!(
        app.upload(P1, &second, data(500)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.stored_files().len(), 2);
}

#[tokio::test]
async fn an_interrupted_upload_requeues_and_leaves_no_bytes() {
    let app = TestApp::new().await;
    let id = queued(&app, P1, json!({})).await;
    let chunks: Vec<io::Result<Bytes>> = vec![
        Ok(Bytes::from(data(4096))),
        Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ];
    let r = app
        .request_with_body(
            P1,
            Method::PUT,
            &format!("/v2/images/{id}/file"),
            Some("application/octet-stream"),
            Body::from_stream(futures_util::stream::iter(chunks)),
            &[("content-length", "100000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        app.get(P1, &format!("/v2/images/{id}")).await.json()["status"],
        "queued"
    );
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    // And the image can still be uploaded.
    assert_eq!(
        app.upload(P1, &id, data(10)).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn racing_uploads_one_wins_the_other_conflicts() {
    let app = TestApp::new().await;
    let id = queued(&app, P1, json!({})).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(1);
    let slow =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let first = {
        let url = format!("/v2/images/{id}/file");
        let app = &app;
        async move {
            app.request_with_body(
                P1,
                Method::PUT,
                &url,
                Some("application/octet-stream"),
                Body::from_stream(slow),
                &[],
            )
            .await
        }
    };
    let second = async {
        tx.send(Ok(Bytes::from(data(100)))).await.unwrap();
        // The first upload holds the image in `saving` now.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let r = app.upload(P1, &id, data(10)).await;
        drop(tx);
        r
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.status, StatusCode::NO_CONTENT, "{}", first.text);
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert_eq!(
        app.get(P1, &format!("/v2/images/{id}")).await.json()["size"],
        100
    );
}

#[tokio::test]
async fn upload_needs_octet_stream_and_ownership() {
    let app = TestApp::new().await;
    let id = queued(&app, P1, json!({"visibility": "community"})).await;
    let r = app
        .request(
            P1,
            Method::PUT,
            &format!("/v2/images/{id}/file"),
            Some("text/plain"),
            Some("x".into()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        app.upload(P2, &id, data(10)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn deleting_an_image_deletes_its_bytes() {
    let app = TestApp::new().await;
    let id = queued(&app, P1, json!({})).await;
    app.upload(P1, &id, data(100)).await;
    assert_eq!(app.stored_files().len(), 1);
    assert_eq!(
        app.delete(P1, &format!("/v2/images/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(app.stored_files().is_empty());
}

#[tokio::test]
async fn delayed_delete_keeps_bytes_until_the_scrubber_runs() {
    let mut config = glint_config::Config::defaults();
    config.delayed_delete = true;
    let app = TestApp::with_config(config).await;
    let id = queued(&app, P1, json!({})).await;
    app.upload(P1, &id, data(100)).await;
    assert_eq!(
        app.delete(P1, &format!("/v2/images/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(P1, &format!("/v2/images/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.stored_files().len(), 1, "bytes kept for the scrubber");
    assert_eq!(app.services().images.scrub(false).await.unwrap(), 1);
    assert!(app.stored_files().is_empty());
}

#[tokio::test]
async fn multiple_stores_are_listed_and_chosen_per_upload() {
    let mut config = glint_config::Config::defaults();
    for (id, desc) in [("fast", Some("SSD")), ("cheap", None)] {
        config.stores.push(glint_config::StoreConfig {
            id: id.into(),
            kind: "file".into(),
            filesystem_store_datadir: "unused".into(),
            description: desc.map(str::to_string),
            s3: None,
        });
    }
    config.default_store = Some("fast".into());
    let app = TestApp::with_config(config).await;
    let stores = app.get(P1, "/v2/info/stores").await.json();
    assert_eq!(
        stores,
        json!({"stores": [{"id": "fast", "description": "SSD", "default": "true"}, {"id": "cheap"}]})
    );
    let r = app.post_json(P1, "/v2/images", json!({})).await;
    assert_eq!(r.header("openstack-image-store-ids"), Some("fast,cheap"));
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .request_with_body(
            P1,
            Method::PUT,
            &format!("/v2/images/{id}/file"),
            Some("application/octet-stream"),
            Body::from(data(10)),
            &[("x-image-meta-store", "cheap")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        app.get(P1, &format!("/v2/images/{id}")).await.json()["stores"],
        "cheap"
    );
    let other = queued(&app, P1, json!({})).await;
    let r = app
        .request_with_body(
            P1,
            Method::PUT,
            &format!("/v2/images/{other}/file"),
            Some("application/octet-stream"),
            Body::from(data(10)),
            &[("x-image-meta-store", "nowhere")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn single_store_sites_have_no_store_list() {
    let app = TestApp::new().await;
    assert_eq!(
        app.get(P1, "/v2/info/stores").await.status,
        StatusCode::NOT_FOUND
    );
}
