//! This node's image cache (`image_cache_dir`): whole copies of active
//! images on local disk, so that an image many servers boot from is read
//! from the store once per API node.
//!
//! A download that misses fills the cache while it streams to its client;
//! an image queued through the cache API is fetched by the prefetcher. A
//! copy goes into place only complete and matching the image's size and
//! checksum (the folder is a [`FilesystemStore`]: partial writes are hidden
//! files, renamed once whole), and the least recently used copies are
//! evicted as soon as the cache holds more than `image_cache_max_size`.
//!
//! Hits, access times and the queue are kept in an index file beside the
//! copies. One process owns the folder.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::StreamExt;
use glint_config::ImageCacheConfig;
use glint_domain::{Error, Image, Result};
use glint_store::{ByteRange, ByteStream, FilesystemStore, Store};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

const INDEX_FILE: &str = "glint-cache-index.json";

/// What the cache knows of one cached image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedImage {
    pub size: u64,
    pub hits: u64,
    /// Seconds since the epoch.
    pub last_accessed: f64,
    /// Seconds since the epoch: when the copy went into place.
    pub last_modified: f64,
}

#[derive(Default, Serialize, Deserialize)]
struct Index {
    cached: BTreeMap<String, CachedImage>,
    /// Image ids waiting for the prefetcher, first first.
    queued: Vec<String>,
    /// Images whose copy is being written now.
    #[serde(skip)]
    filling: HashSet<String>,
    /// Hits not yet written to the index file.
    #[serde(skip)]
    unsaved: bool,
}

pub struct ImageCache {
    config: ImageCacheConfig,
    folder: FilesystemStore,
    index: Mutex<Index>,
    /// Set while a prefetcher pass runs.
    prefetching: AtomicBool,
}

