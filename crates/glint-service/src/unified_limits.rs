//! Keystone unified limits (`use_keystone_limits`), enforced as Glance
//! enforces them through oslo.limit: before an image is created
//! (`image_count_total`), before data is uploaded (`image_size_total`,
//! `image_count_uploading`), and reported by `GET /v2/info/usage`.
//!
//! Sizes count in MiB, as Glance counts them. Where the limits live is a
//! seam ([`LimitSource`]); the binary plugs Keystone in.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use glint_db::Repository;
use glint_domain::{Error, OwnerUsage, Result};

const MIB: u64 = 1024 * 1024;

/// The quotas Glance registers with Keystone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    ImageSizeTotal,
    ImageStageTotal,
    ImageCountTotal,
    ImageCountUploading,
}

impl Resource {
    pub const ALL: [Resource; 4] = [
        Resource::ImageSizeTotal,
        Resource::ImageStageTotal,
        Resource::ImageCountTotal,
        Resource::ImageCountUploading,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::ImageSizeTotal => "image_size_total",
            Resource::ImageStageTotal => "image_stage_total",
            Resource::ImageCountTotal => "image_count_total",
            Resource::ImageCountUploading => "image_count_uploading",
        }
    }

    fn used(self, usage: &OwnerUsage) -> u64 {
        match self {
            Resource::ImageSizeTotal => usage.stored_bytes / MIB,
            Resource::ImageStageTotal => usage.staged_bytes / MIB,
            Resource::ImageCountTotal => usage.image_count,
            Resource::ImageCountUploading => usage.uploading_count,
        }
    }
}

/// Where a project's limits come from (Keystone's limits API).
#[async_trait]
pub trait LimitSource: Send + Sync + 'static {
    /// The limit of each named resource for `project`; -1 is unlimited.
    async fn limits(&self, project: &str, resources: &[&str]) -> Result<BTreeMap<String, i64>>;
}

/// One resource's figures for `GET /v2/info/usage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUsage {
    pub resource: Resource,
    pub usage: u64,
    pub limit: i64,
}

#[derive(Clone)]
pub struct UnifiedLimits {
    source: Option<Arc<dyn LimitSource>>,
    repo: Arc<dyn Repository>,
}

impl UnifiedLimits {
    /// `source` is `None` when `use_keystone_limits` is off: nothing is
    /// enforced and usage is empty.
    pub fn new(source: Option<Arc<dyn LimitSource>>, repo: Arc<dyn Repository>) -> Self {
        UnifiedLimits { source, repo }
    }

    pub fn enabled(&self) -> bool {
        self.source.is_some()
    }

    /// Refuses (LimitExceeded) when any resource plus its delta would pass
    /// the project's limit, with oslo.limit's message.
    pub async fn enforce(&self, project: Option<&str>, deltas: &[(Resource, u64)]) -> Result<()> {
        let (Some(source), Some(project)) = (&self.source, project) else {
            return Ok(());
        };
        let names: Vec<&str> = deltas.iter().map(|(r, _)| r.name()).collect();
        let limits = source.limits(project, &names).await?;
        let usage = self.repo.owner_usage(project).await?;
        let over: Vec<String> = deltas
            .iter()
            .filter_map(|(resource, delta)| {
                let limit = limits.get(resource.name()).copied().unwrap_or(0);
                let current = resource.used(&usage);
                (limit >= 0 && current + delta > limit as u64).then(|| {
                    format!(
                        "Resource {} is over limit of {limit} due to current usage {current} and delta {delta}",
                        resource.name()
                    )
                })
            })
            .collect();
        if over.is_empty() {
            Ok(())
        } else {
            Err(Error::LimitExceeded(format!(
                "Project {project} is over a limit for [{}]",
                over.join(", ")
            )))
        }
    }

