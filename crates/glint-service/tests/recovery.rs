//! Start-up recovery: what a killed process left behind is put right.

use std::sync::Arc;

use glint_config::Config;
use glint_domain::{ImageLocation, ImageStatus, ImageUpdate, LocationStatus, RequestContext};
use glint_service::Services;

/// Heartbeat timeout of these tests' services, in seconds.
const TIMEOUT: u64 = 1;

async fn services(dir: &tempfile::TempDir) -> (Services, Arc<dyn glint_db::Repository>) {
    let mut config = Config::defaults();
    config.filesystem_store_datadir = dir.path().join("images");
    config.import.staging_dir = dir.path().join("staging");
    config.import.task_heartbeat_timeout_secs = TIMEOUT;
    let repo: Arc<dyn glint_db::Repository> = Arc::new(
        glint_db::sqlite::SqliteRepository::open(Some(&dir.path().join("glint.sqlite")))
            .await
            .unwrap(),
    );
    let stores = glint_service::stores::open(&config).await.unwrap();
    (
        Services::new(
            Arc::new(config),
            repo.clone(),
            stores,
            Arc::new(glint_service::Policy::glance_defaults()),
        )
        .unwrap(),
        repo,
    )
}

/// A new image of project p1, queued.
async fn queued_image(services: &Services) -> glint_domain::Image {
    let ctx = RequestContext::member_of("p1");
    services
        .images
        .create(&ctx, &serde_json::Map::new())
        .await
        .unwrap()
}

/// An image whose upload is `saving`, with a partial file in the store, as
/// a process mid-upload has it.
async fn mid_upload(
    services: &Services,
    repo: &Arc<dyn glint_db::Repository>,
    dir: &tempfile::TempDir,
) -> (String, std::path::PathBuf) {
    let image = queued_image(services).await;
    let mut saving = image.clone();
    saving.status = ImageStatus::Saving;
    let mut claim = ImageUpdate::base(saving);
    claim.from_state = Some(ImageStatus::Queued);
    repo.image_update(&claim).await.unwrap();
    let partial = dir
        .path()
        .join("images")
        .join(format!(".{}.partial", image.id));
    std::fs::write(&partial, b"half an image").unwrap();
    (image.id, partial)
}

fn wait_out_the_heartbeat_timeout() {
    std::thread::sleep(std::time::Duration::from_millis(TIMEOUT * 1000 + 200));
}

#[tokio::test]
async fn uploads_silent_past_the_timeout_are_queued_again_and_partials_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (services, repo) = services(&dir).await;
    let (id, partial) = mid_upload(&services, &repo, &dir).await;
    // The process died mid-upload; its heartbeat stopped.
    wait_out_the_heartbeat_timeout();

    services.images.recover().await.unwrap();

    assert_eq!(
        repo.image_get(&id, false).await.unwrap().status,
        ImageStatus::Queued
    );
    assert!(!partial.exists());
}

#[tokio::test]
async fn uploads_still_reporting_are_left_alone() {
    // Another node is uploading, and keeps its heartbeat: a node that
    // starts (or sweeps) meanwhile must not touch the image or its bytes.
    let dir = tempfile::tempdir().unwrap();
    let (services, repo) = services(&dir).await;
    let (id, partial) = mid_upload(&services, &repo, &dir).await;
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(400));
        repo.image_touch(&id, ImageStatus::Saving).await.unwrap();
    }

    services.images.recover().await.unwrap();
    assert_eq!(services.images.sweep_abandoned_uploads().await.unwrap(), 0);

    assert_eq!(
        repo.image_get(&id, false).await.unwrap().status,
        ImageStatus::Saving
    );
    assert!(partial.exists());
}

#[tokio::test]
async fn partial_writes_of_images_nobody_writes_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (services, repo) = services(&dir).await;
    let queued = queued_image(&services).await;
    let images = dir.path().join("images");
    let of_queued = images.join(format!(".{}.partial", queued.id));
    let of_nothing = images.join(".no-such-image.partial");
    std::fs::write(&of_queued, b"x").unwrap();
    std::fs::write(&of_nothing, b"x").unwrap();
    let (_, live) = mid_upload(&services, &repo, &dir).await;

    services.images.sweep_abandoned_uploads().await.unwrap();

    assert!(!of_queued.exists());
    assert!(!of_nothing.exists());
    assert!(live.exists(), "a fresh upload's bytes stay");
}

#[tokio::test]
async fn a_stage_silent_past_the_timeout_is_queued_again() {
    let dir = tempfile::tempdir().unwrap();
    let (services, repo) = services(&dir).await;
    services.imports.prepare().await.unwrap();
    let image = queued_image(&services).await;
    let mut uploading = image.clone();
    uploading.status = ImageStatus::Uploading;
    repo.image_update(&ImageUpdate::base(uploading))
        .await
        .unwrap();
    let partial = dir
        .path()
        .join("staging")
        .join(format!(".{}.partial", image.id));
    std::fs::write(&partial, b"half").unwrap();

    services.imports.sweep().await.unwrap();
    assert_eq!(
        repo.image_get(&image.id, false).await.unwrap().status,
        ImageStatus::Uploading,
        "still within the timeout"
    );
    assert!(partial.exists());

    wait_out_the_heartbeat_timeout();
    services.imports.sweep().await.unwrap();
    assert_eq!(
        repo.image_get(&image.id, false).await.unwrap().status,
        ImageStatus::Queued
    );
    assert!(!partial.exists());
}

#[tokio::test]
async fn unfinished_deletes_are_finished() {
    let dir = tempfile::tempdir().unwrap();
    let (services, repo) = services(&dir).await;
    let image = queued_image(&services).await;
    let bytes = dir.path().join("images").join(&image.id);
    std::fs::write(&bytes, b"data").unwrap();
    let url = format!("file://{}", bytes.display());
    repo.image_location_add(
        &image.id,
        &ImageLocation {
            url: url.clone(),
            metadata: Default::default(),
            status: LocationStatus::Active,
        },
    )
    .await
    .unwrap();
    // The process died after the record was deleted, before the bytes were.
    repo.image_location_set_status(&image.id, &url, LocationStatus::PendingDelete)
        .await
        .unwrap();
    repo.image_destroy(&image.id).await.unwrap();
    assert!(bytes.exists());

    services.images.recover().await.unwrap();
    assert!(!bytes.exists());
}
