//! Policy files and property protections through the API.

mod common;

use axum::http::StatusCode;
use common::{As, TestApp};
use glint_config::{Config, IniFile};
use serde_json::json;

const MEMBER: As = As::Member("p1");
const ADMIN: As = As::Admin("p1");

fn config_with(files: &[(&str, &str)], options: &str) -> (Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let conf = dir.path().join("glint.conf");
    std::fs::write(
        &conf,
        options.replace("DIR", &dir.path().display().to_string()),
    )
    .unwrap();
    (Config::load(&conf).unwrap(), dir)
}

#[tokio::test]
async fn a_policy_file_changes_a_decision_without_code() {
    let app = TestApp::new().await;
    let r = app
        .post_json(MEMBER, "/v2/images", json!({"visibility": "public"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // policy.yaml beside the configuration file is found by its default name.
    let (config, _dir) = config_with(
        &[("policy.yaml", "publicize_image: \"role:member\"\n")],
        "[DEFAULT]\n",
    );
    assert!(config.policy.policy_file.is_some());
    let app = TestApp::with_config(config).await;
    let r = app
        .post_json(MEMBER, "/v2/images", json!({"visibility": "public"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[test]
fn a_named_policy_file_must_exist() {
    let ini = IniFile::parse("[oslo_policy]\npolicy_file = /nonexistent/policy.yaml\n").unwrap();
    let err = Config::from_ini(&ini).unwrap_err();
    assert!(err.0.contains("does not exist"), "{}", err.0);
}

const PROTECTIONS: &str = "
[^x_billing_.*]
create = admin
read = admin,member
update = admin
delete = admin

[^x_secret$]
create = admin
read = admin
update = admin
delete = admin

[.*]
create = @
read = @
update = @
delete = @
";

#[tokio::test]
async fn property_protections_by_role() {
    let (config, _dir) = config_with(
        &[("protections.conf", PROTECTIONS)],
        "[DEFAULT]\nproperty_protection_file = DIR/protections.conf\n",
    );
    let app = TestApp::with_config(config).await;

    let r = app
        .post_json(MEMBER, "/v2/images", json!({"x_billing_code": "42"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text
            .contains("Attribute &#x27;x_billing_code&#x27; is reserved."),
        "{}",
        r.text
    );

    let image = app
        .create_image(
            ADMIN,
            json!({"x_billing_code": "42", "x_secret": "s", "os_distro": "debian"}),
        )
        .await;
    let url = format!("/v2/images/{}", image["id"].as_str().unwrap());
    assert_eq!(image["x_secret"], "s");

    // A member reads the billing code but not the secret.
    let seen = app.get(MEMBER, &url).await.json();
    assert_eq!(seen["x_billing_code"], "42");
    assert!(seen.get("x_secret").is_none(), "{seen}");
    let listed = app.get(MEMBER, "/v2/images").await.json();
    assert!(listed["images"][0].get("x_secret").is_none());

    // It may not change or remove what it may read but not update.
    for op in [
        json!([{"op": "replace", "path": "/x_billing_code", "value": "43"}]),
        json!([{"op": "remove", "path": "/x_billing_code"}]),
    ] {
        let r = app.patch(MEMBER, &url, op).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
    // What it cannot read does not exist for it, and survives its patches.
    let r = app
        .patch(MEMBER, &url, json!([{"op": "remove", "path": "/x_secret"}]))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = app
        .patch(
            MEMBER,
            &url,
            json!([{"op": "replace", "path": "/os_distro", "value": "ubuntu"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json().get("x_secret").is_none());
    let seen = app.get(ADMIN, &url).await.json();
    assert_eq!(seen["x_secret"], "s");
    assert_eq!(seen["os_distro"], "ubuntu");
}
