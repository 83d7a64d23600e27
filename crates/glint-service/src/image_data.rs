//! Image data: upload (queued → saving → active), download, and removing
//! bytes when images are deleted (at once, or later by the scrubber).

use chrono::Duration;
use glint_domain::image_query::{ImageListQuery, ValueFilter, Viewer};
use glint_domain::{
    time, Error, Image, ImageLocation, ImageStatus, ImageUpdate, LocationStatus, RequestContext,
    Result,
};
use glint_store::{ByteRange, ByteStream, Store};

use crate::format_gate::{inspecting_stream, FormatGate};
use crate::hashing::hashing_stream;
use crate::images::ImageService;
use crate::liveness::{may_be_writing, write_abandoned, Heartbeat};
use crate::policy::{Action, Target};
use crate::unified_limits::{size_delta, Resource};

/// What a download answers with.
pub enum ImageData {
    /// The image has no data (yet): 204.
    Empty,
    Bytes {
        stream: ByteStream,
        /// Size of the whole image.
        size: u64,
        checksum: Option<String>,
        /// The part sent, when a range was asked for.
        range: Option<ByteRange>,
    },
}

/// A `Range: bytes=…` request before it meets the image's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=a-b` or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl RangeRequest {
    fn resolve(self, size: u64) -> Result<ByteRange> {
        let unsatisfiable =
            || Error::RangeNotSatisfiable("The Range requested is not available.".into());
        if size == 0 {
            return Err(unsatisfiable());
        }
        let range = match self {
            RangeRequest::From { start, end } => ByteRange {
                start,
                end: end.unwrap_or(size - 1).min(size - 1),
            },
            RangeRequest::Suffix(0) => return Err(unsatisfiable()),
            RangeRequest::Suffix(n) => ByteRange {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        };
        if range.start > range.end || range.start >= size {
            return Err(unsatisfiable());
        }
        Ok(range)
    }
}

