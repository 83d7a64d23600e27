//! Image data over https from TLS servers on loopback (a test CA, a TLS
//! proxy in front of a plain server): web-download and glance-download
//! trust the system CA store, as Glance does (here `SSL_CERT_FILE` names
//! the test CA), and https locations are read through the HTTP store with
//! `[glance_store] https_ca_certificates_file` and `https_insecure`. Its
//! own test binary: the system store is read once per process.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::routing::get;
use common::{As, TestApp};
use glint_config::Config;
use glint_http_client::testing::{TestCa, TlsProxy};
use serde_json::{json, Value};

const WHO: As = As::Member("tls");

/// The CA of the "system" store: SSL_CERT_FILE names it from the first
/// call on, before any handshake reads the store.
fn system_ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| {
        let ca = test_ca("system CA");
        std::env::set_var("SSL_CERT_FILE", ca_file(&ca));
        std::env::remove_var("SSL_CERT_DIR");
        ca
    })
}

/// A CA whose file, in the tests' temporary folder, is named for this
/// process (tests of several runs may share the folder).
fn test_ca(name: &str) -> TestCa {
    TestCa::new(&format!("{name} {}", std::process::id()))
}

fn ca_file(ca: &TestCa) -> PathBuf {
    ca.write_pem(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")))
}

fn disk() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 13 % 251) as u8).collect()
}

/// Serves `disk()` at `/disk.raw` over plain HTTP on a free loopback port.
async fn plain_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().route("/disk.raw", get(|| async { disk() }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// Web-download may use any port here (the servers listen on random ones).
fn config() -> Config {
    let mut config = Config::defaults();
    config.import.uri_filter.allowed_ports.clear();
    config.import.methods.push("glance-download".into());
    config
}

/// The image once its import is over, and its task.
async fn settled(app: &TestApp, id: &str) -> (Value, Value) {
    for _ in 0..200 {
        let image = app.get(WHO, &format!("/v2/images/{id}")).await.json();
        let status = image["status"].as_str().unwrap_or_default();
        if (status == "active" || status == "queued")
            && image.get("os_glance_import_task").is_none()
        {
            let tasks = app.get(WHO, &format!("/v2/images/{id}/tasks")).await.json();
            return (image, tasks["tasks"][0].clone());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import of {id} did not finish");
}

async fn raw_image(app: &TestApp) -> String {
    let image = app
        .create_image(
            WHO,
            json!({"name": "tls", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    image["id"].as_str().unwrap().to_string()
}

async fn web_download(app: &TestApp, uri: &str) -> (Value, Value) {
    let id = raw_image(app).await;
    let body = json!({"method": {"name": "web-download", "uri": uri}});
    let r = app
        .post_json(WHO, &format!("/v2/images/{id}/import"), body)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    settled(app, &id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_download_fetches_https_sources_the_system_store_trusts() {
    let trusted = TlsProxy::start(system_ca().server_config(), plain_server().await).await;
    let app = TestApp::with_config(config()).await;

    let (image, task) = web_download(&app, &format!("{}/disk.raw", trusted.url())).await;
    assert_eq!(image["status"], "active", "{task}");
    assert_eq!(task["status"], "success", "{task}");
    let id = image["id"].as_str().unwrap();
    let file = app.get(WHO, &format!("/v2/images/{id}/file")).await;
    assert_eq!(file.body, disk());

    // A server whose CA the system store does not hold: the task fails and
    // says why; the image is queued again.
    let stranger = TestCa::new("stranger CA");
    let untrusted = TlsProxy::start(stranger.server_config(), plain_server().await).await;
    let uri = format!("{}/disk.raw", untrusted.url());
    let (image, task) = web_download(&app, &uri).await;
    assert_eq!(image["status"], "queued");
    assert_eq!(task["status"], "failure", "{task}");
    assert_eq!(
        task["message"],
        format!("Cannot fetch {uri}: invalid peer certificate: UnknownIssuer"),
        "{task}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glance_download_reaches_an_https_region() {
    let remote = TestApp::new().await;
    let source = remote
        .create_image(
            WHO,
            json!({"name": "src", "disk_format": "raw", "container_format": "bare"}),
        )
        .await;
    let src_id = source["id"].as_str().unwrap();
    assert_eq!(
        remote.upload(WHO, src_id, disk()).await.status,
        StatusCode::NO_CONTENT
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain = listener.local_addr().unwrap();
    let router = remote.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let region = TlsProxy::start(system_ca().server_config(), plain).await;

    let local = TestApp::with_config(config()).await;
    let id = raw_image(&local).await;
    let catalog = json!([{"type": "image", "endpoints": [
        {"interface": "public", "region_id": "RegionTwo", "url": region.url()}]}])
    .to_string();
    let body = json!({"method": {"name": "glance-download", "glance_image_id": src_id,
                                 "glance_region": "RegionTwo"}});
    let r = local
        .request(
            WHO,
            Method::POST,
            &format!("/v2/images/{id}/import"),
            Some("application/json"),
            Some(body.to_string()),
            &[("x-service-catalog", &catalog)],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let (image, task) = settled(&local, &id).await;
    assert_eq!(image["status"], "active", "{task}");
    let file = local.get(WHO, &format!("/v2/images/{id}/file")).await;
    assert_eq!(file.body, disk());
}

/// Adds the location `url` to a new image: the answer's status and text.
async fn add_location(app: &TestApp, url: &str) -> (String, StatusCode, String) {
    let id = raw_image(app).await;
    let r = app
        .post_json(
            WHO,
            &format!("/v2/images/{id}/locations"),
            json!({ "url": url }),
        )
        .await;
    (id, r.status, r.text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_locations_are_read_with_the_http_store_options() {
    let locations_ca = test_ca("locations CA");
    let server = TlsProxy::start(locations_ca.server_config(), plain_server().await).await;
    let url = format!("{}/disk.raw", server.url());

    // The CA file of https_ca_certificates_file (not in the system store).
    let mut verified = config();
    verified.https_ca_certificates_file = Some(ca_file(&locations_ca));
    let app = TestApp::with_config(verified).await;
    let (id, status, text) = add_location(&app, &url).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let image = app.get(WHO, &format!("/v2/images/{id}")).await.json();
    assert_eq!(image["status"], "active");
    assert_eq!(image["size"], disk().len());
    let file = app.get(WHO, &format!("/v2/images/{id}/file")).await;
    assert_eq!(file.body, disk());

    // Verification with the system store, which lacks that CA.
    system_ca();
    let app = TestApp::with_config(config()).await;
    let (_, status, text) = add_location(&app, &url).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(
        text.contains("invalid peer certificate: UnknownIssuer"),
        "{text}"
    );

    // https_insecure = true (Glance's default): no verification.
    let mut insecure = config();
    insecure.https_insecure = true;
    let app = TestApp::with_config(insecure).await;
    let (_, status, text) = add_location(&app, &url).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
}