    /// Usage and limit of every resource; empty when limits are off.
    pub async fn usage(&self, project: Option<&str>) -> Result<Vec<ResourceUsage>> {
        let (Some(source), Some(project)) = (&self.source, project) else {
            return Ok(Vec::new());
        };
        let names: Vec<&str> = Resource::ALL.iter().map(|r| r.name()).collect();
        let limits = source.limits(project, &names).await?;
        let usage = self.repo.owner_usage(project).await?;
        Ok(Resource::ALL
            .iter()
            .map(|r| ResourceUsage {
                resource: *r,
                usage: r.used(&usage),
                limit: limits.get(r.name()).copied().unwrap_or(0),
            })
            .collect())
    }
}

/// Limits the size of an upload announced as `bytes` long, in MiB as
/// Glance computes the delta.
pub fn size_delta(bytes: Option<u64>) -> u64 {
    bytes.map_or(0, |b| b / MIB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use glint_db::sqlite::SqliteRepository;
    use glint_domain::{Image, ImageStatus, NewImage};

    struct Fixed(BTreeMap<String, i64>);

    #[async_trait]
    impl LimitSource for Fixed {
        async fn limits(&self, _: &str, resources: &[&str]) -> Result<BTreeMap<String, i64>> {
            Ok(resources
                .iter()
                .filter_map(|r| self.0.get(*r).map(|l| (r.to_string(), *l)))
                .collect())
        }
    }

    async fn repo_with_images(owner: &str, sizes: &[i64]) -> Arc<dyn Repository> {
        let repo: Arc<dyn Repository> = Arc::new(SqliteRepository::open(None).await.unwrap());
        for size in sizes {
            let mut image = Image::from_new(
                uuid::Uuid::new_v4().to_string(),
                NewImage {
                    owner: Some(owner.into()),
                    ..NewImage::default()
                },
                glint_domain::time::now(),
            );
            image.size = Some(*size);
            image.status = ImageStatus::Active;
            repo.image_create(&image).await.unwrap();
        }
        repo
    }

    fn limits(pairs: &[(&str, i64)]) -> Option<Arc<dyn LimitSource>> {
        Some(Arc::new(Fixed(
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        )))
    }

    #[tokio::test]
    async fn over_a_limit_says_which_and_by_how_much() {
        let repo = repo_with_images("p1", &[3 * MIB as i64, MIB as i64]).await;
        let quotas = UnifiedLimits::new(
            limits(&[("image_count_total", 2), ("image_size_total", 10)]),
            repo,
        );
        let err = quotas
            .enforce(Some("p1"), &[(Resource::ImageCountTotal, 1)])
            .await
            .unwrap_err();
        assert_eq!(
            err.message(),
            "Project p1 is over a limit for [Resource image_count_total is over limit of 2 due to current usage 2 and delta 1]"
        );
        quotas
            .enforce(Some("p1"), &[(Resource::ImageSizeTotal, 6)])
            .await
            .unwrap();
        assert!(quotas
            .enforce(Some("p1"), &[(Resource::ImageSizeTotal, 7)])
            .await
            .is_err());
    }

    #[tokio::test]
    async fn unregistered_is_zero_and_minus_one_is_unlimited() {
        let repo = repo_with_images("p1", &[]).await;
        let quotas = UnifiedLimits::new(limits(&[("image_count_total", -1)]), repo);
        quotas
            .enforce(Some("p1"), &[(Resource::ImageCountTotal, 1000)])
            .await
            .unwrap();
        assert!(quotas
            .enforce(Some("p1"), &[(Resource::ImageCountUploading, 1)])
            .await
            .is_err());
        let usage = quotas.usage(Some("p1")).await.unwrap();
        assert_eq!(usage.len(), 4);
        assert_eq!(usage[2].limit, -1);
        assert_eq!(usage[0].limit, 0);
    }

    #[tokio::test]
    async fn off_enforces_nothing() {
        let repo = repo_with_images("p1", &[]).await;
        let quotas = UnifiedLimits::new(None, repo);
        quotas
            .enforce(Some("p1"), &[(Resource::ImageCountTotal, 1)])
            .await
            .unwrap();
        assert!(quotas.usage(Some("p1")).await.unwrap().is_empty());
    }
}
