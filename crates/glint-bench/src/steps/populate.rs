//! Step 1, populate: create `--images` images by concurrent
//! `POST /v2/images`; the rate, latencies and every non-2xx.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::Value;

use super::{image_body, Settings, Target};
use crate::client::{Api, JSON};
use crate::load::{RequestSpec, Tally};
use crate::procfs;
use crate::report::{Case, Metric, StepReport};
use crate::stats::{ms, LatencySummary};

/// Images created by `create_images`.
pub struct Created {
    pub ids: Vec<String>,
    pub tally: Tally,
    pub elapsed: Duration,
}

/// Creates `count` images with `concurrency` requests in flight.
pub async fn create_images(api: &Api, count: usize, concurrency: usize, salt: u64) -> Created {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.clamp(1, count.max(1)))
        .map(|_| {
            let api = api.clone();
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut ids = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    let spec = RequestSpec {
                        method: Method::POST,
                        path: "/v2/images".to_string(),
                        content_type: Some(JSON),
                        body: image_body(n as u64, salt),
                    };
                    let sent = Instant::now();
                    let outcome = api
                        .send(
                            Method::POST,
                            &spec.path,
                            spec.content_type,
                            spec.body.clone(),
                        )
                        .await;
                    tally.record(&spec, sent.elapsed(), &outcome);
                    if let Some(id) = outcome
                        .ok()
                        .filter(|r| r.status.is_success())
                        .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
                        .and_then(|v| v["id"].as_str().map(str::to_string))
                    {
                        ids.push(id);
                    }
                }
                (ids, tally)
            })
        })
        .collect();
    let mut created = Created {
        ids: Vec::with_capacity(count),
        tally: Tally::default(),
        elapsed: Duration::ZERO,
    };
    for worker in workers {
        match worker.await {
            Ok((ids, tally)) => {
                created.ids.extend(ids);
                created.tally.merge(tally);
            }
            Err(e) => created.tally.failures.push(format!("task failed: {e}")),
        }
    }
    created.elapsed = started.elapsed();
    created
}

pub async fn run(target: &mut Target, settings: &Settings) -> StepReport {
    let cpu_before = target.pid.and_then(procfs::cpu_seconds);
    let mut created = create_images(
        &target.api,
        settings.images,
        settings.load.concurrency,
        salt(),
    )
    .await;
    let server_cpu = target
        .pid
        .and_then(procfs::cpu_seconds)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let latency = LatencySummary::of(&mut created.tally.latencies);
    let secs = created.elapsed.as_secs_f64();
    let case = Case {
        name: format!("create {} images", settings.images),
        metrics: vec![
            Metric::count("created", "created", created.ids.len() as u64),
            Metric::new("seconds", "seconds", Some(secs), 2),
            Metric::new("rate", "images/s", Some(latency.count as f64 / secs), 0),
            Metric::new("p50_ms", "p50 ms", ms(latency.p50), 2),
            Metric::new("p99_ms", "p99 ms", ms(latency.p99), 2),
            Metric::new("max_ms", "max ms", ms(latency.max), 1),
            Metric::count("non_2xx", "non-2xx", created.tally.non_2xx_total()),
            Metric::count("transport_errors", "errors", created.tally.transport_errors),
            Metric::new(
                "server_cpu_ms_per_req",
                "srv CPU ms/req",
                server_cpu
                    .filter(|_| latency.count > 0)
                    .map(|s| s * 1000.0 / latency.count as f64),
                3,
            ),
        ],
    };
    let mut notes = vec![format!(
        "concurrency {}; each image: name, qcow2/bare, min_disk, min_ram, 5 properties, 3 tags",
        settings.load.concurrency
    )];
    if created.tally.non_2xx.is_empty() && created.tally.transport_errors == 0 {
        notes.push("every answer was 2xx".to_string());
    }
    target.ids = created.ids;
    StepReport {
        cases: vec![case],
        notes,
        failures: created.tally.failures,
    }
}

/// Varies image names between runs against the same server.
pub fn salt() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
