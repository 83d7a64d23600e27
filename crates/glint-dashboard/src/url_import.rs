//! Creating an image from a URL with `import_data`: the bytes are streamed
//! from the URL through the image service's upload, as Glance's
//! `copy_from` did, after the create has been answered.
//!
//! Only `http://` URLs whose host (or `host:port`) is listed in
//! `[dashboard] image_url_allowed_hosts` are fetched, so that dashboard
//! users cannot make the server reach anything else; redirects are
//! followed only to allowed hosts. A failed copy leaves the image queued
//! and is logged.

use glint_config::UriFilter;
use glint_domain::RequestContext;
use glint_service::import::web_source;
use glint_service::ImageService;
use hyper::Uri;

use crate::error::{DashError, DashResult};

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
pub fn spawn_copy(
    images: ImageService,
    ctx: RequestContext,
    image_id: String,
    source: Uri,
    allowed_hosts: Vec<String>,
) {
    tokio::spawn(async move {
        // The web-download fetcher, held to the same hosts (redirects too).
        let filter = UriFilter {
            allowed_schemes: vec!["http".into()],
            disallowed_schemes: vec![],
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.split(':').next().unwrap_or(h).to_string())
                .collect(),
            disallowed_hosts: vec![],
            allowed_ports: vec![],
            disallowed_ports: vec![],
        };
        let result = match web_source::open(&source.to_string(), &filter).await {
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
