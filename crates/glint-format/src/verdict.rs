//! Glance's rules for what an inspected upload may be, given the
//! `disk_format` it declares (glance/location.py `set_data`, Glance 2024.2+):
//!
//! - bytes matching several formats are refused, except ISO + GPT (a
//!   bootable ISO may carry a partition table in front): that is an ISO;
//! - the detected format equal to `disk_format`: accepted, with the
//!   format's virtual size;
//! - nothing recognised (raw) and a `disk_format` the inspector cannot
//!   recognise (`ami`, `ari`, `aki`, `ploop`): accepted, size unknown;
//! - `disk_format` raw with a recognised format inside: accepted (raw is
//!   what a hypervisor is told to use), virtual size = byte count;
//! - any other mismatch (e.g. raw bytes declared qcow2, qcow2 declared
//!   iso) is refused;
//! - then the detected format's safety checks run; any failure refuses,
//!   except GPT checks listed in `gpt_safety_checks_nonfatal`.
//!
//! With `require_image_format_match = false`, format errors (mismatch,
//! several formats, incomplete headers) are only logged by the caller and
//! the upload proceeds without a virtual size; safety failures still
//! refuse.

use std::fmt;

use crate::inspector::{Detection, Format, Report};

/// Glance's `[image_format]` options that shape the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatPolicy {
    /// `require_image_format_match` (default true).
    pub require_image_format_match: bool,
    /// `gpt_safety_checks_nonfatal` (default empty; e.g. `mbr`).
    pub gpt_safety_checks_nonfatal: Vec<String>,
}

impl Default for FormatPolicy {
    fn default() -> Self {
        FormatPolicy {
            require_image_format_match: true,
            gpt_safety_checks_nonfatal: Vec::new(),
        }
    }
}

impl FormatPolicy {
    /// Whether uploads of this container format are inspected: Glance
    /// inspects `bare` images only (other containers wrap the disk).
    pub fn inspects_container(container_format: Option<&str>) -> bool {
        container_format == Some("bare")
    }
}

/// An upload that may go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The format the bytes were taken for.
    pub format: Format,
    /// The image's `virtual_size`, when it can be told.
    pub virtual_size: Option<u64>,
    /// A format problem let through because `require_image_format_match`
    /// is off, or a non-fatal GPT check; worth a log line.
    pub warning: Option<String>,
}

/// Why an upload is refused; `Display` gives the message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The bytes are not (only) the declared format.
    FormatMismatch(String),
    /// The bytes are the format, but unsafe to hand to qemu.
    Unsafe(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::FormatMismatch(m) | Refusal::Unsafe(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Refusal {}

/// Decides whether bytes with this `report` may be stored as an image
/// declaring `disk_format`.
pub fn judge(
    report: &Report,
    disk_format: &str,
    policy: &FormatPolicy,
) -> Result<Accepted, Refusal> {
    let format_error = |message: String| {
        if policy.require_image_format_match {
            Err(Refusal::FormatMismatch(message))
        } else {
            Ok(Accepted {
                format: Format::Raw,
                virtual_size: None,
                warning: Some(message),
            })
        }
    };
    let detected = match chosen(report) {
        Ok(d) => d,
        Err(message) => return format_error(message),
    };
    let virtual_size = if detected.format.name() == disk_format {
        detected.virtual_size
    } else if detected.format == Format::Raw && Format::from_name(disk_format).is_none() {
        None
    } else if disk_format == "raw" {
        Some(report.actual_size)
    } else {
        return format_error(format!(
            "Image disk_format {disk_format} does not match stream data {}",
            detected.format
        ));
    };
    if !detected.complete {
        return format_error("Incomplete file cannot be safety checked".into());
    }
    let nonfatal = |check: &str| {
        detected.format == Format::Gpt
            && policy.gpt_safety_checks_nonfatal.iter().any(|c| c == check)
    };
    let (fatal, tolerated): (Vec<_>, Vec<_>) =
        detected.violations.iter().partition(|v| !nonfatal(v.check));
    if !fatal.is_empty() {
        let reasons: Vec<&str> = fatal.iter().map(|v| v.reason.as_str()).collect();
        return Err(Refusal::Unsafe(format!(
            "Image failed safety checks: {}",
            reasons.join("; ")
        )));
    }
    Ok(Accepted {
        format: detected.format,
        virtual_size,
        warning: (!tolerated.is_empty()).then(|| {
            let names: Vec<&str> = tolerated.iter().map(|v| v.check).collect();
            format!("Non-fatal safety checks failed: {}", names.join(","))
        }),
    })
}

/// The one format the bytes are, or why there is none.
fn chosen(report: &Report) -> Result<&Detection, String> {
    let formats = report.formats();
    if formats.len() == 2 && formats.contains(&Format::Iso) && formats.contains(&Format::Gpt) {
        return report
            .get(Format::Iso)
            .ok_or_else(|| "Content does not match any allowed format".into());
    }
    match report.matches.as_slice() {
        [one] => Ok(one),
        [] => Err("Content does not match any allowed format".into()),
        many => {
            let names: Vec<&str> = many.iter().map(|d| d.format.name()).collect();
            Err(format!("Multiple formats detected: {}", names.join(",")))
        }
    }
}
