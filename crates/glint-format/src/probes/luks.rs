//! LUKS version 1: big-endian header with the magic `LUKS\xba\xbe`, the
//! version at 6 and the payload offset (in 512-byte sectors) at 104. Only
//! version 1 is accepted, as qemu supports only it.

use super::{starts_with, take_header};
use crate::inspector::{Detection, Format, Probe, Violation};
use crate::region::{be_u16, be_u32, Region};

const MAGIC: &[u8] = b"LUKS\xba\xbe";

pub(crate) struct Luks {
    header: Region,
}

impl Luks {
    pub(crate) fn new() -> Self {
        Luks {
            header: Region::new(0, 108),
        }
    }
}

impl Probe for Luks {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        take_header(&mut self.header, MAGIC, chunk, pos)
    }

    fn conclude(&self, total: u64) -> Option<Detection> {
        let h = self.header.data();
        if !starts_with(h, MAGIC) {
            return None;
        }
        let payload = u64::from(be_u32(h, 104)) * 512;
        let mut d = Detection::new(Format::Luks, total.checked_sub(payload));
        d.complete = self.header.is_complete();
        let version = be_u16(h, 6);
        if version != 1 {
            d.violations.push(Violation::new(
                "version",
                format!("LUKS version {version} is not supported"),
            ));
        }
        Some(d)
    }
}
