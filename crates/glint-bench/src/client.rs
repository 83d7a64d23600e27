//! The HTTP side of the load generator: hyper's pooled client, with the
//! identity headers every request carries (noauth mode trusts them).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::payload::GeneratedBody;

pub const JSON: &str = "application/json";
pub const JSON_PATCH: &str = "application/openstack-images-v2.1-json-patch";
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Who the requests act as.
#[derive(Debug, Clone)]
pub struct Identity {
    pub project_id: String,
    pub user_id: String,
}

/// An answer, its body read to the end.
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

/// One server's Image API.
#[derive(Clone)]
pub struct Api {
    base: String,
    project: HeaderValue,
    user: HeaderValue,
    client: Client<HttpConnector, Full<Bytes>>,
    upload_client: Client<HttpConnector, GeneratedBody>,
    timeout: Duration,
}

impl Api {
    /// `base` is `http://host:port` (a trailing slash is dropped).
    pub fn new(base: &str, identity: &Identity) -> Result<Self, String> {
        let base = base.trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(format!("{base}: only http:// URLs are supported"));
        }
        let header = |v: &str| {
            HeaderValue::from_str(v).map_err(|_| format!("'{v}' cannot be an HTTP header value"))
        };
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Ok(Api {
            base,
            project: header(&identity.project_id)?,
            user: header(&identity.user_id)?,
            client: Client::builder(TokioExecutor::new()).build(connector.clone()),
            upload_client: Client::builder(TokioExecutor::new()).build(connector),
            timeout: Duration::from_secs(60),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request<B>(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&'static str>,
        body: B,
    ) -> Result<Request<B>, String> {
        let uri: Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| format!("{path}: {e}"))?;
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header("accept", JSON)
            .header("user-agent", "glint-bench")
            .header("x-identity-status", "Confirmed")
            .header("x-project-id", self.project.clone())
            .header("x-user-id", self.user.clone())
            .header("x-roles", "member,reader");
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        builder.body(body).map_err(|e| format!("{path}: {e}"))
    }

    /// Sends a request and reads the whole answer; only transport failures
    /// (and no answer within a minute) are errors.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&'static str>,
        body: Bytes,
    ) -> Result<Reply, String> {
        let request = self.request(method, path, content_type, Full::new(body))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| chain(&e))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| chain(&e))?
                .to_bytes();
            Ok(Reply { status, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("no answer within {:?}", self.timeout))?
    }

    pub async fn get(&self, path: &str) -> Result<Reply, String> {
        self.send(Method::GET, path, None, Bytes::new()).await
    }

    /// Streams a generated body to `path` with PUT.
    pub async fn upload(&self, path: &str, body: GeneratedBody) -> Result<Reply, String> {
        let len = hyper::body::Body::size_hint(&body).exact().unwrap_or(0);
        let mut request = self.request(Method::PUT, path, Some(OCTET_STREAM), body)?;
        request
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
        let response = self
            .upload_client
            .request(request)
            .await
            .map_err(|e| chain(&e))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| chain(&e))?
            .to_bytes();
        Ok(Reply { status, body })
    }

    /// GETs `path` and counts the body's bytes without keeping them.
    pub async fn download(&self, path: &str) -> Result<(StatusCode, u64), String> {
        let request = self.request(Method::GET, path, None, Full::new(Bytes::new()))?;
        let response = self.client.request(request).await.map_err(|e| chain(&e))?;
        let status = response.status();
        let mut body = response.into_body();
        let mut bytes = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.map_err(|e| chain(&e))?.into_data() {
                bytes += data.len() as u64;
            }
        }
        Ok((status, bytes))
    }
}

/// An error with its causes, on one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
