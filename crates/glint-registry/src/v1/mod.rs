//! The registry v1 REST API over images, for tools that speak it:
//! `{"image": …}` and `{"images": […]}` in v1's shapes ([`shape`]), filters
//! and paging as query parameters ([`list`]), errors as Glance's (404 for
//! what the caller cannot see, 403 for what it cannot change, 400 for bad
//! input, 409 for an id already taken).

mod body;
mod list;
mod shape;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use glint_api::error::ApiResult;
use glint_domain::image_rules::is_mutable;
use glint_domain::{time, Error, Image, ImageUpdate, NewImage, RequestContext, Result, Visibility};
use serde_json::{json, Value};

use crate::guard::Guard;
use crate::server::RegistryState;
use list::Publicity;

/// The header asking `PUT /images/{id}` to remove every property the body
/// does not name.
pub const PURGE_PROPS_HEADER: &str = "x-glance-registry-purge-props";

/// `GET /images`: public, live images in the brief form (`is_public`
/// overrides; `none` for every image the caller sees). 400 for a bad
/// parameter or marker.
pub async fn index(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let ctx = state.identify(&headers).await?;
    let images = list_images(&state, &ctx, raw.as_deref(), Publicity::Public).await?;
    let images: Vec<Value> = images.iter().map(shape::brief).collect();
    Ok(Json(json!({ "images": images })))
}

/// `GET /images/detail`: every live image the caller sees (or as
/// `is_public` asks), with all fields. 400 for a bad parameter or marker.
pub async fn detail(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let ctx = state.identify(&headers).await?;
    let images = list_images(&state, &ctx, raw.as_deref(), Publicity::Any).await?;
    let images: Vec<Value> = images.iter().map(shape::detail).collect();
    Ok(Json(json!({ "images": images })))
}

async fn list_images(
    state: &RegistryState,
    ctx: &RequestContext,
    raw: Option<&str>,
    default: Publicity,
) -> Result<Vec<Image>> {
    let request = list::parse(raw, ctx, default, state.limit_default, state.limit_max)?;
    let mut query = request.query;
    let limit = request.limit as usize;
    let mut images = Vec::new();
    // `is_public=false` is "everything but public": pages are read until
    // the answer is full, so markers and limits still hold.
    loop {
        let page = state
            .repo
            .image_get_all(&query)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) if query.marker.is_some() => {
                    Error::invalid("Invalid marker. Image could not be found.")
                }
                other => other,
            })?;
        let read = page.len();
        let last = page.last().map(|i| i.id.clone());
        images.extend(page.into_iter().filter(|i| {
            request.publicity != Publicity::NotPublic || i.visibility != Visibility::Public
        }));
        if images.len() >= limit || read < limit || last.is_none() {
            break;
        }
        query.marker = last;
    }
    images.truncate(limit);
    Ok(images)
}

/// `GET /images/{id}`: one image (admins also see deleted ones); 404 when
/// the caller cannot see it.
pub async fn show(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let ctx = state.identify(&headers).await?;
    let guard = Guard {
        ctx: &ctx,
        repo: &*state.repo,
    };
    let image = guard.visible_image(&id, ctx.is_admin).await?;
    Ok(Json(json!({ "image": shape::detail(&image) })))
}

fn json_body(bytes: &Bytes) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::invalid(format!("The request body is not valid JSON: {e}")))
}

/// `POST /images` with `{"image": {...}}`: creates the image (status
/// `queued` unless given, owned by the caller unless an admin names
/// another owner) and answers it. 400 for bad fields, 403 for another
/// project's image, 409 when the id is taken.
pub async fn create(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let ctx = state.identify(&headers).await?;
    let fields = body::parse(&json_body(&body)?)?;
    let id = match &fields.id {
        Some(id) => uuid::Uuid::parse_str(id)
            .map(|_| id.clone())
            .map_err(|_| Error::invalid(format!("Invalid image id '{id}'.")))?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let new = NewImage {
        owner: ctx.project_id.clone(),
        ..NewImage::default()
    };
    let mut image = Image::from_new(id, new, time::now());
    fields.apply(&mut image);
    image.properties = fields.properties.clone().unwrap_or_default();
    let guard = Guard {
        ctx: &ctx,
        repo: &*state.repo,
    };
    guard.owner(
        image.owner.as_deref(),
        "create an image for another project",
    )?;
    let created = state.repo.image_create(&image).await?;
    Ok(Json(json!({ "image": shape::detail(&created) })))
}

/// The live image `id`, if the caller may change it.
async fn changeable(guard: &Guard<'_>, id: &str) -> Result<Image> {
    let image = guard.visible_image(id, false).await?;
    if is_mutable(guard.ctx, &image) {
        Ok(image)
    } else {
        Err(Error::forbidden(
            "You are not authorized to change this image.",
        ))
    }
}

/// `PUT /images/{id}` with `{"image": {...}}`: writes the fields sent;
/// properties sent are set, and with `X-Glance-Registry-Purge-Props: true`
/// every other property is removed. 404 for an image the caller cannot
/// see, 403 for one it cannot change, 400 for bad fields.
pub async fn update(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let ctx = state.identify(&headers).await?;
    let fields = body::parse(&json_body(&body)?)?;
    let purge =
        match headers.get(PURGE_PROPS_HEADER) {
            None => false,
            Some(v) => v.to_str().ok().and_then(body::parse_bool).ok_or_else(|| {
                Error::invalid("Invalid value for X-Glance-Registry-Purge-Props.")
            })?,
        };
    let guard = Guard {
        ctx: &ctx,
        repo: &*state.repo,
    };
    let stored = changeable(&guard, &id).await?;
    if fields.id.as_deref().is_some_and(|new| new != id) {
        return Err(Error::forbidden("An image's id cannot be changed.").into());
    }
    let mut changed = stored.clone();
    fields.apply(&mut changed);
    if changed.owner != stored.owner {
        guard.owner(changed.owner.as_deref(), "give an image to another project")?;
    }
    let mut update = ImageUpdate::base(changed);
    update.set_properties = fields.properties.unwrap_or_default();
    update.purge_properties = purge;
    let updated = state.repo.image_update(&update).await?;
    Ok(Json(json!({ "image": shape::detail(&updated) })))
}

/// `DELETE /images/{id}`: soft-deletes the image and answers it as
/// deleted. 404 for an image the caller cannot see (or already deleted),
/// 403 for one it cannot change.
pub async fn delete(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let ctx = state.identify(&headers).await?;
    let guard = Guard {
        ctx: &ctx,
        repo: &*state.repo,
    };
    changeable(&guard, &id).await?;
    let deleted = state.repo.image_destroy(&id).await?;
    Ok(Json(json!({ "image": shape::detail(&deleted) })))
}
