//! `GET /v2/info/stores` (the enabled stores, multi-store only) and
//! `GET /v2/info/usage` (unified-limits usage).

use axum::extract::State;
use axum::Json;
use glint_domain::Error;
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// `GET /v2/info/stores` — lists the stores uploads and imports may name,
/// marking the default. 404 when several stores are not configured.
pub async fn stores(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let stores = state.services.images.stores();
    if !stores.is_multi() {
        return Err(Error::not_found("Multi backend is not supported at this site.").into());
    }
    let default_id = stores.default_store().id.clone();
    let list: Vec<Value> = stores
        .all()
        .iter()
        .map(|s| {
            let mut entry = Map::new();
            entry.insert("id".into(), s.id.clone().into());
            if let Some(d) = &s.description {
                entry.insert("description".into(), d.clone().into());
            }
            if s.id == default_id {
                // Glance writes the flag as a string.
                entry.insert("default".into(), "true".into());
            }
            Value::Object(entry)
        })
        .collect();
    Ok(Json(json!({ "stores": list })))
}

/// `GET /v2/info/usage` — the caller's project's usage and limit of each
/// unified-limits resource; `{"usage": {}}` when `use_keystone_limits` is
/// off, as Glance answers.
pub async fn usage(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Value>> {
    let figures = state
        .services
        .images
        .limits()
        .usage(ctx.project_id.as_deref())
        .await?;
    let usage: Map<String, Value> = figures
        .iter()
        .map(|f| {
            (
                f.resource.name().to_string(),
                json!({"usage": f.usage, "limit": f.limit}),
            )
        })
        .collect();
    Ok(Json(json!({ "usage": usage })))
}

/// `GET /v2/info/stores/detail` — every store with its type and whether it
/// is the default (admins and services). 403 others; 404 single store.
pub async fn stores_detail(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<Json<Value>> {
    let images = &state.services.images;
    let default_id = images.stores().default_store().id.clone();
    let list: Vec<Value> = images
        .stores_detail(&ctx)?
        .into_iter()
        .map(|s| {
            let mut entry = Map::new();
            entry.insert("id".into(), s.id.clone().into());
            entry.insert("type".into(), s.store.kind().into());
            if let Some(d) = &s.description {
                entry.insert("description".into(), d.clone().into());
            }
            if s.id == default_id {
                entry.insert("default".into(), true.into());
            }
            entry.insert("properties".into(), json!({}));
            Value::Object(entry)
        })
        .collect();
    Ok(Json(json!({ "stores": list })))
}
