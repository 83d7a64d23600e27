//! `POST /rpc` on the wire: a list of commands answered by the list of
//! their results, the first failure answered as a typed `_error` in its
//! place and ending the batch.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use glint_db::sqlite::SqliteRepository;
use glint_db::Repository;
use glint_registry::testing::noauth_state;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn rpc(repo: Arc<SqliteRepository>, body: Value) -> (StatusCode, Value) {
    let app = glint_registry::app(noauth_state(repo));
    let request = Request::builder()
        .method("POST")
        .uri("/rpc")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_batch_stops_at_its_first_failure() {
    let repo = Arc::new(SqliteRepository::open(None).await.unwrap());
    let missing = "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11";
    let (status, answers) = rpc(
        repo.clone(),
        json!([
            {"command": "metadef_resource_types", "kwargs": {}},
            {"command": "owner_usage", "kwargs": {"owner": "p1"}},
            {"command": "image_get", "kwargs": {"id": missing, "include_deleted": false}},
            {"command": "image_tag_add", "kwargs": {"image_id": missing, "tag": "t"}},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert!(answers[0].is_array());
    assert_eq!(
        answers[1],
        json!({"stored_bytes": 0, "staged_bytes": 0, "image_count": 0, "uploading_count": 0})
    );
    assert_eq!(answers[2]["_error"]["cls"], "NotFound");
    assert!(answers[2]["_error"]["val"]
        .as_str()
        .unwrap()
        .contains(missing));
}

#[tokio::test]
async fn bad_commands_and_arguments_are_invalid() {
    let repo = Arc::new(SqliteRepository::open(None).await.unwrap());
    for command in [
        json!({"command": "image_explode", "kwargs": {}}),
        json!({"command": "image_get", "kwargs": {"id": 7}}),
        json!({"command": "image_destroy", "kwargs": {}}),
    ] {
        let (status, answers) = rpc(repo.clone(), json!([command])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answers[0]["_error"]["cls"], "Invalid", "{command}");
    }
    assert!(repo.metadef_resource_types().await.unwrap().is_empty());
}
