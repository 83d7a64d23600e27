//! `/api/glance/images/…`: list, show, create from a URL, change, delete,
//! (de)activate, and the custom properties — each on the image service,
//! answered in Horizon's shapes. Uploads are in [`crate::upload`].

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use glint_api::auth::Caller;
use glint_api::v2::list_params;
use glint_api::AppState;
use glint_domain::image_query::{ImageListQuery, Viewer};
use glint_domain::{Image, RequestContext};
use glint_service::image_patch::{Dialect, OpKind, PatchOp};
use glint_service::import::{uri_filter, ImportRequest};
use glint_service::locations::ValidationData;
use serde_json::{json, Value};

use crate::body::json_object;
use crate::error::{absent, DashError, DashResult};
use crate::image_dict::{image_dict, properties};
use crate::image_fields::{image_attributes, property_value, truthy};
use crate::paging::{self, ListParams, Page};
use crate::url_import;

/// `GET /api/glance/version/` — the Image API version in use.
pub async fn version() -> Json<Value> {
    Json(json!({"version": "2"}))
}

/// `GET /api/glance/images/` — `paginate`, `marker`, `sort_dir`,
/// `sort_key` (default created_at, descending); every other parameter
/// filters as in the Image API (`is_public` and `property-owner_id` as
/// Horizon renames them). 400 for a bad filter or an unknown marker.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> DashResult<Json<Value>> {
    let params = ListParams::parse(&list_params::parse_query_string(raw.as_deref()));
    let mut glance: Vec<(String, String)> = Vec::new();
    for (key, value) in &params.filters {
        match key.as_str() {
            "is_public" => match value.as_str() {
                "True" | "true" => glance.push(("visibility".into(), "public".into())),
                "False" | "false" => glance.push(("visibility".into(), "private".into())),
                _ => {}
            },
            "property-owner_id" => glance.push(("owner".into(), value.clone())),
            _ => glance.push((key.clone(), value.clone())),
        }
    }
    glance.push((
        "sort_key".into(),
        params.sort_key.clone().unwrap_or("created_at".into()),
    ));
    glance.push((
        "sort_dir".into(),
        params.sort_dir.clone().unwrap_or("desc".into()),
    ));
    if let Some(marker) = &params.marker {
        glance.push(("marker".into(), marker.clone()));
    }
    let viewer = Viewer {
        project_id: ctx.project_id.clone(),
        is_admin: ctx.is_admin,
    };
    let query = list_params::parse(&glance, viewer)?;
    let page_size = paging::page_size(&headers);
    let images = fetch(
        &state,
        &ctx,
        query,
        paging::wanted(params.paginate, page_size),
    )
    .await?;
    let items = images
        .iter()
        .map(|i| image_dict(i, &state.config, false))
        .collect();
    let page = Page::cut(
        items,
        params.paginate,
        page_size,
        params.marker.is_some(),
        false,
    );
    Ok(Json(page.into_json()))
}

/// Up to `wanted` images, asking the service page by page.
async fn fetch(
    state: &AppState,
    ctx: &RequestContext,
    mut query: ImageListQuery,
    wanted: usize,
) -> DashResult<Vec<Image>> {
    let images = &state.services.images;
    let mut out: Vec<Image> = Vec::new();
    while out.len() < wanted {
        let ask = images.effective_limit(Some((wanted - out.len()) as u32));
        query.limit = Some(ask);
        let batch = images.list(ctx, query.clone()).await?;
        let done = (batch.len() as u32) < ask;
        out.extend(batch);
        match out.last() {
            Some(last) if !done => query.marker = Some(last.id.clone()),
            _ => break,
        }
    }
    out.truncate(wanted);
    Ok(out)
}

/// `GET /api/glance/images/{id}/` — the image with every other attribute
/// under `properties`. 404 when the caller cannot see it.
pub async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> DashResult<Json<Value>> {
    let image = state.services.images.get(&ctx, &id).await?;
    Ok(Json(image_dict(&image, &state.config, true)))
}

/// 201 with `Location` and the image, as Horizon answers a create.
pub(crate) fn created(image: &Image, state: &AppState) -> Response {
    (
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/glance/images/{}/", image.id),
        )],
        Json(image_dict(image, &state.config, false)),
    )
        .into_response()
}

