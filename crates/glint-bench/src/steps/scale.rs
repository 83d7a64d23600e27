//! Step 5, scale: list latencies with `--images-at-scale` images (default a
//! million). The rows are written straight into a fresh SQLite file, in
//! large transactions, by the `sqlite3` CLI (or python3's `sqlite3` module
//! when the CLI is missing); the schema is the one `glint db sync` creates,
//! and every NOT NULL column is filled as the service fills it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::api::{LIST, LIST_SORTED_FILTERED};
use super::{load_case, Settings, Target, DISTROS};
use crate::client::Api;
use crate::load::{self, LoadSettings, RequestSpec};
use crate::report::{Case, Metric, StepReport};
use crate::server::{database_path, write_config, LocalServer, TempDir};
use crate::stats::Rng;

/// Images written per transaction.
const BATCH: u64 = 100_000;

pub async fn run(settings: &Settings) -> StepReport {
    match measure(settings).await {
        Ok(report) => report,
        Err(e) => StepReport {
            notes: vec![format!("failed: {e}")],
            ..StepReport::default()
        },
    }
}

async fn measure(settings: &Settings) -> Result<StepReport, String> {
    let dir = match &settings.scale_dir {
        Some(path) => TempDir::kept(path)?,
        None => TempDir::new("scale")?,
    };
    let db = database_path(dir.path());
    let mut notes = Vec::new();
    let (images, load_secs) = if db.exists() {
        let count = query(&db, "SELECT count(*) FROM images WHERE deleted = 0")?;
        let images: u64 = count
            .trim()
            .parse()
            .map_err(|_| format!("cannot count the images in {}: {count}", db.display()))?;
        notes.push(format!(
            "reused {} ({images} images): nothing loaded",
            db.display()
        ));
        (images, None)
    } else {
        let n = settings.scale_images;
        let loaded = load(settings, dir.path(), &db)?;
        notes.push(format!(
            "rows written by {} in transactions of {BATCH} images (5 properties, 3 tags each), then glint started on them",
            loaded.tool
        ));
        (n, Some(loaded.seconds))
    };
    let db_mib = dir_size(&db.with_file_name("")) as f64 / 1048576.0;

    let server = LocalServer::start(&settings.binary, dir.path()).await?;
    let target = Target {
        name: "glint".into(),
        api: Api::new(&server.url, &settings.identity)?,
        pid: Some(server.pid()),
        started_here: true,
        ids: Vec::new(),
    };
    let first_page = target.api.get(LIST_SORTED_FILTERED).await?;
    let listed = serde_json::from_slice::<serde_json::Value>(&first_page.body)
        .ok()
        .and_then(|v| v["images"].as_array().map(Vec::len))
        .unwrap_or(0);

    let mut cases = vec![Case {
        name: format!("{images} images"),
        metrics: vec![
            Metric::new("load_seconds", "load s", load_secs, 1),
            Metric::new("database_mib", "database MiB", Some(db_mib), 0),
            Metric::new(
                "start_ms",
                "start ms",
                Some(server.start_time.as_secs_f64() * 1000.0),
                1,
            ),
        ],
    }];
    let mut failures = Vec::new();
    let concurrency = settings.load.concurrency;
    for c in [concurrency, 1] {
        for (name, path) in [("list", LIST), ("list sorted+filter", LIST_SORTED_FILTERED)] {
            let name = format!("{name} (c={c})");
            eprintln!("   {name} at {images} images …");
            let load_settings = LoadSettings {
                concurrency: c,
                ..settings.load
            };
            let result = load::run(
                &target.api,
                load_settings,
                target.pid,
                move |_: &mut Rng| RequestSpec::get(path.to_string()),
            )
            .await;
            cases.push(load_case(&name, &result));
            failures.extend(result.tally.failures);
        }
        if concurrency == 1 {
            break;
        }
    }
    server.stop().await;
    notes.push(format!(
        "start ms: spawn to first 200 on /versions on that database; sanity: the first sorted+filtered page held {listed} images"
    ));
    notes.push(format!(
        "each case {:?} warm-up then {:?}; c=1 shows a request's own time, c={concurrency} adds queueing",
        settings.load.warmup, settings.load.duration
    ));
    Ok(StepReport {
        cases,
        notes,
        failures,
    })
}

struct Loaded {
    tool: &'static str,
    seconds: f64,
}

