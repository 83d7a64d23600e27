//! Interoperable import: `PUT /v2/images/{id}/stage`,
//! `POST /v2/images/{id}/import` and `GET /v2/info/import`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use glint_service::import::ImportRequest;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::v2::image_data::octet_stream;
use crate::v2::images::json_body;

/// `PUT /v2/images/{image_id}/stage` — keeps the data in the staging area
/// for a glance-direct import (`application/octet-stream`). 204; the image
/// becomes `uploading`.
///
/// 404 glance-direct not enabled, or the image invisible; 409 image not
/// queued; 413 over the size cap or quota; 415 another media type.
pub async fn stage(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    let (stream, content_length) = octet_stream(&headers, body)?;
    state
        .services
        .imports
        .stage(&ctx, &id, stream, content_length)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/images/{image_id}/import` — starts an import (glance-direct,
/// web-download, copy-image or glance-download) into the stores asked
/// for. 202; the work runs as a task (`GET /v2/images/{image_id}/tasks`).
/// A glance-download's remote image is looked up by that task: an unknown
/// region, or a remote image that is missing or not active, fails the task.
///
/// 400 malformed body, unknown or disabled method, formats not set, URI
/// refused by the import filter, glance-download without `glance_region`
/// or a UUID `glance_image_id`; 403 not allowed (copy-image is admin's);
/// 404 invisible image; 409 wrong image status, unknown store, another
/// import running.
pub async fn import(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let body = json_body(&body)?;
    let store = headers
        .get("x-image-meta-store")
        .and_then(|v| v.to_str().ok());
    let req = ImportRequest::parse(&body, store)?;
    state
        .services
        .imports
        .import(&ctx, &id, &req, &body)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `GET /v2/info/import` — the import methods this server offers.
pub async fn methods(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": state.services.imports.methods(),
        }
    }))
}
