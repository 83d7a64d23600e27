//! One probe per format. Each keeps only the header regions its format
//! needs and stops asking for bytes once it has them, or once the bytes
//! plainly are not its format.

mod gpt;
mod iso;
mod luks;
mod qcow2;
mod vdi;
mod vhd;
mod vhdx;
mod vmdk;

use crate::inspector::Probe;
use crate::region::Region;

pub(crate) fn all() -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(qcow2::Qcow2::new()),
        Box::new(qcow2::Qed::new()),
        Box::new(vhd::Vhd::new()),
        Box::new(vhdx::Vhdx::new()),
        Box::new(vmdk::Vmdk::new()),
        Box::new(vdi::Vdi::new()),
        Box::new(iso::Iso::new()),
        Box::new(gpt::Gpt::new()),
        Box::new(luks::Luks::new()),
    ]
}

/// Whether the bytes seen so far already differ from `magic`.
pub(crate) fn differs_from(data: &[u8], magic: &[u8]) -> bool {
    let n = data.len().min(magic.len());
    data[..n] != magic[..n]
}

/// Feeds a probe's `header` region, and answers whether the probe still
/// wants bytes: the header may yet begin with `magic`, and is not settled.
pub(crate) fn take_header(header: &mut Region, magic: &[u8], chunk: &[u8], pos: u64) -> bool {
    header.take(chunk, pos);
    !differs_from(header.data(), magic) && !header.is_settled()
}

/// Whether `data` begins with all of `magic`.
pub(crate) fn starts_with(data: &[u8], magic: &[u8]) -> bool {
    data.len() >= magic.len() && data[..magic.len()] == *magic
}
