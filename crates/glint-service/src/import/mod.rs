//! Interoperable import: staging (`PUT /v2/images/{id}/stage`), the import
//! call (`POST /v2/images/{id}/import`) that records a task and locks the
//! image, and the worker that runs the task ([`runner`]). The bytes come
//! from the staging area (glance-direct), a URL ([`web_source`]), another
//! region's Image API ([`glance_source`]) or the image itself (copy-image).
//!
//! The import lock is Glance's: the image's `os_glance_import_task`
//! property names the task that owns the image's import. A lock whose task
//! is finished, gone, or silent for longer than the heartbeat timeout is
//! stale and is broken by the next import.

pub mod glance_source;
pub mod plugins;
pub mod request;
pub mod runner;
pub mod staging;
pub mod uri_filter;
pub mod web_source;

use std::sync::Arc;

use chrono::Duration;
use glint_domain::{
    time, Error, Image, ImageStatus, ImageUpdate, RequestContext, Result, Task, TaskStatus,
};
use glint_store::ByteStream;
use serde_json::{json, Map, Value};

use crate::images::ImageService;
use crate::liveness::{write_abandoned, Heartbeat};
use crate::policy::Action;
pub use request::{ImportMethod, ImportRequest};
pub use runner::ImportRunner;
pub use staging::Staging;

/// The image property naming the task that holds the import lock.
pub const IMPORT_TASK: &str = "os_glance_import_task";
/// Stores an import still has to write, comma-separated.
pub const IMPORTING_TO_STORES: &str = "os_glance_importing_to_stores";
/// Stores an import failed to write, comma-separated.
pub const FAILED_IMPORT: &str = "os_glance_failed_import";

/// The task type of the import API.
pub const IMPORT_TASK_TYPE: &str = "api_image_import";

#[derive(Clone)]
pub struct ImportService {
    images: ImageService,
    staging: Arc<Staging>,
    runner: ImportRunner,
}

impl ImportService {
    /// The import side of `images`, staging where the configuration says.
    pub fn new(images: ImageService) -> Result<Self> {
        let staging = Arc::new(Staging::open(&images.config.import)?);
        let runner = ImportRunner::new(images.clone(), staging.clone());
        Ok(ImportService {
            images,
            staging,
            runner,
        })
    }

    pub fn runner(&self) -> &ImportRunner {
        &self.runner
    }

    /// The enabled import methods (`GET /v2/info/import`, and the
    /// `OpenStack-image-import-methods` header).
    pub fn methods(&self) -> &[String] {
        &self.images.config.import.methods
    }

    /// At start-up: makes the staging folder (or checks its bucket), then
    /// sweeps (see [`Self::sweep`]).
    pub async fn prepare(&self) -> Result<()> {
        self.staging.prepare().await.map_err(|e| {
            Error::internal(format!(
                "staging area ({}) unusable: {}",
                self.staging.describe(),
                e.message()
            ))
        })?;
        self.sweep().await?;
        Ok(())
    }

    /// Puts right what stopped work left, wherever it ran: images whose
    /// staging stopped reporting are queued again, partial staged data
    /// nobody writes any more is removed, and import tasks whose worker
    /// stopped are taken over.
    pub async fn sweep(&self) -> Result<()> {
        let timeout = self.images.config.import.task_heartbeat_timeout_secs;
        for image in self.images.all_in_status(ImageStatus::Uploading).await? {
            if write_abandoned(&image, timeout) && !self.staging.holds(&image.id).await? {
                tracing::warn!(image_id = %image.id, "staging stopped reporting (its process died); image queued again");
                self.revert_stage(&image).await;
            }
        }
        self.staging.remove_abandoned_partials(&self.images).await?;
        self.runner.sweep().await?;
        Ok(())
    }

