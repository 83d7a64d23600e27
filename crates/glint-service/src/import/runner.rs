//! Running import tasks: claim the row, keep a heartbeat on it, bring the
//! bytes to the staging area (web-download, glance-download, copy-image),
//! write them into each target store, and finish the task and the image
//! together.
//!
//! Every step can be done again: a task taken over after its worker died
//! starts from the top, skips the stores that already hold the image, and
//! fetches the source again when the staged copy is gone. A task taken
//! over twice is failed, so that data that kills its worker cannot keep a
//! cluster busy. glance-download is the exception: the caller's token is
//! not kept, so a glance-download taken over fails.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Duration;
use futures_util::StreamExt;
use glint_domain::{
    time, Error, Image, ImageLocation, ImageStatus, ImageUpdate, LocationStatus, Result, Task,
    TaskQuery, TaskStatus, TaskUpdate,
};
use glint_store::{ByteStream, StoredObject};
use serde_json::{Map, Value};

use super::glance_source::{self, CopiedMetadata, RemoteCaller};
use super::request::{ImportMethod, ImportRequest};
use super::staging::Staging;
use super::{
    plugins, web_source, FAILED_IMPORT, IMPORTING_TO_STORES, IMPORT_TASK, IMPORT_TASK_TYPE,
};
use crate::format_gate::FormatGate;
use crate::hashing::hashing_stream;
use crate::image_data::UploadLimit;
use crate::images::ImageService;
use crate::liveness::heartbeat_interval;

/// The message a task carries while a second worker runs it.
const RESUMED: &str = "Resumed after its worker stopped";

#[derive(Clone)]
pub struct ImportRunner {
    images: ImageService,
    staging: Arc<Staging>,
}

/// Whether a stream from [`limit_stream`] was cut off at its limit.
#[derive(Clone)]
pub(crate) struct OverLimit(Arc<AtomicBool>);

impl OverLimit {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Fails `data` once more than `limit` bytes have passed.
pub(crate) fn limit_stream(data: ByteStream, limit: u64) -> (ByteStream, OverLimit) {
    let over = Arc::new(AtomicBool::new(false));
    let flag = over.clone();
    let mut seen = 0u64;
    let stream = data.map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len() as u64;
        if seen > limit {
            flag.store(true, Ordering::Relaxed);
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "image data exceeds the allowed size",
            ));
        }
        Ok(chunk)
    });
    (Box::pin(stream), OverLimit(over))
}

/// Marks a task that never started as failed.
pub(crate) async fn fail_unstarted(images: &ImageService, task: &Task, why: &str) {
    let mut update = TaskUpdate::of(task, time::now());
    update.status = TaskStatus::Failure;
    update.message = why.to_string();
    update.expires_at = Some(expiry(images));
    if let Err(e) = images.repo.task_update(&update).await {
        tracing::warn!(task_id = %task.id, error = %e, "could not fail the task");
    }
}

fn expiry(images: &ImageService) -> chrono::DateTime<chrono::Utc> {
    time::now() + Duration::hours(images.config.import.task_time_to_live_hours as i64)
}

/// The running task's row, as last written by its worker.
#[derive(Clone)]
struct Claim {
    task: Arc<Mutex<Task>>,
    lost: Arc<AtomicBool>,
}

impl Claim {
    fn current(&self) -> Task {
        self.task.lock().expect("claim lock").clone()
    }

    fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    fn check(&self) -> Result<()> {
        if self.is_lost() {
            Err(Error::conflict("another worker took this task over"))
        } else {
            Ok(())
        }
    }
}

/// What an import did, store by store.
#[derive(Default)]
struct Outcome {
    succeeded: Vec<String>,
    failed: Vec<(String, Error)>,
}

impl ImportRunner {
    pub(crate) fn new(images: ImageService, staging: Arc<Staging>) -> Self {
        ImportRunner { images, staging }
    }

    fn heartbeat_timeout(&self) -> Duration {
        Duration::seconds(self.images.config.import.task_heartbeat_timeout_secs as i64)
    }

    /// Runs a freshly created task in the background; a glance-download
    /// needs its caller.
    pub fn start(&self, task: Task, caller: Option<RemoteCaller>) {
        let runner = self.clone();
        tokio::spawn(async move { runner.run(task, caller).await });
    }

