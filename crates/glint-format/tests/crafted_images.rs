//! Formats built byte by byte: ISO volumes, MBR/GPT disks, several
//! formats in one file, and the VMDK stream footer.

use glint_format::{judge, Format, FormatPolicy, Inspector, Refusal, Report};

fn inspect(bytes: &[u8]) -> Report {
    let mut first = None;
    for size in [1, 4095, 64 * 1024, bytes.len()] {
        let mut inspector = Inspector::new();
        for chunk in bytes.chunks(size) {
            inspector.feed(chunk);
        }
        let report = inspector.finish();
        match &first {
            None => first = Some(report),
            Some(f) => assert_eq!(f, &report, "chunk size {size}"),
        }
    }
    first.unwrap()
}

/// An ISO 9660 volume of `blocks` 2048-byte blocks (only the primary
/// volume descriptor filled in).
fn iso(blocks: u32) -> Vec<u8> {
    let mut b = vec![0u8; blocks as usize * 2048];
    let pvd = &mut b[32 * 1024..34 * 1024];
    pvd[0] = 1;
    pvd[1..6].copy_from_slice(b"CD001");
    pvd[6] = 1;
    pvd[80..84].copy_from_slice(&blocks.to_le_bytes());
    pvd[84..88].copy_from_slice(&blocks.to_be_bytes());
    pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
    pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
    b
}

/// Writes an MBR partition entry `i` of `os_type` starting at `lba`.
fn partition(disk: &mut [u8], i: usize, boot: u8, os_type: u8, lba: u32) {
    let e = &mut disk[446 + 16 * i..446 + 16 * (i + 1)];
    e[0] = boot;
    e[1..4].copy_from_slice(&[0, 2, 0]);
    e[4] = os_type;
    e[8..12].copy_from_slice(&lba.to_le_bytes());
    e[12..16].copy_from_slice(&1000u32.to_le_bytes());
    disk[510] = 0x55;
    disk[511] = 0xaa;
}

#[test]
fn an_iso_is_detected_with_its_volume_size() {
    let bytes = iso(40);
    let report = inspect(&bytes);
    assert_eq!(report.formats(), vec![Format::Iso]);
    let a = judge(&report, "iso", &FormatPolicy::default()).unwrap();
    assert_eq!(a.virtual_size, Some(40 * 2048));
    // An ISO may be declared raw; raw bytes may not be declared iso.
    assert!(judge(&report, "raw", &FormatPolicy::default()).is_ok());
    let raw = inspect(&vec![0u8; 40 * 2048]);
    assert!(matches!(
        judge(&raw, "iso", &FormatPolicy::default()),
        Err(Refusal::FormatMismatch(_))
    ));
}

#[test]
fn a_bootable_iso_with_a_partition_table_is_an_iso() {
    let mut bytes = iso(40);
    partition(&mut bytes, 0, 0x80, 0x17, 0);
    let report = inspect(&bytes);
    assert_eq!(report.formats(), vec![Format::Iso, Format::Gpt]);
    let a = judge(&report, "iso", &FormatPolicy::default()).unwrap();
    assert_eq!(a.format, Format::Iso);
}

#[test]
fn a_qcow2_hidden_in_an_iso_is_refused() {
    let mut bytes = iso(40);
    bytes[..4].copy_from_slice(b"QFI\xfb");
    bytes[7] = 3;
    let report = inspect(&bytes);
    assert_eq!(report.formats(), vec![Format::Qcow2, Format::Iso]);
    for declared in ["iso", "qcow2", "raw"] {
        match judge(&report, declared, &FormatPolicy::default()) {
            Err(Refusal::FormatMismatch(m)) => {
                assert_eq!(m, "Multiple formats detected: qcow2,iso")
            }
            other => panic!("{declared}: {other:?}"),
        }
    }
}

#[test]
fn partitioned_disks_are_checked() {
    let mut disk = vec![0u8; 1 << 20];
    partition(&mut disk, 0, 0x00, 0x83, 2048);
    let report = inspect(&disk);
    assert_eq!(report.formats(), vec![Format::Gpt]);
    let a = judge(&report, "raw", &FormatPolicy::default()).unwrap();
    assert_eq!(a.virtual_size, Some(1 << 20));

    // A protective MBR must stand alone.
    let mut gpt = vec![0u8; 1 << 20];
    partition(&mut gpt, 0, 0, 0xee, 1);
    assert!(judge(&inspect(&gpt), "raw", &FormatPolicy::default()).is_ok());
    partition(&mut gpt, 1, 0, 0x83, 4096);
    let report = inspect(&gpt);
    match judge(&report, "raw", &FormatPolicy::default()) {
        Err(Refusal::Unsafe(m)) => assert!(m.contains("GPT MBR defines invalid extra partitions")),
        other => panic!("{other:?}"),
    }
    // ... unless the operator made the mbr check non-fatal.
    let lenient = FormatPolicy {
        gpt_safety_checks_nonfatal: vec!["mbr".into()],
        ..FormatPolicy::default()
    };
    assert!(judge(&report, "raw", &lenient).unwrap().warning.is_some());

    let mut bad_flag = vec![0u8; 4096];
    partition(&mut bad_flag, 0, 0x12, 0x83, 2048);
    assert!(matches!(
        judge(&inspect(&bad_flag), "raw", &FormatPolicy::default()),
        Err(Refusal::Unsafe(_))
    ));
}

