//! Who is calling: one middleware establishes the request's context before
//! any handler runs, and handlers take it with the [`Caller`] extractor.
//!
//! - noauth (the default): the identity headers a Keystone middleware would
//!   set are trusted as they come (see [`crate::identity`]).
//! - keystone: `X-Auth-Token` (and `X-Service-Token`) are validated with
//!   Keystone; headers claiming an identity are ignored. A missing or bad
//!   token is 401 with `WWW-Authenticate: Keystone uri="…"`, Keystone being
//!   unreachable is 503 — as keystonemiddleware answers.
//!
//! The versions document and the health check need no identity.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use glint_domain::{Error, OnBehalf, RequestContext, ServiceIdentity};
use glint_keystone::{AuthFailure, Authenticated, Keystone};

use crate::error::{error_response, ApiError};
use crate::identity::context_from_headers;
use crate::request_id::RequestId;
use crate::state::AppState;

/// How identities are established.
#[derive(Clone)]
pub enum Authenticator {
    /// Trust identity headers.
    Noauth,
    /// Validate tokens with Keystone.
    Keystone(Arc<Keystone>),
}

/// Paths anyone may fetch.
fn is_public(path: &str) -> bool {
    matches!(path, "/" | "/versions" | "/healthcheck")
}

/// The middleware: puts the caller's [`RequestContext`] into the request.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| format!("req-{}", uuid::Uuid::new_v4()));
    let context = match &state.auth {
        Authenticator::Noauth => match context_from_headers(request.headers(), request_id) {
            Ok(ctx) => ctx,
            Err(e) => return ApiError(e).into_response(),
        },
        Authenticator::Keystone(keystone) => {
            let headers = request.headers();
            let user_token = token_header(headers, "x-auth-token")
                .or_else(|| token_header(headers, "x-storage-token"));
            let service_token = token_header(headers, "x-service-token");
            let on_behalf = on_behalf_of(user_token);
            match keystone.authenticate(user_token, service_token).await {
                Ok(who) => RequestContext {
                    on_behalf,
                    ..context_from_token(who, request_id)
                },
                Err(AuthFailure::Unauthorized) => return unauthorized(keystone),
                Err(AuthFailure::Unavailable(why)) => {
                    tracing::error!(error = %why, "cannot validate tokens with Keystone");
                    return error_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The Keystone service is temporarily unavailable.",
                    );
                }
            }
        }
    };
    let context = state.services.images.policy().complete(context);
    request.extensions_mut().insert(context);
    next.run(request).await
}

/// With Keystone, another service sees the caller through its token alone.
fn on_behalf_of(user_token: Option<&str>) -> OnBehalf {
    OnBehalf {
        headers: user_token
            .map(|t| vec![("x-auth-token".to_string(), t.to_string())])
            .unwrap_or_default(),
    }
}

fn token_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

pub fn context_from_token(who: Authenticated, request_id: String) -> RequestContext {
    let user = who.user;
    RequestContext {
        request_id,
        user_id: user.user_id,
        project_id: user.project_id,
        roles: user.roles,
        is_admin: false,
        user_domain_id: user.user_domain_id,
        project_domain_id: user.project_domain_id,
        domain_id: user.domain_id,
        system_scope: user.system_scope,
        service: who.service.map(|s| ServiceIdentity {
            user_id: s.user_id,
            project_id: s.project_id,
            roles: s.roles,
        }),
        service_catalog: Some(user.catalog),
        on_behalf: OnBehalf::default(),
    }
}

/// keystonemiddleware's 401: a JSON body and where to get a token.
fn unauthorized(keystone: &Keystone) -> Response {
    let body = serde_json::json!({"error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }});
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "Keystone uri=\"{}\"",
        keystone.www_authenticate_uri()
    )) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// The caller of a request; extract it in a handler's arguments.
pub struct Caller(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError(Error::internal("request reached a handler unauthenticated")))
    }
}