    /// Takes over import tasks whose worker stopped reporting (after a
    /// crash, here or on another node) and runs them again. Answers how
    /// many were taken.
    pub async fn sweep(&self) -> Result<usize> {
        let stale = self
            .images
            .repo
            .task_get_all(&TaskQuery {
                statuses: vec![TaskStatus::Pending, TaskStatus::Processing],
                updated_before: Some(time::now() - self.heartbeat_timeout()),
                ascending: true,
                ..TaskQuery::default()
            })
            .await?;
        let stale: Vec<Task> = stale
            .into_iter()
            .filter(|t| t.task_type == IMPORT_TASK_TYPE || t.task_type == "import")
            .collect();
        let count = stale.len();
        for task in stale {
            tracing::warn!(task_id = %task.id, image_id = ?task.image_id, status = %task.status, "taking over an import task whose worker stopped");
            self.start(task, None);
        }
        self.images.repo.task_delete_expired(time::now()).await?;
        self.staging.remove_orphans(&self.images).await?;
        Ok(count)
    }

    async fn run(&self, task: Task, caller: Option<RemoteCaller>) {
        let Some(claim) = self.claim(&task).await else {
            return;
        };
        if !self.holds_lock(&claim.current()).await {
            // Another import broke this task's stale lock: the image and
            // the staged data are that import's now.
            self.fail_alone(
                &claim,
                "The image's import lock was taken by another import",
            )
            .await;
            return;
        }
        let heartbeat = self.spawn_heartbeat(claim.clone());
        let mut copied = None;
        let outcome = self.execute(&claim, caller.as_ref(), &mut copied).await;
        heartbeat.abort();
        if claim.is_lost() {
            tracing::warn!(task_id = %task.id, "import task taken over by another worker; stopping here");
            return;
        }
        self.finish(&claim, outcome, copied).await;
    }

    /// Whether the task's image still names it as its import.
    async fn holds_lock(&self, task: &Task) -> bool {
        let Some(image_id) = &task.image_id else {
            return false;
        };
        match self.images.repo.image_get(image_id, false).await {
            Ok(image) => image.properties.get(IMPORT_TASK) == Some(&task.id),
            // A deleted image: finishing cleans the staging area up.
            Err(Error::NotFound(_)) => true,
            Err(_) => false,
        }
    }

    /// Fails the task without touching its image or the staging area.
    async fn fail_alone(&self, claim: &Claim, why: &str) {
        let task = claim.current();
        let mut update = TaskUpdate::of(&task, time::now());
        update.from_updated_at = Some(task.updated_at);
        update.status = TaskStatus::Failure;
        update.message = why.to_string();
        update.expires_at = Some(expiry(&self.images));
        if let Err(e) = self.images.repo.task_update(&update).await {
            tracing::warn!(task_id = %task.id, error = %e, "could not fail the task");
        }
    }

    /// pending → processing, or a stale processing task taken over; `None`
    /// when another worker won it (or it was taken over once already and
    /// is failed instead).
    async fn claim(&self, task: &Task) -> Option<Claim> {
        let mut update = TaskUpdate::of(task, time::now());
        update.from_updated_at = Some(task.updated_at);
        update.status = TaskStatus::Processing;
        if task.status == TaskStatus::Processing {
            if task.message == RESUMED {
                // Its second worker died too: give up on it.
                let claim = Claim {
                    task: Arc::new(Mutex::new(task.clone())),
                    lost: Arc::new(AtomicBool::new(false)),
                };
                let why = "The import was interrupted twice by its worker stopping";
                if self.holds_lock(task).await {
                    self.finish(&claim, Err(Error::internal(why)), None).await;
                } else {
                    self.fail_alone(&claim, why).await;
                }
                return None;
            }
            update.message = RESUMED.into();
        }
        match self.images.repo.task_update(&update).await {
            Ok(task) => Some(Claim {
                task: Arc::new(Mutex::new(task)),
                lost: Arc::new(AtomicBool::new(false)),
            }),
            Err(Error::Conflict(_)) | Err(Error::NotFound(_)) => None,
            Err(e) => {
                tracing::warn!(task_id = %task.id, error = %e, "could not claim the import task");
                None
            }
        }
    }

