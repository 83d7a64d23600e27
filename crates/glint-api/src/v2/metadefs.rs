//! `/v2/metadefs/…`: the metadata definitions catalog — namespaces (list,
//! create, show, delete) and resource types.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use glint_domain::metadef::{
    MetadefObject, Namespace, NamespaceContents, NamespaceQuery, ResourceTypeAssociation,
};
use glint_domain::time::to_api;
use glint_domain::{Error, Visibility};
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::v2::list_params::parse_query_string;

const NAMESPACES: &str = "/v2/metadefs/namespaces";

pub(crate) fn association_json(a: &ResourceTypeAssociation) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), a.name.clone().into());
    if let Some(p) = &a.prefix {
        m.insert("prefix".into(), p.clone().into());
    }
    if let Some(t) = &a.properties_target {
        m.insert("properties_target".into(), t.clone().into());
    }
    m.insert("created_at".into(), to_api(&a.created_at).into());
    m.insert("updated_at".into(), to_api(&a.updated_at).into());
    Value::Object(m)
}

/// A namespace's own attributes and associations, as Glance shows them
/// (unset attributes left out).
fn namespace_json(ns: &Namespace, associations: &[ResourceTypeAssociation]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("namespace".into(), ns.namespace.clone().into());
    if let Some(d) = &ns.display_name {
        m.insert("display_name".into(), d.clone().into());
    }
    if let Some(d) = &ns.description {
        m.insert("description".into(), d.clone().into());
    }
    m.insert("visibility".into(), ns.visibility.as_str().into());
    m.insert("protected".into(), ns.protected.into());
    m.insert("owner".into(), ns.owner.clone().into());
    if !associations.is_empty() {
        m.insert(
            "resource_type_associations".into(),
            associations
                .iter()
                .map(association_json)
                .collect::<Vec<_>>()
                .into(),
        );
    }
    m.insert("created_at".into(), to_api(&ns.created_at).into());
    m.insert("updated_at".into(), to_api(&ns.updated_at).into());
    m.insert(
        "self".into(),
        format!("{NAMESPACES}/{}", ns.namespace).into(),
    );
    m.insert("schema".into(), "/v2/schemas/metadefs/namespace".into());
    m
}

pub(crate) fn object_json(namespace: &str, o: &MetadefObject, prefix: &str) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), o.name.clone().into());
    if let Some(d) = &o.description {
        m.insert("description".into(), d.clone().into());
    }
    if !o.required.is_empty() {
        let required: Vec<String> = o.required.iter().map(|r| format!("{prefix}{r}")).collect();
        m.insert("required".into(), json!(required));
    }
    let properties: Map<String, Value> = o
        .properties
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
        .collect();
    m.insert("properties".into(), properties.into());
    m.insert("created_at".into(), to_api(&o.created_at).into());
    m.insert("updated_at".into(), to_api(&o.updated_at).into());
    m.insert(
        "self".into(),
        format!("{NAMESPACES}/{namespace}/objects/{}", o.name).into(),
    );
    m.insert("schema".into(), "/v2/schemas/metadefs/object".into());
    Value::Object(m)
}

/// The whole namespace; with `resource_type`, property names carry that
/// type's prefix, as Glance shows them.
pub fn contents_json(c: &NamespaceContents, resource_type: Option<&str>) -> Value {
    let prefix = resource_type
        .and_then(|t| c.associations.iter().find(|a| a.name == t))
        .and_then(|a| a.prefix.clone())
        .unwrap_or_default();
    let mut m = namespace_json(&c.namespace, &c.associations);
    if !c.properties.is_empty() {
        let props: Map<String, Value> = c
            .properties
            .iter()
            .map(|p| {
                (
                    format!("{prefix}{}", p.name),
                    Value::Object(p.schema.clone()),
                )
            })
            .collect();
        m.insert("properties".into(), props.into());
    }
    if !c.objects.is_empty() {
        let objects: Vec<Value> = c
            .objects
            .iter()
            .map(|o| object_json(&c.namespace.namespace, o, &prefix))
            .collect();
        m.insert("objects".into(), objects.into());
    }
    if !c.tags.is_empty() {
        let tags: Vec<Value> = c.tags.iter().map(|t| json!({"name": t.name})).collect();
        m.insert("tags".into(), tags.into());
    }
    Value::Object(m)
}

