//! VMware VMDK, either a file with a "hosted sparse extent" header (magic
//! `KDMV`, little-endian; the text descriptor embedded at sector 1) or a
//! bare text descriptor. Only the single-file subformats
//! (`monolithicSparse`, `streamOptimized`) are safe: the others name extent
//! files that qemu would open beside the image, i.e. on the host. The
//! descriptor is read line by line and anything not understood is refused.
//! A streamOptimized file whose grain directory is at the end carries a
//! footer in its last 1536 bytes; it must agree with the header.

use super::differs_from;
use crate::inspector::{Detection, Format, Probe, Violation};
use crate::region::{le_u32, le_u64, Region, Tail};

const MAGIC: &[u8] = b"KDMV";
const SPARSE_HEADER_LEN: usize = 64;
const DESCRIPTOR_AT: u64 = 512;
/// qemu reads at most this much descriptor.
const DESCRIPTOR_MAX: usize = (1 << 20) - 1;
const GD_AT_END: u64 = u64::MAX;
const FOOTER_LEN: usize = 1536;
/// The subformats whose data lives in the one file.
pub const SINGLE_FILE_TYPES: [&str; 2] = ["monolithicsparse", "streamoptimized"];

enum Kind {
    /// Not enough bytes yet to tell.
    Unknown,
    /// A sparse-extent header; `broken` when it does not parse.
    Sparse {
        broken: Option<&'static str>,
    },
    /// So far all printable text: perhaps a descriptor file.
    Text,
    Not,
}

pub(crate) struct Vmdk {
    kind: Kind,
    header: Region,
    descriptor: Option<Region>,
    footer: Option<Tail>,
}

impl Vmdk {
    pub(crate) fn new() -> Self {
        Vmdk {
            kind: Kind::Unknown,
            header: Region::new(0, 512),
            // Kept from the start in case the file is a text descriptor.
            descriptor: Some(Region::new(0, DESCRIPTOR_MAX)),
            footer: None,
        }
    }

    fn open_sparse(&mut self) -> Kind {
        let h = self.header.data();
        let version = le_u32(h, 4);
        let (desc_sector, desc_sectors, gd_offset) = (le_u64(h, 28), le_u64(h, 36), le_u64(h, 56));
        if !(1..=3).contains(&version) {
            return Kind::Sparse {
                broken: Some("Unsupported VMDK format version"),
            };
        }
        if desc_sector.checked_mul(512) != Some(DESCRIPTOR_AT) {
            return Kind::Sparse {
                broken: Some("Wrong descriptor location"),
            };
        }
        let len = desc_sectors.saturating_mul(512).min(DESCRIPTOR_MAX as u64) as usize;
        self.descriptor = Some(Region::new(DESCRIPTOR_AT, len));
        if gd_offset == GD_AT_END {
            self.footer = Some(Tail::new(FOOTER_LEN));
        }
        Kind::Sparse { broken: None }
    }
}

fn is_text(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || (0x09..=0x0d).contains(&b) || (0x1c..=0x1f).contains(&b)
}

impl Probe for Vmdk {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        let seen = self.header.data().len();
        self.header.take(chunk, pos);
        if let Kind::Unknown | Kind::Text = self.kind {
            let h = self.header.data();
            if !differs_from(h, MAGIC) {
                if h.len() >= SPARSE_HEADER_LEN {
                    self.kind = self.open_sparse();
                }
            } else if h[seen..].iter().all(|&b| is_text(b)) {
                self.kind = Kind::Text;
            } else {
                self.kind = Kind::Not;
                self.descriptor = None;
            }
        }
        if let Some(d) = &mut self.descriptor {
            d.take(chunk, pos);
        }
        if let Some(t) = &mut self.footer {
            t.take(chunk);
        }
        match self.kind {
            Kind::Not => false,
            Kind::Sparse { broken: Some(_) } => false,
            Kind::Unknown => true,
            _ => self.footer.is_some() || self.descriptor.as_ref().is_some_and(|d| !d.is_settled()),
        }
    }

    fn conclude(&self, _total: u64) -> Option<Detection> {
        match &self.kind {
            Kind::Sparse { broken } => {
                let mut d = Detection::new(Format::Vmdk, None);
                if let Some(reason) = broken {
                    d.violations.push(Violation::new("descriptor", *reason));
                    return Some(d);
                }
                let descriptor = self.descriptor.as_ref()?;
                d.complete = descriptor.is_complete();
                let parsed = Descriptor::parse(descriptor.data());
                if let Some(p) = &parsed {
                    if SINGLE_FILE_TYPES.contains(&p.create_type.as_str()) {
                        d.virtual_size = Some(le_u64(self.header.data(), 12).saturating_mul(512));
                    }
                    d.vmdk_create_type = Some(p.create_type.clone());
                }
                if let Err(reason) = check_descriptor(parsed.as_ref()) {
                    d.violations.push(Violation::new("descriptor", reason));
                }
                if let Some(tail) = &self.footer {
                    if let Err(reason) = check_footer(self.header.data(), tail.data()) {
                        d.violations.push(Violation::new("footer", reason));
                    }
                }
                Some(d)
            }
            Kind::Text => {
                let parsed = Descriptor::parse(self.descriptor.as_ref()?.data())?;
                if parsed.create_type == NOT_FOUND {
                    return None;
                }
                let mut d = Detection::new(Format::Vmdk, None);
                d.vmdk_create_type = Some(parsed.create_type.clone());
                if let Err(reason) = check_descriptor(Some(&parsed)) {
                    d.violations.push(Violation::new("descriptor", reason));
                }
                Some(d)
            }
            Kind::Unknown | Kind::Not => None,
        }
    }
}

