//! A small JSON-over-HTTP(S) client for Keystone's API, with a deadline on
//! every call.

use std::time::Duration;

use bytes::Bytes;
use glint_http_client::{describe, TlsError, Trust};
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Keystone could not be asked (down, slow, or answering garbage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone)]
pub struct HttpClient {
    client: glint_http_client::Client<Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    /// A client whose calls give up after `timeout`, trusting `trust` when
    /// Keystone is https; a CA file that cannot be read is an error.
    pub fn new(timeout: Duration, trust: &Trust) -> Result<Self, TlsError> {
        let connector = glint_http_client::connector(trust, timeout)?;
        Ok(HttpClient {
            // No idle connections are kept: Keystone often runs under
            // uWSGI, which closes a connection after each answer without a
            // `Connection: close`, and a reused socket would be reset.
            // Validations are cached, so connects are rare.
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(0)
                .build(connector),
            timeout,
        })
    }

    /// Sends a request; any status is a `Response`, only transport failures
    /// are `Unreachable`.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&'static str, &str)],
        body: Option<&Value>,
    ) -> Result<Response, Unreachable> {
        let mut builder = Request::builder()
            .method(method)
            .uri(url)
            .header("accept", "application/json")
            .header("user-agent", "glint-keystone");
        for (name, value) in headers {
            let value = HeaderValue::from_str(value)
                .map_err(|_| Unreachable(format!("header {name} has a value HTTP cannot carry")))?;
            builder = builder.header(HeaderName::from_static(name), value);
        }
        let payload = match body {
            Some(json) => {
                builder = builder.header(CONTENT_TYPE, "application/json");
                Bytes::from(json.to_string())
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(payload))
            .map_err(|e| Unreachable(format!("bad request to {url}: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| Unreachable(format!("{url}: {}", describe(&e))))?;
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| Unreachable(format!("{url}: reading the answer: {e}")))?
                .to_bytes();
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            };
            Ok(Response {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| Unreachable(format!("{url}: no answer within {:?}", self.timeout)))?
    }
}