impl Index {
    fn knows(&self, image_id: &str) -> bool {
        self.cached.contains_key(image_id) || self.queued.iter().any(|q| q == image_id)
    }
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

fn io_error(what: &str, e: io::Error) -> Error {
    Error::internal(format!("image cache: {what}: {e}"))
}

impl ImageCache {
    /// Opens the cache folder: makes it, reads the index, forgets copies
    /// whose file is gone, adopts files the index does not know, and
    /// removes the partial copies a stopped process left.
    pub fn open(config: &ImageCacheConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.dir)
            .map_err(|e| io_error("cannot create the folder", e))?;
        let mut index: Index = match std::fs::read(config.dir.join(INDEX_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "image cache index unreadable; starting a new one");
                Index::default()
            }),
            Err(_) => Index::default(),
        };
        let mut present = BTreeMap::new();
        for entry in std::fs::read_dir(&config.dir).map_err(|e| io_error("cannot list", e))? {
            let entry = entry.map_err(|e| io_error("cannot list", e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                let _ = std::fs::remove_file(entry.path());
                continue;
            }
            if name == INDEX_FILE || name.ends_with(".tmp") {
                continue;
            }
            let meta = entry.metadata().map_err(|e| io_error("cannot read", e))?;
            if !meta.is_file() {
                // Glance's cache keeps incomplete/, invalid/ and queue/
                // here; its complete copies (files named by image id) are
                // adopted.
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0.0, |d| d.as_secs_f64());
            let known = index.cached.remove(&name);
            present.insert(
                name,
                CachedImage {
                    size: meta.len(),
                    ..known.unwrap_or(CachedImage {
                        size: 0,
                        hits: 0,
                        last_accessed: modified,
                        last_modified: modified,
                    })
                },
            );
        }
        index.cached = present;
        let cache = ImageCache {
            config: config.clone(),
            folder: FilesystemStore::new(&config.dir),
            index: Mutex::new(index),
            prefetching: AtomicBool::new(false),
        };
        cache.save()?;
        Ok(cache)
    }

    /// Whether downloads are served through the cache.
    pub fn serves_downloads(&self) -> bool {
        self.config.serves_downloads
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the index file (whole, then renamed into place).
    fn save(&self) -> Result<()> {
        let bytes = {
            let mut index = self.lock();
            index.unsaved = false;
            serde_json::to_vec(&*index).map_err(|e| Error::internal(e.to_string()))?
        };
        let tmp = self.config.dir.join(format!("{INDEX_FILE}.tmp"));
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, self.config.dir.join(INDEX_FILE)))
            .map_err(|e| io_error("cannot write the index", e))
    }

    fn save_or_warn(&self) {
        if let Err(e) = self.save() {
            tracing::warn!(error = %e, "image cache index not saved");
        }
    }

    /// Writes hits counted since the last save, if any.
    pub fn save_hits(&self) {
        if self.lock().unsaved {
            self.save_or_warn();
        }
    }

    /// The cached images (by id) and the queue, in order.
    pub fn state(&self) -> (BTreeMap<String, CachedImage>, Vec<String>) {
        let index = self.lock();
        (index.cached.clone(), index.queued.clone())
    }

    /// Whether a copy of `image_id` is in place.
    pub(crate) fn is_cached(&self, image_id: &str) -> bool {
        self.lock().cached.contains_key(image_id)
    }

    /// Whether `image_id` is cached or queued.
    pub fn knows(&self, image_id: &str) -> bool {
        self.lock().knows(image_id)
    }

    /// Queues `image_id` for the prefetcher (once; not when cached).
    pub fn queue(&self, image_id: &str) {
        {
            let mut index = self.lock();
            if index.knows(image_id) {
                return;
            }
            index.queued.push(image_id.to_string());
        }
        self.save_or_warn();
    }

    pub(crate) fn dequeue(&self, image_id: &str) {
        self.lock().queued.retain(|q| q != image_id);
        self.save_or_warn();
    }

    /// Claims the prefetcher's turn; false while another pass runs.
    pub(crate) fn start_prefetching(&self) -> bool {
        !self.prefetching.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn stop_prefetching(&self) {
        self.prefetching.store(false, Ordering::Release);
    }

    pub(crate) fn queued(&self) -> Vec<String> {
        self.lock().queued.clone()
    }

    /// Removes `image_id`'s copy and queue entry.
    pub async fn remove(&self, image_id: &str) {
        let had = {
            let mut index = self.lock();
            index.queued.retain(|q| q != image_id);
            index.cached.remove(image_id).is_some()
        };
        if had {
            let _ = self.folder.delete(&self.folder.location_of(image_id)).await;
        }
        self.save_or_warn();
    }

    /// Empties the cache and/or the queue; answers how many of each went.
    pub async fn clear(&self, cache: bool, queue: bool) -> (usize, usize) {
        let (copies, queued) = {
            let mut index = self.lock();
            let copies: Vec<String> = if cache {
                std::mem::take(&mut index.cached).into_keys().collect()
            } else {
                Vec::new()
            };
            let queued = if queue {
                std::mem::take(&mut index.queued).len()
            } else {
                0
            };
            (copies, queued)
        };
        for id in &copies {
            let _ = self.folder.delete(&self.folder.location_of(id)).await;
        }
        self.save_or_warn();
        (copies.len(), queued)
    }

    /// Removes partial copies no fill is writing (a stopped process's, or
    /// one stalled past `image_cache_stall_time`); answers how many.
    pub async fn remove_stalled_fills(&self) -> Result<usize> {
        let mut removed = 0;
        for partial in self.folder.partial_writes().await? {
            let stalled = std::fs::metadata(self.config.dir.join(&partial.handle))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > self.config.stall_time_secs);
            if stalled || !self.lock().filling.contains(&partial.image_id) {
                self.folder.remove_partial_write(&partial).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Evicts the least recently used copies until the cache holds at
    /// most `image_cache_max_size`; answers (copies, bytes) evicted.
    pub async fn prune(&self) -> (u64, u64) {
        let evicted: Vec<(String, u64)> = {
            let mut index = self.lock();
            let mut total: u64 = index.cached.values().map(|c| c.size).sum();
            let mut by_age: Vec<(f64, String, u64)> = index
                .cached
                .iter()
                .map(|(id, c)| (c.last_accessed, id.clone(), c.size))
                .collect();
            by_age.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut evicted = Vec::new();
            for (_, id, size) in by_age {
                if total <= self.config.max_size {
                    break;
                }
                index.cached.remove(&id);
                total -= size;
                evicted.push((id, size));
            }
            evicted
        };
        if evicted.is_empty() {
            return (0, 0);
        }
        for (id, _) in &evicted {
            let _ = self.folder.delete(&self.folder.location_of(id)).await;
        }
        self.save_or_warn();
        let bytes = evicted.iter().map(|(_, size)| size).sum();
        tracing::info!(copies = evicted.len(), bytes, "image cache pruned");
        (evicted.len() as u64, bytes)
    }

    /// `image_id`'s cached bytes (or `range` of them), counting a hit;
    /// `None` when not cached.
    pub async fn read(&self, image_id: &str, range: Option<ByteRange>) -> Option<ByteStream> {
        if !self.lock().cached.contains_key(image_id) {
            return None;
        }
        match self
            .folder
            .get(&self.folder.location_of(image_id), range)
            .await
        {
            Ok(stream) => {
                let mut index = self.lock();
                if let Some(entry) = index.cached.get_mut(image_id) {
                    entry.hits += 1;
                    entry.last_accessed = now();
                }
                index.unsaved = true;
                Some(stream)
            }
            Err(e) => {
                tracing::warn!(image_id, error = %e, "cached copy unreadable; forgetting it");
                self.lock().cached.remove(image_id);
                None
            }
        }
    }

    /// Whether a copy of `image` should be made now: it has a checksum
    /// and a size that fits, and is neither cached nor being filled.
    pub(crate) fn wants(&self, image: &Image) -> bool {
        let fits = image
            .size
            .is_some_and(|s| s >= 0 && (s as u64) <= self.config.max_size);
        let index = self.lock();
        fits && image.checksum.is_some()
            && !index.cached.contains_key(&image.id)
            && !index.filling.contains(&image.id)
    }

    /// `data`, `image`'s whole bytes on their way to a client, copied into
    /// the cache as they pass when the cache wants them. The copy goes
    /// into place only if the stream ends whole and matches the image.
    pub fn fill_while_streaming(self: &Arc<Self>, image: &Image, data: ByteStream) -> ByteStream {
        if !self.wants(image) {
            return data;
        }
        self.lock().filling.insert(image.id.clone());
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
        let cache = self.clone();
        let (id, size, checksum) = (
            image.id.clone(),
            image.size.unwrap_or_default() as u64,
            image.checksum.clone().unwrap_or_default(),
        );
        tokio::spawn(async move {
            cache.install(&id, size, &checksum, rx).await;
            cache.lock().filling.remove(&id);
        });
        let copy = Copy {
            tx: Some(tx),
            remaining: size,
        };
        Box::pin(futures_util::stream::unfold(
            (data, copy),
            |(mut data, mut copy)| async move {
                match data.next().await {
                    Some(Ok(chunk)) => {
                        copy.send(Ok(chunk.clone())).await;
                        copy.remaining = copy.remaining.saturating_sub(chunk.len() as u64);
                        if copy.remaining == 0 {
                            // Every byte passed: a server that stops reading
                            // at Content-Length never asks for the end.
                            drop(copy.tx.take());
                        }
                        Some((Ok(chunk), (data, copy)))
                    }
                    Some(Err(e)) => {
                        copy.send(Err(io::Error::other("the source failed"))).await;
                        drop(copy.tx.take());
                        Some((Err(e), (data, copy)))
                    }
                    None => {
                        // Whole: the copy ends cleanly.
                        drop(copy.tx.take());
                        None
                    }
                }
            },
        ))
    }

    /// Writes the copy arriving on `rx`, then keeps it only when it is
    /// `size` bytes with MD5 `checksum`.
    async fn install(
        &self,
        image_id: &str,
        size: u64,
        checksum: &str,
        rx: mpsc::Receiver<io::Result<Bytes>>,
    ) {
        let md5 = Arc::new(Mutex::new(Md5::new()));
        let hashing = md5.clone();
        let stream = glint_store::channel_stream(rx).map(move |chunk| {
            if let Ok(bytes) = &chunk {
                hashing
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .update(bytes);
            }
            chunk
        });
        let stored = match self.folder.add(image_id, Box::pin(stream)).await {
            Ok(stored) => stored,
            Err(e) => {
                tracing::debug!(image_id, error = %e, "image not cached");
                return;
            }
        };
        let digest = md5
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        if stored.size != size || hex != checksum {
            tracing::warn!(
                image_id,
                size = stored.size,
                "cached copy does not match the image; discarded"
            );
            let _ = self.folder.delete(&stored.location).await;
            return;
        }
        let at = now();
        self.lock().cached.insert(
            image_id.to_string(),
            CachedImage {
                size,
                hits: 0,
                last_accessed: at,
                last_modified: at,
            },
        );
        tracing::info!(image_id, size, "image cached");
        self.dequeue(image_id);
        self.prune().await;
    }
}

/// The cache's side of a tee: a copy that is not told the stream ended
/// whole (the client went away) fails, so it never goes into place.
struct Copy {
    tx: Option<mpsc::Sender<io::Result<Bytes>>>,
    /// Bytes of the image still to come.
    remaining: u64,
}

impl Copy {
    async fn send(&mut self, chunk: io::Result<Bytes>) {
        if let Some(tx) = &self.tx {
            if tx.send(chunk).await.is_err() {
                // The copy gave up (disk full, say); the client goes on.
                self.tx = None;
            }
        }
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.try_send(Err(io::Error::other("the download stopped")));
        }
    }
}