const NOT_FOUND: &str = "formatnotfound";

/// A descriptor's text (lower case, as VMDK keys are case-insensitive) and
/// its `createType`.
struct Descriptor {
    text: String,
    create_type: String,
}

impl Descriptor {
    fn parse(data: &[u8]) -> Option<Descriptor> {
        let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
        let text = std::str::from_utf8(&data[..end]).ok()?;
        if !text.is_ascii() {
            return None;
        }
        let text = text.to_ascii_lowercase();
        const KEY: &str = "createtype=\"";
        let create_type = text
            .find(KEY)
            .map(|at| &text[at + KEY.len()..])
            .and_then(|rest| rest.find('"').map(|end| &rest[..end]))
            .filter(|t| t.len() < 64)
            .unwrap_or(NOT_FOUND)
            .to_string();
        Some(Descriptor { text, create_type })
    }
}

fn check_descriptor(descriptor: Option<&Descriptor>) -> Result<(), String> {
    let Some(d) = descriptor.filter(|d| !d.text.is_empty()) else {
        return Err("No descriptor found".into());
    };
    if !SINGLE_FILE_TYPES.contains(&d.create_type.as_str()) {
        return Err(format!("Unsupported subformat {}", d.create_type));
    }
    let mut extents = Vec::new();
    for line in d.text.split('\n').map(str::trim) {
        let first_word = line.split(' ').next().unwrap_or("");
        let is_field = line
            .split_once('=')
            .is_some_and(|(key, _)| !key.contains(' '));
        if line.is_empty() || line.starts_with('#') || line.starts_with("ddb") || is_field {
            continue;
        }
        if ["rw", "rdonly", "noaccess"].contains(&first_word) {
            extents.push(line);
            continue;
        }
        return Err("Invalid VMDK descriptor data".into());
    }
    if extents.iter().any(|e| e.contains('/')) {
        return Err("Invalid extent filenames found".into());
    }
    if extents.is_empty() {
        return Err("No extents found".into());
    }
    Ok(())
}

/// The footer (a marker, a copy of the header, an end-of-stream marker)
/// must repeat the header's signature, version and descriptor location.
fn check_footer(header: &[u8], tail: Option<&[u8]>) -> Result<(), String> {
    let Some(tail) = tail else {
        return Err("Footer is missing".into());
    };
    let copy = &tail[512..1024];
    if header[..4] != copy[..4] {
        return Err("Header and footer signature do not match".into());
    }
    if le_u32(header, 4) != le_u32(copy, 4) {
        return Err("Header and footer versions do not match".into());
    }
    if le_u64(header, 28) != le_u64(copy, 28) || le_u64(header, 36) != le_u64(copy, 36) {
        return Err("Footer specifies a different descriptor than header".into());
    }
    if le_u64(copy, 56) == GD_AT_END {
        return Err("Footer indicates another footer".into());
    }
    let marker = |m: &[u8], kind: u32| {
        le_u32(m, 8) == 0 && le_u32(m, 12) == kind && m[16..512].iter().all(|&b| b == 0)
    };
    if !marker(&tail[..512], 3) {
        return Err("Footer marker is invalid".into());
    }
    if !(le_u64(&tail[1024..], 0) == 0 && marker(&tail[1024..], 0)) {
        return Err("End-of-stream marker is invalid".into());
    }
    Ok(())
}
