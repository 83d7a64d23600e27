//! Step 4b, start time: from spawning `glint serve` on a fresh data folder
//! to its first 200 on `/versions`, several times; the median.

use super::Settings;
use crate::report::{Case, Metric, StepReport};
use crate::server::{LocalServer, TempDir};
use crate::stats::median;

pub async fn run(settings: &Settings) -> StepReport {
    let mut times_ms = Vec::new();
    for _ in 0..settings.start_runs {
        let dir = match TempDir::new("start") {
            Ok(d) => d,
            Err(e) => return StepReport::skipped(&e),
        };
        match LocalServer::start(&settings.binary, dir.path()).await {
            Ok(server) => {
                times_ms.push(server.start_time.as_secs_f64() * 1000.0);
                server.stop().await;
            }
            Err(e) => {
                return StepReport {
                    notes: vec![format!("failed: {e}")],
                    ..StepReport::default()
                }
            }
        }
    }
    let min = times_ms.iter().copied().reduce(f64::min);
    let max = times_ms.iter().copied().reduce(f64::max);
    let each: Vec<String> = times_ms.iter().map(|t| format!("{t:.1}")).collect();
    StepReport {
        cases: vec![Case {
            name: "spawn → first 200 /versions".to_string(),
            metrics: vec![
                Metric::count("runs", "runs", times_ms.len() as u64),
                Metric::new("median_ms", "median ms", median(&times_ms), 1),
                Metric::new("min_ms", "min ms", min, 1),
                Metric::new("max_ms", "max ms", max, 1),
            ],
        }],
        notes: vec![format!(
            "each on a fresh data folder (database created and migrated); runs: {} ms; polled every 1 ms",
            each.join(", ")
        )],
        failures: Vec::new(),
    }
}
