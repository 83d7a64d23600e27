//! API version discovery and URL version negotiation, as Glance does them:
//! `GET /` → 300 with the versions document, `GET /versions` → 200, and a
//! path naming a version Glint does not serve → 300 with the same document.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::links::base_url;
use crate::state::AppState;

/// Minor versions of v2 served, newest first.
const MINOR_VERSIONS: std::ops::RangeInclusive<u32> = 0..=18;

/// Paths outside version negotiation.
const UNVERSIONED_PREFIXES: &[&str] = &["/healthcheck"];

pub fn document(base: &str) -> Value {
    let versions: Vec<Value> = MINOR_VERSIONS
        .rev()
        .map(|minor| {
            json!({
                "id": format!("v2.{minor}"),
                "status": if minor == *MINOR_VERSIONS.end() { "CURRENT" } else { "SUPPORTED" },
                "links": [{"rel": "self", "href": format!("{base}/v2/")}],
            })
        })
        .collect();
    json!({ "versions": versions })
}

fn versions_response(state: &AppState, headers: &HeaderMap, status: StatusCode) -> Response {
    let body = document(&base_url(state, headers));
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /versions`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    versions_response(&state, &headers, StatusCode::OK)
}

/// `GET /healthcheck`: liveness for load balancers.
pub async fn healthcheck() -> &'static str {
    "OK"
}

fn served_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix("v2") else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(minor) = rest.strip_prefix('.') else {
        return false;
    };
    // Only canonical spellings: `v2.1`, not `v2.01`.
    let canonical = minor.parse::<u32>().ok().filter(|m| m.to_string() == minor);
    canonical.is_some_and(|m| MINOR_VERSIONS.contains(&m))
}

/// Middleware: `/v2.N/...` becomes `/v2/...`; `/versions` answers 200; any
/// other first segment (including `/`) answers 300 with the versions.
pub async fn negotiate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if UNVERSIONED_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return next.run(request).await;
    }
    let trimmed = path.trim_start_matches('/');
    let (segment, rest) = trimmed.split_at(trimmed.find('/').unwrap_or(trimmed.len()));
    if segment == "versions" {
        return versions_response(&state, request.headers(), StatusCode::OK);
    }
    // Media-type versioning: `Accept: application/vnd.openstack.images-v2`.
    let accept_version = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .and_then(|a| a.strip_prefix("application/vnd.openstack.images-"))
        .map(str::to_string);
    if let Some(version) = accept_version {
        if !served_version(&version) {
            return versions_response(&state, request.headers(), StatusCode::MULTIPLE_CHOICES);
        }
        return next.run(request).await;
    }
    if !served_version(segment) {
        return versions_response(&state, request.headers(), StatusCode::MULTIPLE_CHOICES);
    }
    if segment != "v2" {
        let query = request
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        if let Ok(uri) = format!("/v2{rest}{query}").parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_versions() {
        for v in ["v2", "v2.0", "v2.1", "v2.9", "v2.18"] {
            assert!(served_version(v), "{v}");
        }
        for v in ["v1", "v3", "v2.19", "v2.x", "", "images", "v2.01"] {
            assert!(!served_version(v), "{v}");
        }
    }

    #[test]
    fn document_lists_current_and_supported() {
        let doc = document("http://h:9292");
        let versions = doc["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 19);
        assert_eq!(versions[0]["id"], "v2.18");
        assert_eq!(versions[0]["status"], "CURRENT");
        assert_eq!(versions[18]["id"], "v2.0");
        assert_eq!(versions[18]["status"], "SUPPORTED");
        assert_eq!(versions[0]["links"][0]["href"], "http://h:9292/v2/");
    }
}
