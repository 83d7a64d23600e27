//! `glint-bench`: measures an Image API server — populate, the API mix, the
//! data path, idle memory, start time and listing at scale — with its own
//! load generator (tokio + hyper), and prints a table per step (and JSON).
//!
//! By default it starts `target/release/glint serve` on a temporary data
//! folder and a free loopback port; `--url` measures a running server
//! instead, and `--vs URL` measures a second one alongside for ratios.

mod client;
mod load;
mod payload;
mod procfs;
mod report;
mod server;
mod stats;
mod steps;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use serde_json::{json, Map, Value};

use client::{Api, Identity};
use load::LoadSettings;
use report::StepReport;
use server::{LocalServer, TempDir};
use steps::{Settings, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Step {
    Populate,
    Api,
    Data,
    Idle,
    Start,
    Scale,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Populate => "populate",
            Step::Api => "api",
            Step::Data => "data",
            Step::Idle => "idle",
            Step::Start => "start",
            Step::Scale => "scale",
        }
    }
}

/// The order steps run in: idle right after populate (its RSS is the
/// footprint of a populated, quiet server), scale last (minutes).
const ORDER: [Step; 6] = [
    Step::Populate,
    Step::Idle,
    Step::Api,
    Step::Data,
    Step::Start,
    Step::Scale,
];