    fn spawn_heartbeat(&self, claim: Claim) -> tokio::task::JoinHandle<()> {
        let repo = self.images.repo.clone();
        let every = heartbeat_interval(self.images.config.import.task_heartbeat_timeout_secs);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let task = claim.current();
                let mut beat = TaskUpdate::of(&task, time::now());
                beat.from_updated_at = Some(task.updated_at);
                match repo.task_update(&beat).await {
                    Ok(task) => *claim.task.lock().expect("claim lock") = task,
                    Err(Error::Conflict(_)) | Err(Error::NotFound(_)) => {
                        claim.lost.store(true, Ordering::Relaxed);
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(task_id = %task.id, error = %e, "task heartbeat failed")
                    }
                }
            }
        })
    }

    async fn execute(
        &self,
        claim: &Claim,
        caller: Option<&RemoteCaller>,
        copied: &mut Option<CopiedMetadata>,
    ) -> Result<(ImportRequest, Outcome)> {
        let task = claim.current();
        let (image_id, req, stores) = read_input(&task)?;
        let image = self.images.repo.image_get(&image_id, false).await?;
        if image.properties.get(IMPORT_TASK) != Some(&task.id) {
            return Err(Error::conflict(format!(
                "Image {image_id} is no longer locked by this import task"
            )));
        }
        let stores = if stores.is_empty() {
            vec![self.images.stores.default_store().id.clone()]
        } else {
            stores
        };
        let todo: Vec<String> = stores
            .into_iter()
            .filter(|s| !has_store(&image, s))
            .collect();
        let mut outcome = Outcome::default();
        if todo.is_empty() {
            return Ok((req, outcome));
        }
        let limit = self.images.upload_limit(&image).await?;
        match &req.method {
            ImportMethod::GlanceDirect => {}
            ImportMethod::WebDownload { uri } => {
                let (source, _) =
                    web_source::open(uri, &self.images.config.import.uri_filter).await?;
                self.fill_staging(&image_id, source, Some(&limit)).await?;
            }
            ImportMethod::GlanceDownload {
                image_id: remote_id,
                region,
                interface,
            } => {
                let caller = caller.ok_or_else(|| {
                    Error::internal(
                        "A glance-download cannot be taken over by another worker: the caller's credentials are not kept",
                    )
                })?;
                let config = &self.images.config.import;
                let endpoint = glance_source::endpoint(caller, config, region, interface)?;
                glance_source::check_filter(&endpoint, remote_id, &config.uri_filter)?;
                tracing::info!(image_id = %image_id, remote_image_id = %remote_id, endpoint = %endpoint, "reading the remote image");
                let remote = glance_source::image(&endpoint, remote_id, caller, config).await?;
                let current = self.images.repo.image_get(&image_id, false).await?;
                let (update, replaced) = remote.copy_onto(&current);
                self.images.repo.image_update(&update).await?;
                *copied = Some(replaced);
                let source =
                    glance_source::data(&endpoint, remote_id, caller, &config.uri_filter).await?;
                let staged = self.fill_staging(&image_id, source, Some(&limit)).await?;
                if staged.size != remote.size {
                    return Err(Error::invalid(format!(
                        "Downloaded data size {} is different from the remote image's size {}",
                        staged.size, remote.size
                    )));
                }
            }
            ImportMethod::CopyImage => {
                let location = image
                    .locations
                    .iter()
                    .find(|l| l.status == LocationStatus::Active)
                    .ok_or_else(|| {
                        Error::conflict(format!("Image {image_id} has no data to copy"))
                    })?;
                let store = self.images.stores.for_location(location);
                let source = store.store.get(&location.url, None).await?;
                self.fill_staging(&image_id, source, None).await?;
            }
        }
        claim.check()?;
        if req.method != ImportMethod::CopyImage {
            if !self.images.config.import.plugins.is_empty() {
                self.run_plugins(&image_id).await?;
            }
            self.check_format(&image_id).await?;
        }
        for store_id in todo {
            claim.check()?;
            match self
                .write_store(claim, &image_id, &store_id, limit.bytes)
                .await
            {
                Ok(()) => outcome.succeeded.push(store_id),
                Err(e) => {
                    tracing::warn!(image_id = %image_id, store = %store_id, error = %e, "import into a store failed");
                    if claim.is_lost() {
                        return Err(e);
                    }
                    self.note_failed_store(&image_id, &store_id).await;
                    outcome.failed.push((store_id, e));
                    if req.all_stores_must_succeed {
                        break;
                    }
                }
            }
        }
        Ok((req, outcome))
    }

    /// Inspects the staged bytes as an upload's bytes are inspected:
    /// unsafe content, or content that is not the image's disk format,
    /// fails the import; the format's virtual size is recorded.
    async fn check_format(&self, image_id: &str) -> Result<()> {
        let image = self.images.repo.image_get(image_id, false).await?;
        let Some(gate) = FormatGate::for_image(&image, &self.images.config) else {
            return Ok(());
        };
        let mut staged = self.staging.read(image_id).await?;
        let mut inspector = glint_format::Inspector::new();
        while let Some(chunk) = staged.next().await {
            let chunk =
                chunk.map_err(|e| Error::internal(format!("cannot read the staged data: {e}")))?;
            inspector.feed(&chunk);
        }
        let virtual_size = gate
            .verdict(&inspector.finish())
            .map_err(|e| Error::invalid(format!("Image format check failed: {}", e.message())))?;
        if let Some(vs) = virtual_size.filter(|vs| image.virtual_size != Some(*vs as i64)) {
            let mut next = image.clone();
            next.virtual_size = Some(vs as i64);
            let mut update = ImageUpdate::base(next);
            update.from_state = Some(image.status);
            self.images.repo.image_update(&update).await?;
        }
        Ok(())
    }

    /// Runs the import plugins on the staged bytes and records what they
    /// changed (disk format, virtual size) before any store sees the data.
    async fn run_plugins(&self, image_id: &str) -> Result<()> {
        let image = self.images.repo.image_get(image_id, false).await?;
        let declared = image.disk_format.clone().unwrap_or_default();
        let config = &self.images.config.import;
        let changes = self
            .staging
            .with_local_copy(image_id, |staged| async move {
                let changes = plugins::run(config, &staged, &declared).await?;
                let rewritten = changes.data_rewritten;
                Ok((changes, rewritten))
            })
            .await?;
        if changes.disk_format.is_none() && changes.virtual_size.is_none() {
            return Ok(());
        }
        let mut next = image.clone();
        if let Some(format) = changes.disk_format {
            next.disk_format = Some(format);
        }
        next.virtual_size = changes.virtual_size.or(next.virtual_size);
        let mut update = ImageUpdate::base(next);
        update.from_state = Some(image.status);
        self.images.repo.image_update(&update).await?;
        Ok(())
    }

    /// Streams `source` into the staging area, held to `limit` (more bytes
    /// than it allows fail with its error).
    async fn fill_staging(
        &self,
        image_id: &str,
        source: ByteStream,
        limit: Option<&UploadLimit>,
    ) -> Result<StoredObject> {
        let bytes = limit.map_or(u64::MAX, |l| l.bytes);
        let (stream, over) = limit_stream(source, bytes);
        self.staging
            .add(image_id, stream)
            .await
            .map_err(|e| match limit {
                Some(limit) if over.happened() => limit.error(bytes + 1),
                _ => e,
            })
    }

    /// Copies the staged bytes into one store and records the location
    /// (and, the first time, the image's size, checksum and hashes; the
    /// image becomes active).
    async fn write_store(
        &self,
        claim: &Claim,
        image_id: &str,
        store_id: &str,
        limit: u64,
    ) -> Result<()> {
        let store = self.images.stores.pick(Some(store_id))?.clone();
        let source = self.staging.read(image_id).await?;
        let (stream, hashes) =
            hashing_stream(source, &self.images.config.hashing_algorithm, limit)?;
        let stored = store.store.add(image_id, stream).await;
        let digests = hashes.finish().await;
        let (stored, digests) = match (stored, digests) {
            (Ok(s), Ok(d)) => (s, d),
            (stored, digests) => {
                if let Ok(obj) = &stored {
                    let _ = store.store.delete(&obj.location).await;
                }
                return Err(stored
                    .err()
                    .or(digests.err())
                    .unwrap_or_else(|| Error::internal("writing the image data failed")));
            }
        };
        if claim.is_lost() {
            let _ = store.store.delete(&stored.location).await;
            return claim.check();
        }
        let image = self.images.repo.image_get(image_id, false).await;
        let image = match image {
            Ok(image) => image,
            Err(e) => {
                let _ = store.store.delete(&stored.location).await;
                return Err(e);
            }
        };
        let mut next = image.clone();
        if next.status == ImageStatus::Importing {
            next.status = ImageStatus::Active;
            next.size = Some(stored.size as i64);
            next.checksum = Some(digests.checksum.clone());
            next.os_hash_algo = Some(digests.os_hash_algo.clone());
            next.os_hash_value = Some(digests.os_hash_value.clone());
            if next.disk_format.as_deref() == Some("raw") {
                next.virtual_size = next.size;
            }
        } else if next.checksum.as_deref() != Some(digests.checksum.as_str()) {
            let _ = store.store.delete(&stored.location).await;
            return Err(Error::internal(format!(
                "The copy in store {store_id} does not match the image's checksum"
            )));
        }
        let mut update = ImageUpdate::base(next);
        update.from_state = Some(image.status);
        let mut metadata = Map::new();
        if self.images.stores.is_multi() {
            metadata.insert("store".into(), Value::String(store_id.to_string()));
        }
        update.add_locations.push(ImageLocation {
            url: stored.location.clone(),
            metadata,
            status: LocationStatus::Active,
        });
        let remaining: Vec<&str> = image
            .properties
            .get(IMPORTING_TO_STORES)
            .map(|s| {
                s.split(',')
                    .filter(|s| !s.is_empty() && *s != store_id)
                    .collect()
            })
            .unwrap_or_default();
        update
            .set_properties
            .insert(IMPORTING_TO_STORES.into(), remaining.join(","));
        if let Err(e) = self.images.repo.image_update(&update).await {
            let _ = store.store.delete(&stored.location).await;
            return Err(e);
        }
        tracing::info!(
            image_id,
            store = store_id,
            size = stored.size,
            "image data imported into a store"
        );
        Ok(())
    }

    async fn note_failed_store(&self, image_id: &str, store_id: &str) {
        let Ok(image) = self.images.repo.image_get(image_id, false).await else {
            return;
        };
        let mut update = ImageUpdate::base(image.clone());
        let list = |key: &str| -> Vec<String> {
            image
                .properties
                .get(key)
                .map(|s| {
                    s.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut failed = list(FAILED_IMPORT);
        failed.push(store_id.to_string());
        let remaining: Vec<String> = list(IMPORTING_TO_STORES)
            .into_iter()
            .filter(|s| s != store_id)
            .collect();
        update
            .set_properties
            .insert(FAILED_IMPORT.into(), failed.join(","));
        update
            .set_properties
            .insert(IMPORTING_TO_STORES.into(), remaining.join(","));
        update.from_state = Some(image.status);
        if let Err(e) = self.images.repo.image_update(&update).await {
            tracing::warn!(image_id, error = %e, "could not record the failed store");
        }
    }

    /// Ends the task: success when the stores asked for hold the data (or
    /// some of them, unless all must succeed); otherwise undoes what this
    /// import wrote and fails. Either way the staged copy goes and the
    /// image's lock is released.
    async fn finish(
        &self,
        claim: &Claim,
        outcome: Result<(ImportRequest, Outcome)>,
        copied: Option<CopiedMetadata>,
    ) {
        let task = claim.current();
        let image_id = task.image_id.clone().unwrap_or_default();
        let failure = match &outcome {
            Err(e) => Some(e.message().to_string()),
            Ok((req, o)) => {
                let any_failed = !o.failed.is_empty();
                let none_written = o.succeeded.is_empty() && any_failed;
                if none_written || (any_failed && req.all_stores_must_succeed) {
                    let (store, e) = &o.failed[0];
                    Some(format!("Import into store {store} failed: {}", e.message()))
                } else {
                    None
                }
            }
        };
        let method = outcome
            .as_ref()
            .ok()
            .map(|(req, _)| req.method.clone())
            .or_else(|| read_input(&task).ok().map(|(_, req, _)| req.method));
        if failure.is_some() {
            let written = outcome
                .as_ref()
                .map(|(_, o)| o.succeeded.clone())
                .unwrap_or_default();
            self.undo(&image_id, &written, method.as_ref(), copied)
                .await;
        }
        if let Err(e) = self.staging.remove(&image_id).await {
            tracing::warn!(image_id, error = %e, "could not remove the staged data (the next sweep will)");
        }
        self.unlock(&image_id, &task.id).await;

        let mut update = TaskUpdate::of(&task, time::now());
        update.from_updated_at = Some(task.updated_at);
        update.expires_at = Some(expiry(&self.images));
        match &failure {
            Some(message) => {
                update.status = TaskStatus::Failure;
                update.message = message.clone();
            }
            None => {
                update.status = TaskStatus::Success;
                update.message = String::new();
                let mut result = Map::new();
                result.insert("image_id".into(), Value::String(image_id.clone()));
                update.result = Some(result);
            }
        }
        match self.images.repo.task_update(&update).await {
            Ok(_) => match &failure {
                Some(m) => {
                    tracing::warn!(task_id = %task.id, image_id, message = %m, "import failed")
                }
                None => tracing::info!(task_id = %task.id, image_id, "import finished"),
            },
            Err(e) => {
                tracing::warn!(task_id = %task.id, error = %e, "could not finish the import task")
            }
        }
    }

    /// Removes the copies this import wrote and, for a first import, puts
    /// the image back to `queued` with no data (and the metadata a
    /// glance-download copied taken back).
    async fn undo(
        &self,
        image_id: &str,
        written: &[String],
        method: Option<&ImportMethod>,
        copied: Option<CopiedMetadata>,
    ) {
        let Ok(image) = self.images.repo.image_get(image_id, false).await else {
            return;
        };
        for location in image
            .locations
            .iter()
            .filter(|l| l.status == LocationStatus::Active)
        {
            let store = self.images.stores.for_location(location);
            let ours = written.contains(&store.id);
            if ours {
                let _ = store.store.delete(&location.url).await;
                let _ = self
                    .images
                    .repo
                    .image_location_set_status(image_id, &location.url, LocationStatus::Deleted)
                    .await;
            }
        }
        if method == Some(&ImportMethod::CopyImage) {
            return;
        }
        let Ok(image) = self.images.repo.image_get(image_id, false).await else {
            return;
        };
        if !matches!(image.status, ImageStatus::Importing | ImageStatus::Active) {
            return;
        }
        let mut queued = image.clone();
        queued.status = ImageStatus::Queued;
        queued.size = None;
        queued.virtual_size = None;
        queued.checksum = None;
        queued.os_hash_algo = None;
        queued.os_hash_value = None;
        let mut update = ImageUpdate::base(queued);
        update.from_state = Some(image.status);
        if let Some(copied) = copied {
            copied.restore(&mut update);
        }
        if let Err(e) = self.images.repo.image_update(&update).await {
            tracing::warn!(image_id, error = %e, "could not queue the image again after a failed import");
        }
    }

    /// Drops the import lock if `task_id` still holds it.
    async fn unlock(&self, image_id: &str, task_id: &str) {
        for _ in 0..3 {
            let Ok(image) = self.images.repo.image_get(image_id, false).await else {
                return;
            };
            if image.properties.get(IMPORT_TASK).map(String::as_str) != Some(task_id) {
                return;
            }
            let mut update = ImageUpdate::base(image.clone());
            update.from_state = Some(image.status);
            update.remove_properties.insert(IMPORT_TASK.into());
            update
                .set_properties
                .insert(IMPORTING_TO_STORES.into(), String::new());
            match self.images.repo.image_update(&update).await {
                Ok(_) => return,
                Err(Error::Conflict(_)) => continue,
                Err(e) => {
                    tracing::warn!(image_id, error = %e, "could not release the import lock");
                    return;
                }
            }
        }
    }
}

fn has_store(image: &Image, store: &str) -> bool {
    image
        .locations
        .iter()
        .any(|l| l.status == LocationStatus::Active && l.store().unwrap_or(store) == store)
}

/// The image, request and target stores a task's input names: an
/// `api_image_import` task's (Glance's `image_id`, `import_req`,
/// `backend`), or an `import` task's (`import_from` into the image the
/// task created, default store).
fn read_input(task: &Task) -> Result<(String, ImportRequest, Vec<String>)> {
    let bad = || Error::internal(format!("import task {} has an unreadable input", task.id));
    if let Some(uri) = task.input.get("import_from").and_then(Value::as_str) {
        let image_id = task.image_id.clone().ok_or_else(bad)?;
        let req = ImportRequest::web_download(uri);
        // No stores named: the default store.
        return Ok((image_id, req, Vec::new()));
    }
    let image_id = task
        .input
        .get("image_id")
        .and_then(Value::as_str)
        .ok_or_else(bad)?
        .to_string();
    let req = ImportRequest::parse(task.input.get("import_req").ok_or_else(bad)?, None)?;
    let stores = task
        .input
        .get("backend")
        .and_then(Value::as_array)
        .ok_or_else(bad)?
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    Ok((image_id, req, stores))
}