impl ImageService {
    /// Streams `data` in as the image's bytes, computing size and hashes on
    /// the way; queued → saving → active. The bytes of `bare` images are
    /// inspected on the way too (see `format_gate`): content that does not
    /// match `disk_format`, or is unsafe, is refused; otherwise the format
    /// sets `virtual_size`. On any failure the image is queued again and
    /// no bytes remain.
    ///
    /// Errors: not queued → Conflict (also for the loser of two racing
    /// uploads); over `image_size_cap` or `user_storage_quota` →
    /// LimitExceeded; unknown store → InvalidInput; content refused by the
    /// format inspector → UnsupportedMediaType (Glance's 415).
    pub async fn upload(
        &self,
        ctx: &RequestContext,
        id: &str,
        data: ByteStream,
        content_length: Option<u64>,
        store_id: Option<&str>,
    ) -> Result<Image> {
        let image = self.load_mutable(ctx, id, Action::UploadImage).await?;
        self.limits
            .enforce(
                ctx.project_id.as_deref(),
                &[
                    (Resource::ImageSizeTotal, size_delta(content_length)),
                    // Glance checks with this image already `saving`; it
                    // is not yet, so it counts as the delta.
                    (Resource::ImageCountUploading, 1),
                ],
            )
            .await?;
        let store = self.stores.pick(store_id)?.clone();
        if image.status != ImageStatus::Queued {
            return Err(saving_not_allowed(image.status));
        }
        let limit = self.upload_limit(&image).await?;
        if content_length.is_some_and(|n| n > limit.bytes) {
            return Err(limit.error(content_length.unwrap_or(0)));
        }

        let mut saving = image.clone();
        saving.status = ImageStatus::Saving;
        let mut claim = ImageUpdate::base(saving);
        claim.from_state = Some(ImageStatus::Queued);
        let saving = match self.repo.image_update(&claim).await {
            Ok(img) => img,
            Err(Error::Conflict(_)) => {
                let now = self.repo.image_get(id, false).await?;
                return Err(saving_not_allowed(now.status));
            }
            Err(e) => return Err(e),
        };

        let _alive = Heartbeat::start(
            self.repo.clone(),
            id,
            ImageStatus::Saving,
            self.config.import.task_heartbeat_timeout_secs,
        );
        let gate = FormatGate::for_image(&saving, &self.config);
        let inspected = gate.is_some();
        let (data, inspection) = inspecting_stream(data, gate);
        let (stream, hashes) = hashing_stream(data, &self.config.hashing_algorithm, limit.bytes)?;
        let stored = store.store.add(id, stream).await;
        let over_limit = hashes.over_limit();
        let digests = hashes.finish().await;
        let refused_early = inspection.refused_early();
        let verdict = inspection.finish();
        let (stored, digests, virtual_size) = match (stored, digests, verdict) {
            (Ok(stored), Ok(digests), Ok(virtual_size)) => (stored, digests, virtual_size),
            (stored, digests, verdict) => {
                if let Ok(obj) = &stored {
                    let _ = store.store.delete(&obj.location).await;
                }
                self.requeue(&saving).await;
                let streamed = stored.is_ok() && digests.is_ok();
                let cause = match verdict {
                    _ if over_limit => limit.error(limit.bytes + 1),
                    Err(refusal) if refused_early || streamed => {
                        tracing::warn!(image_id = %id, reason = %refusal, "image data refused");
                        refusal
                    }
                    _ => stored
                        .err()
                        .or(digests.err())
                        .unwrap_or_else(|| Error::internal("upload failed")),
                };
                return Err(cause);
            }
        };

        let mut active = saving.clone();
        active.status = ImageStatus::Active;
        active.size = Some(stored.size as i64);
        if inspected {
            active.virtual_size = virtual_size.map(|v| v.min(i64::MAX as u64) as i64);
        } else if active.disk_format.as_deref() == Some("raw") {
            active.virtual_size = active.size;
        }
        active.checksum = Some(digests.checksum);
        active.os_hash_algo = Some(digests.os_hash_algo);
        active.os_hash_value = Some(digests.os_hash_value);
        let mut finish = ImageUpdate::base(active);
        finish.from_state = Some(ImageStatus::Saving);
        let mut metadata = serde_json::Map::new();
        if self.stores.is_multi() {
            metadata.insert("store".into(), store.id.clone().into());
        }
        finish.add_locations.push(ImageLocation {
            url: stored.location.clone(),
            metadata,
            status: LocationStatus::Active,
        });
        match self.repo.image_update(&finish).await {
            Ok(image) => {
                tracing::info!(image_id = %id, size = stored.size, store = %store.id, "image data uploaded");
                Ok(image)
            }
            Err(e) => {
                // Deleted or changed while the bytes streamed: keep nothing.
                let _ = store.store.delete(&stored.location).await;
                self.requeue(&saving).await;
                Err(match e {
                    Error::Conflict(_) | Error::NotFound(_) => Error::conflict(format!(
                        "Image {id} was changed or deleted during the upload; the data was discarded."
                    )),
                    other => other,
                })
            }
        }
    }

    /// Streams an image's bytes (or a range of them) out.
    ///
    /// Errors: deactivated image for a non-admin → Forbidden; range outside
    /// the data → RangeNotSatisfiable.
    pub async fn download(
        &self,
        ctx: &RequestContext,
        id: &str,
        range: Option<RangeRequest>,
    ) -> Result<ImageData> {
        let image = self.load_visible(ctx, id).await?;
        self.policy
            .authorize(ctx, Action::DownloadImage, &Target::image(ctx, &image))?;
        if image.status == ImageStatus::Deactivated && !ctx.is_admin {
            return Err(Error::forbidden(
                "The requested image has been deactivated. Image data download is prohibited.",
            ));
        }
        let size = image.size.unwrap_or(0).max(0) as u64;
        let has_data = image
            .locations
            .iter()
            .any(|l| l.status == LocationStatus::Active);
        if !has_data || !matches!(image.status, ImageStatus::Active | ImageStatus::Deactivated) {
            return Ok(ImageData::Empty);
        }
        let range = range.map(|r| r.resolve(size)).transpose()?;
        let cache = self.cache.as_ref().filter(|c| c.serves_downloads());
        let cached = match cache {
            Some(cache) => cache.read(&image.id, range).await,
            None => None,
        };
        let stream = match (cached, cache) {
            (Some(stream), _) => stream,
            (None, Some(cache)) if range.is_none() => {
                cache.fill_while_streaming(&image, self.read_stored(&image, None).await?)
            }
            (None, _) => self.read_stored(&image, range).await?,
        };
        Ok(ImageData::Bytes {
            stream,
            size,
            checksum: image.checksum.clone(),
            range,
        })
    }

