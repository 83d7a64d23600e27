//! Hashing image data as it streams: MD5 (`checksum`) and the configured
//! `os_hash_algo`, each on its own thread so that both keep up with the
//! network on a multi-core machine. The stream also counts the bytes and
//! fails once they pass the allowed size.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use glint_domain::{Error, Result};
use glint_store::ByteStream;
use md5::Md5;
use sha2::digest::DynDigest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How many chunks each hasher may lag behind the writer.
const HASH_QUEUE: usize = 16;

pub fn new_hasher(algo: &str) -> Result<Box<dyn DynDigest + Send>> {
    Ok(match algo {
        "sha512" => Box::new(sha2::Sha512::default()),
        "sha384" => Box::new(sha2::Sha384::default()),
        "sha256" => Box::new(sha2::Sha256::default()),
        "sha224" => Box::new(sha2::Sha224::default()),
        "sha1" => Box::new(sha1::Sha1::default()),
        "md5" => Box::new(Md5::default()),
        other => {
            return Err(Error::internal(format!(
                "unsupported hashing_algorithm {other}"
            )))
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn spawn_hasher(
    mut hasher: Box<dyn DynDigest + Send>,
) -> (mpsc::Sender<Bytes>, JoinHandle<String>) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(HASH_QUEUE);
    let handle = tokio::task::spawn_blocking(move || {
        while let Some(chunk) = rx.blocking_recv() {
            hasher.update(&chunk);
        }
        hex(&hasher.finalize())
    });
    (tx, handle)
}

/// The figures of a completed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub checksum: String,
    pub os_hash_algo: String,
    pub os_hash_value: String,
}

/// Collects the digests once the stream has been consumed to its end.
pub struct HashHandle {
    md5: JoinHandle<String>,
    other: JoinHandle<String>,
    algo: String,
    over_limit: Arc<AtomicBool>,
}

impl HashHandle {
    /// Whether the stream was cut because the data passed its limit.
    pub fn over_limit(&self) -> bool {
        self.over_limit.load(Ordering::Relaxed)
    }

    pub async fn finish(self) -> Result<Digests> {
        let join = |e: tokio::task::JoinError| Error::internal(format!("hasher failed: {e}"));
        Ok(Digests {
            checksum: self.md5.await.map_err(join)?,
            os_hash_value: self.other.await.map_err(join)?,
            os_hash_algo: self.algo,
        })
    }
}

struct State {
    input: ByteStream,
    md5: mpsc::Sender<Bytes>,
    other: mpsc::Sender<Bytes>,
    seen: u64,
    limit: u64,
    over_limit: Arc<AtomicBool>,
}

/// Wraps `input` so that every chunk passing through is hashed, and the
/// stream fails once more than `limit` bytes have passed.
pub fn hashing_stream(
    input: ByteStream,
    algo: &str,
    limit: u64,
) -> Result<(ByteStream, HashHandle)> {
    let (md5_tx, md5) = spawn_hasher(Box::new(Md5::default()));
    let (other_tx, other) = spawn_hasher(new_hasher(algo)?);
    let over_limit = Arc::new(AtomicBool::new(false));
    let state = State {
        input,
        md5: md5_tx,
        other: other_tx,
        seen: 0,
        limit,
        over_limit: over_limit.clone(),
    };
    let stream = futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        let chunk = match state.input.next().await? {
            Ok(chunk) => chunk,
            Err(e) => return Some((Err(e), None)),
        };
        state.seen += chunk.len() as u64;
        if state.seen > state.limit {
            state.over_limit.store(true, Ordering::Relaxed);
            let e = io::Error::new(
                io::ErrorKind::FileTooLarge,
                "image data exceeds the allowed size",
            );
            return Some((Err(e), None));
        }
        // A hasher only stops when its sender is dropped, so sends succeed.
        let _ = state.md5.send(chunk.clone()).await;
        let _ = state.other.send(chunk.clone()).await;
        Some((Ok(chunk), Some(state)))
    });
    Ok((
        Box::pin(stream),
        HashHandle {
            md5,
            other,
            algo: algo.to_string(),
            over_limit,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        let items: Vec<io::Result<Bytes>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Box::pin(futures_util::stream::iter(items))
    }

    #[tokio::test]
    async fn digests_match_known_values() {
        let (mut s, handle) =
            hashing_stream(chunks(&[b"hello ", b"world"]), "sha256", 100).unwrap();
        while s.next().await.is_some() {}
        drop(s);
        let d = handle.finish().await.unwrap();
        assert_eq!(d.checksum, "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(
            d.os_hash_value,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(d.os_hash_algo, "sha256");
    }

    #[tokio::test]
    async fn the_stream_fails_past_its_limit() {
        let (mut s, handle) = hashing_stream(chunks(&[b"12345", b"6789"]), "sha512", 6).unwrap();
        assert!(s.next().await.unwrap().is_ok());
        assert!(s.next().await.unwrap().is_err());
        assert!(s.next().await.is_none());
        assert!(handle.over_limit());
    }
}

#[cfg(test)]
mod speed {
    use sha2::digest::DynDigest;

    /// `cargo test --release -p glint-service hashing_speed -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn hashing_speed() {
        let data = vec![7u8; 64 << 20];
        for algo in ["md5", "sha512", "sha256"] {
            let mut h: Box<dyn DynDigest + Send> = super::new_hasher(algo).unwrap();
            let t = std::time::Instant::now();
            for _ in 0..4 {
                h.update(&data);
            }
            let _ = h.finalize();
            println!("{algo}: {:.0} MB/s", 256.0 / t.elapsed().as_secs_f64());
        }
    }
}
