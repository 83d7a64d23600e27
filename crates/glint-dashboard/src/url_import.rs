//! Which URLs the dashboard may create images from: only `http(s)://` URLs
//! whose host (or `host:port`) is listed in `[dashboard]
//! image_url_allowed_hosts`, so that dashboard users cannot make the
//! server reach anything else. The data then comes in by a web-download
//! import (held to `[import_filtering_opts]` too), or the URL becomes the
//! image's location.

use hyper::Uri;

use crate::error::{DashError, DashResult};

/// Checks that `url` may be fetched: http or https, and an allowed host.
pub fn check(url: &str, allowed_hosts: &[String]) -> DashResult<Uri> {
    let uri: Uri = url
        .parse()
        .map_err(|_| DashError::bad_request(format!("image_url '{url}' is not a URL")))?;
    let default_port = match uri.scheme_str() {
        Some("http") => 80,
        Some("https") => 443,
        _ => {
            return Err(DashError::bad_request(format!(
                "image_url '{url}' must be an http:// or https:// URL"
            )))
        }
    };
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
    let port = uri.port_u16().unwrap_or(default_port);
    let with_port = format!("{host}:{port}");
    if !allowed_hosts.iter().any(|h| *h == host || *h == with_port) {
        return Err(DashError::bad_request(format!(
            "Copying image data from {host} is not allowed on this server"
        )));
    }
    Ok(uri)
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
        assert!(check("https://127.0.0.1/x", &allowed).is_ok());
        assert!(check("https://images.example:8080/x", &allowed).is_ok());
        // images.example is allowed on 8080 only; https defaults to 443.
        assert!(check("https://images.example/x", &allowed).is_err());
        assert!(check("ftp://127.0.0.1/x", &allowed).is_err());
        assert!(check("file:///etc/passwd", &allowed).is_err());
        assert!(check("http://127.0.0.1/x", &[]).is_err());
    }
}
