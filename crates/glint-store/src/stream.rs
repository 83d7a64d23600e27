//! Byte streams fed by a blocking thread through a bounded channel.

use std::io;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::ByteStream;

/// Chunk size for reads from disk.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// A stream that yields what is sent into `rx` until it closes.
pub fn channel_stream(rx: mpsc::Receiver<io::Result<Bytes>>) -> ByteStream {
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}