    /// `image`'s bytes (or `range` of them) from the first of its active
    /// locations that answers.
    pub(crate) async fn read_stored(
        &self,
        image: &Image,
        range: Option<ByteRange>,
    ) -> Result<ByteStream> {
        let mut last_error = None;
        for location in image
            .locations
            .iter()
            .filter(|l| l.status == LocationStatus::Active)
        {
            let store = self.stores.for_location(location);
            match store.store.get(&location.url, range).await {
                Ok(stream) => return Ok(stream),
                Err(e) => {
                    tracing::warn!(image_id = %image.id, location = %location.url, error = %e, "location unreadable");
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| Error::not_found("Image data not found")))
    }

    /// Marks an image's bytes for deletion before its record goes, so that
    /// a crash in between leaves work for the scrubber, not orphans.
    pub(crate) async fn mark_data_for_deletion(&self, image: &Image) -> Result<()> {
        for location in image
            .locations
            .iter()
            .filter(|l| l.status == LocationStatus::Active)
        {
            self.repo
                .image_location_set_status(&image.id, &location.url, LocationStatus::PendingDelete)
                .await?;
        }
        Ok(())
    }

    /// Removes the bytes of a deleted image now (when not delayed).
    pub(crate) async fn delete_data(&self, image: &Image) {
        for location in &image.locations {
            self.delete_location(&image.id, location).await;
        }
    }

    async fn delete_location(&self, image_id: &str, location: &ImageLocation) {
        let store = self.stores.for_location(location);
        match store.store.delete(&location.url).await {
            Ok(()) => {
                if let Err(e) = self
                    .repo
                    .image_location_set_status(image_id, &location.url, LocationStatus::Deleted)
                    .await
                {
                    tracing::warn!(image_id, error = %e, "bytes deleted but location not marked");
                }
            }
            Err(e) => {
                tracing::warn!(image_id, location = %location.url, error = %e, "bytes not deleted; the scrubber will retry");
            }
        }
    }

    /// One scrubber pass: removes the bytes of images deleted at least
    /// `scrub_time` ago (all of them when `immediately`). Returns how many
    /// locations were removed.
    pub async fn scrub(&self, immediately: bool) -> Result<usize> {
        let wait = if immediately {
            0
        } else {
            self.config.scrub_time as i64
        };
        let pending = self
            .repo
            .image_locations_pending_delete(time::now() - Duration::seconds(wait))
            .await?;
        let count = pending.len();
        for (image_id, location) in pending {
            self.delete_location(&image_id, &location).await;
        }
        if count > 0 {
            tracing::info!(count, "scrubbed image data");
        }
        Ok(count)
    }

    /// At start-up: uploads that died are queued again (see
    /// [`Self::sweep_abandoned_uploads`]); deletes that did not finish are
    /// finished (unless deletes are delayed).
    pub async fn recover(&self) -> Result<()> {
        self.sweep_abandoned_uploads().await?;
        if !self.config.delayed_delete {
            self.scrub(true).await?;
        }
        Ok(())
    }

    /// Queues again the images whose upload stopped reporting (its process
    /// died, on this node or another; see `liveness`), and removes the
    /// partial bytes of writes whose writer is gone. Answers how many
    /// images were queued again.
    pub async fn sweep_abandoned_uploads(&self) -> Result<usize> {
        let timeout = self.config.import.task_heartbeat_timeout_secs;
        let mut requeued = 0;
        for image in self.all_in_status(ImageStatus::Saving).await? {
            if write_abandoned(&image, timeout) {
                tracing::warn!(image_id = %image.id, "upload stopped reporting (its process died); image queued again");
                self.requeue(&image).await;
                requeued += 1;
            }
        }
        for store in self.stores.all() {
            let removed = self.remove_abandoned_partials(&*store.store).await?;
            if removed > 0 {
                tracing::info!(store = %store.id, removed, "removed partial writes of stopped uploads");
            }
        }
        Ok(requeued)
    }

    /// Every live image in `status`, whoever owns it, hidden or not (for
    /// the sweeps).
    pub(crate) async fn all_in_status(&self, status: ImageStatus) -> Result<Vec<Image>> {
        let mut query = ImageListQuery::for_viewer(Viewer {
            project_id: None,
            is_admin: true,
        });
        query.filters.os_hidden = None;
        query.filters.status = Some(ValueFilter::Eq(status.as_str().into()));
        self.repo.image_get_all(&query).await
    }

    /// Removes the partial writes in `store` that no live work may still
    /// be making; answers how many.
    pub(crate) async fn remove_abandoned_partials(&self, store: &dyn Store) -> Result<usize> {
        let timeout = self.config.import.task_heartbeat_timeout_secs;
        let mut removed = 0;
        for partial in store.partial_writes().await? {
            let id = &partial.image_id;
            let image = match self.repo.image_get(id, false).await {
                Ok(image) => Some(image),
                Err(Error::NotFound(_)) => None,
                Err(e) => {
                    tracing::warn!(image_id = %id, error = %e, "cannot tell whether a partial write is alive");
                    continue;
                }
            };
            if !may_be_writing(image.as_ref(), timeout) {
                store.remove_partial_write(&partial).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn requeue(&self, saving: &Image) {
        let mut queued = saving.clone();
        queued.status = ImageStatus::Queued;
        let mut update = ImageUpdate::base(queued);
        update.from_state = Some(ImageStatus::Saving);
        if let Err(e) = self.repo.image_update(&update).await {
            tracing::warn!(image_id = %saving.id, error = %e, "could not queue the image again");
        }
    }

    pub(crate) async fn upload_limit(&self, image: &Image) -> Result<UploadLimit> {
        let cap = self.config.image_size_cap;
        let quota = self.config.user_storage_quota;
        if quota == 0 {
            return Ok(UploadLimit {
                bytes: cap,
                quota: None,
            });
        }
        let used = match &image.owner {
            Some(owner) => self.repo.owner_usage(owner).await?.stored_bytes,
            None => 0,
        };
        let remaining = quota.saturating_sub(used);
        Ok(if remaining < cap {
            UploadLimit {
                bytes: remaining,
                quota: Some(remaining),
            }
        } else {
            UploadLimit {
                bytes: cap,
                quota: None,
            }
        })
    }
}

/// The most bytes an upload may bring, and which rule sets it.
pub(crate) struct UploadLimit {
    pub(crate) bytes: u64,
    /// Bytes left of the owner's quota, when the quota is the tighter rule.
    quota: Option<u64>,
}

impl UploadLimit {
    pub(crate) fn error(&self, attempted: u64) -> Error {
        Error::LimitExceeded(match self.quota {
            Some(remaining) => format!(
                "The size of the data {attempted} will exceed the limit. {remaining} bytes remaining."
            ),
            None => "The provided image is too large.".to_string(),
        })
    }
}

fn saving_not_allowed(status: ImageStatus) -> Error {
    Error::conflict(format!(
        "Image status transition from {status} to saving is not allowed"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_size() {
        let r = |start, end| RangeRequest::From { start, end };
        assert_eq!(
            r(10, Some(19)).resolve(100).unwrap(),
            ByteRange { start: 10, end: 19 }
        );
        assert_eq!(
            r(90, None).resolve(100).unwrap(),
            ByteRange { start: 90, end: 99 }
        );
        assert_eq!(
            r(90, Some(500)).resolve(100).unwrap(),
            ByteRange { start: 90, end: 99 }
        );
        assert_eq!(
            RangeRequest::Suffix(5).resolve(100).unwrap(),
            ByteRange { start: 95, end: 99 }
        );
        assert!(r(100, None).resolve(100).is_err());
        assert!(r(5, Some(4)).resolve(100).is_err());
        assert!(RangeRequest::Suffix(0).resolve(100).is_err());
    }
}
