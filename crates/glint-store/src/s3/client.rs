//! Signed S3 requests over hyper: one request, one answer, with the bucket
//! addressed path-style or virtual-host-style.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use glint_domain::{Error, Result};
use glint_http_client::{describe, TlsError, Trust};

use super::sigv4::{self, Credentials, Signable};
use super::xml;

/// How the bucket appears in request URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlStyle {
    /// `http://host/bucket/key`
    Path,
    /// `http://bucket.host/key`
    Virtual,
}

/// Where the S3 server is.
pub struct Endpoint {
    pub https: bool,
    /// `host[:port]`.
    pub host: String,
}

impl Endpoint {
    fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }
}

pub struct S3Client {
    http: glint_http_client::Client<Full<Bytes>>,
    endpoint: Endpoint,
    style: UrlStyle,
    creds: Credentials,
    /// Deadline for requests whose answer is read whole.
    timeout: Duration,
}

/// One request to send.
pub struct S3Request<'a> {
    pub method: Method,
    pub bucket: &'a str,
    /// `None` for a request on the bucket itself.
    pub key: Option<&'a str>,
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Bytes,
}

impl<'a> S3Request<'a> {
    pub fn new(method: Method, bucket: &'a str, key: Option<&'a str>) -> Self {
        S3Request {
            method,
            bucket,
            key,
            query: &[],
            headers: &[],
            body: Bytes::new(),
        }
    }
}

impl S3Client {
    pub fn new(
        endpoint: Endpoint,
        trust: &Trust,
        style: UrlStyle,
        creds: Credentials,
        timeout: Duration,
    ) -> std::result::Result<Self, TlsError> {
        let connector = glint_http_client::connector(trust, Duration::from_secs(10))?;
        Ok(S3Client {
            http: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector),
            endpoint,
            style,
            creds,
            timeout,
        })
    }

    /// Sends `req` and returns the answer once its head arrived; the body is
    /// left to the caller.
    pub async fn send(&self, req: S3Request<'_>) -> Result<Response<Incoming>> {
        let key_path = req
            .key
            .map(|k| sigv4::uri_encode(k, true))
            .unwrap_or_default();
        let (host, path) = match self.style {
            UrlStyle::Path => (
                self.endpoint.host.clone(),
                format!("/{}/{key_path}", sigv4::uri_encode(req.bucket, false)),
            ),
            UrlStyle::Virtual => (
                format!("{}.{}", req.bucket, self.endpoint.host),
                format!("/{key_path}"),
            ),
        };
        let path = if req.key.is_none() && self.style == UrlStyle::Path {
            path.trim_end_matches('/').to_string()
        } else {
            path
        };
        let payload_sha256 = if req.body.is_empty() {
            sigv4::EMPTY_SHA256.to_string()
        } else {
            sigv4::sha256_hex(&req.body)
        };
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let signed = sigv4::sign(
            &self.creds,
            &Signable {
                method: req.method.as_str(),
                path: &path,
                query: req.query,
                host: &host,
                payload_sha256: &payload_sha256,
                headers: req.headers,
            },
            &amz_date,
        );
        let query = sigv4::canonical_query(req.query);
        // Messages name the endpoint, never the query (upload ids).
        let shown = format!("{}://{host}{path}", self.endpoint.scheme());
        let uri = if query.is_empty() {
            shown.clone()
        } else {
            format!("{shown}?{query}")
        };
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(&uri)
            .header("host", &host)
            .header("content-length", req.body.len());
        for (name, value) in req.headers {
            builder = builder.header(*name, *value);
        }
        for (name, value) in signed {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(req.body))
            .map_err(|e| Error::internal(format!("S3 request {shown}: {e}")))?;
        let answer = tokio::time::timeout(self.timeout, self.http.request(request))
            .await
            .map_err(|_| {
                Error::internal(format!(
                    "S3 {} {shown}: no answer within {:?}",
                    req.method, self.timeout
                ))
            })?;
        answer.map_err(|e| Error::internal(format!("S3 {} {shown}: {}", req.method, describe(&e))))
    }

    /// Sends `req` and reads the whole answer; statuses other than 2xx are
    /// errors (404 becomes `NotFound`).
    pub async fn call(&self, req: S3Request<'_>) -> Result<(StatusCode, hyper::HeaderMap, String)> {
        let what = format!("S3 {} {}/{}", req.method, req.bucket, req.key.unwrap_or(""));
        let response = self.send(req).await?;
        let (parts, body) = response.into_parts();
        let body = read_text(body, self.timeout, &what).await?;
        if !parts.status.is_success() {
            return Err(answer_error(&what, parts.status, &body));
        }
        // CompleteMultipartUpload may fail after a 200 head.
        if body.contains("<Error>") {
            return Err(answer_error(
                &what,
                StatusCode::INTERNAL_SERVER_ERROR,
                &body,
            ));
        }
        Ok((parts.status, parts.headers, body))
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// Reads an answer's body as text, within `timeout`.
pub async fn read_text(body: Incoming, timeout: Duration, what: &str) -> Result<String> {
    let bytes = tokio::time::timeout(timeout, body.collect())
        .await
        .map_err(|_| Error::internal(format!("{what}: answer not read within {timeout:?}")))?
        .map_err(|e| Error::internal(format!("{what}: reading the answer: {e}")))?
        .to_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The error an S3 answer with a failure status stands for.
pub fn answer_error(what: &str, status: StatusCode, body: &str) -> Error {
    let code = xml::value(body, "Code").unwrap_or_default();
    let message = xml::value(body, "Message").unwrap_or_default();
    let text = format!("{what}: {status} {code} {message}")
        .trim_end()
        .to_string();
    match status {
        StatusCode::NOT_FOUND => Error::not_found(text),
        StatusCode::RANGE_NOT_SATISFIABLE => Error::RangeNotSatisfiable(text),
        _ => Error::internal(text),
    }
}
