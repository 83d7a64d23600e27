//! The shared client against a real TLS server on loopback: a CA file
//! makes its certificate trusted, another CA's file does not, insecure
//! takes anything, and plain http:// goes through the same client.

mod support;

use glint_http_client::testing::{TestCa, TlsProxy};
use glint_http_client::Trust;
use support::{get, hello_server};

#[tokio::test]
async fn the_ca_file_decides_which_servers_are_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let other = TestCa::new("other CA");
    let backend = hello_server().await;
    let proxy = TlsProxy::start(ca.server_config(), backend).await;
    let url = format!("{}/image.img", proxy.url());

    let trusted = Trust::CaFile(ca.write_pem(dir.path()));
    assert_eq!(get(&trusted, &url).await.unwrap(), "hello");
    // The certificate names localhost too.
    let by_name = format!("https://localhost:{}/x", proxy.port());
    assert_eq!(get(&trusted, &by_name).await.unwrap(), "hello");

    let untrusted = Trust::CaFile(other.write_pem(dir.path()));
    let error = get(&untrusted, &url).await.unwrap_err();
    assert_eq!(error, "invalid peer certificate: UnknownIssuer");

    assert_eq!(get(&Trust::Insecure, &url).await.unwrap(), "hello");
}

#[tokio::test]
async fn a_name_the_certificate_does_not_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("test CA");
    let config = ca.server_config_for(&["localhost"]);
    let proxy = TlsProxy::start(config, hello_server().await).await;
    let trusted = Trust::CaFile(ca.write_pem(dir.path()));
    let by_name = format!("https://localhost:{}/x", proxy.port());
    assert_eq!(get(&trusted, &by_name).await.unwrap(), "hello");
    let by_address = format!("{}/x", proxy.url());
    let error = get(&trusted, &by_address).await.unwrap_err();
    assert!(
        error.starts_with("invalid peer certificate: certificate not valid for name"),
        "{error}"
    );
}

#[tokio::test]
async fn plain_http_goes_through_the_same_client() {
    let backend = hello_server().await;
    let url = format!("http://{backend}/x");
    assert_eq!(get(&Trust::System, &url).await.unwrap(), "hello");
}

#[tokio::test]
async fn a_bad_ca_file_is_an_error_when_the_client_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let timeout = std::time::Duration::from_secs(1);
    let missing = dir.path().join("missing.pem");
    let e = glint_http_client::connector(&Trust::CaFile(missing.clone()), timeout).unwrap_err();
    assert!(e.0.contains(&missing.display().to_string()), "{e}");

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let e = glint_http_client::connector(&Trust::CaFile(empty), timeout).unwrap_err();
    assert!(e.0.contains("holds no PEM certificate"), "{e}");
}
