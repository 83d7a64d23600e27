//! Connectix/Microsoft VHD (qemu's `vpc`): a 512-byte big-endian footer,
//! copied at the start of dynamic disks, with the magic `conectix` and the
//! disk size at 40. Fixed VHDs carry it only at the end; like Glance, those
//! are not recognised from a stream.

use super::{starts_with, take_header};
use crate::inspector::{Detection, Format, Probe};
use crate::region::{be_u64, Region};

const MAGIC: &[u8] = b"conectix";

pub(crate) struct Vhd {
    header: Region,
}

impl Vhd {
    pub(crate) fn new() -> Self {
        Vhd {
            header: Region::new(0, 512),
        }
    }
}

impl Probe for Vhd {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        take_header(&mut self.header, MAGIC, chunk, pos)
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        let h = self.header.data();
        if !starts_with(h, MAGIC) {
            return None;
        }
        let size = self.header.is_complete().then(|| be_u64(h, 40));
        Some(Detection::new(Format::Vhd, size))
    }
}
