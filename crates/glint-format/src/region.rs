//! Pieces of a stream a probe keeps while the bytes pass by.

/// A fixed span of the stream (`start`, `len` bytes), filled as chunks
/// arrive. Bytes that went by before the span was asked for are lost: the
/// span then stays incomplete (`missed`).
#[derive(Debug, Clone)]
pub(crate) struct Region {
    start: u64,
    len: usize,
    data: Vec<u8>,
    missed: bool,
}

impl Region {
    pub(crate) fn new(start: u64, len: usize) -> Self {
        Region {
            start,
            len,
            data: Vec::new(),
            missed: false,
        }
    }

    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// Takes what `chunk` (which starts at `pos` in the stream) holds of
    /// this span.
    pub(crate) fn take(&mut self, chunk: &[u8], pos: u64) {
        if self.is_complete() || self.missed {
            return;
        }
        let want = self.start + self.data.len() as u64;
        let end = pos + chunk.len() as u64;
        if want < pos {
            self.missed = true;
            return;
        }
        if want >= end {
            return;
        }
        let from = (want - pos) as usize;
        let n = (self.len - self.data.len()).min(chunk.len() - from);
        self.data.extend_from_slice(&chunk[from..from + n]);
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.data.len() == self.len
    }

    /// Whether the span can no longer fill: complete, or passed.
    pub(crate) fn is_settled(&self) -> bool {
        self.is_complete() || self.missed
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }
}

/// The last `keep` bytes of the stream.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    keep: usize,
    data: Vec<u8>,
}

impl Tail {
    pub(crate) fn new(keep: usize) -> Self {
        Tail {
            keep,
            data: Vec::with_capacity(keep),
        }
    }

    pub(crate) fn take(&mut self, chunk: &[u8]) {
        if chunk.len() >= self.keep {
            self.data.clear();
            self.data
                .extend_from_slice(&chunk[chunk.len() - self.keep..]);
            return;
        }
        self.data.extend_from_slice(chunk);
        if self.data.len() > self.keep {
            let extra = self.data.len() - self.keep;
            self.data.drain(..extra);
        }
    }

    /// The kept bytes, once the stream was at least `keep` long.
    pub(crate) fn data(&self) -> Option<&[u8]> {
        (self.data.len() == self.keep).then_some(&self.data[..])
    }
}

/// Little- and big-endian reads from a byte slice; missing bytes read as 0,
/// so that a short header gives zeros rather than a panic.
pub(crate) fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(array(b, at))
}
pub(crate) fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(array(b, at))
}
pub(crate) fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(array(b, at))
}
pub(crate) fn be_u16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(array(b, at))
}
pub(crate) fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(array(b, at))
}
pub(crate) fn be_u64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(array(b, at))
}

fn array<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = b.get(at..) {
        let n = src.len().min(N);
        out[..n].copy_from_slice(&src[..n]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_fills_across_chunks() {
        let mut r = Region::new(3, 4);
        r.take(b"ab", 0);
        r.take(b"cdef", 2);
        assert_eq!(r.data(), b"def");
        r.take(b"ghij", 6);
        assert_eq!(r.data(), b"defg");
        assert!(r.is_complete());
    }

    #[test]
    fn a_region_asked_for_too_late_is_missed() {
        let mut r = Region::new(0, 4);
        r.take(b"xy", 10);
        assert!(r.is_settled());
        assert!(!r.is_complete());
    }

    #[test]
    fn a_tail_keeps_the_last_bytes() {
        let mut t = Tail::new(3);
        t.take(b"ab");
        assert_eq!(t.data(), None);
        t.take(b"cd");
        assert_eq!(t.data(), Some(&b"bcd"[..]));
        t.take(b"efghi");
        assert_eq!(t.data(), Some(&b"ghi"[..]));
    }

    #[test]
    fn short_reads_give_zeros() {
        assert_eq!(be_u32(&[1, 2], 0), 0x0102_0000);
        assert_eq!(le_u64(&[], 8), 0);
    }
}
