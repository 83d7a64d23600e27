//! `/v2/images` and `/v2/images/{image_id}`: create, list, show, update,
//! delete.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use glint_domain::image_query::Viewer;
use glint_domain::Error;
use glint_service::image_patch::{self, Dialect};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::links::base_url;
use crate::media_type;
use crate::state::AppState;
use crate::v2::image_view::image_json;
use crate::v2::list_params;

pub(crate) fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError(Error::invalid("Malformed JSON in request body.")))
}

/// `POST /v2/images` — creates a queued image record.
///
/// 201 with the image and a `Location` header. 400 invalid attribute value
/// or malformed body; 403 read-only/reserved attribute, foreign owner or
/// visibility not permitted; 409 id in use; 413 property or tag quota.
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let Value::Object(attrs) = body else {
        return Err(Error::invalid("Request body must be a JSON object.").into());
    };
    let image = state.services.images.create(&ctx, &attrs).await?;
    let location = format!("{}/v2/images/{}", base_url(&state, &headers), image.id);
    let mut response = (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(image_json(&image, &state.config)),
    )
        .into_response();
    let methods = state.services.imports.methods().join(",");
    if let Ok(v) = methods.parse() {
        response
            .headers_mut()
            .insert("openstack-image-import-methods", v);
    }
    let stores = state.services.images.stores();
    if stores.is_multi() {
        let ids: Vec<&str> = stores.all().iter().map(|s| s.id.as_str()).collect();
        if let Ok(v) = ids.join(",").parse() {
            response
                .headers_mut()
                .insert("openstack-image-store-ids", v);
        }
    }
    Ok(response)
}

/// `GET /v2/images` — lists the images the caller can see, filtered,
/// sorted and paged, with `first` and (when more may follow) `next` links.
///
/// 400 for a malformed parameter or a marker naming no visible image.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = list_params::parse_query_string(query.as_deref());
    let viewer = Viewer {
        project_id: ctx.project_id.clone(),
        is_admin: ctx.is_admin,
    };
    let list_query = list_params::parse(&params, viewer)?;
    let limit = state.services.images.effective_limit(list_query.limit);
    let images = state.services.images.list(&ctx, list_query).await?;
    let mut body = Map::new();
    body.insert(
        "images".into(),
        Value::Array(
            images
                .iter()
                .map(|i| image_json(i, &state.config))
                .collect(),
        ),
    );
    body.insert("first".into(), list_params::first_link(&params).into());
    body.insert("schema".into(), "/v2/schemas/images".into());
    if let Some(last) = images.last().filter(|_| images.len() as u32 == limit) {
        body.insert(
            "next".into(),
            list_params::next_link(&params, &last.id).into(),
        );
    }
    Ok(Json(Value::Object(body)))
}

/// `GET /v2/images/{image_id}` — shows one image. 404 when the caller
/// cannot see it.
pub async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let image = state.services.images.get(&ctx, &id).await?;
    Ok(Json(image_json(&image, &state.config)))
}

/// `PATCH /v2/images/{image_id}` — applies a JSON-patch document
/// (`application/openstack-images-v2.1-json-patch`, or the deprecated
/// v2.0 form).
///
/// 415 for any other media type (the accepted ones are listed in the
/// message and in `Accept-Patch`); 400 malformed document or invalid value;
/// 403 read-only/reserved attribute or no right to change; 404 invisible;
/// 409 replacing/removing a property that does not exist; 413 quota.
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let media_type = media_type::of_request(&headers)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let Some(dialect) = Dialect::from_media_type(&media_type) else {
        let accepted = image_patch::MEDIA_TYPES.join(", ");
        let mut response = ApiError(Error::UnsupportedMediaType(format!(
            "The request media type {media_type} is not supported by this server. Image PATCH expects Content-Type one of: {accepted}"
        )))
        .into_response();
        if let Ok(v) = accepted.parse() {
            response.headers_mut().insert("accept-patch", v);
        }
        return Ok(response);
    };
    let doc = json_body(&body)?;
    let ops = image_patch::parse(&doc, dialect)?;
    let image = state
        .services
        .images
        .update(&ctx, &id, &ops, dialect)
        .await?;
    Ok(Json(image_json(&image, &state.config)).into_response())
}

/// `DELETE /v2/images/{image_id}` — deletes an image. 204; 403 protected
/// or not permitted; 404 invisible or already deleted.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.images.delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
