//! Keystone mode without a reachable Keystone: no token is 401 with the
//! header clients follow, an unverifiable token is 503 (never a silent
//! pass), and discovery needs no token. Real tokens are exercised against a
//! real Keystone by tests/clients (test_keystone.py).

mod common;

use axum::http::{Method, StatusCode};
use common::{As, TestApp};
use glint_config::IniFile;

fn keystone_config(auth_url: &str) -> glint_config::Config {
    let ini = IniFile::parse(&format!(
        "[paste_deploy]\nflavor = keystone\n\
         [keystone_authtoken]\nauth_url = {auth_url}\nwww_authenticate_uri = http://keystone.example/v3\n\
         username = glint\npassword = secret\nproject_name = service\nhttp_connect_timeout = 2\n"
    ))
    .unwrap();
    glint_config::Config::from_ini(&ini).unwrap()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn no_token_is_401_with_where_to_get_one() {
    let app = TestApp::with_config(keystone_config(&format!(
        "http://127.0.0.1:{}/v3",
        closed_port()
    )))
    .await;
    // Identity headers are not trusted in keystone mode.
    let r = app.get(As::Admin("p1"), "/v2/images").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Keystone uri=\"http://keystone.example/v3\"")
    );
    assert_eq!(r.json()["error"]["code"], 401);
    assert_eq!(
        r.json()["error"]["message"],
        "The request you have made requires authentication."
    );
}

#[tokio::test]
async fn keystone_down_is_503_not_a_pass() {
    let app = TestApp::with_config(keystone_config(&format!(
        "http://127.0.0.1:{}/v3",
        closed_port()
    )))
    .await;
    let r = app
        .request(
            As::Anonymous,
            Method::GET,
            "/v2/images",
            None,
            None,
            &[
                ("x-auth-token", "some-token"),
                ("accept", "application/json"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(
        r.text
            .contains("The Keystone service is temporarily unavailable."),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn discovery_needs_no_token() {
    let app = TestApp::with_config(keystone_config(&format!(
        "http://127.0.0.1:{}/v3",
        closed_port()
    )))
    .await;
    assert_eq!(
        app.get(As::Anonymous, "/versions").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(As::Anonymous, "/").await.status,
        StatusCode::MULTIPLE_CHOICES
    );
    assert_eq!(
        app.get(As::Anonymous, "/healthcheck").await.status,
        StatusCode::OK
    );
}

#[test]
fn keystone_settings_are_checked_at_start() {
    let ini = IniFile::parse("[paste_deploy]\nflavor = keystone\n").unwrap();
    let err = glint_config::Config::from_ini(&ini).unwrap_err();
    assert!(err.0.contains("auth_url"), "{}", err.0);
    let ini = IniFile::parse(
        "[paste_deploy]\nflavor = keystone\n[keystone_authtoken]\nauth_url = http://k/v3\n",
    )
    .unwrap();
    let err = glint_config::Config::from_ini(&ini).unwrap_err();
    assert!(err.0.contains("username"), "{}", err.0);
}
