//! Step 3, the data path: upload `--data-mib` generated on the fly (never
//! held in memory), download it again, and the server's peak RSS meanwhile.

use std::time::Instant;

use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Value};

use super::{Settings, Target};
use crate::client::JSON;
use crate::payload::GeneratedBody;
use crate::procfs;
use crate::report::{Case, Metric, StepReport};

pub async fn run(target: &Target, settings: &Settings) -> StepReport {
    match measure(target, settings).await {
        Ok(report) => report,
        Err(e) => StepReport {
            notes: vec![format!("failed: {e}")],
            ..StepReport::default()
        },
    }
}

/// A transfer's rates, and the server's peak RSS (VmHWM) when it ended.
fn transfer_case(name: &str, bytes: u64, secs: f64, peak_kib: Option<u64>) -> Case {
    Case {
        name: name.to_string(),
        metrics: vec![
            Metric::new("mb_per_s", "MB/s", Some(bytes as f64 / 1e6 / secs), 0),
            Metric::new(
                "mib_per_s",
                "MiB/s",
                Some(bytes as f64 / 1048576.0 / secs),
                0,
            ),
            Metric::new("seconds", "seconds", Some(secs), 2),
            Metric::new("peak_rss_mib", "peak RSS MiB", procfs::mib(peak_kib), 1),
        ],
    }
}

async fn measure(target: &Target, settings: &Settings) -> Result<StepReport, String> {
    let api = &target.api;
    let size = settings.data_bytes;
    let created = api
        .send(
            Method::POST,
            "/v2/images",
            Some(JSON),
            Bytes::from(
                json!({"name": "bench-data", "disk_format": "raw", "container_format": "bare"})
                    .to_string(),
            ),
        )
        .await?;
    if !created.status.is_success() {
        return Err(format!("create answered {}", created.status));
    }
    let id = serde_json::from_slice::<Value>(&created.body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string))
        .ok_or("create answered no id")?;
    let file = format!("/v2/images/{id}/file");

    let pid = target.pid;
    let rss_before = pid.and_then(|p| procfs::status_kib(p, "VmRSS"));
    let peak_reset = pid.is_some_and(procfs::reset_peak_rss);

    let started = Instant::now();
    let uploaded = api.upload(&file, GeneratedBody::new(size, 42)).await?;
    let up_secs = started.elapsed().as_secs_f64();
    if !uploaded.status.is_success() {
        return Err(format!(
            "upload answered {}: {}",
            uploaded.status,
            String::from_utf8_lossy(&uploaded.body)
        ));
    }
    let peak_after_upload = pid.and_then(|p| procfs::status_kib(p, "VmHWM"));

    let started = Instant::now();
    let (status, got) = api.download(&file).await?;
    let down_secs = started.elapsed().as_secs_f64();
    if !status.is_success() || got != size {
        return Err(format!(
            "download answered {status} with {got} bytes of {size}"
        ));
    }
    let peak = pid.and_then(|p| procfs::status_kib(p, "VmHWM"));

    // Leave the disk as it was.
    let _ = api
        .send(
            Method::DELETE,
            &format!("/v2/images/{id}"),
            None,
            Bytes::new(),
        )
        .await;

    let mut upload = transfer_case("upload", size, up_secs, peak_after_upload);
    upload.metrics.push(Metric::new(
        "rss_before_mib",
        "RSS before MiB",
        procfs::mib(rss_before),
        1,
    ));
    let mut notes = vec![format!(
        "{size} bytes ({} MiB) of generated data, streamed; MB = 10^6 bytes (bench/data.sh prints MiB/s)",
        size / 1048576
    )];
    match (pid, peak_reset) {
        (None, _) => notes.push("peak RSS: n/a (server PID unknown)".into()),
        (Some(_), false) => notes.push(
            "peak RSS: VmHWM could not be reset, so it is the process's lifetime peak".into(),
        ),
        (Some(_), true) => {
            notes.push("peak RSS: VmHWM reset before the upload, read after each transfer".into())
        }
    }
    Ok(StepReport {
        cases: vec![upload, transfer_case("download", size, down_secs, peak)],
        notes,
        failures: Vec::new(),
    })
}
