//! ISO 9660 and UDF: 32 KiB of system area (free for boot loaders, so
//! other formats' headers may sit there), then the first volume
//! descriptor, whose bytes 1..6 are `CD001`, `NSR02` or `NSR03`. A primary
//! volume descriptor (type 1) gives the size: blocks at 80 × block size at
//! 128, both little-endian halves of both-endian fields.

use crate::inspector::{Detection, Format, Probe};
use crate::region::{le_u16, le_u32, Region};

const DESCRIPTOR_AT: u64 = 32 * 1024;
const IDENTIFIERS: [&[u8]; 3] = [b"CD001", b"NSR02", b"NSR03"];

pub(crate) struct Iso {
    descriptor: Region,
}

impl Iso {
    pub(crate) fn new() -> Self {
        Iso {
            descriptor: Region::new(DESCRIPTOR_AT, 2048),
        }
    }
}

impl Probe for Iso {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        self.descriptor.take(chunk, pos);
        let d = self.descriptor.data();
        if d.len() >= 6 && !IDENTIFIERS.contains(&&d[1..6]) {
            return false;
        }
        !self.descriptor.is_settled()
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        let d = self.descriptor.data();
        if !self.descriptor.is_complete() || !IDENTIFIERS.contains(&&d[1..6]) {
            return None;
        }
        let size = if d[0] == 1 {
            u64::from(le_u32(d, 80)) * u64::from(le_u16(d, 128))
        } else {
            0
        };
        Some(Detection::new(Format::Iso, (size > 0).then_some(size)))
    }
}
