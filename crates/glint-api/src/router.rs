//! Every route Glint serves, in one place: read this file top to bottom to
//! learn the API surface.

use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use tower::Layer;

use crate::error::{self, error_response};
use crate::state::AppState;
use crate::v2::{
    cache, image_actions, image_data, images, import, info, locations, members,
    metadef_contents as md, metadefs, schemas, tags, tasks,
};
use crate::{auth, request_id, versions};

fn routes() -> Router<AppState> {
    Router::new()
        // Discovery
        .route("/versions", get(versions::list))
        .route("/healthcheck", get(versions::healthcheck))
        // Images
        .route("/v2/images", get(images::list).post(images::create))
        .route(
            "/v2/images/{image_id}",
            get(images::show)
                .patch(images::update)
                .delete(images::delete),
        )
        .route(
            "/v2/images/{image_id}/actions/deactivate",
            post(image_actions::deactivate),
        )
        .route(
            "/v2/images/{image_id}/actions/reactivate",
            post(image_actions::reactivate),
        )
        // Image data
        .route(
            "/v2/images/{image_id}/file",
            get(image_data::download).put(image_data::upload),
        )
        // Interoperable import and tasks
        .route("/v2/images/{image_id}/stage", put(import::stage))
        .route("/v2/images/{image_id}/import", post(import::import))
        .route("/v2/images/{image_id}/tasks", get(tasks::of_image))
        .route("/v2/info/import", get(import::methods))
        .route("/v2/tasks", get(tasks::list).post(tasks::create))
        .route("/v2/tasks/{task_id}", get(tasks::show))
        // Locations and stores
        .route(
            "/v2/images/{image_id}/locations",
            get(locations::list).post(locations::add),
        )
        .route(
            "/v2/stores/{store_id}/{image_id}",
            axum::routing::delete(locations::delete_from_store),
        )
        .route("/v2/info/stores/detail", get(info::stores_detail))
        // Tags
        .route(
            "/v2/images/{image_id}/tags/{tag}",
            put(tags::add).delete(tags::delete),
        )
        // Sharing
        .route(
            "/v2/images/{image_id}/members",
            get(members::list).post(members::create),
        )
        .route(
            "/v2/images/{image_id}/members/{member_id}",
            get(members::show)
                .put(members::update)
                .delete(members::delete),
        )
        // Metadata definitions
        .route(
            "/v2/metadefs/namespaces",
            get(metadefs::list).post(metadefs::create),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}",
            get(metadefs::show)
                .put(md::update_namespace)
                .delete(metadefs::delete),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/properties",
            get(md::list_properties)
                .post(md::create_property)
                .delete(md::delete_properties),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/properties/{name}",
            get(md::show_property)
                .put(md::update_property)
                .delete(md::delete_property),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/objects",
            get(md::list_objects)
                .post(md::create_object)
                .delete(md::delete_objects),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/objects/{name}",
            get(md::show_object)
                .put(md::update_object)
                .delete(md::delete_object),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/tags",
            get(md::list_tags)
                .post(md::create_tags)
                .delete(md::delete_tags),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/tags/{name}",
            get(md::show_tag)
                .post(md::create_tag)
                .put(md::update_tag)
                .delete(md::delete_tag),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/resource_types",
            get(md::list_associations).post(md::associate),
        )
        .route(
            "/v2/metadefs/namespaces/{namespace}/resource_types/{resource_type}",
            axum::routing::delete(md::dissociate),
        )
        .route("/v2/metadefs/resource_types", get(metadefs::resource_types))
        // Discovery of stores
        .route("/v2/info/stores", get(info::stores))
        .route("/v2/info/usage", get(info::usage))
        // This node's image cache
        .route("/v2/cache", get(cache::state).delete(cache::clear))
        .route("/v2/cache/clean", post(cache::clean))
        .route("/v2/cache/prune", post(cache::prune))
        .route("/v2/cache/nodes/{image_id}", get(cache::nodes))
        .route(
            "/v2/cache/{image_id}",
            put(cache::queue).delete(cache::delete),
        )
        // Schemas
        .route("/v2/schemas/image", get(schemas::image))
        .route("/v2/schemas/images", get(schemas::images))
        .route("/v2/schemas/member", get(schemas::member))
        .route("/v2/schemas/members", get(schemas::members))
        .route("/v2/schemas/metadefs/{name}", get(schemas::metadef))
        .route("/v2/schemas/task", get(schemas::task))
        .route("/v2/schemas/tasks", get(schemas::tasks))
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "The resource could not be found.")
}

/// The whole application: version negotiation rewrites the path before
/// routing; every response gets a request id and a rendered error body.
pub fn app(state: AppState) -> Router {
    let routed = routes()
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .fallback(not_found)
        .with_state(state.clone());
    let negotiated = from_fn_with_state(state, versions::negotiate).layer(routed);
    Router::new()
        .fallback_service(negotiated)
        .layer(from_fn(error::render))
        .layer(from_fn(request_id::assign))
}
