//! The HTTP store: read-only access to image data kept elsewhere at an
//! `http://` location (Glance's `http` store). Nothing is written there and
//! nothing deleted: the data belongs to whoever serves it.

use std::io;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::TryStreamExt;
use glint_domain::{Error, Result};
use http_body_util::{BodyExt, Empty};
use hyper::{header, Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::{ByteRange, ByteStream, Store, StoredObject};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

pub struct HttpStore {
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl Default for HttpStore {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        HttpStore {
            client: Client::builder(TokioExecutor::new()).build(connector),
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
        if !location.starts_with("http://") {
            return Err(Error::invalid(format!(
                "only http:// locations can be read: {location}"
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
            .map_err(|e| Error::internal(format!("cannot reach {location}: {e}")))
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

    async fn partial_writes(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    async fn remove_partial_write(&self, _image_id: &str) -> Result<()> {
        Ok(())
    }
}