/// Creates the schema with `glint db sync`, then writes the rows.
fn load(settings: &Settings, dir: &Path, db: &Path) -> Result<Loaded, String> {
    let n = settings.scale_images;
    let conf = write_config(dir, 9)?;
    let synced = Command::new(&settings.binary)
        .args(["db", "sync", "--config-file"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", settings.binary.display()))?;
    if !synced.success() {
        return Err(format!("glint db sync failed ({synced})"));
    }
    let script = dir.join("load.sql");
    std::fs::write(&script, load_script(n, &settings.identity.project_id))
        .map_err(|e| format!("{}: {e}", script.display()))?;
    eprintln!("   writing {n} images into {} …", db.display());
    let started = Instant::now();
    let tool = run_script(db, &script)?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&script);
    Ok(Loaded { tool, seconds })
}

/// The first column of the first row of `sql` on `db`, as text.
fn query(db: &Path, sql: &str) -> Result<String, String> {
    let out = match Command::new("sqlite3").arg(db).arg(sql).output() {
        Ok(out) => out,
        Err(_) => Command::new("python3")
            .arg("-c")
            .arg(
                "import sqlite3, sys\n\
                 print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])\n",
            )
            .arg(db)
            .arg(sql)
            .output()
            .map_err(|e| format!("neither sqlite3 nor python3 could be run: {e}"))?,
    };
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{sql}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// Runs the SQL script on `db` with `sqlite3`, else python3; names the tool.
fn run_script(db: &Path, script: &Path) -> Result<&'static str, String> {
    let file = std::fs::File::open(script).map_err(|e| format!("{}: {e}", script.display()))?;
    let via_cli = Command::new("sqlite3")
        .arg("-bail")
        .arg(db)
        .stdin(file)
        .stdout(Stdio::null())
        .output();
    match via_cli {
        Ok(out) if out.status.success() => return Ok("the sqlite3 CLI"),
        Ok(out) => {
            return Err(format!(
                "sqlite3 failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
        Err(_) => {} // no CLI: python3
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.executescript(open(sys.argv[2]).read())\n",
        )
        .arg(db)
        .arg(script)
        .output()
        .map_err(|e| format!("neither sqlite3 nor python3 could be run: {e}"))?;
    if out.status.success() {
        Ok("python3's sqlite3 module")
    } else {
        Err(format!(
            "python3 sqlite3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Bytes of the files in a folder (the database and its WAL).
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The SQL that writes `n` images owned by `owner`, shaped as the populate
/// step's (and as `images.rs` in glint-db writes them: status `queued`,
/// visibility `shared`, timestamps as `YYYY-MM-DD HH:MM:SS.ffffff`), one
/// millisecond apart in creation time.
pub fn load_script(n: u64, owner: &str) -> String {
    let owner = owner.replace('\'', "''");
    let distro_case: String = DISTROS
        .iter()
        .enumerate()
        .map(|(i, d)| format!(" WHEN {i} THEN '{d}'"))
        .collect();
    let mut sql = format!(
        "PRAGMA synchronous = OFF;\n\
         PRAGMA cache_size = -1048576;\n\
         PRAGMA temp_store = MEMORY;\n\
         CREATE TEMP TABLE bench_seq (n INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT NOT NULL, at TEXT NOT NULL);\n\
         WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {last})\n\
         INSERT INTO bench_seq\n\
         SELECT n,\n\
           substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' ||\n\
             substr('89ab', 1 + n % 4, 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12),\n\
           'bench-' || lower(hex(randomblob(8))),\n\
           strftime('%Y-%m-%d %H:%M:%S', {epoch} + n / 1000, 'unixepoch') || printf('.%06d', (n % 1000) * 1000)\n\
         FROM (SELECT n, lower(hex(randomblob(16))) AS h FROM s);\n",
        last = n.saturating_sub(1),
        epoch = 1_735_689_600u64,
    );
    let mut start = 0;
    while start < n {
        let end = (start + BATCH).min(n);
        let range = format!("s.n >= {start} AND s.n < {end}");
        sql.push_str(&format!(
            "BEGIN;\n\
             INSERT INTO images (id, name, size, status, created_at, updated_at, deleted, disk_format, \
             container_format, checksum, owner, min_disk, min_ram, protected, virtual_size, visibility, \
             os_hidden, os_hash_algo, os_hash_value)\n\
             SELECT s.id, s.name, NULL, 'queued', s.at, s.at, 0, 'qcow2', 'bare', NULL, '{owner}', \
             s.n % 40, 512 * (s.n % 8), 0, NULL, 'shared', 0, NULL, NULL\n\
             FROM bench_seq s WHERE {range} ORDER BY s.n;\n\
             INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted)\n\
             SELECT s.id, p.column1, CASE p.column1\n\
               WHEN 'architecture' THEN CASE WHEN s.n % 4 = 0 THEN 'aarch64' ELSE 'x86_64' END\n\
               WHEN 'bench_group' THEN 'group-' || (s.n % 10)\n\
               WHEN 'hw_disk_bus' THEN CASE WHEN s.n % 3 = 0 THEN 'scsi' ELSE 'virtio' END\n\
               WHEN 'os_distro' THEN CASE s.n % 8{distro_case} END\n\
               ELSE (18 + s.n % 7) || '.' || printf('%02d', 4 * (s.n % 3)) END,\n\
               s.at, s.at, 0\n\
             FROM bench_seq s CROSS JOIN (VALUES ('architecture'), ('bench_group'), ('hw_disk_bus'), \
             ('os_distro'), ('os_version')) p\n\
             WHERE {range} ORDER BY s.n, p.column1;\n\
             INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted)\n\
             SELECT s.id, CASE t.column1 WHEN 0 THEN 'bench' WHEN 1 THEN 'group-' || (s.n % 10) \
             ELSE 'batch-' || (s.n / 1000) END, s.at, s.at, 0\n\
             FROM bench_seq s CROSS JOIN (VALUES (0), (1), (2)) t\n\
             WHERE {range} ORDER BY s.n, t.column1;\n\
             COMMIT;\n"
        ));
        start = end;
    }
    sql.push_str("PRAGMA wal_checkpoint(TRUNCATE);\n");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_batches_and_escapes() {
        let sql = load_script(250_000, "o'wner");
        assert_eq!(sql.matches("BEGIN;").count(), 3);
        assert!(sql.contains("'o''wner'"));
        assert!(sql.contains("s.n >= 200000 AND s.n < 250000"));
        assert!(sql.contains("WHEN 0 THEN 'ubuntu'"));
    }
}
