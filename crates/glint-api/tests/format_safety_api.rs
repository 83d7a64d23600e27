//! Format safety over HTTP: uploads whose bytes do not match their
//! `disk_format`, or are unsafe, are refused with Glance's 415; the image
//! is queued again and no bytes remain. Fixtures are built by qemu-img;
//! the tests skip (with a message) when it is not installed.

mod common;

use std::path::PathBuf;
use std::process::Command;

use axum::http::StatusCode;
use common::{As, TestApp};
use serde_json::{json, Value};

const P1: As = As::Member("p1");

fn have_qemu_img() -> bool {
    let ok = Command::new("qemu-img")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: qemu-img not installed (apt-get install qemu-utils)");
    }
    ok
}

/// Runs `qemu-img create -f FORMAT ARGS… NAME 16M` in `dir` and returns
/// the file's bytes.
fn qemu_img(dir: &tempfile::TempDir, format: &str, args: &[&str], name: &str) -> Vec<u8> {
    let path: PathBuf = dir.path().join(name);
    let out = Command::new("qemu-img")
        .current_dir(dir.path())
        .args(["create", "-q", "-f", format])
        .args(args)
        .arg(&path)
        .arg("16M")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(path).unwrap()
}

/// What `qemu-img info` says the virtual size is.
fn qemu_virtual_size(path: &std::path::Path) -> u64 {
    let out = Command::new("qemu-img")
        .args(["info", "--output=json"])
        .arg(path)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    info["virtual-size"].as_u64().unwrap()
}

