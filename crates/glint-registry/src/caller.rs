//! The caller's identity on its way from the Image API to the registry.
//!
//! On the API node, [`forward`] (a middleware in front of the Image API)
//! keeps the identity headers of the request being served for the length
//! of that request; the remote repository sends [`forwarded`] with each
//! RPC. On the registry, [`identify`] turns them into a context as
//! `glint serve` would: trusted identity headers with noauth, a validated
//! token with keystone. Work done outside any request (start-up recovery,
//! the scrubber) carries no headers and acts as the API node itself.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use glint_api::auth::{context_from_token, Authenticator};
use glint_api::identity::context_from_headers;
use glint_domain::{Error, RequestContext};
use glint_keystone::AuthFailure;
use glint_service::Policy;

/// The headers that say who is calling: Keystone tokens and the identity
/// headers a Keystone middleware sets.
pub const IDENTITY_HEADERS: &[&str] = &[
    "x-auth-token",
    "x-storage-token",
    "x-service-token",
    "x-identity-status",
    "x-project-id",
    "x-tenant-id",
    "x-user-id",
    "x-user",
    "x-roles",
    "x-openstack-request-id",
];

/// Identity headers, as forwarded.
pub type Headers = Vec<(HeaderName, HeaderValue)>;

tokio::task_local! {
    static FORWARDED: Headers;
}

/// Middleware for the API node: runs the request with its identity headers
/// at hand for the remote repository.
pub async fn forward(request: Request, next: Next) -> Response {
    let headers = identity_of(request.headers());
    FORWARDED.scope(headers, next.run(request)).await
}

/// Runs `work` as the caller whose identity headers are `headers`.
pub async fn acting_as<F: std::future::Future>(headers: Headers, work: F) -> F::Output {
    FORWARDED.scope(headers, work).await
}

/// The identity headers of the request being served (none outside one).
pub fn forwarded() -> Headers {
    FORWARDED.try_with(Clone::clone).unwrap_or_default()
}

fn identity_of(headers: &HeaderMap) -> Headers {
    IDENTITY_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?;
            Some((HeaderName::from_static(name), value.clone()))
        })
        .collect()
}

/// The registry's side: who the headers say is calling. `Unauthorized` for a
/// refused token, `Unavailable` when Keystone cannot be asked.
pub async fn identify(
    auth: &Authenticator,
    policy: &Policy,
    headers: &HeaderMap,
) -> Result<RequestContext, Error> {
    let request_id = headers
        .get("x-openstack-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| format!("req-{}", uuid::Uuid::new_v4()));
    let context = match auth {
        Authenticator::Noauth => context_from_headers(headers, request_id)?,
        Authenticator::Keystone(keystone) => {
            let token = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            let user = token("x-auth-token").or_else(|| token("x-storage-token"));
            match keystone.authenticate(user, token("x-service-token")).await {
                Ok(who) => context_from_token(who, request_id),
                Err(AuthFailure::Unauthorized) => {
                    return Err(Error::Unauthorized(
                        "The request you have made requires authentication.".into(),
                    ))
                }
                Err(AuthFailure::Unavailable(why)) => {
                    tracing::error!(error = %why, "cannot validate tokens with Keystone");
                    return Err(Error::Unavailable(
                        "The Keystone service is temporarily unavailable.".into(),
                    ));
                }
            }
        }
    };
    Ok(policy.complete(context))
}
