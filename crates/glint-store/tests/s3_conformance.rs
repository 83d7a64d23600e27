//! The store conformance suite on the S3 store against a real S3-compatible
//! server ($GLINT_TEST_S3_ENDPOINT, with $GLINT_TEST_S3_ACCESS_KEY and
//! $GLINT_TEST_S3_SECRET_KEY; `eval "$(bash tests/s3/s3.sh)"` starts one),
//! each test in a bucket of its own; skipped, with a printed reason, when
//! no endpoint is set.

use std::path::PathBuf;

use async_trait::async_trait;
use glint_store::conformance::StoreUnderTest;
use glint_store::{S3Settings, S3Store, Store};
use tokio::sync::{Mutex, MutexGuard};

struct Fixture {
    store: S3Store,
    /// Where the server keeps its files, when it cannot list multipart
    /// uploads (s3s-fs): leftover parts are looked for there.
    data_dir: Option<PathBuf>,
    /// Leftovers already there (of an earlier, crashed run): not ours.
    before: Vec<String>,
    /// The tests run one at a time: leftovers in the server's folder
    /// cannot be told apart by bucket.
    _turn: MutexGuard<'static, ()>,
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

async fn fixture() -> Option<Fixture> {
    let Ok(endpoint) = std::env::var("GLINT_TEST_S3_ENDPOINT") else {
        eprintln!(
            "skipped: GLINT_TEST_S3_ENDPOINT is not set (eval \"$(bash tests/s3/s3.sh)\" starts a server)"
        );
        return None;
    };
    let turn = TURN.lock().await;
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let bucket = format!("glint-test-{}", uuid_like());
    let mut settings = S3Settings::new(
        &endpoint,
        &var("GLINT_TEST_S3_ACCESS_KEY"),
        &var("GLINT_TEST_S3_SECRET_KEY"),
        &bucket,
    );
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
    })
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}-{}", nanos, std::process::id())
}

glint_store::store_conformance!(match fixture().await {
    Some(f) => f,
    None => return,
});

/// The server checks signatures: a wrong secret is refused, so the suite's
/// passing runs prove the requests were signed right.
#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let Ok(endpoint) = std::env::var("GLINT_TEST_S3_ENDPOINT") else {
        eprintln!("skipped: GLINT_TEST_S3_ENDPOINT is not set");
        return;
    };
    let access = std::env::var("GLINT_TEST_S3_ACCESS_KEY").unwrap_or_default();
    let mut settings = S3Settings::new(&endpoint, &access, "not-the-secret", "glint-test-wrong");
    settings.create_bucket_on_put = true;
    let store = S3Store::new(settings).unwrap();
    assert!(store.prepare().await.is_err());
}
