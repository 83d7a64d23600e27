//! QEMU's qcow2 (and the retired QED, recognised only to be refused).
//! Big-endian header: magic `QFI\xfb`, version at 4, backing file offset
//! at 8, virtual size at 24, incompatible feature bits at 72 (version 3).
//! <https://gitlab.com/qemu-project/qemu/-/blob/master/docs/interop/qcow2.txt>

use super::{starts_with, take_header};
use crate::inspector::{Detection, Format, Probe, Violation};
use crate::region::{be_u32, be_u64, Region};

const MAGIC: &[u8] = b"QFI\xfb";
/// Incompatible feature bits qemu knows: dirty, corrupt, external data
/// file, compression type. Anything above is unknown to us and refused.
const KNOWN_INCOMPATIBLE: u64 = 0b1111;
const EXTERNAL_DATA_FILE: u64 = 1 << 2;

pub(crate) struct Qcow2 {
    header: Region,
}

impl Qcow2 {
    pub(crate) fn new() -> Self {
        Qcow2 {
            header: Region::new(0, 512),
        }
    }
}

impl Probe for Qcow2 {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        take_header(&mut self.header, MAGIC, chunk, pos)
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        let h = self.header.data();
        if !starts_with(h, MAGIC) {
            return None;
        }
        let version = be_u32(h, 4);
        let mut d = Detection::new(Format::Qcow2, Some(be_u64(h, 24)));
        // A version-2 header ends at 72; version 3 adds the feature bits.
        d.complete = h.len() >= if version == 2 { 72 } else { 80 };
        if be_u64(h, 8) != 0 {
            d.violations
                .push(Violation::new("backing_file", "Image has a backing file"));
        }
        let features = be_u64(h, 72);
        if features & EXTERNAL_DATA_FILE != 0 {
            d.violations
                .push(Violation::new("data_file", "Image has data_file set"));
        }
        match version {
            2 => {}
            3 if features & !KNOWN_INCOMPATIBLE != 0 => d.violations.push(Violation::new(
                "unknown_features",
                "Unknown QCOW2 features found",
            )),
            3 => {}
            _ => d.violations.push(Violation::new(
                "unknown_features",
                "Unsupported qcow2 version",
            )),
        }
        Some(d)
    }
}

const QED_MAGIC: &[u8] = b"QED\0";

/// QED: nobody uses it and it cannot be checked, so it is always refused.
pub(crate) struct Qed {
    header: Region,
}

impl Qed {
    pub(crate) fn new() -> Self {
        Qed {
            header: Region::new(0, 4),
        }
    }
}

impl Probe for Qed {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        take_header(&mut self.header, QED_MAGIC, chunk, pos)
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        if !starts_with(self.header.data(), QED_MAGIC) {
            return None;
        }
        let mut d = Detection::new(Format::Qed, None);
        d.violations
            .push(Violation::new("banned", "This file format is not allowed"));
        Some(d)
    }
}
