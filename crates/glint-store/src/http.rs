//! The HTTP store: read-only access to image data kept elsewhere at an
//! `http://` or `https://` location (Glance's `http` store). Nothing is
//! written there and nothing deleted: the data belongs to whoever serves it.
//! Whom it trusts over https is glance_store's `https_ca_certificates_file`
//! and `https_insecure`.

use std::io;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::TryStreamExt;
use glint_domain::{Error, Result};
use glint_http_client::{describe, Client, Trust};
use http_body_util::{BodyExt, Empty};
use hyper::{header, Method, Request, StatusCode};

use crate::{ByteRange, ByteStream, PartialWrite, Store, StoredObject};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

pub struct HttpStore {
    client: Client<Empty<Bytes>>,
}

impl HttpStore {
    /// A store that reads https locations trusting `trust`; a CA file that
    /// cannot be read is an error.
    pub fn new(trust: &Trust) -> Result<Self> {
        let client = glint_http_client::client(trust, CONNECT_TIMEOUT).map_err(|e| {
            Error::invalid(format!("[glance_store] https_ca_certificates_file: {e}"))
        })?;
        Ok(HttpStore { client })
    }
}

impl Default for HttpStore {
    /// Verifies https locations with the system's CA store.
    fn default() -> Self {
        HttpStore {
            client: glint_http_client::client(&Trust::System, CONNECT_TIMEOUT)
                .expect("the system store is read at the first handshake, never here"),
        }
    }
}

/// Whether `url` is a location this store reads.
pub fn is_http_location(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

impl HttpStore {
    async fn send(
        &self,
        method: Method,
        location: &str,
        range: Option<ByteRange>,
    ) -> Result<hyper::Response<hyper::body::Incoming>> {
        if !is_http_location(location) {
            return Err(Error::invalid(format!(
                "only http:// and https:// locations can be read: {location}"
            )));
        }
        let mut request = Request::builder()
            .method(method)
            .uri(location)
            .header(header::USER_AGENT, "glint-http-store");
        if let Some(r) = range {
            request = request.header(header::RANGE, format!("bytes={}-{}", r.start, r.end));
        }
        let request = request
            .body(Empty::new())
            .map_err(|e| Error::invalid(format!("bad location {location}: {e}")))?;
        tokio::time::timeout(ANSWER_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| Error::internal(format!("{location} did not answer in time")))?
            .map_err(|e| Error::internal(format!("cannot reach {location}: {}", describe(&e))))
    }

    /// The size of the data at `location`, from its `Content-Length`.
    pub async fn size(&self, location: &str) -> Result<u64> {
        let response = self.send(Method::HEAD, location, None).await?;
        if response.status() != StatusCode::OK {
            return Err(Error::invalid(format!(
                "{location} answered {}",
                response.status()
            )));
        }
        response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::invalid(format!("{location} gives no Content-Length")))
    }
}

#[async_trait]
impl Store for HttpStore {
    fn kind(&self) -> &'static str {
        "http"
    }

    async fn prepare(&self) -> Result<()> {
        Ok(())
    }

    async fn add(&self, _image_id: &str, _data: ByteStream) -> Result<StoredObject> {
        Err(Error::forbidden("The http store is read-only"))
    }

    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream> {
        let response = self.send(Method::GET, location, range).await?;
        let expected = if range.is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        };
        if response.status() != expected {
            return Err(Error::not_found(format!(
                "Image data at {location} is not available ({})",
                response.status()
            )));
        }
        let stream = response
            .into_body()
            .into_data_stream()
            .map_err(io::Error::other);
        Ok(Box::pin(stream))
    }

    async fn delete(&self, _location: &str) -> Result<()> {
        // The data is someone else's: forgetting the location is all.
        Ok(())
    }

    async fn partial_writes(&self) -> Result<Vec<PartialWrite>> {
        Ok(Vec::new())
    }

    async fn remove_partial_write(&self, _partial: &PartialWrite) -> Result<()> {
        Ok(())
    }
}
