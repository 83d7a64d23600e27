//! Absolute links to this service.

use axum::http::{header, HeaderMap};

use crate::state::AppState;

/// The service's base URL: `public_endpoint` when configured, else the
/// scheme and host the client used.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(endpoint) = &state.config.public_endpoint {
        return endpoint.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| state.config.bind_address());
    format!("http://{host}")
}
