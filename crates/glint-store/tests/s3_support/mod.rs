//! The S3 fixture of the store conformance suite: a real S3-compatible
//! server ($GLINT_TEST_S3_ENDPOINT, with $GLINT_TEST_S3_ACCESS_KEY and
//! $GLINT_TEST_S3_SECRET_KEY; `eval "$(bash tests/s3/s3.sh)"` starts one),
//! each test in a bucket of its own, reached directly or through a TLS
//! proxy on loopback; none (and a printed reason) when no endpoint is set.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use async_trait::async_trait;
use glint_http_client::testing::{TestCa, TlsProxy};
use glint_store::conformance::StoreUnderTest;
use glint_store::{S3Settings, S3Store, Store};
use tokio::sync::{Mutex, MutexGuard};

/// How the store reaches the server.
pub enum Route {
    /// The server's own http:// endpoint.
    Plain,
    /// https:// through a TLS proxy whose test CA is the store's
    /// `s3_store_cacert`.
    Tls,
}

pub struct Fixture {
    pub store: S3Store,
    /// Where the server keeps its files, when it cannot list multipart
    /// uploads (s3s-fs): leftover parts are looked for there.
    data_dir: Option<PathBuf>,
    /// Leftovers already there (of an earlier, crashed run): not ours.
    before: Vec<String>,
    /// The tests run one at a time: leftovers in the server's folder
    /// cannot be told apart by bucket.
    _turn: MutexGuard<'static, ()>,
    /// With [`Route::Tls`]: the proxy and the folder of the CA file.
    _tls: Option<(TlsProxy, tempfile::TempDir)>,
}

static TURN: Mutex<()> = Mutex::const_new(());

#[async_trait]
impl StoreUnderTest for Fixture {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn contents(&self) -> Vec<String> {
        let mut names = self.store.object_keys().await.unwrap();
        match (self.store.list_uploads().await, &self.data_dir) {
            (Ok(uploads), _) => {
                for (key, upload_id, _) in uploads {
                    names.push(format!("multipart upload {upload_id} of {key}"));
                }
            }
            (Err(_), Some(dir)) => names.extend(
                upload_files(dir)
                    .into_iter()
                    .filter(|n| !self.before.contains(n)),
            ),
            (Err(e), None) => panic!("cannot list multipart uploads: {e}"),
        }
        names
    }
}

/// s3s-fs's files of multipart uploads in progress.
fn upload_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".upload"))
        .collect()
}

/// The test server's endpoint, or `None` after saying why the test is
/// skipped.
pub fn endpoint() -> Option<String> {
    let endpoint = std::env::var("GLINT_TEST_S3_ENDPOINT").ok();
    if endpoint.is_none() {
        eprintln!(
            "skipped: GLINT_TEST_S3_ENDPOINT is not set (eval \"$(bash tests/s3/s3.sh)\" starts a server)"
        );
    }
    endpoint
}

pub fn access_key() -> String {
    std::env::var("GLINT_TEST_S3_ACCESS_KEY").unwrap_or_default()
}

pub fn secret_key() -> String {
    std::env::var("GLINT_TEST_S3_SECRET_KEY").unwrap_or_default()
}

/// A TLS proxy in front of the plain `endpoint`, and the file of the CA
/// that issued its certificate (in the returned folder).
pub async fn tls_front(endpoint: &str) -> (TlsProxy, tempfile::TempDir, PathBuf) {
    let backend: SocketAddr = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("GLINT_TEST_S3_ENDPOINT is http://IP:PORT");
    let ca = TestCa::new("glint S3 test CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(dir.path());
    (
        TlsProxy::start(ca.server_config(), backend).await,
        dir,
        ca_file,
    )
}

pub async fn fixture(route: Route) -> Option<Fixture> {
    let endpoint = endpoint()?;
    let turn = TURN.lock().await;
    let bucket = format!("glint-test-{}", uuid_like());
    let (host, cacert, tls) = match route {
        Route::Plain => (endpoint, None, None),
        Route::Tls => {
            let (proxy, dir, ca_file) = tls_front(&endpoint).await;
            (proxy.url(), Some(ca_file), Some((proxy, dir)))
        }
    };
    let mut settings = S3Settings::new(&host, &access_key(), &secret_key(), &bucket);
    settings.cacert = cacert;
    settings.create_bucket_on_put = true;
    // Small parts, so that the large test spans five of them.
    settings.large_object_size = 5 << 20;
    settings.large_object_chunk_size = 5 << 20;
    settings.thread_pools = 3;
    let store = S3Store::new(settings).unwrap();
    store.prepare().await.unwrap();
    let data_dir = std::env::var_os("GLINT_TEST_S3_DATA_DIR").map(PathBuf::from);
    Some(Fixture {
        store,
        before: data_dir.as_deref().map(upload_files).unwrap_or_default(),
        data_dir,
        _turn: turn,
        _tls: tls,
    })
}

pub fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}-{}", nanos, std::process::id())
}
