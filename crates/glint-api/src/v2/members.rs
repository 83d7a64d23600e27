//! `/v2/images/{image_id}/members[/{member_id}]`: sharing an image with
//! other projects.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use glint_domain::{Error, ImageMember};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

fn member_json(m: &ImageMember) -> Value {
    json!({
        "member_id": m.member,
        "image_id": m.image_id,
        "status": m.status.as_str(),
        "created_at": glint_domain::time::to_api(&m.created_at),
        "updated_at": glint_domain::time::to_api(&m.updated_at),
        "schema": "/v2/schemas/member",
    })
}

/// The JSON object a member request carries; Glance's texts for a missing
/// or malformed body.
fn body_object(body: &Bytes, expected: &str) -> Result<serde_json::Map<String, Value>, Error> {
    if body.is_empty() {
        return Err(Error::invalid("Body expected in request."));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid(format!("Expected a {expected}"))),
        Err(_) => Err(Error::invalid("Malformed JSON in request body.")),
    }
}

/// `GET …/members` — 200 `{"members": […], "schema": …}`; 403 for an image
/// that is not shared; 404 unknown image.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(image_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let members = state.services.members.list(&ctx, &image_id).await?;
    Ok(Json(json!({
        "members": members.iter().map(member_json).collect::<Vec<_>>(),
        "schema": "/v2/schemas/members",
    })))
}

/// `POST …/members` with `{"member": PROJECT}` — 200 with the new
/// (pending) membership; 400 bad body; 403 not shared or not the owner;
/// 409 already a member; 413 `image_member_quota`.
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(image_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_object(&body, "member in the form: {\"member\": \"image_id\"}")?;
    let member_id = match body.get("member") {
        None => return Err(Error::invalid("Member to be added not specified").into()),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(Error::invalid("Member can't be empty").into()),
    };
    let member = state
        .services
        .members
        .create(&ctx, &image_id, &member_id)
        .await?;
    Ok(Json(member_json(&member)))
}

/// `GET …/members/{member_id}` — 200; 404 for whatever the caller may not
/// see.
pub async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((image_id, member_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let member = state
        .services
        .members
        .get(&ctx, &image_id, &member_id)
        .await?;
    Ok(Json(member_json(&member)))
}

/// `PUT …/members/{member_id}` with `{"status": …}` — 200; 400 bad status;
/// 403 not the member; 404.
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((image_id, member_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_object(&body, "status in the form: {\"status\": \"status\"}")?;
    let status = match body.get("status") {
        None => return Err(Error::invalid("Status not specified").into()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let member = state
        .services
        .members
        .update(&ctx, &image_id, &member_id, &status)
        .await?;
    Ok(Json(member_json(&member)))
}

/// `DELETE …/members/{member_id}` — 204; 403 not the owner; 404.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((image_id, member_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .members
        .delete(&ctx, &image_id, &member_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
