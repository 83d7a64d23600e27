//! Start-up recovery: what a killed process left behind is put right.

use std::sync::Arc;

use glint_config::Config;
use glint_domain::{ImageLocation, ImageStatus, ImageUpdate, LocationStatus, RequestContext};
use glint_service::Services;

async fn services(dir: &tempfile::TempDir) -> (Services, Arc<dyn glint_db::Repository>) {
    let mut config = Config::defaults();
    config.filesystem_store_datadir = dir.path().join("images");
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
        ),
        repo,
    )
}

#[tokio::test]
async fn interrupted_uploads_are_queued_again_and_partials_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (services, repo) = services(&dir).await;
    let ctx = RequestContext::member_of("p1");
    let image = services
        .images
        .create(&ctx, &serde_json::Map::new())
        .await
        .unwrap();
    // The process died mid-upload: status saving, a partial file on disk.
    let mut saving = image.clone();
    saving.status = ImageStatus::Saving;
    repo.image_update(&ImageUpdate::base(saving)).await.unwrap();
    let partial = dir
        .path()
        .join("images")
        .join(format!(".{}.partial", image.id));
    std::fs::write(&partial, b"half an image").unwrap();

    services.images.recover().await.unwrap();

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
    let ctx = RequestContext::member_of("p1");
    let image = services
        .images
        .create(&ctx, &serde_json::Map::new())
        .await
        .unwrap();
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