async fn queued(app: &TestApp, disk_format: &str, container_format: &str) -> String {
    let body = json!({"disk_format": disk_format, "container_format": container_format});
    app.create_image(P1, body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn image(app: &TestApp, id: &str) -> Value {
    app.get(P1, &format!("/v2/images/{id}")).await.json()
}

/// Uploads `bytes` as `disk_format` and expects Glance's refusal with
/// `message` in it, the image queued and no bytes kept.
async fn refused(app: &TestApp, disk_format: &str, bytes: Vec<u8>, message: &str) {
    let id = queued(app, disk_format, "bare").await;
    let r = app.upload(P1, &id, bytes).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert!(r.text.contains(message), "{disk_format}: {}", r.text);
    let image = image(app, &id).await;
    assert_eq!(image["status"], "queued");
    assert_eq!(image["size"], Value::Null);
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
}

#[tokio::test]
async fn unsafe_and_mismatched_uploads_are_refused() {
    if !have_qemu_img() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().await;
    qemu_img(&dir, "qcow2", &[], "base.qcow2");
    let backed = qemu_img(
        &dir,
        "qcow2",
        &["-b", "base.qcow2", "-F", "qcow2"],
        "top.qcow2",
    );
    let data_file = format!("data_file={}", dir.path().join("d.raw").display());
    let external = qemu_img(&dir, "qcow2", &["-o", &data_file], "ext.qcow2");
    let flat = qemu_img(
        &dir,
        "vmdk",
        &["-o", "subformat=monolithicFlat"],
        "flat.vmdk",
    );
    let qcow2 = qemu_img(&dir, "qcow2", &[], "plain.qcow2");

    refused(
        &app,
        "qcow2",
        backed.clone(),
        "Image failed safety checks: Image has a backing file",
    )
    .await;
    // Declaring it raw does not make it safe.
    refused(&app, "raw", backed, "Image has a backing file").await;
    refused(&app, "qcow2", external, "Image has data_file set").await;
    refused(&app, "vmdk", flat, "Unsupported subformat monolithicflat").await;
    refused(
        &app,
        "qcow2",
        vec![0u8; 1 << 20],
        "Image disk_format qcow2 does not match stream data raw",
    )
    .await;
    refused(
        &app,
        "vmdk",
        qcow2.clone(),
        "Image disk_format vmdk does not match stream data qcow2",
    )
    .await;
    refused(
        &app,
        "ami",
        qcow2,
        "Image disk_format ami does not match stream data qcow2",
    )
    .await;

    // The refused image can still take good bytes.
    let id = queued(&app, "qcow2", "bare").await;
    let bad = qemu_img(
        &dir,
        "qcow2",
        &["-b", "base.qcow2", "-F", "qcow2"],
        "again.qcow2",
    );
    assert_eq!(
        app.upload(P1, &id, bad).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let good = qemu_img(&dir, "qcow2", &[], "good.qcow2");
    assert_eq!(
        app.upload(P1, &id, good).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(image(&app, &id).await["status"], "active");
}

#[tokio::test]
async fn accepted_uploads_get_the_virtual_size_the_format_states() {
    if !have_qemu_img() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::new().await;
    let cases: [(&str, &str, &[&str]); 5] = [
        ("qcow2", "qcow2", &[]),
        ("vmdk", "vmdk", &["-o", "subformat=streamOptimized"]),
        ("vdi", "vdi", &[]),
        ("vhdx", "vhdx", &[]),
        ("vpc", "vhd", &[]),
    ];
    for (i, (qemu_format, disk_format, args)) in cases.into_iter().enumerate() {
        let bytes = qemu_img(&dir, qemu_format, args, &format!("img{i}"));
        let id = queued(&app, disk_format, "bare").await;
        let r = app.upload(P1, &id, bytes.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "{disk_format}: {}",
            r.text
        );
        let image = image(&app, &id).await;
        assert_eq!(image["status"], "active");
        assert_eq!(image["size"], bytes.len());
        assert_eq!(
            image["virtual_size"],
            qemu_virtual_size(&dir.path().join(format!("img{i}"))),
            "{disk_format}"
        );
    }

    // A safe qcow2 declared raw is taken as raw bytes (Glance allows it).
    let bytes = qemu_img(&dir, "qcow2", &[], "as-raw.qcow2");
    let id = queued(&app, "raw", "bare").await;
    assert_eq!(
        app.upload(P1, &id, bytes.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(image(&app, &id).await["virtual_size"], bytes.len());

    // Raw bytes for formats nobody can inspect: no virtual size.
    let id = queued(&app, "ami", "bare").await;
    assert_eq!(
        app.upload(P1, &id, vec![7u8; 4096]).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(image(&app, &id).await["virtual_size"], Value::Null);
}

#[tokio::test]
async fn only_bare_containers_are_inspected_and_the_match_can_be_relaxed() {
    let app = TestApp::new().await;
    // Glance inspects bare images only.
    let id = queued(&app, "qcow2", "ovf").await;
    assert_eq!(
        app.upload(P1, &id, vec![0u8; 4096]).await.status,
        StatusCode::NO_CONTENT
    );

    let mut config = glint_config::Config::defaults();
    config.require_image_format_match = false;
    let app = TestApp::with_config(config).await;
    let id = queued(&app, "qcow2", "bare").await;
    assert_eq!(
        app.upload(P1, &id, vec![0u8; 4096]).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(image(&app, &id).await["virtual_size"], Value::Null);
}

#[tokio::test]
async fn an_unsafe_image_is_refused_before_it_is_read_to_the_end() {
    // A qcow2 header with a backing file, then far more bytes than the
    // size cap: the refusal comes from the header, not from the cap.
    let mut config = glint_config::Config::defaults();
    config.image_size_cap = 8 << 20;
    let app = TestApp::with_config(config).await;
    let mut bytes = vec![0u8; 16 << 20];
    bytes[..4].copy_from_slice(b"QFI\xfb");
    bytes[7] = 3;
    bytes[15] = 0x80; // backing file offset
    bytes[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
    let id = queued(&app, "qcow2", "bare").await;
    let r = app
        .request_with_body(
            P1,
            axum::http::Method::PUT,
            &format!("/v2/images/{id}/file"),
            Some("application/octet-stream"),
            axum::body::Body::from_stream(futures_util::stream::iter(
                bytes
                    .chunks(64 * 1024)
                    .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(c)))
                    .collect::<Vec<_>>(),
            )),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert!(r.text.contains("Image has a backing file"), "{}", r.text);
    assert_eq!(image(&app, &id).await["status"], "queued");
    assert!(app.stored_files().is_empty());
}
