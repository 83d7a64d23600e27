//! The inspector: every probe sees every chunk until it has what it needs;
//! at the end each says whether the bytes were its format.

use std::fmt;

use crate::probes;

/// A format the inspector recognises. `Raw` is what is left when no other
/// format matched; `Gpt` also stands for a legacy MBR partition table
/// (Glance names both `gpt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Raw,
    Qcow2,
    Qed,
    Vhd,
    Vhdx,
    Vmdk,
    Vdi,
    Iso,
    Gpt,
    Luks,
}

impl Format {
    /// Every format, in the order reports list them.
    pub const ALL: [Format; 10] = [
        Format::Raw,
        Format::Qcow2,
        Format::Qed,
        Format::Vhd,
        Format::Vhdx,
        Format::Vmdk,
        Format::Vdi,
        Format::Iso,
        Format::Gpt,
        Format::Luks,
    ];

    /// The name Glance and qemu-img use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Raw => "raw",
            Format::Qcow2 => "qcow2",
            Format::Qed => "qed",
            Format::Vhd => "vhd",
            Format::Vhdx => "vhdx",
            Format::Vmdk => "vmdk",
            Format::Vdi => "vdi",
            Format::Iso => "iso",
            Format::Gpt => "gpt",
            Format::Luks => "luks",
        }
    }

    /// The format a `disk_format` names, when the inspector can recognise
    /// it (`ami`, `ari`, `aki`, `ploop`: `None`).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One failed safety check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The check's name, as Glance names it (`backing_file`, `data_file`,
    /// `unknown_features`, `descriptor`, `footer`, `mbr`, `banned`, …).
    pub check: &'static str,
    /// Why it failed, for people.
    pub reason: String,
}

impl Violation {
    pub(crate) fn new(check: &'static str, reason: impl Into<String>) -> Self {
        Violation {
            check,
            reason: reason.into(),
        }
    }
}

/// A format the bytes matched, with what it says about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: Format,
    /// The disk's size as the format states it; `None` when unknown.
    pub virtual_size: Option<u64>,
    /// Failed safety checks; empty when the image is safe.
    pub violations: Vec<Violation>,
    /// Whether the inspector saw every header region it needed; an
    /// incomplete match cannot be safety-checked.
    pub complete: bool,
    /// A VMDK's `createType` (lower case), when it has one.
    pub vmdk_create_type: Option<String>,
}

impl Detection {
    pub(crate) fn new(format: Format, virtual_size: Option<u64>) -> Self {
        Detection {
            format,
            virtual_size,
            violations: Vec::new(),
            complete: true,
            vmdk_create_type: None,
        }
    }

    pub fn is_safe(&self) -> bool {
        self.complete && self.violations.is_empty()
    }
}

/// One format's view of the stream.
pub(crate) trait Probe: Send {
    /// Takes what it needs of `chunk`, which starts at `pos`. Returns
    /// whether it still wants later bytes.
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool;
    /// After the last byte (`total` in all): what this probe found, or
    /// `None` when the bytes are not its format.
    fn conclude(&self, total: u64) -> Option<Detection>;
}

/// Inspects a stream of bytes passed to [`Inspector::feed`] in chunks of
/// any size, keeping only the header regions each format needs (at most
/// about 1.2 MiB, for a VMDK descriptor); [`Inspector::finish`] answers.
pub struct Inspector {
    probes: Vec<Box<dyn Probe>>,
    /// Indexes of the probes that still want bytes.
    wanting: Vec<usize>,
    total: u64,
}

impl Default for Inspector {
    fn default() -> Self {
        Self::new()
    }
}

impl Inspector {
    pub fn new() -> Self {
        let probes = probes::all();
        let wanting = (0..probes.len()).collect();
        Inspector {
            probes,
            wanting,
            total: 0,
        }
    }

    /// Shows the inspector the next bytes of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        let pos = self.total;
        self.total += chunk.len() as u64;
        if self.wanting.is_empty() {
            return;
        }
        let probes = &mut self.probes;
        self.wanting.retain(|&i| probes[i].feed(chunk, pos));
    }

    /// How many bytes have been fed.
    pub fn bytes_seen(&self) -> u64 {
        self.total
    }

    /// Whether every probe has what it needs, so that later bytes change
    /// nothing but the size.
    pub fn is_settled(&self) -> bool {
        self.wanting.is_empty()
    }

    /// Ends the stream and reports what it was.
    pub fn finish(self) -> Report {
        self.report()
    }

    /// What the bytes fed so far are, as if the stream ended here. Once
    /// [`Inspector::is_settled`], later bytes change only the sizes.
    pub fn report(&self) -> Report {
        let mut matches: Vec<Detection> = self
            .probes
            .iter()
            .filter_map(|p| p.conclude(self.total))
            .collect();
        if matches.is_empty() {
            matches.push(Detection::new(Format::Raw, Some(self.total)));
        }
        Report {
            matches,
            actual_size: self.total,
        }
    }
}

/// What the inspected bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every format the bytes matched: one `Raw` entry when nothing
    /// specific matched, never `Raw` beside another format. More than one
    /// entry means the bytes look like several formats at once.
    pub matches: Vec<Detection>,
    /// How many bytes there were.
    pub actual_size: u64,
}

impl Report {
    /// Inspects everything `reader` gives (a staged file, say), in 64 KiB
    /// reads.
    pub fn read_from(mut reader: impl std::io::Read) -> std::io::Result<Report> {
        let mut inspector = Inspector::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(inspector.finish()),
                Ok(n) => inspector.feed(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Inspects a whole buffer at once.
    pub fn of(bytes: &[u8]) -> Report {
        let mut inspector = Inspector::new();
        inspector.feed(bytes);
        inspector.finish()
    }

    pub fn formats(&self) -> Vec<Format> {
        self.matches.iter().map(|d| d.format).collect()
    }

    pub fn get(&self, format: Format) -> Option<&Detection> {
        self.matches.iter().find(|d| d.format == format)
    }
}
