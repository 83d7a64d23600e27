//! Stores keep image bytes. [`Store`] is the seam; [`FilesystemStore`] is
//! the default backend, a folder of one file per image; [`Stores`] holds the
//! enabled stores by id (Glance's `enabled_backends`).
//!
//! A store streams: it never holds a whole image in memory. Data is written
//! under a temporary name and renamed into place only when complete, so an
//! interrupted write leaves nothing behind; a crash mid-write leaves a
//! partial write, which [`Store::partial_writes`] lists and
//! [`Store::remove_partial_write`] removes once the service knows its
//! writer is gone. Each write's partial is its own ([`PartialWrite`]), so
//! removing one listed earlier never touches a write of the same image
//! that started since.

pub mod conformance;
mod filesystem;
mod http;
mod registry;
pub mod s3;
mod stream;

use std::io;
use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use glint_domain::Result;

pub use filesystem::FilesystemStore;
pub use http::{is_http_location, HttpStore};
pub use registry::{StoreInfo, Stores};
pub use s3::{S3Settings, S3Store};
pub use stream::{channel_stream, CHUNK_SIZE};

/// A stream of image bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// Where a store put an image's bytes, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The location URL recorded for the image (`file:///…`).
    pub location: String,
    pub size: u64,
}

/// One unfinished write: whose image, and which write (a store's own
/// handle: the partial file's name, the multipart upload's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialWrite {
    pub image_id: String,
    pub handle: String,
}

/// An inclusive byte range `[start, end]` of an image's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The store's backend type, as Glance names it (`file`, `s3`, `http`).
    fn kind(&self) -> &'static str;

    /// Makes the store ready to use (creates folders, checks buckets).
    async fn prepare(&self) -> Result<()>;

    /// Streams `data` in as the bytes of `image_id`. When `data` yields an
    /// error, or the store fails, nothing is left behind.
    async fn add(&self, image_id: &str, data: ByteStream) -> Result<StoredObject>;

    /// Streams the bytes at `location` out, or only `range` of them.
    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream>;

    /// Removes the bytes at `location`; absent bytes are not an error.
    async fn delete(&self, location: &str) -> Result<()>;

    /// The writes not finished: under way, or left by a crash (stores
    /// that cannot tell answer none).
    async fn partial_writes(&self) -> Result<Vec<PartialWrite>>;

    /// Removes what one unfinished write (as listed) left; gone already is
    /// not an error.
    async fn remove_partial_write(&self, partial: &PartialWrite) -> Result<()>;
}
