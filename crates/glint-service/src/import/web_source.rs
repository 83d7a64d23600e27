//! Fetching web-download (and glance-download) sources: an HTTP or HTTPS
//! GET, streamed, following redirects only where each new URL passes the
//! import filter too. As in Glance, https sources are verified with the
//! system's CA store (`SSL_CERT_FILE` and `SSL_CERT_DIR` name another).

use std::io;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use glint_config::UriFilter;
use glint_domain::{Error, Result};
use glint_http_client::{describe, Client, Trust};
use glint_store::ByteStream;
use http_body_util::{BodyExt, Empty};
use hyper::{header, Request, StatusCode};

use super::uri_filter::{self, CheckedUri};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the source may take to start answering.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 5;

/// The client of every fetch, made at the first.
fn client() -> Result<&'static Client<Empty<Bytes>>> {
    static CLIENT: OnceLock<std::result::Result<Client<Empty<Bytes>>, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            glint_http_client::client(&Trust::System, CONNECT_TIMEOUT).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::internal(format!("no HTTP client: {e}")))
}

/// Opens `uri` (already checked) for reading: its body and length.
pub async fn open(uri: &str, filter: &UriFilter) -> Result<(ByteStream, Option<u64>)> {
    open_as(uri, filter, "glint-web-download", &[]).await
}

/// Opens `uri` sending `headers` as well; they go to redirects within the
/// same origin only, so that credentials never reach another host.
pub async fn open_as(
    uri: &str,
    filter: &UriFilter,
    agent: &str,
    headers: &[(String, String)],
) -> Result<(ByteStream, Option<u64>)> {
    let client = client()?;
    let mut current = uri_filter::check(uri, filter)?;
    let origin = (current.scheme.clone(), current.host.clone(), current.port);
    let mut shown = uri.to_string();
    for _ in 0..=MAX_REDIRECTS {
        if current.scheme != "http" && current.scheme != "https" {
            return Err(Error::invalid(format!(
                "Cannot fetch {shown}: only http:// and https:// sources are supported"
            )));
        }
        let mut request = Request::get(url_of(&current)).header(header::USER_AGENT, agent);
        if (&current.scheme, &current.host, current.port) == (&origin.0, &origin.1, origin.2) {
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let request = request
            .body(Empty::new())
            .map_err(|e| Error::invalid(format!("Bad URI {shown}: {e}")))?;
        let response = tokio::time::timeout(ANSWER_TIMEOUT, client.request(request))
            .await
            .map_err(|_| Error::invalid(format!("{shown} did not answer in time")))?
            .map_err(|e| Error::invalid(format!("Cannot fetch {shown}: {}", describe(&e))))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Error::invalid(format!("{shown} redirects nowhere")))?
                .to_string();
            let next = absolute(&current, &location);
            current = uri_filter::check(&next, filter)
                .map_err(|e| Error::invalid(format!("{shown} redirects to a refused URI: {e}")))?;
            shown = next;
            continue;
        }
        if status != StatusCode::OK {
            return Err(Error::invalid(format!("{shown} answered {status}")));
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
        return Ok((Box::pin(stream), length));
    }
    Err(Error::invalid(format!(
        "{uri} redirects more than {MAX_REDIRECTS} times"
    )))
}

fn url_of(u: &CheckedUri) -> String {
    let host = if u.host.contains(':') {
        format!("[{}]", u.host)
    } else {
        u.host.clone()
    };
    format!("{}://{}:{}{}", u.scheme, host, u.port, u.path_and_query)
}

/// A redirect's `Location`, made absolute against the URL that sent it.
fn absolute(base: &CheckedUri, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let origin = url_of(&CheckedUri {
        path_and_query: String::new(),
        ..base.clone()
    });
    if location.starts_with('/') {
        format!("{origin}{location}")
    } else {
        let dir = match base
            .path_and_query
            .split('?')
            .next()
            .unwrap_or("/")
            .rfind('/')
        {
            Some(i) => &base.path_and_query[..=i],
            None => "/",
        };
        format!("{origin}{dir}{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_against_the_sender() {
        let base = CheckedUri {
            scheme: "http".into(),
            host: "127.0.0.1".into(),
            port: 8000,
            path_and_query: "/a/b.img?x=1".into(),
        };
        assert_eq!(absolute(&base, "/c.img"), "http://127.0.0.1:8000/c.img");
        assert_eq!(absolute(&base, "c.img"), "http://127.0.0.1:8000/a/c.img");
        assert_eq!(absolute(&base, "http://h/x"), "http://h/x");
    }
}
