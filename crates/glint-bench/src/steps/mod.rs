//! The steps of a run, one file each, and what they share: the settings, the
//! servers measured, and the shape of a bench image.

pub mod api;
pub mod data;
pub mod idle;
pub mod populate;
pub mod scale;
pub mod start;

use std::path::PathBuf;

use bytes::Bytes;
use serde_json::json;

use crate::client::{Api, Identity};
use crate::load::{LoadResult, LoadSettings};
use crate::report::{Case, Metric};
use crate::stats::ms;

/// Everything a step may need to know, from the command line.
pub struct Settings {
    pub images: usize,
    /// The API cases to run.
    pub cases: Vec<api::Case>,
    pub load: LoadSettings,
    pub data_bytes: u64,
    pub start_runs: usize,
    pub scale_images: u64,
    /// Keep (and reuse) the scale step's data folder here.
    pub scale_dir: Option<PathBuf>,
    pub binary: PathBuf,
    pub identity: Identity,
}

/// A server being measured.
pub struct Target {
    pub name: String,
    pub api: Api,
    /// For CPU and RSS figures (`/proc/PID`), when known and visible.
    pub pid: Option<u32>,
    /// The bench started it (so it is fresh and local).
    pub started_here: bool,
    /// Ids of the images the populate step created.
    pub ids: Vec<String>,
}

/// The eight `os_distro` values images are spread over.
pub const DISTROS: [&str; 8] = [
    "ubuntu", "debian", "centos", "fedora", "rhel", "rocky", "opensuse", "cirros",
];

/// The `n`th bench image as a create request body: name, formats, minimums,
/// five extra properties (`os_distro` one of eight values) and three tags.
/// `salt` makes names unique across runs and lets their order differ from
/// creation order.
pub fn image_body(n: u64, salt: u64) -> Bytes {
    let i = n as usize;
    let body = json!({
        "name": format!("bench-{:016x}", salt ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        "disk_format": "qcow2",
        "container_format": "bare",
        "min_disk": n % 40,
        "min_ram": 512 * (n % 8),
        "os_distro": DISTROS[i % DISTROS.len()],
        "os_version": format!("{}.{:02}", 18 + n % 7, 4 * (n % 3)),
        "architecture": if n % 4 == 0 { "aarch64" } else { "x86_64" },
        "hw_disk_bus": if n % 3 == 0 { "scsi" } else { "virtio" },
        "bench_group": format!("group-{}", n % 10),
        "tags": ["bench", format!("group-{}", n % 10), format!("batch-{}", n / 1000)],
    });
    Bytes::from(body.to_string())
}

/// The table row of one timed load.
pub fn load_case(name: &str, r: &LoadResult) -> Case {
    let secs = r.measured.as_secs_f64();
    Case {
        name: name.to_string(),
        metrics: vec![
            Metric::count("requests", "requests", r.latency.count as u64),
            Metric::new("rate", "req/s", Some(r.rate()), 0),
            Metric::new("p50_ms", "p50 ms", ms(r.latency.p50), 2),
            Metric::new("p99_ms", "p99 ms", ms(r.latency.p99), 2),
            Metric::new("max_ms", "max ms", ms(r.latency.max), 1),
            Metric::count("non_2xx", "non-2xx", r.tally.non_2xx_total()),
            Metric::count("transport_errors", "errors", r.tally.transport_errors),
            Metric::new(
                "server_cpu_ms_per_req",
                "srv CPU ms/req",
                r.server_cpu_per_request().map(|s| s * 1000.0),
                3,
            ),
            Metric::new(
                "server_cpu_pct",
                "srv CPU %",
                r.server_cpu.map(|s| s / secs * 100.0),
                0,
            ),
            Metric::new(
                "client_cpu_pct",
                "bench CPU %",
                r.client_cpu.map(|s| s / secs * 100.0),
                0,
            ),
            Metric::new(
                "other_cpu_pct",
                "other CPU %",
                r.other_cpu.map(|s| s / secs * 100.0),
                0,
            ),
        ],
    }
}
