//! Detection, virtual size and safety of images built by qemu-img, fed in
//! odd chunk sizes. Skips (with a message) when qemu-img is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use glint_format::{judge, Format, FormatPolicy, Inspector, Refusal, Report};

const MIB: u64 = 1 << 20;
const CHUNKS: [usize; 4] = [1, 4095, 64 * 1024, usize::MAX];

fn have_qemu_img() -> bool {
    let ok = Command::new("qemu-img")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: qemu-img not installed (apt-get install qemu-utils)");
    }
    ok
}

struct Fixtures {
    dir: tempfile::TempDir,
}

impl Fixtures {
    fn new() -> Self {
        Fixtures {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `qemu-img create -f FORMAT [-o OPTIONS] NAME SIZE` (plus `extra`).
    fn create(&self, format: &str, options: &str, name: &str, extra: &[&str]) -> PathBuf {
        let path = self.path(name);
        let mut cmd = Command::new("qemu-img");
        cmd.current_dir(self.dir.path())
            .args(["create", "-q", "-f", format]);
        if !options.is_empty() {
            cmd.args(["-o", options]);
        }
        cmd.args(extra).arg(&path).arg("64M");
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    }
}

/// What qemu-img says the virtual size is.
fn qemu_virtual_size(path: &Path) -> u64 {
    let out = Command::new("qemu-img")
        .args(["info", "--output=json"])
        .arg(path)
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    info["virtual-size"].as_u64().unwrap()
}

/// Inspects the bytes in each chunk size and checks that all agree.
fn inspect(bytes: &[u8]) -> Report {
    let reports: Vec<Report> = CHUNKS
        .iter()
        .map(|&size| {
            let mut inspector = Inspector::new();
            for chunk in bytes.chunks(size.min(bytes.len().max(1))) {
                inspector.feed(chunk);
            }
            inspector.finish()
        })
        .collect();
    for r in &reports[1..] {
        assert_eq!(r, &reports[0]);
    }
    reports.into_iter().next().unwrap()
}

fn inspect_file(path: &Path) -> Report {
    inspect(&std::fs::read(path).unwrap())
}

fn policy() -> FormatPolicy {
    FormatPolicy::default()
}

fn refused_as_unsafe(report: &Report, disk_format: &str) -> String {
    match judge(report, disk_format, &policy()) {
        Err(Refusal::Unsafe(m)) => m,
        other => panic!("expected an unsafe verdict, got {other:?}"),
    }
}

fn refused_as_mismatch(report: &Report, disk_format: &str) -> String {
    match judge(report, disk_format, &policy()) {
        Err(Refusal::FormatMismatch(m)) => m,
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn safe_images_are_detected_with_their_virtual_size() {
    if !have_qemu_img() {
        return;
    }
    let f = Fixtures::new();
    let cases = [
        ("qcow2", "", Format::Qcow2, "qcow2"),
        ("vmdk", "subformat=monolithicSparse", Format::Vmdk, "vmdk"),
        ("vmdk", "subformat=streamOptimized", Format::Vmdk, "vmdk"),
        ("vpc", "", Format::Vhd, "vhd"),
        ("vhdx", "", Format::Vhdx, "vhdx"),
        ("vdi", "", Format::Vdi, "vdi"),
    ];
    for (i, (qemu_format, options, format, disk_format)) in cases.into_iter().enumerate() {
        let path = f.create(qemu_format, options, &format!("img{i}"), &[]);
        let report = inspect_file(&path);
        assert_eq!(report.formats(), vec![format], "{qemu_format} {options}");
        let d = report.get(format).unwrap();
        assert!(d.is_safe(), "{qemu_format} {options}: {d:?}");
        let expected = qemu_virtual_size(&path);
        assert_eq!(d.virtual_size, Some(expected), "{qemu_format} {options}");
        let accepted = judge(&report, disk_format, &policy()).unwrap();
        assert_eq!(accepted.virtual_size, Some(expected));
        // Declared raw, a safe image is let through as raw bytes.
        let as_raw = judge(&report, "raw", &policy()).unwrap();
        assert_eq!(as_raw.virtual_size, Some(report.actual_size));
        // Declared as another inspectable format, it is refused.
        let other = if disk_format == "qcow2" {
            "vmdk"
        } else {
            "qcow2"
        };
        let m = refused_as_mismatch(&report, other);
        assert_eq!(
            m,
            format!("Image disk_format {other} does not match stream data {disk_format}")
        );
        // Nor may it pose as a format nobody can inspect.
        refused_as_mismatch(&report, "ami");
    }
}

#[test]
fn raw_bytes_are_raw_and_may_not_claim_a_format() {
    if !have_qemu_img() {
        return;
    }
    let f = Fixtures::new();
    let path = f.create("raw", "", "disk.raw", &[]);
    let report = inspect_file(&path);
    assert_eq!(report.formats(), vec![Format::Raw]);
    let accepted = judge(&report, "raw", &policy()).unwrap();
    assert_eq!(accepted.virtual_size, Some(64 * MIB));
    assert_eq!(
        refused_as_mismatch(&report, "qcow2"),
        "Image disk_format qcow2 does not match stream data raw"
    );
    refused_as_mismatch(&report, "iso");
    // Formats nobody can inspect take raw bytes, size unknown.
    for uninspectable in ["ami", "ari", "aki", "ploop"] {
        let a = judge(&report, uninspectable, &policy()).unwrap();
        assert_eq!(a.virtual_size, None);
    }
    // With the match not required, a mismatch passes without a size.
    let lax = FormatPolicy {
        require_image_format_match: false,
        ..policy()
    };
    let a = judge(&report, "qcow2", &lax).unwrap();
    assert_eq!(a.virtual_size, None);
    assert!(a.warning.is_some());
}

#[test]
fn qcow2_with_a_backing_file_is_unsafe_whatever_it_claims() {
    if !have_qemu_img() {
        return;
    }
    let f = Fixtures::new();
    f.create("qcow2", "", "base.qcow2", &[]);
    let path = f.create(
        "qcow2",
        "",
        "top.qcow2",
        &["-b", "base.qcow2", "-F", "qcow2"],
    );
    let report = inspect_file(&path);
    let d = report.get(Format::Qcow2).unwrap();
    assert_eq!(d.violations[0].check, "backing_file");
    let m = refused_as_unsafe(&report, "qcow2");
    assert_eq!(m, "Image failed safety checks: Image has a backing file");
    refused_as_unsafe(&report, "raw");
}

#[test]
fn qcow2_with_an_external_data_file_is_unsafe() {
    if !have_qemu_img() {
        return;
    }
    let f = Fixtures::new();
    let data = f.path("data.raw");
    let path = f.create(
        "qcow2",
        &format!("data_file={}", data.display()),
        "ext.qcow2",
        &[],
    );
    let report = inspect_file(&path);
    let checks: Vec<&str> = report
        .get(Format::Qcow2)
        .unwrap()
        .violations
        .iter()
        .map(|v| v.check)
        .collect();
    assert_eq!(checks, vec!["data_file"]);
    assert!(refused_as_unsafe(&report, "qcow2").contains("Image has data_file set"));
}

#[test]
fn qcow2_with_unknown_incompatible_features_is_unsafe() {
    if !have_qemu_img() {
        return;
    }
    let f = Fixtures::new();
    let path = f.create("qcow2", "", "x.qcow2", &[]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[79] |= 1 << 5;
    let report = inspect(&bytes);
    assert!(refused_as_unsafe(&report, "qcow2").contains("Unknown QCOW2 features found"));
}

#[test]
fn vmdk_with_an_external_extent_is_unsafe() {
    if !have_qemu_img() {
        return;
    }
    let f = Fixtures::new();
    let path = f.create("vmdk", "subformat=monolithicFlat", "flat.vmdk", &[]);
    let report = inspect_file(&path);
    let d = report.get(Format::Vmdk).unwrap();
    assert_eq!(d.vmdk_create_type.as_deref(), Some("monolithicflat"));
    assert!(refused_as_unsafe(&report, "vmdk").contains("Unsupported subformat"));
    refused_as_unsafe(&report, "raw");
    // Other split subformats too.
    let path = f.create("vmdk", "subformat=twoGbMaxExtentSparse", "split.vmdk", &[]);
    refused_as_unsafe(&inspect_file(&path), "vmdk");
}

#[test]
fn a_vmdk_descriptor_naming_a_host_path_is_unsafe() {
    let descriptor = b"# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicSparse\"\n\
RW 131072 SPARSE \"/etc/passwd\"\n";
    let report = inspect(descriptor);
    assert_eq!(report.formats(), vec![Format::Vmdk]);
    assert!(refused_as_unsafe(&report, "vmdk").contains("Invalid extent filenames found"));
    let odd_line = b"createType=\"streamOptimized\"\nRW 8 SPARSE \"x.vmdk\"\nmount /dev/sda\n";
    assert!(refused_as_unsafe(&inspect(odd_line), "vmdk").contains("Invalid VMDK descriptor data"));
    // Ordinary text is not a VMDK.
    assert_eq!(inspect(b"hello, world\n").formats(), vec![Format::Raw]);
}