/// `PUT /api/glance/images/` — creates an image whose data comes from
/// `image_url` (http only, hosts in `[dashboard] image_url_allowed_hosts`).
/// Required: `source_type` (`url`), `image_url`, `disk_format`,
/// `visibility`, `protected`. With `import_data` true the bytes are copied
/// in by a web-download import (a task, held to `[import_filtering_opts]`
/// too); with it false the URL becomes the image's location, read through
/// the HTTP store. Other fields become custom properties.
pub async fn create_from_url(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    body: axum::body::Bytes,
) -> DashResult<Response> {
    let form = json_object(&body)?;
    let missing = absent(
        &form,
        &[
            "source_type",
            "image_url",
            "disk_format",
            "visibility",
            "protected",
        ],
    );
    if !missing.is_empty() {
        return Err(DashError::missing(&missing));
    }
    if form.get("source_type").and_then(Value::as_str) != Some("url") {
        return Err(DashError::bad_request(
            "source_type must be 'url'; upload a file with POST /api/glance/images/",
        ));
    }
    let url = form
        .get("image_url")
        .and_then(Value::as_str)
        .ok_or_else(|| DashError::bad_request("image_url must be a string"))?;
    let source = url_import::check(url, &state.config.dashboard_url_hosts)?;
    let attrs = image_attributes(&form)?;
    if truthy(form.get("import_data")) {
        // A web-download import, held to [import_filtering_opts] as well.
        uri_filter::check(url, &state.config.import.uri_filter)?;
        let image = state.services.images.create(&ctx, &attrs).await?;
        let request = ImportRequest::web_download(url);
        let raw = serde_json::json!({"method": {"name": "web-download", "uri": url}});
        if let Err(e) = state
            .services
            .imports
            .import(&ctx, &image.id, &request, &raw)
            .await
        {
            let _ = state.services.images.delete(&ctx, &image.id).await;
            return Err(e.into());
        }
        let image = state.services.images.get(&ctx, &image.id).await?;
        return Ok(created(&image, &state));
    }
    // The URL becomes the image's location (read through the HTTP store).
    let image = state.services.images.create(&ctx, &attrs).await?;
    match state
        .services
        .images
        .add_location(
            &ctx,
            &image.id,
            &source.to_string(),
            &ValidationData::default(),
        )
        .await
    {
        Ok(image) => Ok(created(&image, &state)),
        Err(e) => {
            let _ = state.services.images.delete(&ctx, &image.id).await;
            Err(e.into())
        }
    }
}

/// `PATCH /api/glance/images/{id}/` — sets the image's attributes from the
/// same fields as a create; `name`, `disk_format`, `visibility` and
/// `protected` are required. 204.
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> DashResult<StatusCode> {
    let form = json_object(&body)?;
    let missing = absent(&form, &["name", "disk_format", "visibility", "protected"]);
    if !missing.is_empty() {
        return Err(DashError::missing(&missing));
    }
    let attrs = image_attributes(&form)?;
    let ops: Vec<PatchOp> = attrs
        .into_iter()
        .map(|(name, value)| set(name, value))
        .collect();
    state
        .services
        .images
        .update(&ctx, &id, &ops, Dialect::V2_1)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn set(name: String, value: Value) -> PatchOp {
    PatchOp {
        kind: OpKind::Add,
        path: vec![name],
        value: Some(value),
    }
}

/// `DELETE /api/glance/images/{id}/` — 204; 403 protected; 404.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> DashResult<StatusCode> {
    state.services.images.delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/glance/images/{id}/actions/deactivate` — 204; 403 when the
/// image is not active.
pub async fn deactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> DashResult<StatusCode> {
    state.services.images.deactivate(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/glance/images/{id}/actions/reactivate` — 204; 403 when the
/// image is not deactivated.
pub async fn reactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> DashResult<StatusCode> {
    state.services.images.reactivate(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/glance/images/{id}/properties/` — the image's attributes
/// other than the known ones (its custom properties).
pub async fn show_properties(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> DashResult<Json<Value>> {
    let image = state.services.images.get(&ctx, &id).await?;
    Ok(Json(properties(&image, &state.config)))
}

/// `PATCH /api/glance/images/{id}/properties/` with `{"updated": {…},
/// "removed": […]}` — sets and removes properties at once (names not on
/// the image are skipped when removing). 204; 400 without `updated`.
pub async fn update_properties(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> DashResult<StatusCode> {
    let form = json_object(&body)?;
    let missing = absent(&form, &["updated"]);
    if !missing.is_empty() {
        return Err(DashError::missing(&missing));
    }
    let Some(updated) = form.get("updated").and_then(Value::as_object) else {
        return Err(DashError::bad_request("updated must be an object"));
    };
    let removed: Vec<String> = match form.get("removed") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| DashError::bad_request("removed must list property names"))
            })
            .collect::<DashResult<_>>()?,
        Some(_) => return Err(DashError::bad_request("removed must list property names")),
    };
    let images = &state.services.images;
    let image = images.get(&ctx, &id).await?;
    let mut ops = Vec::new();
    for (name, value) in updated {
        ops.push(set(name.clone(), attribute_value(name, value)));
    }
    for name in removed {
        if image.properties.contains_key(&name) && !updated.contains_key(&name) {
            ops.push(PatchOp {
                kind: OpKind::Remove,
                path: vec![name],
                value: None,
            });
        }
    }
    images.update(&ctx, &id, &ops, Dialect::V2_1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A value from the metadata form in the type its attribute has: booleans
/// and numbers for the base attributes, strings for custom properties.
fn attribute_value(name: &str, value: &Value) -> Value {
    match (name, value) {
        ("os_hidden" | "protected", Value::String(s)) => Value::Bool(s == "true" || s == "True"),
        ("min_ram" | "min_disk", Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(value.clone()),
        (n, v) if glint_domain::image_rules::is_base_attribute(n) => v.clone(),
        (_, v) => property_value(v).unwrap_or(Value::Null),
    }
}
