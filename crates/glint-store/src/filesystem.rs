//! The filesystem store: `[glance_store] filesystem_store_datadir`.
//!
//! Files are written and read by blocking threads (one per transfer) that
//! exchange chunks with the async side over bounded channels, so a transfer
//! holds at most a few chunks in memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use glint_domain::{Error, Result};
use tokio::sync::mpsc;

use crate::{channel_stream, ByteRange, ByteStream, PartialWrite, Store, StoredObject, CHUNK_SIZE};

const PARTIAL_SUFFIX: &str = ".partial";

pub struct FilesystemStore {
    datadir: PathBuf,
}

impl FilesystemStore {
    pub fn new(datadir: impl Into<PathBuf>) -> Self {
        FilesystemStore {
            datadir: datadir.into(),
        }
    }

    pub fn datadir(&self) -> &Path {
        &self.datadir
    }

    /// Where one `add` writes `image_id`'s bytes until they are complete:
    /// a hidden file of its own, `.ID.N.partial`.
    fn partial_path(&self, image_id: &str) -> PathBuf {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        self.datadir.join(format!(
            ".{image_id}.{:x}{nanos:08x}{n:x}{PARTIAL_SUFFIX}",
            std::process::id()
        ))
    }

    /// The location `add` records for `image_id`'s bytes.
    pub fn location_of(&self, image_id: &str) -> String {
        format!("file://{}", self.datadir.join(image_id).display())
    }

    /// The file a `file://` location names, refusing paths outside the store.
    fn path_of(&self, location: &str) -> Result<PathBuf> {
        let path = PathBuf::from(
            location
                .strip_prefix("file://")
                .ok_or_else(|| Error::invalid(format!("not a file location: {location}")))?,
        );
        if !path.starts_with(&self.datadir) || path.components().any(|c| c.as_os_str() == "..") {
            return Err(Error::forbidden(format!(
                "location {location} is outside the store"
            )));
        }
        Ok(path)
    }
}

fn io_error(what: &str, path: &Path, e: io::Error) -> Error {
    if e.raw_os_error() == Some(28) {
        return Error::LimitExceeded(format!("Image storage media is full: {}", path.display()));
    }
    Error::internal(format!("{what} {}: {e}", path.display()))
}

/// Bytes written between two background flushes of a file being uploaded.
const FLUSH_EVERY: u64 = 64 * 1024 * 1024;

/// Writes chunks from `rx` to `partial` and syncs it to disk.
///
/// A second thread flushes what has been written so far every
/// [`FLUSH_EVERY`] bytes, so the disk works while the network does and the
/// final sync has little left to do.
fn write_file(partial: &Path, mut rx: mpsc::Receiver<Bytes>) -> Result<u64> {
    let mut file = File::create(partial).map_err(|e| io_error("cannot create", partial, e))?;
    let flusher = file
        .try_clone()
        .map_err(|e| io_error("cannot open", partial, e))?;
    let (flush_tx, flush_rx) = std::sync::mpsc::sync_channel::<()>(1);
    let flush_thread = std::thread::spawn(move || {
        while flush_rx.recv().is_ok() {
            let _ = flusher.sync_data();
        }
    });
    let mut size = 0u64;
    let mut next_flush = FLUSH_EVERY;
    let result = (|| {
        while let Some(chunk) = rx.blocking_recv() {
            file.write_all(&chunk)
                .map_err(|e| io_error("cannot write", partial, e))?;
            size += chunk.len() as u64;
            if size >= next_flush {
                // Skipped when a flush is still running: the next one covers it.
                let _ = flush_tx.try_send(());
                next_flush = size + FLUSH_EVERY;
            }
        }
        Ok(())
    })();
    drop(flush_tx);
    let _ = flush_thread.join();
    result?;
    file.sync_data()
        .map_err(|e| io_error("cannot sync", partial, e))?;
    Ok(size)
}

fn read_file(
    path: &Path,
    range: Option<ByteRange>,
    tx: &mpsc::Sender<io::Result<Bytes>>,
) -> io::Result<()> {
    let mut file = File::open(path)?;
    let mut remaining = match range {
        Some(r) => {
            file.seek(SeekFrom::Start(r.start))?;
            r.len()
        }
        None => u64::MAX,
    };
    while remaining > 0 {
        let want = CHUNK_SIZE.min(usize::try_from(remaining).unwrap_or(CHUNK_SIZE));
        let mut buf = BytesMut::zeroed(want);
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        buf.truncate(n);
        remaining -= n as u64;
        if tx.blocking_send(Ok(buf.freeze())).is_err() {
            break; // the client went away
        }
    }
    Ok(())
}

