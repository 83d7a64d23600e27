//! Upload bodies generated on the fly: any size, a fixed 16 MiB of memory.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use crate::stats::Rng;

/// Bytes of pseudo-random data cycled through; a multiple of `CHUNK`.
const PATTERN: usize = 16 << 20;
/// Size of each frame handed to hyper.
const CHUNK: usize = 1 << 20;

/// A request body of `len` pseudo-random bytes that never holds more than
/// `PATTERN` bytes: frames are slices of one shared buffer.
pub struct GeneratedBody {
    pattern: Bytes,
    offset: usize,
    remaining: u64,
}

impl GeneratedBody {
    pub fn new(len: u64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut buf = Vec::with_capacity(PATTERN);
        while buf.len() < PATTERN {
            buf.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        GeneratedBody {
            pattern: Bytes::from(buf),
            offset: 0,
            remaining: len,
        }
    }
}

impl Body for GeneratedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = CHUNK.min(usize::try_from(this.remaining).unwrap_or(CHUNK));
        let frame = this.pattern.slice(this.offset..this.offset + n);
        this.offset = (this.offset + CHUNK) % PATTERN;
        this.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn yields_exactly_the_asked_length() {
        let len = 3 * CHUNK as u64 + 12345;
        let mut body = GeneratedBody::new(len, 7);
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            total += frame.unwrap().into_data().unwrap().len() as u64;
        }
        assert_eq!(total, len);
    }
}
