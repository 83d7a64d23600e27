//! `GET /v2/info/stores`: the enabled stores (multi-store only).

use axum::extract::State;
use axum::Json;
use glint_domain::Error;
use serde_json::{json, Map, Value};

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
