//! The staging area, where an import's bytes wait between arriving
//! (`PUT /v2/images/{id}/stage`, or fetched by web-download, glance-download
//! and copy-image) and being written into the target stores.
//!
//! It is a folder, as in Glance (`[os_glance_staging_store]
//! filesystem_store_datadir`; several API nodes must share it, over NFS
//! say), or an S3 bucket of its own (Glint's addition: the same
//! section's `s3_store_*` options), so that API nodes share staged data
//! through the object store and need no shared filesystem.
//!
//! Import plugins run programs (`qemu-img`, `gzip`) that need a local
//! file: with a bucket, [`Staging::with_local_copy`] brings the staged
//! bytes into the node's own work folder and stages the result again.

use std::future::Future;
use std::path::{Path, PathBuf};

use glint_config::ImportConfig;
use glint_domain::{Error, ImageStatus, Result};
use glint_store::{ByteStream, FilesystemStore, S3Store, Store, StoredObject};

use crate::images::ImageService;
use crate::stores::s3_settings;

pub struct Staging {
    area: Area,
}

enum Area {
    /// Staged bytes are files in this folder.
    Folder(FilesystemStore),
    /// Staged bytes are objects in a bucket; `work` is this node's folder
    /// for local copies.
    Bucket {
        bucket: Box<S3Store>,
        work: FilesystemStore,
    },
}

impl Staging {
    /// The staging area `config` names.
    pub fn open(config: &ImportConfig) -> Result<Self> {
        let area = match &config.staging_s3 {
            None => Area::Folder(FilesystemStore::new(&config.staging_dir)),
            Some(s3) => Area::Bucket {
                bucket: Box::new(S3Store::new(s3_settings(s3))?),
                work: FilesystemStore::new(&config.staging_dir),
            },
        };
        Ok(Staging { area })
    }

    /// Where staged bytes are kept, for messages.
    pub fn describe(&self) -> String {
        match &self.area {
            Area::Folder(folder) => format!("folder {}", folder.datadir().display()),
            Area::Bucket { bucket, .. } => format!("S3 bucket {}", bucket.bucket()),
        }
    }

    fn store(&self) -> &dyn Store {
        match &self.area {
            Area::Folder(folder) => folder,
            Area::Bucket { bucket, .. } => bucket.as_ref(),
        }
    }

    fn location_of(&self, image_id: &str) -> String {
        match &self.area {
            Area::Folder(folder) => folder.location_of(image_id),
            Area::Bucket { bucket, .. } => bucket.location_of(image_id),
        }
    }

    /// Makes the folder, or checks the bucket (and the work folder).
    pub async fn prepare(&self) -> Result<()> {
        if let Area::Bucket { work, .. } = &self.area {
            work.prepare().await?;
        }
        self.store().prepare().await
    }

    /// Stages `data` as `image_id`'s bytes, replacing what was staged.
    pub async fn add(&self, image_id: &str, data: ByteStream) -> Result<StoredObject> {
        if let Area::Folder(folder) = &self.area {
            // Made again should someone have removed it.
            folder.prepare().await?;
        }
        self.store().add(image_id, data).await
    }

    /// The staged bytes of `image_id`.
    pub async fn read(&self, image_id: &str) -> Result<ByteStream> {
        self.store().get(&self.location_of(image_id), None).await
    }

    /// Removes `image_id`'s staged bytes, local copy and partial writes
    /// (a stopped worker's, which a resumed one did not reuse); none is
    /// fine. Only for an image nobody stages or imports any more.
    pub async fn remove(&self, image_id: &str) -> Result<()> {
        if let Area::Bucket { work, .. } = &self.area {
            work.delete(&work.location_of(image_id)).await?;
            remove_partials_of(work, image_id).await?;
        }
        remove_partials_of(self.store(), image_id).await?;
        self.store().delete(&self.location_of(image_id)).await
    }

