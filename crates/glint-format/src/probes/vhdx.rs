//! Microsoft VHDX: the file identifier `vhdxfile` at 0; the region table
//! at 192 KiB (signature `regi`, entry count at 8, 32-byte entries from 16
//! naming regions by GUID); the metadata region it points to (signature
//! `metadata`, entry count at 10, 32-byte entries from 32); and in it the
//! "virtual disk size" item, a little-endian u64.
//! <https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-vhdx>

use super::{differs_from, starts_with};
use crate::inspector::{Detection, Format, Probe};
use crate::region::{le_u16, le_u32, le_u64, Region};

const MAGIC: &[u8] = b"vhdxfile";
const REGION_TABLE_AT: u64 = 192 * 1024;
const TABLE_LEN: usize = 64 * 1024;
const MAX_ENTRIES: u64 = 2047;
/// 8B7CA206-4790-4B9A-B8FE-575F050F886E, as stored (mixed-endian).
const METADATA_REGION: [u8; 16] = [
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e,
];
/// 2FA54224-CD1B-4876-B211-5DBED83BF4B8, as stored.
const VIRTUAL_DISK_SIZE: [u8; 16] = [
    0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48, 0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8,
];

pub(crate) struct Vhdx {
    ident: Region,
    regions: Region,
    metadata: Option<Region>,
    size: Option<Region>,
    /// The structures did not parse: the size stays unknown.
    broken: bool,
}

impl Vhdx {
    pub(crate) fn new() -> Self {
        Vhdx {
            ident: Region::new(0, MAGIC.len()),
            regions: Region::new(REGION_TABLE_AT, TABLE_LEN),
            metadata: None,
            size: None,
            broken: false,
        }
    }

    /// Follows the structures as far as the bytes seen allow; returns
    /// whether a new region was opened (which may lie in the same chunk).
    fn advance(&mut self) -> bool {
        if self.metadata.is_none() && self.regions.is_complete() {
            let table = self.regions.data();
            let count = u64::from(le_u32(table, 8));
            match find_entry(table, b"regi", count, 16, &METADATA_REGION) {
                Some(entry) => {
                    let at = le_u64(entry, 16);
                    self.metadata = Some(Region::new(at, TABLE_LEN));
                    return true;
                }
                None => self.broken = true,
            }
        }
        if let (Some(meta), None) = (&self.metadata, &self.size) {
            if meta.is_complete() {
                let table = meta.data();
                let count = u64::from(le_u16(table, 10));
                match find_entry(table, b"metadata", count, 32, &VIRTUAL_DISK_SIZE) {
                    Some(entry) => {
                        let at = meta.start() + u64::from(le_u32(entry, 16));
                        self.size = Some(Region::new(at, 8));
                        return true;
                    }
                    None => self.broken = true,
                }
            }
        }
        false
    }

    fn take(&mut self, chunk: &[u8], pos: u64) {
        self.regions.take(chunk, pos);
        for r in [&mut self.metadata, &mut self.size].into_iter().flatten() {
            r.take(chunk, pos);
        }
    }
}

/// Finds the 32-byte entry named `guid` in a table that starts with
/// `signature` and holds `count` entries from offset `first`.
fn find_entry<'a>(
    table: &'a [u8],
    signature: &[u8],
    count: u64,
    first: usize,
    guid: &[u8; 16],
) -> Option<&'a [u8]> {
    if !starts_with(table, signature) {
        return None;
    }
    if count > MAX_ENTRIES {
        return None;
    }
    (0..count as usize)
        .map(|i| &table[first + 32 * i..first + 32 * (i + 1)])
        .find(|e| e[..16] == *guid)
}

impl Probe for Vhdx {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        self.ident.take(chunk, pos);
        if differs_from(self.ident.data(), MAGIC) {
            return false;
        }
        if !self.ident.is_complete() {
            return true;
        }
        self.take(chunk, pos);
        while self.advance() {
            self.take(chunk, pos);
        }
        let stuck = |r: &Region| r.is_settled() && !r.is_complete();
        let done = match (&self.metadata, &self.size) {
            (_, Some(size)) => size.is_settled(),
            (Some(meta), None) => self.broken || stuck(meta),
            (None, None) => self.broken || stuck(&self.regions),
        };
        !done
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        if !self.ident.is_complete() || differs_from(self.ident.data(), MAGIC) {
            return None;
        }
        let size = self
            .size
            .as_ref()
            .filter(|r| r.is_complete())
            .map(|r| le_u64(r.data(), 0));
        Some(Detection::new(Format::Vhdx, size))
    }
}
