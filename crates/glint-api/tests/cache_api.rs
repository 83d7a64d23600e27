//! `/v2/cache` and downloads through the image cache.

mod common;

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{As, TestApp};
use glint_config::{Config, ImageCacheConfig};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const ADMIN: As = As::Admin("admin-project");
const MEMBER: As = As::Member("p1");

async fn cached_app(cache_dir: &Path, max_size: u64) -> TestApp {
    let mut config = Config::defaults();
    config.image_cache = Some(ImageCacheConfig {
        dir: cache_dir.to_path_buf(),
        max_size,
        stall_time_secs: 86400,
        prefetcher_interval_secs: 300,
        serves_downloads: true,
    });
    TestApp::with_config(config).await
}

/// A public active image holding `data`.
async fn image_with(app: &TestApp, data: &[u8]) -> String {
    let image = app
        .create_image(
            ADMIN,
            json!({"disk_format": "raw", "container_format": "bare", "visibility": "public"}),
        )
        .await;
    let id = image["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.upload(ADMIN, &id, data.to_vec()).await.status,
        StatusCode::NO_CONTENT
    );
    id
}

async fn cache_state(app: &TestApp) -> Value {
    let r = app.get(ADMIN, "/v2/cache").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

fn cached_ids(state: &Value) -> Vec<String> {
    state["cached_images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["image_id"].as_str().unwrap().to_string())
        .collect()
}

/// The cache state once `done` holds of it.
async fn cache_state_when(app: &TestApp, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let state = cache_state(app).await;
        if done(&state) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the cache never got there: {}", cache_state(app).await);
}

/// `DELETE /v2/cache` with `x-image-cache-clear-target: target`.
async fn clear(app: &TestApp, target: &str) -> StatusCode {
    app.request(
        ADMIN,
        Method::DELETE,
        "/v2/cache",
        None,
        None,
        &[("x-image-cache-clear-target", target)],
    )
    .await
    .status
}

fn data(size: usize, seed: u8) -> Vec<u8> {
    (0..size).map(|i| (i as u8).wrapping_mul(seed)).collect()
}

/// Files in the cache folder other than its index (partial copies too),
/// sorted.
fn copies_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("glint-cache-index"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn without_a_cache_folder_the_api_is_not_found() {
    let app = TestApp::new().await;
    let r = app.get(ADMIN, "/v2/cache").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r
        .text
        .contains("Caching via API is not supported at this site."));
    // Policy first, as in Glance.
    assert_eq!(
        app.get(MEMBER, "/v2/cache").await.status,
        StatusCode::FORBIDDEN
    );
    let missing = "/v2/cache/6b9fbf2b-3031-429a-80b1-b509e4c44046";
    assert_eq!(app.put(ADMIN, missing).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_fills_the_cache_and_the_next_is_served_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = cached_app(dir.path(), 1 << 30).await;
    let bytes = data(700_000, 7);
    let id = image_with(&app, &bytes).await;
    assert_eq!(
        cache_state(&app).await,
        json!({"cached_images": [], "queued_images": []})
    );

    let first = app.get(MEMBER, &format!("/v2/images/{id}/file")).await;
    assert_eq!(first.body, bytes);
    let state = cache_state_when(&app, |s| cached_ids(s) == [id.clone()]).await;
    let entry = &state["cached_images"][0];
    assert_eq!(
        (entry["size"].as_u64(), entry["hits"].as_u64()),
        (Some(700_000), Some(0))
    );
    assert!(entry["last_modified"].as_f64().unwrap() > 1.6e9);

    // The store's copy goes: what is served now comes from the cache.
    for file in app.stored_files() {
        std::fs::remove_file(file).unwrap();
    }
    let second = app.get(MEMBER, &format!("/v2/images/{id}/file")).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body, bytes);
    assert_eq!(second.header("content-md5"), first.header("content-md5"));
    let part = app
        .request(
            MEMBER,
            Method::GET,
            &format!("/v2/images/{id}/file"),
            None,
            None,
            &[("range", "bytes=10-19")],
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, bytes[10..20]);
    assert_eq!(cache_state(&app).await["cached_images"][0]["hits"], 2);

    // Deleting the image removes its copy.
    assert_eq!(
        app.delete(ADMIN, &format!("/v2/images/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(cached_ids(&cache_state(&app).await), Vec::<String>::new());
    assert_eq!(copies_in(dir.path()), Vec::<String>::new());
}

/// Downloads `path` from the app served on a loopback port, as curl does:
/// on a keep-alive connection, closed as soon as Content-Length bytes have
/// arrived (the server may not have asked its body for the end yet).
async fn download_then_hang_up(app: &TestApp, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: glint.test\r\nX-Project-Id: p1\r\nX-Roles: member\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        answer.extend_from_slice(&buf[..n]);
        let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        if answer.len() >= end + 4 + length {
            drop(conn);
            return answer.split_off(end + 4);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_whose_client_hangs_up_at_the_last_byte_fills_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let app = cached_app(dir.path(), 1 << 30).await;
    let bytes = data(3 << 20, 17);
    let id = image_with(&app, &bytes).await;
    let body = download_then_hang_up(&app, &format!("/v2/images/{id}/file")).await;
    assert_eq!(body, bytes);
    cache_state_when(&app, |s| cached_ids(s) == [id.clone()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_short_leaves_no_copy() {
    let dir = tempfile::tempdir().unwrap();
    let app = cached_app(dir.path(), 1 << 30).await;
    let id = image_with(&app, &data(3 << 20, 3)).await;
    let request = Request::get(format!("/v2/images/{id}/file"))
        .header("x-project-id", "p1")
        .header("x-roles", "member")
        .body(Body::empty())
        .unwrap();
    let response = app.router().oneshot(request).await.unwrap();
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap();
    assert!(!first.data_ref().unwrap().is_empty());
    drop(body); // the client goes away

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(cached_ids(&cache_state(&app).await), Vec::<String>::new());
    assert_eq!(copies_in(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queueing_caches_at_once_and_the_cache_stays_under_its_size() {
    let dir = tempfile::tempdir().unwrap();
    // Room for two of the three images.
    let app = cached_app(dir.path(), 250_000).await;
    let ids = [
        image_with(&app, &data(100_000, 1)).await,
        image_with(&app, &data(100_000, 2)).await,
        image_with(&app, &data(100_000, 3)).await,
    ];
    let queued = app
        .create_image(
            ADMIN,
            json!({"disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let r = app
        .put(
            ADMIN,
            &format!("/v2/cache/{}", queued["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Only images with status active"));
    assert_eq!(
        app.put(MEMBER, &format!("/v2/cache/{}", ids[0]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    for id in &ids[..2] {
        let r = app.put(ADMIN, &format!("/v2/cache/{id}")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        cache_state_when(&app, |s| cached_ids(s).contains(id)).await;
    }
    // Reading the first makes the second the least recently used.
    app.get(MEMBER, &format!("/v2/images/{}/file", ids[0]))
        .await;
    assert_eq!(
        app.put(ADMIN, &format!("/v2/cache/{}", ids[2]))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let state = cache_state_when(&app, |s| cached_ids(s).contains(&ids[2])).await;
    let mut cached = cached_ids(&state);
    cached.sort();
    let mut want = vec![ids[0].clone(), ids[2].clone()];
    want.sort();
    assert_eq!(cached, want, "the least recently used copy was evicted");
    assert_eq!(state["queued_images"], json!([]));

    let r = app.post(ADMIN, "/v2/cache/prune").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"total_files_pruned": 0, "total_bytes_pruned": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_deleted_cleared_and_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let app = cached_app(dir.path(), 1 << 30).await;
    let a = image_with(&app, &data(1000, 5)).await;
    let b = image_with(&app, &data(2000, 9)).await;
    for id in [&a, &b] {
        app.get(MEMBER, &format!("/v2/images/{id}/file")).await;
    }
    cache_state_when(&app, |s| cached_ids(s).len() == 2).await;

    assert_eq!(
        app.delete(ADMIN, &format!("/v2/cache/{a}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        cached_ids(&cache_state(&app).await),
        std::slice::from_ref(&b)
    );
    let missing = "/v2/cache/6b9fbf2b-3031-429a-80b1-b509e4c44046";
    assert_eq!(
        app.delete(ADMIN, missing).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(clear(&app, "all").await, StatusCode::BAD_REQUEST);
    assert_eq!(clear(&app, "queue").await, StatusCode::NO_CONTENT);
    assert_eq!(
        cached_ids(&cache_state(&app).await),
        std::slice::from_ref(&b)
    );
    assert_eq!(
        app.delete(ADMIN, "/v2/cache").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(cached_ids(&cache_state(&app).await), Vec::<String>::new());

    let r = app.get(ADMIN, &format!("/v2/cache/nodes/{a}")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_removes_copies_of_gone_images_and_unwritten_partials() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of an image deleted (through another node) while this one
    // was down: the cache adopts the file when it opens.
    let gone = "e34e6e2f-fe16-420d-ad36-cebf69506106";
    std::fs::write(dir.path().join(gone), b"stale copy").unwrap();
    // Glance's cache folder layout: its subfolders are not copies.
    std::fs::create_dir(dir.path().join("incomplete")).unwrap();
    let app = cached_app(dir.path(), 1 << 30).await;
    let kept = image_with(&app, &data(1000, 13)).await;
    app.get(MEMBER, &format!("/v2/images/{kept}/file")).await;
    let state = cache_state_when(&app, |s| cached_ids(s).len() == 2).await;
    assert!(cached_ids(&state).contains(&gone.to_string()));
    // A partial copy no download is writing.
    std::fs::write(dir.path().join(format!(".{kept}x.partial")), b"half").unwrap();

    let r = app.post(ADMIN, "/v2/cache/clean").await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, ""));
    assert_eq!(
        cached_ids(&cache_state(&app).await),
        std::slice::from_ref(&kept)
    );
    assert_eq!(copies_in(dir.path()), [kept, "incomplete".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = cached_app(dir.path(), 1 << 30).await;
    let id = image_with(&app, &data(5000, 11)).await;
    app.get(MEMBER, &format!("/v2/images/{id}/file")).await;
    cache_state_when(&app, |s| cached_ids(s) == [id.clone()]).await;
    app.get(MEMBER, &format!("/v2/images/{id}/file")).await;
    app.services().images.cache().unwrap().save_hits();
    drop(app);

    let reopened = glint_service::ImageCache::open(&ImageCacheConfig {
        dir: dir.path().to_path_buf(),
        max_size: 1 << 30,
        stall_time_secs: 86400,
        prefetcher_interval_secs: 300,
        serves_downloads: true,
    })
    .unwrap();
    let (cached, queued) = reopened.state();
    assert_eq!(cached[&id].hits, 1);
    assert_eq!(cached[&id].size, 5000);
    assert!(queued.is_empty());
}
