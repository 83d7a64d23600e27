//! Whether the work that writes an image's bytes is still alive.
//!
//! An upload (`saving`) or a stage (`uploading`) keeps its image's
//! `updated_at` fresh with a [`Heartbeat`] while its bytes stream. When the
//! process doing it dies, on this node or another, the image stops being
//! touched; once it has been silent for the heartbeat timeout
//! (`[task] task_heartbeat_timeout`, shared with import tasks) any node's
//! sweep takes the write as abandoned: the image is queued again and the
//! partial bytes are removed. An import's writes are alive for as long as
//! the image holds its import lock (the task has a heartbeat of its own).

use std::sync::Arc;

use chrono::Duration;
use glint_db::Repository;
use glint_domain::{time, Error, Image, ImageStatus};

use crate::import::IMPORT_TASK;

/// How often live work reports: a quarter of the heartbeat timeout (at
/// least every 250 ms), for uploads, stages and import tasks alike.
pub(crate) fn heartbeat_interval(timeout_secs: u64) -> std::time::Duration {
    std::time::Duration::from_millis((timeout_secs * 1000 / 4).max(250))
}

/// Touches an image in `status` every quarter timeout until dropped.
pub(crate) struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    pub(crate) fn start(
        repo: Arc<dyn Repository>,
        image_id: &str,
        status: ImageStatus,
        timeout_secs: u64,
    ) -> Self {
        let id = image_id.to_string();
        let every = heartbeat_interval(timeout_secs);
        Heartbeat(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match repo.image_touch(&id, status).await {
                    Ok(()) => {}
                    // Moved on (deleted, or taken as abandoned): the write's
                    // own compare-and-swap at the end will tell it.
                    Err(Error::Conflict(_) | Error::NotFound(_)) => return,
                    Err(e) => tracing::warn!(image_id = %id, error = %e, "upload heartbeat failed"),
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether `image`'s `saving` or `uploading` write has been silent for
/// longer than the timeout.
pub(crate) fn write_abandoned(image: &Image, timeout_secs: u64) -> bool {
    matches!(image.status, ImageStatus::Saving | ImageStatus::Uploading)
        && image.updated_at < time::now() - Duration::seconds(timeout_secs as i64)
}

/// Whether a partial write of `image` (None: the image is gone) may still
/// be under way, so that its bytes must be left alone.
pub(crate) fn may_be_writing(image: Option<&Image>, timeout_secs: u64) -> bool {
    let Some(image) = image else {
        return false;
    };
    match image.status {
        ImageStatus::Saving | ImageStatus::Uploading => !write_abandoned(image, timeout_secs),
        _ => image
            .properties
            .get(IMPORT_TASK)
            .is_some_and(|task| !task.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glint_domain::NewImage;

    fn image(status: ImageStatus, age_secs: i64) -> Image {
        let mut image = Image::from_new("i1".into(), NewImage::default(), time::now());
        image.status = status;
        image.updated_at = time::now() - Duration::seconds(age_secs);
        image
    }

    #[test]
    fn uploads_are_abandoned_after_the_timeout() {
        assert!(!write_abandoned(&image(ImageStatus::Saving, 5), 60));
        assert!(write_abandoned(&image(ImageStatus::Saving, 61), 60));
        assert!(write_abandoned(&image(ImageStatus::Uploading, 61), 60));
        assert!(!write_abandoned(&image(ImageStatus::Queued, 600), 60));
    }

    #[test]
    fn partial_bytes_are_kept_while_a_writer_may_live() {
        assert!(!may_be_writing(None, 60));
        assert!(may_be_writing(Some(&image(ImageStatus::Saving, 5)), 60));
        assert!(!may_be_writing(Some(&image(ImageStatus::Saving, 61)), 60));
        assert!(!may_be_writing(Some(&image(ImageStatus::Queued, 1)), 60));
        let mut copying = image(ImageStatus::Active, 600);
        copying
            .properties
            .insert(IMPORT_TASK.into(), "a-task".into());
        assert!(may_be_writing(Some(&copying), 60));
    }
}