/// `GET /v2/metadefs/namespaces` — `limit`, `marker`, `sort_key`
/// (created_at, updated_at, namespace), `sort_dir`, `visibility`,
/// `resource_types` (comma-separated). 400 for a bad parameter.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = parse_query_string(raw.as_deref());
    let get = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let limit = match get("limit") {
        None => state.config.limit_param_default,
        Some(l) => l
            .parse::<u32>()
            .map_err(|_| Error::invalid(format!("Invalid limit: {l}")))?,
    }
    .min(state.config.api_limit_max);
    let sort_key = get("sort_key").unwrap_or_else(|| "created_at".into());
    if !["created_at", "updated_at", "namespace"].contains(&sort_key.as_str()) {
        return Err(Error::invalid(format!("Invalid sort key: {sort_key}")).into());
    }
    let sort_asc = match get("sort_dir").as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(Error::invalid(format!("Invalid sort direction: {other}")).into())
        }
    };
    let visibility = match get("visibility").as_deref() {
        None => None,
        Some("public") => Some(Visibility::Public),
        Some("private") => Some(Visibility::Private),
        Some(other) => return Err(Error::invalid(format!("Invalid visibility: {other}")).into()),
    };
    let resource_types = get("resource_types")
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let query = NamespaceQuery {
        viewer: Default::default(),
        visibility,
        resource_types,
        sort_key,
        sort_asc,
        marker: get("marker"),
        limit: Some(limit),
    };
    let namespaces = match state.services.metadefs.list(&ctx, query).await {
        Err(Error::NotFound(m)) => return Err(Error::invalid(m).into()),
        other => other?,
    };
    let items: Vec<Value> = namespaces
        .iter()
        .map(|(ns, assoc)| Value::Object(namespace_json(ns, assoc)))
        .collect();
    let others: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    let encode = |pairs: &[(String, String)]| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    let mut body = Map::new();
    body.insert("namespaces".into(), items.into());
    let first = if others.is_empty() {
        NAMESPACES.to_string()
    } else {
        format!("{NAMESPACES}?{}", encode(&others))
    };
    body.insert("first".into(), first.into());
    if !namespaces.is_empty() && namespaces.len() as u32 == limit {
        let mut next = others.clone();
        next.push((
            "marker".into(),
            namespaces[namespaces.len() - 1].0.namespace.clone(),
        ));
        body.insert(
            "next".into(),
            format!("{NAMESPACES}?{}", encode(&next)).into(),
        );
    }
    body.insert("schema".into(), "/v2/schemas/metadefs/namespaces".into());
    Ok(Json(Value::Object(body)))
}

/// `POST /v2/metadefs/namespaces` — 201 with the namespace (and its
/// properties, objects and tags); 400 invalid; 403 not admin; 409 the name
/// is taken.
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if body.is_empty() {
        return Err(Error::invalid("Body expected in request.").into());
    }
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|_| Error::invalid("Malformed JSON in request body."))?;
    if let Value::Object(map) = &doc {
        for key in ["self", "schema", "created_at", "updated_at"] {
            if map.contains_key(key) {
                return Err(Error::forbidden(format!("Attribute '{key}' is read-only.")).into());
            }
        }
    }
    let created = state.services.metadefs.create(&ctx, &doc).await?;
    Ok((StatusCode::CREATED, Json(contents_json(&created, None))))
}

/// `GET /v2/metadefs/namespaces/{namespace}` — with `resource_type`, the
/// property names take that type's prefix. 404 unknown or not visible.
pub async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = parse_query_string(raw.as_deref());
    let resource_type = params
        .iter()
        .find(|(k, _)| k == "resource_type")
        .map(|(_, v)| v.as_str());
    let contents = state.services.metadefs.get(&ctx, &name).await?;
    Ok(Json(contents_json(&contents, resource_type)))
}

/// `DELETE /v2/metadefs/namespaces/{namespace}` — 204; 403 protected or
/// not admin; 404.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.metadefs.delete(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v2/metadefs/resource_types`.
pub async fn resource_types(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<Json<Value>> {
    let types = state.services.metadefs.resource_types(&ctx).await?;
    let list: Vec<Value> = types
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "created_at": to_api(&t.created_at),
                "updated_at": to_api(&t.updated_at),
            })
        })
        .collect();
    Ok(Json(json!({ "resource_types": list })))
}
