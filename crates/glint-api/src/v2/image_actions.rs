//! `POST /v2/images/{image_id}/actions/{deactivate,reactivate}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// `POST …/actions/deactivate` — active → deactivated. 204; 400 when the
/// image is neither active nor deactivated; 403 not permitted; 404.
pub async fn deactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.images.deactivate(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/actions/reactivate` — deactivated → active. 204; 400 when the
/// image is neither active nor deactivated; 403 not permitted; 404.
pub async fn reactivate(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.images.reactivate(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