#[async_trait]
impl Store for FilesystemStore {
    fn kind(&self) -> &'static str {
        "file"
    }

    async fn prepare(&self) -> Result<()> {
        tokio::fs::create_dir_all(&self.datadir)
            .await
            .map_err(|e| io_error("cannot create", &self.datadir, e))
    }

    async fn add(&self, image_id: &str, mut data: ByteStream) -> Result<StoredObject> {
        if image_id.contains(['/', '\\']) || image_id.starts_with('.') || image_id.is_empty() {
            return Err(Error::invalid(format!("invalid image id {image_id}")));
        }
        let dest = self.datadir.join(image_id);
        let partial = self.partial_path(image_id);
        let (tx, rx) = mpsc::channel::<Bytes>(8);
        let writer = {
            let partial = partial.clone();
            tokio::task::spawn_blocking(move || write_file(&partial, rx))
        };
        let mut failure = None;
        while let Some(chunk) = data.next().await {
            match chunk {
                Ok(chunk) if chunk.is_empty() => {}
                Ok(chunk) => {
                    if tx.send(chunk).await.is_err() {
                        break; // the writer failed; its error says why
                    }
                }
                Err(e) => {
                    failure = Some(Error::invalid(format!("image data could not be read: {e}")));
                    break;
                }
            }
        }
        drop(tx);
        let written = writer
            .await
            .map_err(|e| Error::internal(format!("writer thread failed: {e}")))?;
        let result = match (failure, written) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(size)) => tokio::fs::rename(&partial, &dest)
                .await
                .map(|()| size)
                .map_err(|e| io_error("cannot rename", &partial, e)),
        };
        match result {
            Ok(size) => Ok(StoredObject {
                location: self.location_of(image_id),
                size,
            }),
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(e)
            }
        }
    }

    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream> {
        let path = self.path_of(location)?;
        match tokio::fs::metadata(&path).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::not_found(format!(
                    "Image data not found at {location}"
                )))
            }
            Err(e) => return Err(io_error("cannot open", &path, e)),
        }
        let (tx, rx) = mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = read_file(&path, range, &tx) {
                let _ = tx.blocking_send(Err(e));
            }
        });
        Ok(channel_stream(rx))
    }

    async fn delete(&self, location: &str) -> Result<()> {
        let path = self.path_of(location)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("cannot delete", &path, e)),
        }
    }

    async fn partial_writes(&self) -> Result<Vec<PartialWrite>> {
        let mut partials = Vec::new();
        let mut entries = match tokio::fs::read_dir(&self.datadir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(partials),
            Err(e) => return Err(io_error("cannot list", &self.datadir, e)),
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(PARTIAL_SUFFIX))
            else {
                continue;
            };
            // `.ID.N.partial`; `.ID.partial` as older versions wrote it.
            let image_id = stem.rsplit_once('.').map_or(stem, |(id, _)| id);
            partials.push(PartialWrite {
                image_id: image_id.to_string(),
                handle: name,
            });
        }
        Ok(partials)
    }

    async fn remove_partial_write(&self, partial: &PartialWrite) -> Result<()> {
        if partial.handle.contains(['/', '\\']) || !partial.handle.ends_with(PARTIAL_SUFFIX) {
            return Err(Error::invalid(format!(
                "not a partial write: {}",
                partial.handle
            )));
        }
        let partial = self.datadir.join(&partial.handle);
        match tokio::fs::remove_file(&partial).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("cannot delete", &partial, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(chunks: Vec<io::Result<Bytes>>) -> ByteStream {
        Box::pin(futures_util::stream::iter(chunks))
    }

    async fn read_all(mut s: ByteStream) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn add_get_range_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = FilesystemStore::new(dir.path().join("images"));
        store.prepare().await.unwrap();
        let data = stream_of(vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"image")),
        ]);
        let obj = store.add("abc", data).await.unwrap();
        assert_eq!(obj.size, 11);
        assert_eq!(
            read_all(store.get(&obj.location, None).await.unwrap()).await,
            b"hello image"
        );
        let part = store
            .get(&obj.location, Some(ByteRange { start: 6, end: 8 }))
            .await
            .unwrap();
        assert_eq!(read_all(part).await, b"ima");
        store.delete(&obj.location).await.unwrap();
        store.delete(&obj.location).await.unwrap();
        assert!(matches!(
            store.get(&obj.location, None).await,
            Err(Error::NotFound(_))
        ));
        assert!(store.get("file:///etc/passwd", None).await.is_err());
        assert_eq!(std::fs::read_dir(store.datadir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_failing_stream_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FilesystemStore::new(dir.path());
        store.prepare().await.unwrap();
        let data = stream_of(vec![
            Ok(Bytes::from_static(b"partial")),
            Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "client went away",
            )),
        ]);
        assert!(store.add("abc", data).await.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn partial_writes_are_listed_and_removed_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = FilesystemStore::new(dir.path());
        std::fs::write(dir.path().join(".abc.partial"), b"x").unwrap();
        std::fs::write(dir.path().join(".xyz.1f.partial"), b"x").unwrap();
        std::fs::write(dir.path().join("def"), b"y").unwrap();
        let mut listed = store.partial_writes().await.unwrap();
        listed.sort_by(|a, b| a.image_id.cmp(&b.image_id));
        let ids: Vec<&str> = listed.iter().map(|p| p.image_id.as_str()).collect();
        assert_eq!(ids, ["abc", "xyz"]);
        // A new write of abc starts after the listing: removing the listed
        // partial leaves the new one alone.
        std::fs::write(store.partial_path("abc"), b"new").unwrap();
        store.remove_partial_write(&listed[0]).await.unwrap();
        store.remove_partial_write(&listed[0]).await.unwrap();
        let mut left: Vec<String> = store
            .partial_writes()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.image_id)
            .collect();
        left.sort();
        assert_eq!(left, ["abc", "xyz"]);
        assert!(dir.path().join("def").exists());
        let outside = PartialWrite {
            image_id: "abc".into(),
            handle: "../def".into(),
        };
        assert!(store.remove_partial_write(&outside).await.is_err());
    }
}
