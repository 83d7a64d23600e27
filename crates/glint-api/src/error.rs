//! The one mapping from errors to HTTP responses.
//!
//! Handlers return `Result<_, ApiError>`; an `ApiError` wraps the domain
//! [`Error`] and becomes Glance's status code. Its body is rendered by the
//! [`render`] middleware, which knows the request's `Accept` header: JSON
//! (`{"code": …, "title": …, "message": …}`) for clients that ask for it,
//! plain text when there is no `Accept`, and otherwise the HTML page
//! Glance's WSGI stack writes.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use glint_domain::Error;

#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The explanation of an error response, rendered by [`render`].
#[derive(Debug, Clone)]
pub struct Explanation(pub String);

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::InvalidInput(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::LimitExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = match &self.0 {
            // Engine details go to the log, not to the client.
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                "The server has either erred or is incapable of performing the requested operation."
                    .to_string()
            }
            other => other.message().to_string(),
        };
        error_response(status, message)
    }
}

/// An error response whose body [`render`] fills in.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = status.into_response();
    response
        .extensions_mut()
        .insert(Explanation(message.into()));
    response
}

/// The body format an error is written in, from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorFormat {
    Json,
    Html,
    /// No `Accept` header at all.
    Text,
}

fn error_format(accept: Option<&HeaderValue>) -> ErrorFormat {
    let Some(accept) = accept.and_then(|a| a.to_str().ok()) else {
        return ErrorFormat::Text;
    };
    let mut best: Option<(f32, ErrorFormat)> = None;
    for part in accept.split(',') {
        let mut fields = part.split(';');
        let media = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = fields
            .find_map(|f| {
                f.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let format = if media == "application/json" || media.ends_with("+json") {
            ErrorFormat::Json
        } else {
            ErrorFormat::Html
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, format));
        }
    }
    best.map_or(ErrorFormat::Html, |(_, f)| f)
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// Middleware: writes the body of every error response in the format the
/// client accepts.
pub async fn render(request: Request, next: Next) -> Response {
    let format = error_format(request.headers().get(header::ACCEPT));
    let mut response = next.run(request).await;
    let Some(Explanation(message)) = response.extensions_mut().remove::<Explanation>() else {
        return response;
    };
    let status = response.status();
    let title = reason(status);
    let code = format!("{} {}", status.as_u16(), title);
    let (content_type, body) = match format {
        // Glance's WSGI stack leaves its HTML line breaks in JSON messages.
        ErrorFormat::Json => (
            "application/json",
            serde_json::json!({
                "message": format!("{message}<br /><br />\n\n\n"),
                "code": code,
                "title": title,
            })
            .to_string(),
        ),
        ErrorFormat::Html => (
            "text/html; charset=UTF-8",
            format!(
                "<html>\n <head>\n  <title>{code}</title>\n </head>\n <body>\n  <h1>{code}</h1>\n  {}<br /><br />\n\n\n\n </body>\n</html>",
                html_escape(&message)
            ),
        ),
        ErrorFormat::Text => (
            "text/plain; charset=UTF-8",
            format!("{code}\n\n{message}\n\n   "),
        ),
    };
    let (mut parts, _) = response.into_parts();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_accept() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(
            error_format(Some(&h("application/json"))),
            ErrorFormat::Json
        );
        assert_eq!(error_format(Some(&h("text/html"))), ErrorFormat::Html);
        assert_eq!(error_format(Some(&h("*/*"))), ErrorFormat::Html);
        assert_eq!(error_format(None), ErrorFormat::Text);
        assert_eq!(
            error_format(Some(&h("text/html;q=0.5, application/json"))),
            ErrorFormat::Json
        );
    }
}
