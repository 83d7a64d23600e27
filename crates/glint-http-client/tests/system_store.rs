//! The system CA store honours SSL_CERT_FILE, and is read at the first
//! handshake (so the variable set here, before any, is what counts). Its
//! own test binary: the store is read once per process.

mod support;

use glint_http_client::testing::{TestCa, TlsProxy};
use glint_http_client::Trust;
use support::{get, hello_server};

#[tokio::test]
async fn ssl_cert_file_names_the_system_store() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("system CA");
    std::env::set_var("SSL_CERT_FILE", ca.write_pem(dir.path()));
    std::env::remove_var("SSL_CERT_DIR");

    let backend = hello_server().await;
    let trusted = TlsProxy::start(ca.server_config(), backend).await;
    assert_eq!(
        get(&Trust::System, &format!("{}/x", trusted.url()))
            .await
            .unwrap(),
        "hello"
    );

    let stranger = TestCa::new("stranger CA");
    let untrusted = TlsProxy::start(stranger.server_config(), backend).await;
    let error = get(&Trust::System, &format!("{}/x", untrusted.url()))
        .await
        .unwrap_err();
    assert_eq!(error, "invalid peer certificate: UnknownIssuer");
}
