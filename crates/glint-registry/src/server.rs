//! `glint registry`'s HTTP surface: every route in one place, the state the
//! handlers share, and how a request-level failure is answered.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use glint_api::auth::Authenticator;
use glint_api::error::status_of;
use glint_db::Repository;
use glint_domain::{Error, RequestContext};
use glint_service::Policy;

use crate::wire::{encode_error, RPC_PATH};
use crate::{caller, rpc, v1};

/// What every registry handler can reach.
#[derive(Clone)]
pub struct RegistryState {
    pub repo: Arc<dyn Repository>,
    pub auth: Authenticator,
    pub policy: Arc<Policy>,
    /// `limit_param_default` and `api_limit_max` for v1 lists.
    pub limit_default: u32,
    pub limit_max: u32,
}

impl RegistryState {
    /// Who is calling, as `glint serve` would establish it.
    pub async fn identify(&self, headers: &HeaderMap) -> Result<RequestContext, Error> {
        caller::identify(&self.auth, &self.policy, headers).await
    }
}

/// The registry's routes:
///
/// - `POST /rpc`: the repository RPC ([`rpc`]).
/// - `GET /images`, `GET /images/detail`, `POST /images`,
///   `GET|PUT|DELETE /images/{id}`: the registry v1 REST API ([`v1`]).
pub fn app(state: RegistryState) -> Router {
    Router::new()
        .route(RPC_PATH, post(rpc::handle))
        .route("/images", get(v1::index).post(v1::create))
        .route("/images/detail", get(v1::detail))
        .route(
            "/images/{id}",
            get(v1::show).put(v1::update).delete(v1::delete),
        )
        .layer(middleware::from_fn(glint_api::error::render))
        .with_state(state)
}

/// A request the RPC refused as a whole (authentication): its status, and
/// the typed error in the RPC's own form so the client raises it as is.
#[derive(Debug)]
pub struct RegistryError(pub Error);

impl From<Error> for RegistryError {
    fn from(e: Error) -> Self {
        RegistryError(e)
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        (status_of(&self.0), Json(encode_error(&self.0))).into_response()
    }
}