    /// `PUT /v2/images/{id}/stage`: keeps the bytes in the staging area;
    /// queued → uploading. On failure the image is queued again and no
    /// bytes remain.
    pub async fn stage(
        &self,
        ctx: &RequestContext,
        id: &str,
        data: ByteStream,
        content_length: Option<u64>,
    ) -> Result<()> {
        if !self.images.config.import.method_enabled("glance-direct") {
            return Err(Error::not_found(
                "The glance-direct import method is not enabled on this server.",
            ));
        }
        let image = self
            .images
            .load_mutable(ctx, id, Action::ModifyImage)
            .await?;
        if image.status != ImageStatus::Queued {
            return Err(Error::conflict(format!(
                "Image status transition from {} to uploading is not allowed",
                image.status
            )));
        }
        let limit = self.images.upload_limit(&image).await?;
        if content_length.is_some_and(|n| n > limit.bytes) {
            return Err(limit.error(content_length.unwrap_or(0)));
        }
        let mut uploading = image.clone();
        uploading.status = ImageStatus::Uploading;
        let mut claim = ImageUpdate::base(uploading);
        claim.from_state = Some(ImageStatus::Queued);
        let uploading = self
            .images
            .repo
            .image_update(&claim)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => Error::conflict(format!(
                    "Image {id} is being staged or uploaded by another request"
                )),
                other => other,
            })?;

        let _alive = Heartbeat::start(
            self.images.repo.clone(),
            id,
            ImageStatus::Uploading,
            self.images.config.import.task_heartbeat_timeout_secs,
        );
        let (data, over_limit) = runner::limit_stream(data, limit.bytes);
        match self.staging.add(id, data).await {
            Ok(obj) => {
                let mut update = ImageUpdate::base(uploading.clone());
                update.image.size = Some(obj.size as i64);
                update.from_state = Some(ImageStatus::Uploading);
                if let Err(e) = self.images.repo.image_update(&update).await {
                    let _ = self.staging.remove(id).await;
                    return Err(e);
                }
                tracing::info!(image_id = %id, size = obj.size, "image data staged");
                Ok(())
            }
            Err(e) => {
                self.revert_stage(&uploading).await;
                Err(if over_limit.happened() {
                    limit.error(limit.bytes + 1)
                } else {
                    e
                })
            }
        }
    }

    async fn revert_stage(&self, uploading: &Image) {
        let mut queued = uploading.clone();
        queued.status = ImageStatus::Queued;
        queued.size = None;
        let mut update = ImageUpdate::base(queued);
        update.from_state = Some(ImageStatus::Uploading);
        if let Err(e) = self.images.repo.image_update(&update).await {
            tracing::warn!(image_id = %uploading.id, error = %e, "could not queue the image again");
        }
    }

    /// `POST /v2/images/{id}/import`: checks the request, records the task,
    /// takes the image's import lock and starts the work. Answers the task.
    pub async fn import(
        &self,
        ctx: &RequestContext,
        id: &str,
        req: &ImportRequest,
        raw_request: &Value,
    ) -> Result<Task> {
        let image = match req.method {
            ImportMethod::CopyImage => {
                let image = self.images.load_visible(ctx, id).await?;
                self.images.policy.authorize(
                    ctx,
                    Action::CopyImage,
                    &crate::policy::Target::image(ctx, &image),
                )?;
                image
            }
            _ => {
                self.images
                    .load_mutable(ctx, id, Action::ModifyImage)
                    .await?
            }
        };
        let config = &self.images.config;
        if !config.import.method_enabled(req.method.name()) {
            return Err(Error::invalid(format!(
                "Import method {} is not enabled on this server.",
                req.method.name()
            )));
        }
        let required = match req.method {
            ImportMethod::GlanceDirect => ImageStatus::Uploading,
            ImportMethod::WebDownload { .. } | ImportMethod::GlanceDownload { .. } => {
                ImageStatus::Queued
            }
            ImportMethod::CopyImage => ImageStatus::Active,
        };
        if image.status != required {
            return Err(Error::conflict(match req.method {
                ImportMethod::GlanceDirect => format!(
                    "Image needs to be staged before 'glance-direct' method can be used (status is {})",
                    image.status
                ),
                _ => format!(
                    "Image status must be {required} to use the {} import method, not {}",
                    req.method.name(),
                    image.status
                ),
            }));
        }
        // Glance's order and status: a conflict, container format first.
        for (name, value) in [
            ("container_format", &image.container_format),
            ("disk_format", &image.disk_format),
        ] {
            if value.is_none() {
                return Err(Error::conflict(format!(
                    "'{name}' needs to be set before import"
                )));
            }
        }
        if let ImportMethod::WebDownload { uri } = &req.method {
            uri_filter::check(uri, &config.import.uri_filter)?;
        }
        let stores = self.target_stores(&image, req)?;
        let input = task_input(id, raw_request, req, &stores);
        self.begin(ctx, &image, req, &stores, IMPORT_TASK_TYPE, input)
            .await
    }

    /// `POST /v2/tasks` with type `import` (the tasks API's own import,
    /// admin-only by default): creates the image from `image_properties`
    /// and web-downloads `import_from` into it. Answers the task.
    pub async fn create_import_task(
        &self,
        ctx: &RequestContext,
        task_type: &str,
        input: &Map<String, Value>,
    ) -> Result<Task> {
        let target = crate::policy::Target::owner(ctx.project_id.as_deref());
        self.images
            .policy
            .authorize(ctx, Action::TasksApiAccess, &target)?;
        self.images
            .policy
            .authorize(ctx, Action::AddTask, &target)?;
        if task_type != "import" {
            return Err(Error::invalid(format!(
                "Task type {task_type} is not supported; use 'import'"
            )));
        }
        for key in ["import_from", "import_from_format", "image_properties"] {
            if !input.contains_key(key) {
                return Err(Error::invalid(format!(
                    "Input does not contain '{key}' field"
                )));
            }
        }
        let uri = input
            .get("import_from")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("'import_from' must be a URI"))?;
        let properties = input
            .get("image_properties")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::invalid("'image_properties' must be an object"))?;
        let config = &self.images.config;
        uri_filter::check(uri, &config.import.uri_filter)?;
        let image = self.images.create(ctx, properties).await?;
        let req = ImportRequest::web_download(uri);
        let stores = vec![self.images.stores.default_store().id.clone()];
        self.begin(ctx, &image, &req, &stores, "import", input.clone())
            .await
    }

    /// Records the task, takes the image's import lock and starts the work.
    async fn begin(
        &self,
        ctx: &RequestContext,
        image: &Image,
        req: &ImportRequest,
        stores: &[String],
        task_type: &str,
        input: Map<String, Value>,
    ) -> Result<Task> {
        let id = image.id.as_str();
        self.check_lock(image).await?;

        let now = time::now();
        let task = Task {
            id: uuid::Uuid::new_v4().to_string(),
            task_type: task_type.into(),
            status: TaskStatus::Pending,
            owner: ctx
                .project_id
                .clone()
                .or_else(|| image.owner.clone())
                .unwrap_or_default(),
            input,
            result: None,
            message: String::new(),
            expires_at: None,
            created_at: now,
            updated_at: now,
            image_id: Some(id.to_string()),
            request_id: Some(ctx.request_id.clone()),
            user_id: ctx.user_id.clone(),
            deleted: false,
            deleted_at: None,
        };
        self.images.repo.task_create(&task).await?;

        let mut locked = image.clone();
        if req.method != ImportMethod::CopyImage {
            locked.status = ImageStatus::Importing;
        }
        let mut update = ImageUpdate::base(locked);
        update.from_state = Some(image.status);
        update
            .set_properties
            .insert(IMPORT_TASK.into(), task.id.clone());
        update
            .set_properties
            .insert(IMPORTING_TO_STORES.into(), stores.join(","));
        update
            .set_properties
            .insert(FAILED_IMPORT.into(), String::new());
        if req.method != ImportMethod::CopyImage {
            update.set_properties.extend(plugins::injected_properties(
                &self.images.config.import,
                ctx,
            ));
        }
        if let Err(e) = self.images.repo.image_update(&update).await {
            runner::fail_unstarted(
                &self.images,
                &task,
                "The image changed before its import started",
            )
            .await;
            return Err(match e {
                Error::Conflict(_) => Error::conflict(format!(
                    "Image {id} changed while its import was being started; try again"
                )),
                other => other,
            });
        }
        tracing::info!(image_id = %id, task_id = %task.id, method = req.method.name(), stores = %stores.join(","), "import started");
        let caller = matches!(req.method, ImportMethod::GlanceDownload { .. })
            .then(|| glance_source::RemoteCaller::of(ctx));
        self.runner.start(task.clone(), caller);
        Ok(task)
    }

    /// The stores an import writes to, checked against the enabled ones.
    fn target_stores(&self, image: &Image, req: &ImportRequest) -> Result<Vec<String>> {
        let stores = &self.images.stores;
        let has = |store: &str| {
            image.locations.iter().any(|l| {
                l.status == glint_domain::LocationStatus::Active && l.store() == Some(store)
            })
        };
        let targets: Vec<String> = if req.all_stores {
            stores.all().iter().map(|s| s.id.clone()).collect()
        } else if let Some(named) = &req.stores {
            for id in named {
                if !stores.all().iter().any(|s| &s.id == id) {
                    return Err(Error::conflict(format!(
                        "Store for identifier {id} not found"
                    )));
                }
            }
            named.clone()
        } else if req.method == ImportMethod::CopyImage {
            return Err(Error::invalid(
                "Import method copy-image requires 'stores' or 'all_stores'",
            ));
        } else {
            vec![stores.default_store().id.clone()]
        };
        if req.method != ImportMethod::CopyImage {
            return Ok(targets);
        }
        let missing: Vec<String> = targets.into_iter().filter(|s| !has(s)).collect();
        if missing.is_empty() {
            return Err(Error::conflict(format!(
                "Image {} is already present in every store asked for",
                image.id
            )));
        }
        Ok(missing)
    }

    /// Refuses an import while another one holds the image's lock; breaks
    /// a stale lock.
    async fn check_lock(&self, image: &Image) -> Result<()> {
        let Some(holder) = image.properties.get(IMPORT_TASK).filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        let timeout =
            Duration::seconds(self.images.config.import.task_heartbeat_timeout_secs as i64);
        match self.images.repo.task_get(holder).await {
            Ok(task) if !task.status.is_final() && task.updated_at > time::now() - timeout => {
                Err(Error::conflict(format!(
                    "Image {} has active import task {holder}",
                    image.id
                )))
            }
            Ok(task) => {
                tracing::warn!(image_id = %image.id, task_id = %holder, "breaking a stale import lock");
                if !task.status.is_final() {
                    // Its worker is gone: the task ends here, not in a sweep.
                    runner::fail_unstarted(
                        &self.images,
                        &task,
                        "Its import lock was broken by a newer import after its worker stopped",
                    )
                    .await;
                }
                Ok(())
            }
            Err(Error::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Glance's input of an `api_image_import` task: the request as it came,
/// with glance-download's interface filled in when it was left out.
fn task_input(
    image_id: &str,
    raw_request: &Value,
    req: &ImportRequest,
    stores: &[String],
) -> Map<String, Value> {
    let mut import_req = raw_request.clone();
    if let ImportMethod::GlanceDownload { interface, .. } = &req.method {
        if let Some(method) = import_req.get_mut("method").and_then(Value::as_object_mut) {
            method
                .entry("glance_service_interface")
                .or_insert_with(|| json!(interface));
        }
    }
    let mut input = Map::new();
    input.insert("image_id".into(), json!(image_id));
    input.insert("import_req".into(), import_req);
    input.insert("backend".into(), json!(stores));
    input
}
