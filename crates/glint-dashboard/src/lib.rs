//! The dashboard: the JSON API a web dashboard uses — the paths, methods
//! and shapes of Horizon's glance REST API (`/api/glance/…`) — and Glint's
//! own web page on top of it (`/dashboard`).
//!
//! Every handler calls Glint's services, never the database. Identity comes
//! from the Image API's auth layer ([`glint_api::auth`]); with Keystone the
//! page signs in once and keeps its token in a cookie ([`session`]).
//! Errors are Horizon's: the status code, and the message as a JSON string.
//! Writes must carry `X-Requested-With: XMLHttpRequest`, as Horizon's.
//!
//! [`routes`] lists every route of the dashboard; [`app`] puts them in
//! front of the Image API.

pub mod body;
pub mod error;
pub mod image_dict;
pub mod image_fields;
pub mod images;
pub mod members;
pub mod metadefs;
pub mod page;
pub mod paging;
pub mod session;
pub mod upload;
pub mod url_import;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, get, post, put};
use axum::Router;
use glint_api::{auth, request_id, AppState};

/// Every dashboard route.
pub fn routes(state: AppState) -> Router {
    // Uploads stream; the size cap and quotas bound them, not a body limit.
    let upload = post(upload::upload).layer(DefaultBodyLimit::disable());
    let api = Router::new()
        .route("/api/glance/version/", get(images::version))
        .route(
            "/api/glance/images/",
            get(images::list).put(images::create_from_url).merge(upload),
        )
        .route(
            "/api/glance/images/{image_id}/",
            get(images::show)
                .patch(images::update)
                .delete(images::delete),
        )
        .route(
            "/api/glance/images/{image_id}/actions/deactivate",
            post(images::deactivate),
        )
        .route(
            "/api/glance/images/{image_id}/actions/reactivate",
            post(images::reactivate),
        )
        .route(
            "/api/glance/images/{image_id}/properties/",
            get(images::show_properties).patch(images::update_properties),
        )
        // Sharing (Glint's addition: Horizon's glance REST API has none)
        .route(
            "/api/glance/images/{image_id}/members/",
            get(members::list).post(members::create),
        )
        .route(
            "/api/glance/images/{image_id}/members/{member_id}/",
            put(members::update).delete(members::delete),
        )
        .route(
            "/api/glance/metadefs/namespaces/",
            get(metadefs::namespaces),
        )
        .route(
            "/api/glance/metadefs/resourcetypes/",
            get(metadefs::resource_types),
        )
        .route("/dashboard/session", get(session::show))
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn(session::from_cookie));
    let open = Router::new()
        .route("/dashboard", get(page::index))
        .route("/dashboard/", get(page::to_index))
        .route("/dashboard/app.js", get(page::script))
        .route("/dashboard/app.css", get(page::style))
        .route("/dashboard/login", post(session::login))
        .route("/dashboard/logout", post(session::logout))
        // Paths under /api/glance/ that name nothing are not the Image API's.
        .route("/api/glance/{*rest}", any(error::not_found));
    api.merge(open)
        .layer(from_fn(error::require_ajax))
        .layer(from_fn(error::shape))
        .layer(from_fn(request_id::assign))
        .with_state(state)
}

/// The whole server: the dashboard's routes, and the Image API for every
/// other path.
pub fn app(state: AppState) -> Router {
    routes(state.clone()).fallback_service(glint_api::app(state))
}
