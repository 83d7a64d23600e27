//! The media type a request body declares.

use axum::http::{header, HeaderMap};

/// The `Content-Type` without its parameters (`application/json` of
/// `application/json; charset=utf-8`), as sent; `None` when absent.
pub fn of_request(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
}
