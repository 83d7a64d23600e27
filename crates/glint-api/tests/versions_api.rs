//! Version discovery and negotiation, request ids, identity headers.

mod common;

use axum::http::StatusCode;
use common::{As, TestApp};

#[tokio::test]
async fn root_is_multiple_choices_and_versions_is_ok() {
    let app = TestApp::new().await;
    let root = app.get(As::Anonymous, "/").await;
    assert_eq!(root.status, StatusCode::MULTIPLE_CHOICES);
    let versions = root.json()["versions"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 19);
    assert_eq!(versions[0]["id"], "v2.18");
    assert_eq!(versions[0]["status"], "CURRENT");
    assert_eq!(
        versions[0]["links"][0]["href"],
        "http://glint.test:9292/v2/"
    );
    let listed = app.get(As::Anonymous, "/versions").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json(), root.json());
}

#[tokio::test]
async fn unknown_versions_get_the_choices_and_minor_versions_route_to_v2() {
    let app = TestApp::new().await;
    for path in ["/v3/images", "/v1/images", "/v2.19/images", "/images"] {
        let r = app.get(As::Anonymous, path).await;
        assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES, "{path}");
    }
    for path in [
        "/v2/images",
        "/v2.0/images",
        "/v2.5/images?limit=1",
        "/v2.18/images",
    ] {
        let r = app.get(As::Anonymous, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new().await;
    for path in [
        "/",
        "/versions",
        "/v2/images",
        "/v2/images/nope",
        "/v2/nothing-here",
    ] {
        let r = app.get(As::Anonymous, path).await;
        let id = r.header("x-openstack-request-id").unwrap_or_default();
        assert!(id.starts_with("req-"), "{path}: {:?}", r.headers);
    }
}

#[tokio::test]
async fn unconfirmed_identity_is_401() {
    let app = TestApp::new().await;
    let r = app
        .request(
            As::Anonymous,
            axum::http::Method::GET,
            "/v2/images",
            None,
            None,
            &[("x-identity-status", "Invalid"), ("x-project-id", "p1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn errors_render_as_html_or_json() {
    let app = TestApp::new().await;
    let html = app
        .get(
            As::Anonymous,
            "/v2/images/3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11",
        )
        .await;
    assert_eq!(html.status, StatusCode::NOT_FOUND);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    assert!(
        html.text.contains("<title>404 Not Found</title>"),
        "{}",
        html.text
    );
    assert!(
        html.text.contains("No image found with ID 3b5f5a63"),
        "{}",
        html.text
    );
    let json = app
        .request(
            As::Anonymous,
            axum::http::Method::GET,
            "/v2/images/3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11",
            None,
            None,
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(json.status, StatusCode::NOT_FOUND);
    let body = json.json();
    assert_eq!(body["code"], "404 Not Found");
    assert!(body["message"].as_str().unwrap().contains("No image found"));
    let text = app
        .request(
            As::Anonymous,
            axum::http::Method::GET,
            "/v2/images?limit=-1",
            None,
            None,
            &[("accept", "")],
        )
        .await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST);
    assert!(
        text.text
            .starts_with("400 Bad Request\n\nlimit param must be positive"),
        "{}",
        text.text
    );
}
