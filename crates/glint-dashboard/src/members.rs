//! `/api/glance/images/{id}/members/…`: sharing, which Horizon's glance
//! REST API lacks and Glint's page needs — the projects an image is shared
//! with, and each project's answer. Members are shown as the Image API
//! shows them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use glint_api::auth::Caller;
use glint_api::AppState;
use glint_domain::time::to_api;
use glint_domain::ImageMember;
use serde_json::{json, Value};

use crate::body::json_object;
use crate::error::{absent, DashError, DashResult};

fn member_json(m: &ImageMember) -> Value {
    json!({
        "image_id": m.image_id,
        "member_id": m.member,
        "status": m.status.as_str(),
        "created_at": to_api(&m.created_at),
        "updated_at": to_api(&m.updated_at),
    })
}

fn string_field(body: &serde_json::Map<String, Value>, name: &str) -> DashResult<String> {
    let missing = absent(body, &[name]);
    if !missing.is_empty() {
        return Err(DashError::missing(&missing));
    }
    body.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| DashError::bad_request(format!("{name} must be a string")))
}

/// `GET /api/glance/images/{id}/members/` — `{"items": [...]}`; 403 when
/// the image is not shared.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> DashResult<Json<Value>> {
    let members = state.services.members.list(&ctx, &id).await?;
    let items: Vec<Value> = members.iter().map(member_json).collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/glance/images/{id}/members/` with `{"member": project}` —
/// 201 with the membership (pending); 409 already a member.
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> DashResult<(StatusCode, Json<Value>)> {
    let member = string_field(&json_object(&body)?, "member")?;
    let created = state.services.members.create(&ctx, &id, &member).await?;
    Ok((StatusCode::CREATED, Json(member_json(&created))))
}

/// `PUT /api/glance/images/{id}/members/{member}/` with `{"status":
/// "accepted"|"rejected"|"pending"}` — the member project's answer.
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, member)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> DashResult<Json<Value>> {
    let status = string_field(&json_object(&body)?, "status")?;
    let updated = state
        .services
        .members
        .update(&ctx, &id, &member, &status)
        .await?;
    Ok(Json(member_json(&updated)))
}

/// `DELETE /api/glance/images/{id}/members/{member}/` — 204.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, member)): Path<(String, String)>,
) -> DashResult<StatusCode> {
    state.services.members.delete(&ctx, &id, &member).await?;
    Ok(StatusCode::NO_CONTENT)
}
