//! The store conformance suite on the S3 store against a real S3-compatible
//! server (see `s3_support`); skipped, with a printed reason, when no
//! endpoint is set.

mod s3_support;

use glint_store::{S3Settings, S3Store, Store};
use s3_support::{fixture, Route};

glint_store::store_conformance!(match fixture(Route::Plain).await {
    Some(f) => f,
    None => return,
});

/// The server checks signatures: a wrong secret is refused, so the suite's
/// passing runs prove the requests were signed right.
#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let Some(endpoint) = s3_support::endpoint() else {
        return;
    };
    let access = s3_support::access_key();
    let mut settings = S3Settings::new(&endpoint, &access, "not-the-secret", "glint-test-wrong");
    settings.create_bucket_on_put = true;
    let store = S3Store::new(settings).unwrap();
    assert!(store.prepare().await.is_err());
}
