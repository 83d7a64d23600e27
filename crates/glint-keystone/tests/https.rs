//! Keystone over https: `[keystone_authtoken] cafile` and `insecure` decide
//! whether Glint's own token can be had from a Keystone behind TLS (here a
//! stand-in that issues `svc-token` to anyone).

use glint_config::{Config, IniFile};
use glint_http_client::testing::{answering, TestCa, TlsProxy};
use glint_keystone::{AuthFailure, Keystone};

const ISSUED: &[u8] = b"HTTP/1.1 201 Created\r\nx-subject-token: svc-token\r\n\
content-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";

fn keystone(auth_url: &str, extra: &str) -> Keystone {
    let ini = IniFile::parse(&format!(
        "[paste_deploy]\nflavor = keystone\n[keystone_authtoken]\nauth_url = {auth_url}/v3\n\
         username = glance\npassword = secret\nproject_name = service\n{extra}"
    ))
    .unwrap();
    let settings = Config::from_ini(&ini).unwrap().keystone.unwrap();
    Keystone::new(settings).unwrap()
}

#[tokio::test]
async fn an_https_keystone_is_trusted_as_configured() {
    let ca = TestCa::new("keystone CA");
    let proxy = TlsProxy::start(ca.server_config(), answering(ISSUED).await).await;
    let dir = tempfile::tempdir().unwrap();
    let cafile = ca.write_pem(dir.path());

    let with_ca = keystone(&proxy.url(), &format!("cafile = {}\n", cafile.display()));
    assert_eq!(with_ca.service_token(false).await.unwrap(), "svc-token");

    let insecure = keystone(&proxy.url(), "insecure = true\n");
    assert_eq!(insecure.service_token(false).await.unwrap(), "svc-token");

    // The system store does not hold the test CA.
    let system = keystone(&proxy.url(), "");
    match system.service_token(false).await {
        Err(AuthFailure::Unavailable(why)) => {
            assert!(why.contains(&proxy.url()), "{why}");
            assert!(why.contains("certificate"), "{why}");
        }
        other => panic!("an unknown CA was trusted: {other:?}"),
    }
}

#[test]
fn a_missing_cafile_is_an_error_at_start() {
    let ini = IniFile::parse(
        "[paste_deploy]\nflavor = keystone\n[keystone_authtoken]\nauth_url = https://k/v3\n\
         username = glance\npassword = secret\nproject_name = service\ncafile = /nonexistent.pem\n",
    )
    .unwrap();
    let settings = Config::from_ini(&ini).unwrap().keystone.unwrap();
    let Err(e) = Keystone::new(settings) else {
        panic!("a missing cafile was accepted");
    };
    assert!(e.0.contains("[keystone_authtoken] cafile"), "{e}");
    assert!(e.0.contains("/nonexistent.pem"), "{e}");
}
