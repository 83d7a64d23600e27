//! A `glint serve` the bench starts itself: a temporary data folder, a free
//! loopback port, stderr to a log file, and the time until it first answers.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A working folder, removed when dropped unless it was the user's.
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    pub fn new(label: &str) -> Result<Self, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "glint-bench-{label}-{}-{nanos:08x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir { path, keep: false })
    }

    /// A folder the user named: created when missing, never removed.
    pub fn kept(path: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TempDir {
            path: path.to_path_buf(),
            keep: true,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A free loopback port: bind port 0, read it, let it go.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// Writes a configuration for a server on `port` keeping everything under
/// `dir/data`, and returns its path.
pub fn write_config(dir: &Path, port: u16) -> Result<PathBuf, String> {
    let conf = dir.join("glint.conf");
    let text = format!(
        "[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = {port}\ndata_dir = {}\n",
        dir.join("data").display()
    );
    std::fs::write(&conf, text).map_err(|e| format!("{}: {e}", conf.display()))?;
    Ok(conf)
}

/// The SQLite file of a data folder made by `write_config`.
pub fn database_path(dir: &Path) -> PathBuf {
    dir.join("data").join("glint.sqlite")
}

/// A running `glint serve`.
pub struct LocalServer {
    child: Child,
    pub url: String,
    /// From spawn to the first 200 on `/versions`.
    pub start_time: Duration,
}

impl LocalServer {
    /// Starts `binary serve` with a configuration written into `dir` (data
    /// under `dir/data`) and waits for the first 200 on `/versions`.
    pub async fn start(binary: &Path, dir: &Path) -> Result<Self, String> {
        let port = free_port()?;
        let conf = write_config(dir, port)?;
        let log_path = dir.join("server.log");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("{}: {e}", log_path.display()))?;
        let spawned = Instant::now();
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--config-file")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let addr = format!("127.0.0.1:{port}");
        let deadline = spawned + Duration::from_secs(120);
        loop {
            if versions_ok(&addr).await {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited ({status}) before answering; see its log:\n{}",
                    binary.display(),
                    tail(&log_path)
                ));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("{} did not answer within 120 s", binary.display()));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(LocalServer {
            start_time: spawned.elapsed(),
            child,
            url: format!("http://{addr}"),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (a clean shutdown checkpoints SQLite), then SIGKILL after 10 s.
    pub async fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..1000 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One bare `GET /versions` on a new connection: did it answer 200?
async fn versions_ok(addr: &str) -> bool {
    let probe = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream
            .write_all(b"GET /versions HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.ok()?;
        Some(head.starts_with(b"HTTP/1.1 200"))
    };
    tokio::time::timeout(Duration::from_secs(5), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// The last lines of a log, for an error message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
