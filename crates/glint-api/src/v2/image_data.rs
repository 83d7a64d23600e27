//! `PUT|GET /v2/images/{image_id}/file`: the image's bytes, streamed.

use std::io;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use glint_domain::Error;
use glint_service::image_data::{ImageData, RangeRequest};
use glint_store::ByteStream;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::media_type;
use crate::state::AppState;

/// Header naming the store an upload goes to (multi-store).
const STORE_HEADER: &str = "x-image-meta-store";

/// `PUT /v2/images/{image_id}/file` — uploads the image's data
/// (`application/octet-stream`, sized or chunked). 204.
///
/// 409 image not queued (or another upload won); 413 over `image_size_cap`
/// or the owner's `user_storage_quota`; 415 another media type; 400 a body
/// that ends early or an unknown store. On any failure the image is queued
/// again and no bytes remain.
pub async fn upload(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    let (stream, content_length) = octet_stream(&headers, body)?;
    let store = headers.get(STORE_HEADER).and_then(|v| v.to_str().ok());
    state
        .services
        .images
        .upload(&ctx, &id, stream, content_length, store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An `application/octet-stream` request body as a byte stream, with its
/// `Content-Length` when sized; 415 for any other media type.
pub(crate) fn octet_stream(
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<(ByteStream, Option<u64>)> {
    if let Some(media) = media_type::of_request(headers) {
        if !media.eq_ignore_ascii_case("application/octet-stream") {
            return Err(ApiError(Error::UnsupportedMediaType(format!(
                "The request media type {media} is not supported by this server. Invalid content type {media}"
            ))));
        }
    }
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let stream = body.into_data_stream().map_err(io::Error::other);
    Ok((Box::pin(stream), content_length))
}

/// `GET /v2/images/{image_id}/file` — downloads the image's data with
/// `Content-Length` and `Content-MD5`; a `Range: bytes=…` header gets 206
/// with `Content-Range`. 204 when the image has no data; 403 a deactivated
/// image (non-admins); 404 invisible; 416 a range outside the data.
pub async fn download(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let range = parse_range(headers.get(header::RANGE))?;
    match state.services.images.download(&ctx, &id, range).await? {
        ImageData::Empty => Ok(StatusCode::NO_CONTENT.into_response()),
        ImageData::Bytes {
            stream,
            size,
            checksum,
            range,
        } => {
            let mut response = Response::new(Body::from_stream(stream));
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Some(sum) = checksum.and_then(|c| HeaderValue::from_str(&c).ok()) {
                h.insert("content-md5", sum);
            }
            let length = match range {
                Some(r) => {
                    *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                    let value = format!("bytes {}-{}/{size}", r.start, r.end);
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        response.headers_mut().insert(header::CONTENT_RANGE, v);
                    }
                    r.len()
                }
                None => size,
            };
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            Ok(response)
        }
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges, or another unit,
/// cannot be served (416).
fn parse_range(value: Option<&HeaderValue>) -> Result<Option<RangeRequest>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let unsatisfiable = || {
        ApiError(Error::RangeNotSatisfiable(
            "The Range requested is not available.".into(),
        ))
    };
    let text = value.to_str().map_err(|_| unsatisfiable())?.trim();
    let spec = text.strip_prefix("bytes=").ok_or_else(unsatisfiable)?;
    if spec.contains(',') {
        return Err(unsatisfiable());
    }
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| unsatisfiable());
    Ok(Some(match (start.trim(), end.trim()) {
        ("", n) => RangeRequest::Suffix(number(n)?),
        (s, "") => RangeRequest::From {
            start: number(s)?,
            end: None,
        },
        (s, e) => RangeRequest::From {
            start: number(s)?,
            end: Some(number(e)?),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &'static str) -> Result<Option<RangeRequest>, ApiError> {
        parse_range(Some(&HeaderValue::from_static(s)))
    }

    #[test]
    fn range_headers() {
        assert_eq!(
            p("bytes=1-5").unwrap(),
            Some(RangeRequest::From {
                start: 1,
                end: Some(5)
            })
        );
        assert_eq!(
            p("bytes=7-").unwrap(),
            Some(RangeRequest::From {
                start: 7,
                end: None
            })
        );
        assert_eq!(p("bytes=-3").unwrap(), Some(RangeRequest::Suffix(3)));
        for bad in ["items=1-2", "bytes=1-2,4-5", "bytes=a-b", "bytes=5"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert!(parse_range(None).unwrap().is_none());
    }
}
