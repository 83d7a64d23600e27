//! Step 4a, idle footprint: the server's resident memory after the populate
//! step and a two-second pause.

use std::time::Duration;

use super::Target;
use crate::procfs;
use crate::report::{Case, Metric, StepReport};

pub async fn run(target: &Target, after_populate: bool) -> StepReport {
    let Some(pid) = target.pid.filter(|p| procfs::visible(*p)) else {
        return StepReport::skipped("needs the server's PID (started here, or --server-pid)");
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = procfs::status_kib(pid, "VmRSS");
    let mut report = StepReport {
        cases: vec![Case {
            name: "idle".to_string(),
            metrics: vec![
                Metric::new("rss_mib", "VmRSS MiB", procfs::mib(rss), 1),
                // Private memory, and pages of mapped files (the binary,
                // and the database, which readers map).
                Metric::new(
                    "rss_anon_mib",
                    "RssAnon MiB",
                    procfs::mib(procfs::status_kib(pid, "RssAnon")),
                    1,
                ),
                Metric::new(
                    "rss_file_mib",
                    "RssFile MiB",
                    procfs::mib(procfs::status_kib(pid, "RssFile")),
                    1,
                ),
                Metric::new(
                    "peak_rss_mib",
                    "VmHWM MiB",
                    procfs::mib(procfs::status_kib(pid, "VmHWM")),
                    1,
                ),
            ],
        }],
        ..StepReport::default()
    };
    report.notes.push(if after_populate {
        format!(
            "after populating {} images and a 2 s pause",
            target.ids.len()
        )
    } else {
        "after a 2 s pause (populate not run in this invocation)".to_string()
    });
    report
}
