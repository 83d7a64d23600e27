//! `glint`: the command line. `glint serve` runs the Image API; `glint db
//! sync` migrates the database; `glint config sample` prints a commented
//! configuration file.

mod keystone_limits;
mod metadefs_admin;
mod registry;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use glint_config::Config;
use glint_service::metadefs::LoadMode;

#[derive(Parser)]
#[command(name = "glint", version, about = "An OpenStack Image API v2 service")]
struct Cli {
    /// An oslo.config-style INI file with Glance's option names.
    #[arg(long = "config-file", global = true)]
    config_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Image API (default 127.0.0.1:9292, SQLite and a local folder).
    Serve,
    /// Database administration.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Remove the bytes of delayed-delete images whose scrub_time has passed.
    Scrub,
    /// Serve the registry: the database behind the registry v1 REST API and
    /// the repository RPC (default 127.0.0.1:9191), for `data_api = registry`.
    Registry,
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Create or upgrade the database schema.
    Sync,
    /// Load metadata definition catalogs (Glance's JSON files) from DIR.
    LoadMetadefs {
        /// Folder of catalog files (default: /etc/glance/metadefs).
        dir: Option<PathBuf>,
        /// Merge into namespaces that already exist (else they are skipped).
        #[arg(long)]
        merge: bool,
        /// With --merge: the files' versions win over what is stored.
        #[arg(long = "prefer-new", alias = "prefer_new", requires = "merge")]
        prefer_new: bool,
        /// With --merge: replace existing namespaces whole.
        #[arg(long, requires = "merge", conflicts_with = "prefer_new")]
        overwrite: bool,
    },
    /// Write every namespace to DIR as a catalog file.
    ExportMetadefs { dir: PathBuf },
    /// Remove every metadata definition namespace.
    UnloadMetadefs,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented sample configuration file.
    Sample,
}

/// Exit status for configuration errors, as the issue tracker asks.
const EXIT_CONFIG: u8 = 2;

fn load_config(path: Option<&PathBuf>) -> Result<Config, ExitCode> {
    let config = match path {
        Some(p) => Config::load(p),
        None => Ok(Config::defaults()),
    };
    match config {
        Ok(c) => {
            for w in &c.warnings {
                tracing::warn!("{w}");
            }
            Ok(c)
        }
        Err(e) => {
            eprintln!("glint: configuration error: {e}");
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

fn runtime(workers: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        builder.worker_threads(n);
    }
    builder.enable_all().build()
}

/// mimalloc instead of the C library's allocator: requests allocate and
/// free many small values across threads, on which glibc's malloc spent a
/// fifth of a request's CPU time (list +25%, show +15% measured). Built
/// without transparent huge pages, which would add ~10 MiB to the idle
/// footprint.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GLINT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Config {
        command: ConfigCommand::Sample,
    } = cli.command
    {
        print!("{}", glint_config::sample());
        return ExitCode::SUCCESS;
    }
    let config = match load_config(cli.config_file.as_ref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let workers = match cli.command {
        Command::Serve | Command::Registry => config.workers,
        _ => Some(1),
    };
    let rt = match runtime(workers) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("glint: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = rt.block_on(async {
        match cli.command {
            Command::Serve => serve::run(config).await.map(|()| None),
            Command::Db {
                command: DbCommand::Sync,
            } => glint_db::open(&config.database_connection)
                .await
                .map(|_| Some("database is up to date".to_string()))
                .map_err(|e| serve::StartError::Other(format!("database error: {e}"))),
            Command::Db {
                command:
                    DbCommand::LoadMetadefs {
                        dir,
                        merge,
                        prefer_new,
                        overwrite,
                    },
            } => {
                let dir = dir.unwrap_or_else(|| PathBuf::from("/etc/glance/metadefs"));
                let mode = match (merge, prefer_new, overwrite) {
                    (false, _, _) => LoadMode::Skip,
                    (true, _, true) => LoadMode::Overwrite,
                    (true, prefer_new, false) => LoadMode::Merge { prefer_new },
                };
                metadefs_admin::load(&config, &dir, mode).await.map(Some)
            }
            Command::Db {
                command: DbCommand::ExportMetadefs { dir },
            } => metadefs_admin::export(&config, &dir).await.map(Some),
            Command::Db {
                command: DbCommand::UnloadMetadefs,
            } => metadefs_admin::unload(&config).await.map(Some),
            Command::Scrub => serve::scrub(config)
                .await
                .map(|n| Some(format!("scrubbed {n} image location(s)"))),
            Command::Config { .. } => Ok(None),
            Command::Registry => registry::run(config).await.map(|()| None),
        }
    });
    match outcome {
        Ok(message) => {
            if let Some(m) = message {
                println!("{m}");
            }
            ExitCode::SUCCESS
        }
        Err(serve::StartError::Config(e)) => {
            eprintln!("glint: configuration error: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(serve::StartError::Other(e)) => {
            eprintln!("glint: {e}");
            ExitCode::FAILURE
        }
    }
}
