//! Services: the steps of each operation, read top to bottom — authorize,
//! load, check the rule, write. The HTTP layer and the registry call these;
//! nothing else touches a repository or a store.

pub mod cache_manage;
pub mod format_gate;
pub mod hashing;
pub mod image_cache;
pub mod image_data;
pub mod image_patch;
mod image_values;
pub mod images;
pub mod import;
mod liveness;
mod location_patch;
pub mod locations;
pub mod members;
pub mod metadef_document;
pub mod metadef_edits;
pub mod metadefs;
pub mod policy;
pub mod stores;
pub mod tasks;
pub mod unified_limits;

use std::sync::Arc;

use glint_config::Config;
use glint_db::Repository;
use glint_store::Stores;

pub use image_cache::ImageCache;
pub use images::ImageService;
pub use import::ImportService;
pub use members::MemberService;
pub use metadefs::MetadefService;
pub use policy::Policy;
pub use tasks::TaskService;
pub use unified_limits::{LimitSource, UnifiedLimits};

/// Everything a request handler needs, built once at start-up.
#[derive(Clone)]
pub struct Services {
    pub images: ImageService,
    pub members: MemberService,
    pub metadefs: MetadefService,
    pub imports: ImportService,
    pub tasks: TaskService,
    pub config: Arc<Config>,
}

impl Services {
    pub fn new(
        config: Arc<Config>,
        repo: Arc<dyn Repository>,
        stores: Stores,
        policy: Arc<Policy>,
    ) -> glint_domain::Result<Self> {
        Self::with_limits(config, repo, stores, policy, None)
    }

    /// Services that also enforce Keystone's unified limits from `limits`.
    pub fn with_limits(
        config: Arc<Config>,
        repo: Arc<dyn Repository>,
        stores: Stores,
        policy: Arc<Policy>,
        limits: Option<Arc<dyn LimitSource>>,
    ) -> glint_domain::Result<Self> {
        let limits = UnifiedLimits::new(limits, repo.clone());
        let cache = match &config.image_cache {
            Some(c) => Some(Arc::new(ImageCache::open(c)?)),
            None => None,
        };
        let images =
            ImageService::new(config.clone(), repo.clone(), stores, policy.clone(), limits)
                .with_cache(cache);
        Ok(Services {
            imports: ImportService::new(images.clone())?,
            tasks: TaskService::new(images.clone()),
            metadefs: MetadefService::new(repo.clone(), policy),
            members: MemberService::new(config.clone(), repo, images.clone()),
            images,
            config,
        })
    }

    /// Runs the image cache's prefetcher every `cache_prefetcher_interval`
    /// (and once now), saving the hits counted meanwhile.
    pub fn spawn_cache_prefetcher(&self) {
        let (Some(cache), Some(config)) = (&self.images.cache, &self.config.image_cache) else {
            return;
        };
        let (cache, images) = (cache.clone(), self.images.clone());
        let every = std::time::Duration::from_secs(config.prefetcher_interval_secs);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                cache.save_hits();
                images.spawn_prefetcher();
            }
        });
    }

    /// Sweeps every half heartbeat timeout, for as long as the process
    /// runs: abandoned uploads and stages are queued again, and import
    /// tasks whose worker stopped are taken over (see `liveness`).
    pub fn spawn_sweeper(&self) {
        let services = self.clone();
        let every = std::time::Duration::from_secs(
            (self.config.import.task_heartbeat_timeout_secs / 2).max(1),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = services.images.sweep_abandoned_uploads().await {
                    tracing::warn!(error = %e, "upload sweep failed");
                }
                if let Err(e) = services.imports.sweep().await {
                    tracing::warn!(error = %e, "import sweep failed");
                }
            }
        });
    }
}
