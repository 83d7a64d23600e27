//! Disk-image format inspection, as Glance does it with oslo.utils'
//! format inspector: the bytes of an upload or import are fed through an
//! [`Inspector`] as they stream; at the end its [`Report`] says which
//! format(s) they are, the virtual size the format states, and which
//! safety checks failed. [`judge`] then applies Glance's rules for a
//! declared `disk_format` ([`FormatPolicy`]: `[image_format]
//! require_image_format_match`, `gpt_safety_checks_nonfatal`).
//!
//! Unsafe: qcow2 with a backing file, an external data file or unknown
//! incompatible features; VMDK other than monolithicSparse and
//! streamOptimized, or whose descriptor names extents by path or holds
//! lines not understood, or whose footer disagrees with its header; QED;
//! LUKS other than version 1; an MBR/GPT with invalid partition entries;
//! bytes that look like several formats at once (other than an ISO with a
//! boot-loader partition table in front).

mod inspector;
mod probes;
mod region;
mod verdict;

pub use inspector::{Detection, Format, Inspector, Report, Violation};
pub use verdict::{judge, Accepted, FormatPolicy, Refusal};
