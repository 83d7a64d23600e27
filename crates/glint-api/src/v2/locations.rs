//! Locations (API 2.17) and removing an image's copy from one store.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use glint_domain::Error;
use glint_service::locations::ValidationData;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::v2::images::json_body;

/// `GET /v2/images/{image_id}/locations` — the image's copies as
/// `[{"url", "metadata"}]`. 403 for callers other than services.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let locations = state.services.images.locations(&ctx, &id).await?;
    Ok(Json(Value::Array(
        locations
            .iter()
            .map(|l| json!({"url": l.url, "metadata": l.metadata}))
            .collect(),
    )))
}

/// `POST /v2/images/{image_id}/locations` — `{"url", "validation_data"}`
/// gives a queued image its data at an `http://` or `https://` URL. 202.
///
/// 400 a URL the server may not read (file://, unsupported scheme) or bad
/// validation data; 403 not allowed; 409 image not queued.
pub async fn add(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let body = json_body(&body)?;
    let url = body
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("'url' is a required property"))?;
    let validation = ValidationData::parse(body.get("validation_data"))?;
    state
        .services
        .images
        .add_location(&ctx, &id, url, &validation)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `DELETE /v2/stores/{store_id}/{image_id}` — removes the image's copy
/// in one store. 204; 404 unknown store or not there; 409 the image's only
/// copy or an image not active.
pub async fn delete_from_store(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((store, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .images
        .delete_from_store(&ctx, &store, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
