//! VirtualBox VDI: a 512-byte little-endian header with the signature
//! 0xbeda107f at 0x40 and the disk size at 0x170.

use crate::inspector::{Detection, Format, Probe};
use crate::region::{le_u32, le_u64, Region};

const SIGNATURE: u32 = 0xbeda_107f;

pub(crate) struct Vdi {
    header: Region,
}

impl Vdi {
    pub(crate) fn new() -> Self {
        Vdi {
            header: Region::new(0, 512),
        }
    }

    fn signed(&self) -> bool {
        le_u32(self.header.data(), 0x40) == SIGNATURE
    }
}

impl Probe for Vdi {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        self.header.take(chunk, pos);
        if self.header.data().len() >= 0x44 && !self.signed() {
            return false;
        }
        !self.header.is_settled()
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        if !self.header.is_complete() || !self.signed() {
            return None;
        }
        Some(Detection::new(
            Format::Vdi,
            Some(le_u64(self.header.data(), 0x170)),
        ))
    }
}