    /// Whether bytes of `image_id` are staged (completely).
    pub async fn holds(&self, image_id: &str) -> Result<bool> {
        match &self.area {
            Area::Folder(folder) => Ok(tokio::fs::try_exists(folder.datadir().join(image_id))
                .await
                .unwrap_or(false)),
            Area::Bucket { bucket, .. } => bucket.contains(image_id).await,
        }
    }

    /// Runs `work` on a local file holding `image_id`'s staged bytes. When
    /// it answers that it changed the file, the file is staged again in
    /// their place. With a folder the file is the staged one itself.
    pub async fn with_local_copy<T, F, Fut>(&self, image_id: &str, work: F) -> Result<T>
    where
        F: FnOnce(PathBuf) -> Fut,
        Fut: Future<Output = Result<(T, bool)>>,
    {
        let (bucket, folder) = match &self.area {
            Area::Folder(folder) => {
                return work(folder.datadir().join(image_id))
                    .await
                    .map(|(out, _)| out)
            }
            Area::Bucket { bucket, work } => (bucket, work),
        };
        folder.prepare().await?;
        let copy = folder.add(image_id, self.read(image_id).await?).await?;
        let result = async {
            let (out, changed) = work(folder.datadir().join(image_id)).await?;
            if changed {
                let local = folder.get(&copy.location, None).await?;
                let staged = bucket.add(image_id, local).await?;
                tracing::info!(
                    image_id,
                    size = staged.size,
                    "import plugins' output staged again"
                );
            }
            Ok(out)
        }
        .await;
        let _ = folder.delete(&copy.location).await;
        result
    }

    /// Removes partial writes nobody is writing any more (see
    /// [`ImageService::remove_abandoned_partials`]), in the staging area
    /// and in the work folder.
    pub(crate) async fn remove_abandoned_partials(&self, images: &ImageService) -> Result<()> {
        images.remove_abandoned_partials(self.store()).await?;
        if let Area::Bucket { work, .. } = &self.area {
            images.remove_abandoned_partials(work).await?;
        }
        Ok(())
    }

    /// Removes staged bytes (and local copies) no image waits for: their
    /// image was deleted, or moved on without them.
    pub(crate) async fn remove_orphans(&self, images: &ImageService) -> Result<()> {
        let mut names = self.staged_names().await?;
        if let Area::Bucket { work, .. } = &self.area {
            names.extend(folder_names(work.datadir()).await?);
        }
        names.sort();
        names.dedup();
        for name in names {
            let waiting = match images.repo.image_get(&name, false).await {
                Ok(image) => matches!(
                    image.status,
                    ImageStatus::Uploading | ImageStatus::Importing
                ),
                Err(Error::NotFound(_)) => false,
                Err(_) => true,
            };
            if !waiting {
                tracing::info!(image_id = %name, "removing staged data no image waits for");
                let _ = self.remove(&name).await;
            }
        }
        Ok(())
    }

    /// The names of what is staged: image ids, and in a folder the
    /// leftovers of plugins that stopped half-way.
    async fn staged_names(&self) -> Result<Vec<String>> {
        match &self.area {
            Area::Folder(folder) => folder_names(folder.datadir()).await,
            Area::Bucket { bucket, .. } => Ok(bucket
                .object_keys()
                .await?
                .into_iter()
                .filter(|k| !k.contains('/') && !k.starts_with('.'))
                .collect()),
        }
    }
}

async fn remove_partials_of(store: &dyn Store, image_id: &str) -> Result<()> {
    for partial in store.partial_writes().await? {
        if partial.image_id == image_id {
            store.remove_partial_write(&partial).await?;
        }
    }
    Ok(())
}

/// The names of the complete files in `dir` (partial writes are hidden
/// files); none when `dir` does not exist.
async fn folder_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => {
            return Err(Error::internal(format!(
                "cannot list {}: {e}",
                dir.display()
            )))
        }
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            names.push(name);
        }
    }
    Ok(names)
}
