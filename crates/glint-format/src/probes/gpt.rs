//! A partitioned disk: a legacy MBR (signature 0xaa55 at 510), or the
//! protective MBR in front of a GPT. Glance names both `gpt`. A FAT boot
//! sector carries the same signature; two FATs on a fixed-disk medium
//! (0xf8) tell it apart. The size of a partitioned disk is its byte count.
//! <https://uefi.org/specs/UEFI/2.10/05_GUID_Partition_Table_Format.html>

use crate::inspector::{Detection, Format, Probe, Violation};
use crate::region::{le_u16, le_u32, Region};

const SIGNATURE: u16 = 0xaa55;
const PARTITIONS_AT: usize = 446;
const PROTECTIVE: u8 = 0xee;

pub(crate) struct Gpt {
    mbr: Region,
}

impl Gpt {
    pub(crate) fn new() -> Self {
        Gpt {
            mbr: Region::new(0, 512),
        }
    }

    fn matches(&self) -> bool {
        let m = self.mbr.data();
        if !self.mbr.is_complete() {
            return false;
        }
        let is_fat = m[0x10] == 2 && m[0x15] == 0xf8;
        le_u16(m, 510) == SIGNATURE && !is_fat
    }
}

impl Probe for Gpt {
    fn feed(&mut self, chunk: &[u8], pos: u64) -> bool {
        self.mbr.take(chunk, pos);
        !self.mbr.is_settled()
    }

    fn conclude(&self, total: u64) -> Option<Detection> {
        if !self.matches() {
            return None;
        }
        let mut d = Detection::new(Format::Gpt, Some(total));
        if let Err(reason) = check_partitions(self.mbr.data()) {
            d.violations.push(Violation::new("mbr", reason));
        }
        Some(d)
    }
}

/// The four primary entries must have valid boot flags and define at least
/// one partition; a protective (GPT) entry must be the only one and start
/// at LBA 1 (CHS 0/2/0).
fn check_partitions(mbr: &[u8]) -> Result<(), String> {
    let mut defined = Vec::new();
    let mut protective = false;
    for i in 0..4 {
        let e = &mbr[PARTITIONS_AT + 16 * i..PARTITIONS_AT + 16 * (i + 1)];
        if e[0] != 0x00 && e[0] != 0x80 {
            return Err(format!("MBR PTE {i} has invalid boot flag"));
        }
        let os_type = e[4];
        if os_type != 0 {
            defined.push(i);
        }
        if os_type == PROTECTIVE {
            protective = true;
            if e[1..4] != [0x00, 0x02, 0x00] {
                return Err("GPT MBR has invalid start CHS".into());
            }
            if le_u32(e, 8) != 1 {
                return Err("GPT MBR has invalid start LBA".into());
            }
        }
    }
    if protective && defined != [0] {
        return Err("GPT MBR defines invalid extra partitions".into());
    }
    if defined.is_empty() {
        return Err("GPT MBR has no partitions defined".into());
    }
    Ok(())
}
