//! Stores keep image bytes. [`Store`] is the seam; [`FilesystemStore`] is
//! the default backend, a folder of one file per image.
//!
//! A store streams: it never holds a whole image in memory. Data is written
//! under a temporary name and renamed into place only when complete, so an
//! interrupted write leaves nothing behind.

mod filesystem;

use async_trait::async_trait;
use glint_domain::Result;
use tokio::io::AsyncRead;

pub use filesystem::FilesystemStore;

/// A stream of image bytes.
pub type ByteReader = Box<dyn AsyncRead + Send + Unpin>;

/// Where a store put an image's bytes, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The location URL recorded for the image (`file:///…`).
    pub location: String,
    pub size: u64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The store's backend type, as Glance names it (`file`, `s3`, `http`).
    fn kind(&self) -> &'static str;

    /// Makes the store ready to use (creates folders, checks buckets).
    async fn prepare(&self) -> Result<()>;

    /// Streams `data` in as the bytes of `image_id`.
    async fn add(
        &self,
        image_id: &str,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<StoredObject>;

    /// Streams the bytes at `location` out.
    async fn get(&self, location: &str) -> Result<ByteReader>;

    /// Removes the bytes at `location`; absent bytes are not an error.
    async fn delete(&self, location: &str) -> Result<()>;
}
