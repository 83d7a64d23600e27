//! Creating an image from a URL with `import_data`: the bytes are streamed
//! from the URL through the image service's upload, as Glance's
//! `copy_from` did, after the create has been answered.
//!
//! Only `http://` URLs whose host (or `host:port`) is listed in
//! `[dashboard] image_url_allowed_hosts` are fetched, so that dashboard
//! users cannot make the server reach anything else; redirects are not
//! followed. A failed copy leaves the image queued and is logged.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use glint_domain::{Error, RequestContext};
use glint_service::ImageService;
use http_body_util::{BodyExt, Empty};
use hyper::{header, Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::{DashError, DashResult};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the source may take to start answering.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Checks that `url` may be fetched: http, and an allowed host.
pub fn check(url: &str, allowed_hosts: &[String]) -> DashResult<Uri> {
    let uri: Uri = url
        .parse()
        .map_err(|_| DashError::bad_request(format!("image_url '{url}' is not a URL")))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(DashError::bad_request(
                "Copying image data from https:// URLs is not supported yet; use an http:// URL",
            ))
        }
        _ => {
            return Err(DashError::bad_request(format!(
                "image_url '{url}' must be an http:// URL"
            )))
        }
    }
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    if host.is_empty() {
        return Err(DashError::bad_request(format!(
            "image_url '{url}' names no host"
        )));
    }
    if allowed_hosts.is_empty() {
        return Err(DashError::bad_request(
            "Creating images from a URL is not enabled on this server ([dashboard] image_url_allowed_hosts is empty)",
        ));
    }
    let port = uri.port_u16().unwrap_or(80);
    let with_port = format!("{host}:{port}");
    if !allowed_hosts.iter().any(|h| *h == host || *h == with_port) {
        return Err(DashError::bad_request(format!(
            "Copying image data from {host} is not allowed on this server"
        )));
    }
    Ok(uri)
}

/// Copies the data at `source` into image `image_id` in the background.
pub fn spawn_copy(images: ImageService, ctx: RequestContext, image_id: String, source: Uri) {
    tokio::spawn(async move {
        let result = match open(&source).await {
            Ok((stream, length)) => images.upload(&ctx, &image_id, stream, length, None).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(image) => {
                tracing::info!(image_id = %image.id, %source, "image data copied from URL")
            }
            Err(e) => {
                tracing::warn!(image_id, %source, error = %e, "copying image data from URL failed")
            }
        }
    });
}

/// Starts fetching `source`; its body as a byte stream and its length.
async fn open(source: &Uri) -> Result<(glint_store::ByteStream, Option<u64>), Error> {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(connector);
    let request = Request::get(source.clone())
        .header(header::USER_AGENT, "glint-dashboard")
        .body(Empty::new())
        .map_err(|e| Error::invalid(format!("bad URL {source}: {e}")))?;
    let response = tokio::time::timeout(ANSWER_TIMEOUT, client.request(request))
        .await
        .map_err(|_| Error::invalid(format!("{source} did not answer in time")))?
        .map_err(|e| Error::invalid(format!("cannot fetch {source}: {e}")))?;
    if response.status() != StatusCode::OK {
        return Err(Error::invalid(format!(
            "{source} answered {}",
            response.status()
        )));
    }
    let length = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let stream = response
        .into_body()
        .into_data_stream()
        .map_err(io::Error::other);
    Ok((Box::pin(stream), length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_http_hosts() {
        let allowed = vec!["127.0.0.1".to_string(), "images.example:8080".to_string()];
        assert!(check("http://127.0.0.1:9/x.img", &allowed).is_ok());
        assert!(check("http://images.example:8080/x", &allowed).is_ok());
        assert!(check("http://images.example/x", &allowed).is_err());
        assert!(check("https://127.0.0.1/x", &allowed).is_err());
        assert!(check("file:///etc/passwd", &allowed).is_err());
        assert!(check("http://127.0.0.1/x", &[]).is_err());
    }
}
