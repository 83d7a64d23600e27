//! `/v2/cache` (Image API 2.14; clean and prune 2.18): this node's image
//! cache. Every operation needs the admin role by default (the `cache_*`
//! policies), and answers 404 where no `image_cache_dir` is set.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// `GET /v2/cache` — the cached images (id, hits, last access and
/// install times as epoch seconds, size) and the queue, in order. 200;
/// 403; 404 no cache.
pub async fn state(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Value>> {
    let (cached, queued) = state.services.images.cache_state(&ctx)?;
    let cached: Vec<Value> = cached
        .into_iter()
        .map(|(id, c)| {
            json!({
                "image_id": id,
                "hits": c.hits,
                "last_accessed": c.last_accessed,
                "last_modified": c.last_modified,
                "size": c.size,
            })
        })
        .collect();
    Ok(Json(
        json!({ "cached_images": cached, "queued_images": queued }),
    ))
}

/// `PUT /v2/cache/{image_id}` — queues an active image for caching; the
/// prefetcher starts at once. 202; 400 not active; 403; 404 image or no
/// cache.
pub async fn queue(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.images.cache_queue(&ctx, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `DELETE /v2/cache/{image_id}` — removes the image's copy and queue
/// entry. 204; 403; 404 neither image nor entry, or no cache.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.images.cache_delete(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v2/cache` — empties the cache and the queue, or only what
/// `x-image-cache-clear-target` names (`cache`, `queue`). 204; 400 other
/// target; 403; 404 no cache.
pub async fn clear(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let target = headers
        .get("x-image-cache-clear-target")
        .map(|v| v.to_str().unwrap_or("?"));
    state.services.images.cache_clear(&ctx, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/cache/clean` — removes unfinished and invalid copies. 200
/// with no body; 403; 404 no cache.
pub async fn clean(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<StatusCode> {
    state.services.images.cache_clean(&ctx).await?;
    Ok(StatusCode::OK)
}

/// `POST /v2/cache/prune` — evicts least recently used copies down to
/// `image_cache_max_size`. 200 `{"total_files_pruned", "total_bytes_pruned"}`;
/// 403; 404 no cache.
pub async fn prune(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Value>> {
    let pruned = state.services.images.cache_prune(&ctx).await?;
    Ok(Json(json!({
        "total_files_pruned": pruned.files,
        "total_bytes_pruned": pruned.bytes,
    })))
}

/// `GET /v2/cache/nodes/{image_id}` — 409: Glint has no centralized cache
/// index; 403; 404 no cache.
pub async fn nodes(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let nodes = state.services.images.cache_nodes(&ctx, &id)?;
    Ok(Json(json!(nodes)))
}
