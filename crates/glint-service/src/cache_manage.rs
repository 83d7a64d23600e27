//! The cache API (`/v2/cache`, Image API 2.14 and 2.18): what this node's
//! image cache holds and queues, queueing an image for the prefetcher,
//! removing copies, cleaning and pruning. Each operation answers Glance's
//! way: policy first, then 404 when the node has no cache.

use std::collections::BTreeMap;
use std::sync::Arc;

use glint_domain::{Error, ImageStatus, RequestContext, Result};

use crate::image_cache::{CachedImage, ImageCache};
use crate::images::ImageService;
use crate::policy::{Action, Target};

/// What `DELETE /v2/cache` empties (`x-image-cache-clear-target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearTarget {
    Both,
    Cache,
    Queue,
}

impl ClearTarget {
    /// The header's value: empty (or absent), `cache` or `queue`.
    pub fn parse(header: Option<&str>) -> Result<Self> {
        match header.unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "" => Ok(ClearTarget::Both),
            "cache" => Ok(ClearTarget::Cache),
            "queue" => Ok(ClearTarget::Queue),
            _ => Err(Error::invalid(
                "If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string.",
            )),
        }
    }
}

/// Bytes and copies a prune removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub files: u64,
    pub bytes: u64,
}

impl ImageService {
    /// Authorizes `action`, then finds the cache (404 without one).
    fn cache_for(
        &self,
        ctx: &RequestContext,
        action: Action,
        target: &Target,
    ) -> Result<&Arc<ImageCache>> {
        self.policy.authorize(ctx, action, target)?;
        self.cache
            .as_ref()
            .ok_or_else(|| Error::not_found("Caching via API is not supported at this site."))
    }

    fn project_target(ctx: &RequestContext) -> Target {
        Target::owner(ctx.project_id.as_deref())
    }

    /// `GET /v2/cache`: the cached images and the queue.
    pub fn cache_state(
        &self,
        ctx: &RequestContext,
    ) -> Result<(BTreeMap<String, CachedImage>, Vec<String>)> {
        let cache = self.cache_for(ctx, Action::CacheList, &Self::project_target(ctx))?;
        Ok(cache.state())
    }

    /// `PUT /v2/cache/{image_id}`: queues an active image and starts the
    /// prefetcher.
    pub async fn cache_queue(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let image = self
            .load_visible(ctx, id)
            .await
            .map_err(|_| Error::not_found(format!("Image {id} not found.")))?;
        let cache = self.cache_for(ctx, Action::CacheImage, &Target::image(ctx, &image))?;
        if image.status != ImageStatus::Active {
            return Err(Error::invalid(
                "Only images with status active can be targeted for queueing",
            ));
        }
        cache.queue(id);
        self.spawn_prefetcher();
        Ok(())
    }

    /// `DELETE /v2/cache/{image_id}`: removes the copy and the queue
    /// entry. An image that is gone may still be removed from the cache.
    pub async fn cache_delete(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let target = match self.load_visible(ctx, id).await {
            Ok(image) => Target::image(ctx, &image),
            Err(_) if self.cache.as_ref().is_some_and(|c| c.knows(id)) => Self::project_target(ctx),
            Err(_) => return Err(Error::not_found(format!("Image {id} not found."))),
        };
        let cache = self.cache_for(ctx, Action::CacheDelete, &target)?;
        cache.remove(id).await;
        Ok(())
    }

    /// `DELETE /v2/cache`: empties the cache, the queue, or both.
    pub async fn cache_clear(&self, ctx: &RequestContext, target: Option<&str>) -> Result<()> {
        let cache = self.cache_for(ctx, Action::CacheDelete, &Self::project_target(ctx))?;
        let (copies, queue) = match ClearTarget::parse(target)? {
            ClearTarget::Both => (true, true),
            ClearTarget::Cache => (true, false),
            ClearTarget::Queue => (false, true),
        };
        let (removed, dequeued) = cache.clear(copies, queue).await;
        tracing::info!(removed, dequeued, "image cache cleared");
        Ok(())
    }

    /// `POST /v2/cache/clean`: removes partial copies no fill is writing
    /// and copies of images that are gone or no longer readable.
    pub async fn cache_clean(&self, ctx: &RequestContext) -> Result<()> {
        let cache = self.cache_for(ctx, Action::CacheClean, &Self::project_target(ctx))?;
        let partials = cache.remove_stalled_fills().await?;
        let (cached, _) = cache.state();
        let mut invalid = 0;
        for id in cached.keys() {
            let readable = match self.repo.image_get(id, false).await {
                Ok(image) => matches!(image.status, ImageStatus::Active | ImageStatus::Deactivated),
                Err(Error::NotFound(_)) => false,
                Err(e) => return Err(e),
            };
            if !readable {
                cache.remove(id).await;
                invalid += 1;
            }
        }
        tracing::info!(partials, invalid, "image cache cleaned");
        Ok(())
    }

    /// `POST /v2/cache/prune`: evicts the least recently used copies
    /// down to `image_cache_max_size`.
    pub async fn cache_prune(&self, ctx: &RequestContext) -> Result<Pruned> {
        let cache = self.cache_for(ctx, Action::CachePrune, &Self::project_target(ctx))?;
        let (files, bytes) = cache.prune().await;
        Ok(Pruned { files, bytes })
    }

    /// `GET /v2/cache/nodes/{image_id}`: Glance answers this only with
    /// its centralized cache index; Glint keeps each node's index on the
    /// node, so it answers as Glance does without one (409).
    pub fn cache_nodes(&self, ctx: &RequestContext, _id: &str) -> Result<Vec<String>> {
        self.cache_for(ctx, Action::ListCachedNodes, &Self::project_target(ctx))?;
        Err(Error::conflict("Centralized caching is not enabled"))
    }

    /// Fetches every queued image into the cache, in the background (one
    /// pass at a time).
    pub fn spawn_prefetcher(&self) {
        let Some(cache) = self.cache.clone() else {
            return;
        };
        if !cache.start_prefetching() {
            return;
        }
        let images = self.clone();
        tokio::spawn(async move {
            for id in cache.queued() {
                if let Err(e) = images.prefetch(&cache, &id).await {
                    tracing::warn!(image_id = %id, error = %e, "prefetch failed; the image stays queued");
                }
            }
            cache.stop_prefetching();
        });
    }

    /// Reads one queued image through the cache; an image that is gone
    /// or not active leaves the queue.
    async fn prefetch(&self, cache: &Arc<ImageCache>, id: &str) -> Result<()> {
        let image = match self.repo.image_get(id, false).await {
            Ok(image) if image.status == ImageStatus::Active => image,
            Ok(_) | Err(Error::NotFound(_)) => {
                cache.remove(id).await;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if cache.is_cached(id) {
            cache.dequeue(id);
            return Ok(());
        }
        if !cache.wants(&image) {
            tracing::info!(image_id = %id, "image not cacheable now (being cached, or larger than the cache)");
            return Ok(());
        }
        let source = self.read_stored(&image, None).await?;
        let mut copy = cache.fill_while_streaming(&image, source);
        use futures_util::StreamExt;
        while let Some(chunk) = copy.next().await {
            chunk.map_err(|e| Error::internal(format!("reading image {id}: {e}")))?;
        }
        Ok(())
    }
}