#[derive(Parser)]
#[command(
    name = "glint-bench",
    about = "Load and footprint benchmark of an OpenStack Image API server (Glint by default)"
)]
struct Cli {
    /// Server to measure. Default: start target/release/glint on a temporary
    /// data folder and a free loopback port.
    #[arg(long)]
    url: Option<String>,
    /// PID of the --url server, for its CPU and RSS figures.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The glint binary started when no --url is given (and by start and
    /// scale). Default: `glint` beside this program (target/release/).
    #[arg(long)]
    glint: Option<PathBuf>,
    /// A second server (e.g. Glance) measured alternately, step by step;
    /// ratios are this run's server ÷ it.
    #[arg(long)]
    vs: Option<String>,
    /// PID of the --vs server, for its CPU and RSS figures.
    #[arg(long)]
    vs_pid: Option<u32>,
    /// Steps to run, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "populate,api,data,idle,start"
    )]
    steps: Vec<Step>,
    /// API cases to run, comma-separated (for profiling one of them).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "list,sorted,show,create,patch"
    )]
    cases: Vec<steps::api::Case>,
    /// Also run the scale step (minutes: it writes a million rows).
    #[arg(long)]
    scale: bool,
    /// Images in the database for the scale step (implies --scale).
    #[arg(long)]
    images_at_scale: Option<u64>,
    /// Data folder of the scale step, kept afterwards; a database already
    /// there is reused as it is (no loading).
    #[arg(long)]
    scale_dir: Option<PathBuf>,
    /// Images the populate step creates.
    #[arg(long, default_value_t = 10_000)]
    images: usize,
    /// Requests in flight (populate and every API case).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds measured per API case.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Seconds of unrecorded warm-up before each API case.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// MiB uploaded and downloaded by the data step.
    #[arg(long, default_value_t = 1024)]
    data_mib: u64,
    /// Starts timed by the start step (the median is reported).
    #[arg(long, default_value_t = 5)]
    start_runs: usize,
    /// Load-generator threads (the server shares the machine's cores).
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// X-Project-Id of every request (and owner of the scale step's rows).
    #[arg(long, default_value = "bench-project")]
    project_id: String,
    /// X-User-Id of every request.
    #[arg(long, default_value = "bench-user")]
    user_id: String,
    /// Also write every figure to this JSON file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.client_threads.max(1))
        .enable_all()
        .build();
    match runtime {
        Ok(rt) => match rt.block_on(run(cli)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("glint-bench: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("glint-bench: cannot start tokio: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut selected = cli.steps.clone();
    if cli.scale || cli.images_at_scale.is_some() {
        selected.push(Step::Scale);
    }
    let identity = Identity {
        project_id: cli.project_id.clone(),
        user_id: cli.user_id.clone(),
    };
    let binary = cli.glint.clone().unwrap_or_else(default_binary);
    let needs_binary =
        cli.url.is_none() || selected.contains(&Step::Start) || selected.contains(&Step::Scale);
    if needs_binary && !binary.is_file() {
        return Err(format!(
            "{} not found: build it with `cargo build --release -p glint` (or pass --glint PATH, --url URL)",
            binary.display()
        ));
    }
    let settings = Settings {
        images: cli.images,
        cases: cli.cases.clone(),
        load: LoadSettings {
            concurrency: cli.concurrency.max(1),
            warmup: Duration::from_secs_f64(cli.warmup.max(0.0)),
            duration: Duration::from_secs_f64(cli.duration.max(0.1)),
        },
        data_bytes: cli.data_mib * 1048576,
        start_runs: cli.start_runs.max(1),
        scale_images: cli.images_at_scale.unwrap_or(1_000_000),
        scale_dir: cli.scale_dir.clone(),
        binary: binary.clone(),
        identity: identity.clone(),
    };

    // The server measured: started here (kept alive by these two) or given.
    let mut started: Option<(LocalServer, TempDir)> = None;
    let primary = match &cli.url {
        Some(url) => Target {
            name: "glint".into(),
            api: Api::new(url, &identity)?,
            pid: cli.server_pid,
            started_here: false,
            ids: Vec::new(),
        },
        None => {
            let dir = TempDir::new("main")?;
            let server = LocalServer::start(&binary, dir.path()).await?;
            eprintln!(
                "started {} serve at {} (pid {}, data in {}, log in server.log there)",
                binary.display(),
                server.url,
                server.pid(),
                dir.path().display()
            );
            let target = Target {
                name: "glint".into(),
                api: Api::new(&server.url, &identity)?,
                pid: Some(server.pid()),
                started_here: true,
                ids: Vec::new(),
            };
            started = Some((server, dir));
            target
        }
    };
    let mut targets = vec![primary];
    if let Some(vs) = &cli.vs {
        targets.push(Target {
            name: "other".into(),
            api: Api::new(vs, &identity)?,
            pid: cli.vs_pid,
            started_here: false,
            ids: Vec::new(),
        });
    }

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = procfs::load_average();
    println!(
        "glint-bench: {} at {}{}; {cpus} CPU cores shared by the server(s) and this load generator ({} threads); load average {}",
        targets[0].name,
        targets[0].api.base(),
        cli.vs
            .as_ref()
            .map(|v| format!(", vs other at {v}"))
            .unwrap_or_default(),
        cli.client_threads,
        load_before.map_or("n/a".into(), |l| format!("{l:.2}")),
    );

    let mut results: Map<String, Value> = Map::new();
    let mut per_target: Vec<Map<String, Value>> = vec![Map::new(); targets.len()];
    let mut populated = false;
    for step in ORDER.iter().copied().filter(|s| selected.contains(s)) {
        eprintln!("-- {} …", step.name());
        let reports: Vec<StepReport> = match step {
            Step::Populate => {
                let mut out = Vec::new();
                for target in targets.iter_mut() {
                    out.push(steps::populate::run(target, &settings).await);
                }
                populated = true;
                out
            }
            Step::Api => steps::api::run(&mut targets, &settings).await,
            Step::Data => {
                let mut out = Vec::new();
                for target in &targets {
                    out.push(steps::data::run(target, &settings).await);
                }
                out
            }
            Step::Idle => {
                let mut out = Vec::new();
                for target in &targets {
                    out.push(steps::idle::run(target, populated).await);
                }
                out
            }
            Step::Start | Step::Scale => local_only(step, &targets, &settings).await,
        };
        let title = step_title(step, &settings);
        let named: Vec<(&str, &StepReport)> = targets
            .iter()
            .map(|t| t.name.as_str())
            .zip(reports.iter())
            .collect();
        let ratio = match reports.as_slice() {
            [a, b] => Some(report::ratios(a, b)),
            _ => None,
        };
        report::print_step(&title, &named, ratio.as_deref());
        for (i, r) in reports.iter().enumerate() {
            per_target[i].insert(step.name().into(), r.to_json());
        }
        if let Some(ratio) = ratio {
            results.insert(step.name().into(), report::ratios_json(&ratio));
        }
    }

    if let Some((server, _dir)) = started.take() {
        server.stop().await;
    }
    let load_after = procfs::load_average();
    println!(
        "\nload average at the end: {} (other processes' CPU use shows in the \"other CPU %\" column)",
        load_after.map_or("n/a".into(), |l| format!("{l:.2}"))
    );

    if let Some(path) = &cli.json {
        let doc = json!({
            "bench": {
                "load_generator": "glint-bench (Rust, tokio + hyper), closed loop",
                "cpu_cores": cpus,
                "note": "server(s) and load generator share the same cores",
                "load_average_before": load_before,
                "load_average_after": load_after,
                "settings": {
                    "steps": selected.iter().map(|s| s.name()).collect::<Vec<_>>(),
                    "images": settings.images,
                    "concurrency": settings.load.concurrency,
                    "duration_s": settings.load.duration.as_secs_f64(),
                    "warmup_s": settings.load.warmup.as_secs_f64(),
                    "data_bytes": settings.data_bytes,
                    "start_runs": settings.start_runs,
                    "images_at_scale": settings.scale_images,
                    "client_threads": cli.client_threads,
                },
            },
            "targets": targets.iter().zip(per_target).map(|(t, steps)| json!({
                "name": t.name,
                "url": t.api.base(),
                "pid": t.pid,
                "started_by_bench": t.started_here,
                "steps": steps,
            })).collect::<Vec<_>>(),
            "ratios": results,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        println!("\nfigures written to {}", path.display());
    }
    Ok(())
}

/// `glint` in this program's folder (both are built into target/release),
/// else target/release/glint under the current folder.
fn default_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("glint")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("target/release/glint"))
}

/// Start and scale start their own glint, so only the first server gets
/// them, and only when the bench may start servers; others are skipped.
async fn local_only(step: Step, targets: &[Target], settings: &Settings) -> Vec<StepReport> {
    let mut out = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let report = if i > 0 {
            StepReport::skipped("an external server: the bench cannot start it")
        } else if !target.started_here {
            StepReport::skipped("--url given: the bench measures only servers it starts itself")
        } else if step == Step::Start {
            steps::start::run(settings).await
        } else {
            steps::scale::run(settings).await
        };
        out.push(report);
    }
    out
}

fn step_title(step: Step, s: &Settings) -> String {
    match step {
        Step::Populate => format!(
            "populate: {} images by concurrent POST /v2/images",
            s.images
        ),
        Step::Api => format!(
            "api: concurrency {}, {} s each after {} s warm-up",
            s.load.concurrency,
            s.load.duration.as_secs_f64(),
            s.load.warmup.as_secs_f64()
        ),
        Step::Data => format!("data: {} MiB upload and download", s.data_bytes / 1048576),
        Step::Idle => "idle: server memory at rest".to_string(),
        Step::Start => format!(
            "start: spawn to first 200 on /versions, {} fresh starts",
            s.start_runs
        ),
        Step::Scale => {
            "scale: list on a large database (rows written directly into SQLite)".to_string()
        }
    }
}
