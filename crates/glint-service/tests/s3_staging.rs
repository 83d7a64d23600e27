//! Staging in an S3 bucket (`[os_glance_staging_store] s3_store_*`)
//! against a real S3-compatible server ($GLINT_TEST_S3_ENDPOINT, with
//! $GLINT_TEST_S3_ACCESS_KEY and $GLINT_TEST_S3_SECRET_KEY; `eval "$(bash
//! tests/s3/s3.sh)"` starts one), each test with buckets of its own;
//! skipped, with a printed reason, when no endpoint is set.
//!
//! Two services over one database and one staging bucket, with no folder
//! in common, stand for two API nodes.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use glint_config::{Config, S3StoreOptions};
use glint_domain::{Image, ImageStatus, ImageUpdate, RequestContext, TaskStatus};
use glint_service::image_data::ImageData;
use glint_service::import::ImportRequest;
use glint_service::Services;
use glint_store::{ByteStream, S3Settings, S3Store, Store};
use serde_json::json;

/// Heartbeat timeout of these tests' services, in seconds.
const TIMEOUT: u64 = 1;

struct Nodes {
    a: Services,
    b: Services,
    repo: Arc<dyn glint_db::Repository>,
    /// The staging bucket, seen directly.
    bucket: S3Store,
    dirs: Vec<tempfile::TempDir>,
}

