//! What is inside a metadef namespace: `PUT …/namespaces/{ns}`, and the
//! `properties`, `objects`, `tags` and `resource_types` under it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use glint_domain::metadef::{MetadefProperty, MetadefTag};
use glint_domain::time::to_api;
use glint_domain::Error;
use glint_service::metadef_edits::Contents;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::v2::metadefs::{association_json, contents_json, object_json};

fn body_json(body: &Bytes) -> Result<Value, Error> {
    if body.is_empty() {
        return Err(Error::invalid("Body expected in request."));
    }
    serde_json::from_slice(body).map_err(|_| Error::invalid("Malformed JSON in request body."))
}

fn property_json(p: &MetadefProperty) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), p.name.clone().into());
    for (k, v) in &p.schema {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

fn tag_json(t: &MetadefTag) -> Value {
    json!({"name": t.name, "created_at": to_api(&t.created_at), "updated_at": to_api(&t.updated_at)})
}

/// `PUT /v2/metadefs/namespaces/{ns}` — 200; 403 not admin; 404; 409 the
/// new name is taken.
pub async fn update_namespace(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_json(&body)?;
    let contents = state
        .services
        .metadefs
        .update_namespace(&ctx, &ns, &body)
        .await?;
    Ok(Json(contents_json(&contents, None)))
}

/// `GET …/properties` — `{"properties": {name: definition}}`.
pub async fn list_properties(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<Json<Value>> {
    let properties = state.services.metadefs.properties(&ctx, &ns).await?;
    let map: Map<String, Value> = properties
        .into_iter()
        .map(|p| (p.name, Value::Object(p.schema)))
        .collect();
    Ok(Json(json!({"properties": map})))
}

/// `POST …/properties` — 201 with the definition; 400; 409 duplicate.
pub async fn create_property(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body_json(&body)?;
    let p = state
        .services
        .metadefs
        .create_property(&ctx, &ns, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(property_json(&p))))
}

pub async fn show_property(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let p = state.services.metadefs.property(&ctx, &ns, &name).await?;
    Ok(Json(property_json(&p)))
}

pub async fn update_property(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_json(&body)?;
    let p = state
        .services
        .metadefs
        .update_property(&ctx, &ns, &name, &body)
        .await?;
    Ok(Json(property_json(&p)))
}

pub async fn delete_property(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .metadefs
        .delete_property(&ctx, &ns, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/objects` — `{"objects": […], "schema": …}`.
pub async fn list_objects(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<Json<Value>> {
    let objects = state.services.metadefs.objects(&ctx, &ns).await?;
    let list: Vec<Value> = objects.iter().map(|o| object_json(&ns, o, "")).collect();
    Ok(Json(
        json!({"objects": list, "schema": "v2/schemas/metadefs/objects"}),
    ))
}

pub async fn create_object(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body_json(&body)?;
    let o = state
        .services
        .metadefs
        .create_object(&ctx, &ns, &body)
        .await?;
    Ok((StatusCode::CREATED, Json(object_json(&ns, &o, ""))))
}

pub async fn show_object(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let o = state.services.metadefs.object(&ctx, &ns, &name).await?;
    Ok(Json(object_json(&ns, &o, "")))
}

pub async fn update_object(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_json(&body)?;
    let o = state
        .services
        .metadefs
        .update_object(&ctx, &ns, &name, &body)
        .await?;
    Ok(Json(object_json(&ns, &o, "")))
}

pub async fn delete_object(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .metadefs
        .delete_object(&ctx, &ns, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/tags` — `{"tags": [{"name": …}, …]}`: names only, as Glance lists
/// them (one tag's GET has its timestamps).
pub async fn list_tags(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<Json<Value>> {
    let tags = state.services.metadefs.tags(&ctx, &ns).await?;
    Ok(Json(
        json!({"tags": tags.iter().map(|t| json!({"name": t.name})).collect::<Vec<_>>()}),
    ))
}

/// `POST …/tags` with `{"tags": [{"name": …}, …]}` — 201; with
/// `X-Openstack-Append: true` the existing tags stay, otherwise they are
/// replaced.
pub async fn create_tags(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body_json(&body)?;
    let append = headers
        .get("x-openstack-append")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let tags = state
        .services
        .metadefs
        .create_tags(&ctx, &ns, &body, append)
        .await?;
    let names: Vec<Value> = tags.iter().map(|t| json!({"name": t.name})).collect();
    Ok((StatusCode::CREATED, Json(json!({ "tags": names }))))
}

/// `POST …/tags/{name}` — 201.
pub async fn create_tag(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let tag = state.services.metadefs.create_tag(&ctx, &ns, &name).await?;
    Ok((StatusCode::CREATED, Json(tag_json(&tag))))
}

pub async fn show_tag(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let tag = state.services.metadefs.tag(&ctx, &ns, &name).await?;
    Ok(Json(tag_json(&tag)))
}

/// `PUT …/tags/{name}` with `{"name": new}` — renames.
pub async fn update_tag(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = body_json(&body)?;
    let tag = state
        .services
        .metadefs
        .rename_tag(&ctx, &ns, &name, &body)
        .await?;
    Ok(Json(tag_json(&tag)))
}

pub async fn delete_tag(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state.services.metadefs.delete_tag(&ctx, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn clear(
    state: &AppState,
    ctx: &glint_domain::RequestContext,
    ns: &str,
    what: Contents,
) -> ApiResult<StatusCode> {
    state.services.metadefs.clear(ctx, ns, what).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE …/objects` — every object; 403 for a protected namespace.
pub async fn delete_objects(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<StatusCode> {
    clear(&state, &ctx, &ns, Contents::Objects).await
}

pub async fn delete_properties(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<StatusCode> {
    clear(&state, &ctx, &ns, Contents::Properties).await
}

pub async fn delete_tags(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<StatusCode> {
    clear(&state, &ctx, &ns, Contents::Tags).await
}

/// `GET …/resource_types` — `{"resource_type_associations": […]}`.
pub async fn list_associations(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
) -> ApiResult<Json<Value>> {
    let list = state.services.metadefs.associations(&ctx, &ns).await?;
    Ok(Json(json!({
        "resource_type_associations": list.iter().map(association_json).collect::<Vec<_>>()
    })))
}

/// `POST …/resource_types` with `{"name", "prefix", "properties_target"}`
/// — 201; 409 already associated.
pub async fn associate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(ns): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body_json(&body)?;
    let a = state.services.metadefs.associate(&ctx, &ns, &body).await?;
    Ok((StatusCode::CREATED, Json(association_json(&a))))
}

pub async fn dissociate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((ns, resource_type)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .services
        .metadefs
        .dissociate(&ctx, &ns, &resource_type)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
