//! The store conformance suite on the S3 store over https: the same real
//! server (see `s3_support`) behind a TLS proxy on loopback, whose test CA
//! is the store's `s3_store_cacert`. SigV4 signs the host the proxy is
//! reached at, which the proxy passes on unchanged, so the server's
//! signature checks prove the https requests were signed right.

mod s3_support;

use glint_http_client::testing::TestCa;
use glint_store::{S3Settings, S3Store, Store};
use s3_support::{fixture, Route};

glint_store::store_conformance!(match fixture(Route::Tls).await {
    Some(f) => f,
    None => return,
});

#[tokio::test]
async fn https_endpoints_write_s3_https_locations() {
    let Some(f) = fixture(Route::Tls).await else {
        return;
    };
    let data: glint_store::ByteStream = Box::pin(futures_util::stream::iter([Ok(
        bytes::Bytes::from_static(b"over tls"),
    )]));
    let stored = f.store.add("tls-image", data).await.unwrap();
    assert!(
        stored.location.starts_with("s3+https://"),
        "{}",
        stored.location
    );
    f.store.delete(&stored.location).await.unwrap();
}

/// A certificate the store's CA did not issue: the error names the
/// endpoint and the certificate problem.
#[tokio::test]
async fn a_certificate_from_another_ca_is_refused_by_name() {
    let Some(endpoint) = s3_support::endpoint() else {
        return;
    };
    let (proxy, _dir, _ca_file) = s3_support::tls_front(&endpoint).await;
    let other = tempfile::tempdir().unwrap();
    let mut settings = S3Settings::new(
        &proxy.url(),
        &s3_support::access_key(),
        &s3_support::secret_key(),
        "glint-test-untrusted",
    );
    settings.cacert = Some(TestCa::new("another CA").write_pem(other.path()));
    settings.create_bucket_on_put = true;
    let store = S3Store::new(settings).unwrap();
    let error = store.prepare().await.unwrap_err().to_string();
    assert!(error.contains(&proxy.url()), "{error}");
    assert!(
        error.contains("invalid peer certificate: UnknownIssuer"),
        "{error}"
    );
}
