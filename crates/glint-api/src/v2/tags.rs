//! `PUT|DELETE /v2/images/{image_id}/tags/{tag}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// `PUT …/tags/{tag}` — adds a tag (already present is fine). 204; 400 tag
/// too long; 403 not permitted; 404; 413 tag quota.
pub async fn add(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state.services.images.add_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE …/tags/{tag}` — removes a tag. 204; 403; 404 image or tag.
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state.services.images.delete_tag(&ctx, &id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}
