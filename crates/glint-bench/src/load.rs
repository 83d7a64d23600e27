//! The load generator: a closed loop of `concurrency` tokio tasks, each
//! sending its next request as soon as the previous one is answered, every
//! request's duration recorded.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;

use crate::client::Api;
use crate::procfs;
use crate::stats::{LatencySummary, Rng};

/// One request to send.
pub struct RequestSpec {
    pub method: Method,
    pub path: String,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
}

impl RequestSpec {
    pub fn get(path: String) -> Self {
        RequestSpec {
            method: Method::GET,
            path,
            content_type: None,
            body: Bytes::new(),
        }
    }
}

/// Failures kept verbatim (beyond their count) per tally.
const KEPT_FAILURES: usize = 10_000;

/// What came back: durations, and everything that was not a 2xx.
#[derive(Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub non_2xx: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    /// "METHOD path → status: body" (or the transport error), in order.
    pub failures: Vec<String>,
}

impl Tally {
    pub fn record(
        &mut self,
        spec: &RequestSpec,
        took: Duration,
        outcome: &Result<crate::client::Reply, String>,
    ) {
        self.latencies.push(took);
        let failure = match outcome {
            Ok(reply) if reply.status.is_success() => None,
            Ok(reply) => {
                *self.non_2xx.entry(reply.status.as_u16()).or_default() += 1;
                let body = String::from_utf8_lossy(&reply.body);
                Some(format!("{} {}", reply.status.as_u16(), excerpt(&body)))
            }
            Err(e) => {
                self.transport_errors += 1;
                Some(format!("transport error: {e}"))
            }
        };
        if let Some(text) = failure {
            if self.failures.len() < KEPT_FAILURES {
                self.failures
                    .push(format!("{} {} → {text}", spec.method, spec.path));
            }
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        for (status, n) in other.non_2xx {
            *self.non_2xx.entry(status).or_default() += n;
        }
        self.transport_errors += other.transport_errors;
        let room = KEPT_FAILURES.saturating_sub(self.failures.len());
        self.failures.extend(other.failures.into_iter().take(room));
    }

    pub fn non_2xx_total(&self) -> u64 {
        self.non_2xx.values().sum()
    }
}

/// A body's first line, shortened, for reports.
fn excerpt(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LoadSettings {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// The figures of one timed run. Latencies are those of every request
/// that overlaps the measured window (answered after it opened, sent before
/// it closed: slow requests are neither lost at its start nor cut at its
/// end); throughput counts the answers inside the window.
pub struct LoadResult {
    pub tally: Tally,
    pub latency: LatencySummary,
    /// Requests answered inside the measured window.
    pub completed: usize,
    pub measured: Duration,
    /// Server CPU seconds over the measured window, when its PID is known.
    pub server_cpu: Option<f64>,
    /// This process's CPU seconds over the same window.
    pub client_cpu: Option<f64>,
    /// CPU seconds of everything else on the machine over the window
    /// (known only with the server's): other load skews the figures.
    pub other_cpu: Option<f64>,
}

impl LoadResult {
    pub fn rate(&self) -> f64 {
        self.completed as f64 / self.measured.as_secs_f64()
    }

    pub fn server_cpu_per_request(&self) -> Option<f64> {
        let n = self.completed;
        self.server_cpu.filter(|_| n > 0).map(|s| s / n as f64)
    }
}

/// Runs `make`'s requests for `warmup` (not recorded) then `duration`
/// (recorded), then waits for the requests still in flight.
pub async fn run<F>(
    api: &Api,
    settings: LoadSettings,
    server_pid: Option<u32>,
    make: F,
) -> LoadResult
where
    F: Fn(&mut Rng) -> RequestSpec + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let end = measure_from + settings.duration;
    let workers: Vec<_> = (0..settings.concurrency.max(1))
        .map(|worker| {
            let api = api.clone();
            let make = Arc::clone(&make);
            tokio::spawn(async move {
                let mut rng = Rng::new(0x5EED ^ ((worker as u64) << 32) ^ nanos_now());
                let mut tally = Tally::default();
                let mut completed = 0usize;
                loop {
                    let spec = make(&mut rng);
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let outcome = api
                        .send(
                            spec.method.clone(),
                            &spec.path,
                            spec.content_type,
                            spec.body.clone(),
                        )
                        .await;
                    let done = Instant::now();
                    if done >= measure_from {
                        tally.record(&spec, done - sent, &outcome);
                        if done <= end {
                            completed += 1;
                        }
                    }
                }
                (tally, completed)
            })
        })
        .collect();

    tokio::time::sleep_until(measure_from.into()).await;
    let server_cpu_before = server_pid.and_then(procfs::cpu_seconds);
    let client_cpu_before = procfs::own_cpu_seconds();
    let machine_before = procfs::machine_busy_seconds();
    tokio::time::sleep_until(end.into()).await;
    let machine = procfs::machine_busy_seconds()
        .zip(machine_before)
        .map(|(after, before)| after - before);
    let server_cpu = server_pid
        .and_then(procfs::cpu_seconds)
        .zip(server_cpu_before)
        .map(|(after, before)| after - before);
    let client_cpu = procfs::own_cpu_seconds()
        .zip(client_cpu_before)
        .map(|(after, before)| after - before);

    let other_cpu = match (machine, server_cpu, client_cpu) {
        (Some(m), Some(s), Some(c)) => Some((m - s - c).max(0.0)),
        _ => None,
    };
    let mut tally = Tally::default();
    let mut completed = 0;
    for worker in workers {
        match worker.await {
            Ok((t, n)) => {
                tally.merge(t);
                completed += n;
            }
            Err(e) => tally.failures.push(format!("load task failed: {e}")),
        }
    }
    let latency = LatencySummary::of(&mut tally.latencies);
    LoadResult {
        tally,
        latency,
        completed,
        measured: settings.duration,
        server_cpu,
        client_cpu,
        other_cpu,
    }
}

fn nanos_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
