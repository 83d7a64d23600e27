//! `/api/glance/metadefs/…`: the namespaces that apply to a resource type,
//! whole (properties named with that type's prefix), and the resource
//! types.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use glint_api::auth::Caller;
use glint_api::v2::list_params::parse_query_string;
use glint_api::v2::metadefs::contents_json;
use glint_api::AppState;
use glint_domain::metadef::NamespaceQuery;
use glint_domain::time::to_api;
use glint_domain::{Error, Visibility};
use serde_json::{json, Value};

use crate::error::{DashError, DashResult};
use crate::paging::{self, ListParams, Page};

/// `GET /api/glance/metadefs/namespaces/` — `resource_type` (required)
/// selects the namespaces associated with that type and prefixes their
/// properties; `paginate`, `marker`, `sort_dir` (asc), `sort_key`
/// (namespace); filters `visibility` and `properties_target`. Each item is
/// the whole namespace.
pub async fn namespaces(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> DashResult<Json<Value>> {
    let params = ListParams::parse(&parse_query_string(raw.as_deref()));
    let Some(resource_type) = params.resource_type.clone() else {
        return Err(DashError::bad_request(
            "missing required parameter: resource_type",
        ));
    };
    let filter = |name: &str| {
        params
            .filters
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let sort_key = params.sort_key.clone().unwrap_or("namespace".into());
    if !["created_at", "updated_at", "namespace"].contains(&sort_key.as_str()) {
        return Err(DashError::bad_request(format!(
            "Invalid sort key: {sort_key}"
        )));
    }
    let sort_asc = match params.sort_dir.as_deref() {
        None | Some("asc") => true,
        Some("desc") => false,
        Some(other) => {
            return Err(DashError::bad_request(format!(
                "Invalid sort direction: {other}"
            )))
        }
    };
    let visibility = match filter("visibility").as_deref() {
        None => None,
        Some("public") => Some(Visibility::Public),
        Some("private") => Some(Visibility::Private),
        Some(other) => {
            return Err(DashError::bad_request(format!(
                "Invalid visibility: {other}"
            )))
        }
    };
    let properties_target = filter("properties_target");
    let page_size = paging::page_size(&headers);
    let wanted = paging::wanted(params.paginate, page_size);
    let metadefs = &state.services.metadefs;

    let mut query = NamespaceQuery {
        viewer: Default::default(),
        visibility,
        resource_types: vec![resource_type.clone()],
        sort_key,
        sort_asc,
        marker: params.marker.clone(),
        limit: None,
    };
    let mut names = Vec::new();
    loop {
        let ask = (wanted - names.len()).min(state.config.api_limit_max as usize) as u32;
        query.limit = Some(ask);
        let batch = match metadefs.list(&ctx, query.clone()).await {
            Err(Error::NotFound(m)) => return Err(DashError::bad_request(m)),
            other => other?,
        };
        let done = (batch.len() as u32) < ask;
        query.marker = batch.last().map(|(ns, _)| ns.namespace.clone());
        for (ns, associations) in batch {
            let targeted = properties_target.as_ref().is_none_or(|target| {
                associations.iter().any(|a| {
                    a.name == resource_type && a.properties_target.as_ref() == Some(target)
                })
            });
            if targeted && names.len() < wanted {
                names.push(ns.namespace);
            }
        }
        if done || names.len() >= wanted || query.marker.is_none() {
            break;
        }
    }
    let mut items = Vec::with_capacity(names.len());
    for name in names {
        let contents = metadefs.get(&ctx, &name).await?;
        items.push(contents_json(&contents, Some(&resource_type)));
    }
    let page = Page::cut(
        items,
        params.paginate,
        page_size,
        params.marker.is_some(),
        !sort_asc,
    );
    Ok(Json(page.into_json()))
}

/// `GET /api/glance/metadefs/resourcetypes/` — every resource type.
pub async fn resource_types(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> DashResult<Json<Value>> {
    let types = state.services.metadefs.resource_types(&ctx).await?;
    let items: Vec<Value> = types
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "created_at": to_api(&t.created_at),
                "updated_at": to_api(&t.updated_at),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
