//! Errors as Horizon's REST layer answers them: the image service's status
//! code, and as the body the message alone, as a JSON string
//! (`"Image … is protected and cannot be deleted."`).
//!
//! Handlers return [`DashResult`]; domain errors convert with `?`. The
//! [`shape`] middleware rewrites the errors the shared auth layer produces
//! (whose bodies the Image API renders in its own formats) the same way.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use glint_api::error::{status_of, Explanation};
use glint_domain::Error;
use serde_json::Value;

/// An error answer: a status and the words shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashError {
    pub status: StatusCode,
    pub message: String,
}

pub type DashResult<T> = Result<T, DashError>;

impl DashError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        DashError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 400 naming every required field the request lacks.
    pub fn missing(fields: &[&str]) -> Self {
        let noun = if fields.len() == 1 { "field" } else { "fields" };
        Self::bad_request(format!("missing required {noun}: {}", fields.join(", ")))
    }
}

impl From<Error> for DashError {
    fn from(e: Error) -> Self {
        let message = match &e {
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                "The server has either erred or is incapable of performing the requested operation."
                    .to_string()
            }
            other => other.message().to_string(),
        };
        DashError::new(status_of(&e), message)
    }
}

impl IntoResponse for DashError {
    fn into_response(self) -> Response {
        json_string(self.status, &self.message)
    }
}

/// Marks a response whose body is already Horizon's.
#[derive(Debug, Clone, Copy)]
struct Shaped;

fn json_string(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Value::String(message.to_string()).to_string(),
    )
        .into_response();
    response.extensions_mut().insert(Shaped);
    response
}

/// The fields of `body` among `names` that are absent (or null).
pub fn absent<'a>(body: &serde_json::Map<String, Value>, names: &[&'a str]) -> Vec<&'a str> {
    names
        .iter()
        .copied()
        .filter(|n| body.get(*n).is_none_or(Value::is_null))
        .collect()
}

/// 404 for paths under `/api/glance/` that name nothing.
pub async fn not_found() -> DashError {
    DashError::new(StatusCode::NOT_FOUND, "The resource could not be found.")
}

/// Most bytes of a plain-text error body kept when it is rewritten.
const PLAIN_ERROR_LIMIT: usize = 64 * 1024;

/// Middleware: errors from the shared layers (authentication, extractors)
/// get Horizon's body; an unauthenticated request is `"not logged in"`.
pub async fn shape(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.extensions().get::<Shaped>().is_some() {
        return response;
    }
    let status = response.status();
    if let Some(Explanation(message)) = response.extensions_mut().remove::<Explanation>() {
        let message = if status == StatusCode::UNAUTHORIZED {
            "not logged in".to_string()
        } else {
            message
        };
        let mut shaped = json_string(status, &message);
        copy_header(&response, &mut shaped, header::WWW_AUTHENTICATE);
        return shaped;
    }
    if status == StatusCode::UNAUTHORIZED {
        let mut shaped = json_string(status, "not logged in");
        copy_header(&response, &mut shaped, header::WWW_AUTHENTICATE);
        return shaped;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        // An extractor's rejection (malformed form, body too large…).
        let (parts, body) = response.into_parts();
        let text = axum::body::to_bytes(body, PLAIN_ERROR_LIMIT)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_default();
        let message = if text.is_empty() {
            parts
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string()
        } else {
            text
        };
        return json_string(parts.status, &message);
    }
    response
}

/// Middleware: writes must carry `X-Requested-With: XMLHttpRequest`, as
/// Horizon's REST API requires (400 `"request must be AJAX"`). A browser
/// sends that header only from the page's own scripts (other sites would
/// need a CORS pre-flight this server never grants), so no other site can
/// make a browser write here — with noauth too.
pub async fn require_ajax(request: Request, next: Next) -> Response {
    let reads = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let ajax = request
        .headers()
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    if reads || ajax {
        next.run(request).await
    } else {
        DashError::bad_request("request must be AJAX").into_response()
    }
}

fn copy_header(from: &Response, to: &mut Response, name: header::HeaderName) {
    if let Some(v) = from.headers().get(&name) {
        let v: HeaderValue = v.clone();
        to.headers_mut().insert(name, v);
    }
}
