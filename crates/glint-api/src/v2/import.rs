//! Interoperable import: `PUT /v2/images/{id}/stage`,
//! `POST /v2/images/{id}/import` and `GET /v2/info/import`.

use std::io;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use futures_util::TryStreamExt;
use glint_domain::Error;
use glint_service::import::ImportRequest;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::media_type;
use crate::state::AppState;
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
    if let Some(media) = media_type::of_request(&headers) {
        if !media.eq_ignore_ascii_case("application/octet-stream") {
            return Err(ApiError(Error::UnsupportedMediaType(format!(
                "The request media type {media} is not supported by this server. Invalid content type {media}"
            ))));
        }
    }
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let stream = body.into_data_stream().map_err(io::Error::other);
    state
        .services
        .imports
        .stage(&ctx, &id, Box::pin(stream), content_length)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/images/{image_id}/import` — starts an import (glance-direct,
/// web-download or copy-image) into the stores asked for. 202; the work
/// runs as a task (`GET /v2/images/{image_id}/tasks`).
///
/// 400 malformed body, unknown or disabled method, formats not set, URI
/// refused by the import filter; 403 not allowed (copy-image is admin's);
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