fn s3_options(bucket: &str) -> Option<S3StoreOptions> {
    let Ok(host) = std::env::var("GLINT_TEST_S3_ENDPOINT") else {
        eprintln!(
            "skipped: GLINT_TEST_S3_ENDPOINT is not set (eval \"$(bash tests/s3/s3.sh)\" starts a server)"
        );
        return None;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    Some(S3StoreOptions {
        host,
        access_key: var("GLINT_TEST_S3_ACCESS_KEY"),
        secret_key: var("GLINT_TEST_S3_SECRET_KEY"),
        bucket: bucket.to_string(),
        create_bucket_on_put: true,
        region_name: String::new(),
        bucket_url_format: "auto".into(),
        large_object_size: 5 << 20,
        large_object_chunk_size: 5 << 20,
        thread_pools: 2,
        cacert: None,
    })
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Two nodes sharing a database file and a staging bucket, with `plugins`.
async fn nodes(plugins: &[&str]) -> Option<Nodes> {
    let staging = s3_options(&unique("glint-staging"))?;
    let db = tempfile::tempdir().unwrap();
    let db_path = db.path().join("glint.sqlite");
    let repo: Arc<dyn glint_db::Repository> = Arc::new(
        glint_db::sqlite::SqliteRepository::open(Some(&db_path))
            .await
            .unwrap(),
    );
    let images = db.path().join("images");
    let mut dirs = vec![db];
    let mut node = || {
        let own = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.filesystem_store_datadir = images.clone();
        config.import.staging_dir = own.path().join("work");
        config.import.staging_s3 = Some(staging.clone());
        config.import.task_heartbeat_timeout_secs = TIMEOUT;
        config.import.plugins = plugins.iter().map(|p| p.to_string()).collect();
        dirs.push(own);
        config
    };
    let (config_a, config_b) = (node(), node());
    let mut services = Vec::new();
    for config in [config_a, config_b] {
        let stores = glint_service::stores::open(&config).await.unwrap();
        let s = Services::new(
            Arc::new(config),
            repo.clone(),
            stores,
            Arc::new(glint_service::Policy::glance_defaults()),
        )
        .unwrap();
        s.imports.prepare().await.unwrap();
        services.push(s);
    }
    let bucket = S3Store::new(S3Settings::new(
        &staging.host,
        &staging.access_key,
        &staging.secret_key,
        &staging.bucket,
    ))
    .unwrap();
    let b = services.pop().unwrap();
    let a = services.pop().unwrap();
    Some(Nodes {
        a,
        b,
        repo,
        bucket,
        dirs,
    })
}

impl Nodes {
    /// Whatever the nodes' own work folders hold.
    fn local_files(&self) -> Vec<String> {
        self.dirs[1..]
            .iter()
            .filter_map(|d| std::fs::read_dir(d.path().join("work")).ok())
            .flatten()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn ctx() -> RequestContext {
    RequestContext::member_of("p1")
}

fn stream(data: Vec<u8>) -> ByteStream {
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(1 << 20)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

async fn raw_image(services: &Services) -> Image {
    let body = json!({"disk_format": "raw", "container_format": "bare"});
    services
        .images
        .create(&ctx(), body.as_object().unwrap())
        .await
        .unwrap()
}

async fn import_glance_direct(services: &Services, id: &str) {
    let body = json!({"method": {"name": "glance-direct"}});
    let req = ImportRequest::parse(&body, None).unwrap();
    services
        .imports
        .import(&ctx(), id, &req, &body)
        .await
        .unwrap();
}

/// The image once its import task is over (the task finishes after the
/// image is unlocked).
async fn settled(nodes: &Nodes, id: &str) -> Image {
    for _ in 0..300 {
        let image = nodes.repo.image_get(id, false).await.unwrap();
        let tasks = nodes.repo.task_get_all(&Default::default()).await.unwrap();
        let finished = tasks
            .iter()
            .all(|t| matches!(t.status, TaskStatus::Success | TaskStatus::Failure));
        if finished
            && !image.properties.contains_key("os_glance_import_task")
            && image.status != ImageStatus::Importing
        {
            return image;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import of {id} did not finish");
}

async fn downloaded(services: &Services, id: &str) -> Vec<u8> {
    let ImageData::Bytes { mut stream, .. } =
        services.images.download(&ctx(), id, None).await.unwrap()
    else {
        panic!("image {id} has no data");
    };
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

fn data(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 % 251) as u8).collect()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_through_one_node_imported_through_the_other() {
    let Some(nodes) = nodes(&[]).await else {
        return;
    };
    let image = raw_image(&nodes.a).await;
    // Beyond one part: the stage is a multipart upload.
    let bytes = data(7 << 20);
    nodes
        .a
        .imports
        .stage(&ctx(), &image.id, stream(bytes.clone()), None)
        .await
        .unwrap();
    assert!(nodes.bucket.contains(&image.id).await.unwrap());
    assert!(nodes.local_files().is_empty(), "nothing staged locally");

    import_glance_direct(&nodes.b, &image.id).await;
    let image = settled(&nodes, &image.id).await;
    assert_eq!(image.status, ImageStatus::Active);
    assert_eq!(image.size, Some(bytes.len() as i64));
    assert_eq!(image.checksum.as_deref(), Some(md5_hex(&bytes).as_str()));
    assert_eq!(downloaded(&nodes.a, &image.id).await, bytes);
    assert!(
        nodes.bucket.object_keys().await.unwrap().is_empty(),
        "the staged copy is gone once imported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_work_on_a_local_copy_and_stage_their_output() {
    if std::process::Command::new("gzip")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: gzip is not installed");
        return;
    }
    let Some(nodes) = nodes(&["image_decompression"]).await else {
        return;
    };
    let original = data(300_000);
    let work = tempfile::tempdir().unwrap();
    let plain = work.path().join("disk.raw");
    std::fs::write(&plain, &original).unwrap();
    let status = std::process::Command::new("gzip")
        .arg(&plain)
        .status()
        .unwrap();
    assert!(status.success());
    let gzipped = std::fs::read(work.path().join("disk.raw.gz")).unwrap();

    let image = raw_image(&nodes.a).await;
    nodes
        .a
        .imports
        .stage(&ctx(), &image.id, stream(gzipped), None)
        .await
        .unwrap();
    import_glance_direct(&nodes.b, &image.id).await;
    let image = settled(&nodes, &image.id).await;
    assert_eq!(image.status, ImageStatus::Active);
    assert_eq!(image.size, Some(original.len() as i64));
    assert_eq!(downloaded(&nodes.b, &image.id).await, original);
    assert!(nodes.local_files().is_empty(), "local copies are removed");
    assert!(nodes.bucket.object_keys().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_import_leaves_the_bucket_empty() {
    let Some(nodes) = nodes(&[]).await else {
        return;
    };
    let body = json!({"disk_format": "qcow2", "container_format": "bare"});
    let image = nodes
        .a
        .images
        .create(&ctx(), body.as_object().unwrap())
        .await
        .unwrap();
    // Not qcow2 at all: the format check refuses it.
    nodes
        .a
        .imports
        .stage(&ctx(), &image.id, stream(data(100_000)), None)
        .await
        .unwrap();
    import_glance_direct(&nodes.b, &image.id).await;
    let image = settled(&nodes, &image.id).await;
    assert_eq!(image.status, ImageStatus::Queued);
    let tasks = nodes.repo.task_get_all(&Default::default()).await.unwrap();
    assert_eq!(tasks[0].status, TaskStatus::Failure);
    assert!(tasks[0].message.contains("format"), "{}", tasks[0].message);
    assert!(nodes.bucket.object_keys().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_judge_stages_by_the_bucket() {
    let Some(nodes) = nodes(&[]).await else {
        return;
    };
    // Staged completely through node a; waiting for its import.
    let staged = raw_image(&nodes.a).await;
    nodes
        .a
        .imports
        .stage(&ctx(), &staged.id, stream(data(1000)), None)
        .await
        .unwrap();
    // A stage whose node died before any byte was complete.
    let died = raw_image(&nodes.a).await;
    let mut uploading = died.clone();
    uploading.status = ImageStatus::Uploading;
    nodes
        .repo
        .image_update(&ImageUpdate::base(uploading))
        .await
        .unwrap();
    // Staged data of an image that is gone.
    let orphan = uuid::Uuid::new_v4().to_string();
    nodes
        .bucket
        .add(&orphan, stream(b"left behind".to_vec()))
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(TIMEOUT * 1000 + 200)).await;
    nodes.b.imports.sweep().await.unwrap();

    let status = |id: String| {
        let repo = nodes.repo.clone();
        async move { repo.image_get(&id, false).await.unwrap().status }
    };
    assert_eq!(status(staged.id.clone()).await, ImageStatus::Uploading);
    assert_eq!(status(died.id.clone()).await, ImageStatus::Queued);
    assert_eq!(
        nodes.bucket.object_keys().await.unwrap(),
        std::slice::from_ref(&staged.id),
        "the orphan is removed, the waiting stage kept"
    );
}