#[test]
fn a_fat_boot_sector_is_not_a_partition_table() {
    let mut fat = vec![0u8; 4096];
    fat[0x10] = 2;
    fat[0x15] = 0xf8;
    fat[510] = 0x55;
    fat[511] = 0xaa;
    assert_eq!(inspect(&fat).formats(), vec![Format::Raw]);
}

#[test]
fn qed_and_unknown_qcow2_versions_are_refused() {
    let mut qed = vec![0u8; 4096];
    qed[..4].copy_from_slice(b"QED\0");
    let report = inspect(&qed);
    assert_eq!(report.formats(), vec![Format::Qed]);
    assert!(matches!(
        judge(&report, "raw", &FormatPolicy::default()),
        Err(Refusal::Unsafe(_))
    ));
    let mut qcow = vec![0u8; 4096];
    qcow[..4].copy_from_slice(b"QFI\xfb");
    qcow[7] = 4;
    match judge(&inspect(&qcow), "qcow2", &FormatPolicy::default()) {
        Err(Refusal::Unsafe(m)) => assert!(m.contains("Unsupported qcow2 version")),
        other => panic!("{other:?}"),
    }
}

/// A streamOptimized VMDK whose grain directory sits at the end, with its
/// footer; `spoil` damages it.
fn stream_vmdk(spoil: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    let header = |h: &mut [u8], gd: u64| {
        h[..4].copy_from_slice(b"KDMV");
        h[4..8].copy_from_slice(&3u32.to_le_bytes());
        h[12..20].copy_from_slice(&2048u64.to_le_bytes());
        h[28..36].copy_from_slice(&1u64.to_le_bytes());
        h[36..44].copy_from_slice(&1u64.to_le_bytes());
        h[56..64].copy_from_slice(&gd.to_le_bytes());
    };
    header(&mut b[..512], u64::MAX);
    let desc = b"createType=\"streamOptimized\"\nRW 2048 SPARSE \"s.vmdk\"\n";
    b[512..512 + desc.len()].copy_from_slice(desc);
    let n = b.len();
    // Footer marker, footer (a header with the real grain directory), EOS.
    b[n - 1536 + 12..n - 1536 + 16].copy_from_slice(&3u32.to_le_bytes());
    header(&mut b[n - 1024..n - 512], 5);
    spoil(&mut b);
    b
}

#[test]
fn a_stream_vmdk_footer_must_agree_with_its_header() {
    let good = inspect(&stream_vmdk(|_| {}));
    let a = judge(&good, "vmdk", &FormatPolicy::default()).unwrap();
    assert_eq!(a.virtual_size, Some(2048 * 512));
    let bad = inspect(&stream_vmdk(|b| {
        let n = b.len();
        b[n - 1024 + 4] = 9;
    }));
    match judge(&bad, "vmdk", &FormatPolicy::default()) {
        Err(Refusal::Unsafe(m)) => assert!(m.contains("Header and footer versions do not match")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_inspector_settles_after_the_headers() {
    let mut inspector = Inspector::new();
    inspector.feed(&vec![0u8; 4 << 20]);
    assert!(inspector.is_settled());
    inspector.feed(&[1u8; 10]);
    assert_eq!(inspector.bytes_seen(), (4 << 20) + 10);
}

/// The inspector alone over 1 GiB: plain bytes (every probe settles within
/// the first MiB), and the worst case, a streamOptimized VMDK whose footer
/// must be kept from every chunk; in 64 KiB and 4 KiB chunks.
/// `cargo test --release -p glint-format inspector_speed -- --ignored --nocapture`
#[test]
#[ignore]
fn inspector_speed() {
    let vmdk = stream_vmdk(|_| {});
    for (name, head) in [("zeros", vec![0u8; 4096]), ("vmdk footer", vmdk)] {
        for chunk_size in [64 * 1024, 4096] {
            let mut chunk = vec![0u8; chunk_size];
            let t = std::time::Instant::now();
            let mut inspector = Inspector::new();
            inspector.feed(&head);
            for _ in 0..(1usize << 30) / chunk_size {
                chunk[0] = chunk[0].wrapping_add(1);
                inspector.feed(&chunk);
            }
            let report = inspector.finish();
            let secs = t.elapsed().as_secs_f64();
            assert!(report.actual_size > 1 << 30);
            println!(
                "inspector, {name}, {} KiB chunks: 1 GiB in {secs:.3} s = {:.0} MB/s",
                chunk_size / 1024,
                1073.7 / secs
            );
        }
    }
}

#[test]
fn a_reader_is_inspected_to_its_end() {
    let bytes = iso(40);
    let report = Report::read_from(std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(report, inspect(&bytes));
}
