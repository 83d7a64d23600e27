//! The S3 store (`s3` in `enabled_backends`): image bytes as objects in one
//! bucket of an S3-compatible server (Ceph RGW, MinIO, AWS S3), keyed by
//! image id.
//!
//! Uploads stream: the first chunk is buffered, and an image that ends
//! within it (and below the large-object size) goes up in one PUT; anything
//! larger becomes a multipart upload of chunk-sized parts, a few in flight
//! at once. A failed upload, a failing input stream or a dropped upload
//! aborts the multipart upload, so nothing is left on the server; uploads
//! that a crash left behind are aborted by [`Store::remove_partial_write`]
//! (on servers that can list multipart uploads).
//! Downloads stream the object's body, with a `Range` header for ranges.

mod client;
pub mod location;
mod sigv4;
mod xml;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use glint_domain::{Error, Result};
use glint_http_client::Trust;
use http_body_util::BodyExt;
use hyper::{Method, StatusCode};
use tokio::task::JoinSet;

use crate::{ByteRange, ByteStream, PartialWrite, Store, StoredObject};
use client::{answer_error, read_text, Endpoint, S3Client, S3Request, UrlStyle};

pub use client::UrlStyle as BucketUrlStyle;

const MIB: u64 = 1024 * 1024;
/// S3's smallest part (all but the last).
const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's most parts in one upload.
const MAX_PARTS: u32 = 10_000;
/// Parts after which the part size doubles, so that an image of unknown
/// size never runs out of part numbers.
const PARTS_PER_SIZE_STEP: u32 = 1_000;

/// An S3 store's configuration, in glance_store's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `s3_store_host`: `http://host:port`, `https://host:port`, or a bare
    /// host (HTTP).
    pub host: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
    pub create_bucket_on_put: bool,
    /// `s3_store_region_name`; empty: guessed from the host, else us-east-1.
    pub region: String,
    /// `auto`, `path` or `virtual`.
    pub bucket_url_format: String,
    /// `s3_store_large_object_size`, bytes.
    pub large_object_size: u64,
    /// `s3_store_large_object_chunk_size`, bytes.
    pub large_object_chunk_size: u64,
    /// `s3_store_thread_pools`: parts in flight at once per upload.
    pub thread_pools: usize,
    /// `s3_store_cacert`: the CAs that verify an https endpoint; `None`:
    /// the system's.
    pub cacert: Option<PathBuf>,
}

impl S3Settings {
    /// Glance's defaults for everything but where and who.
    pub fn new(host: &str, access_key: &str, secret_key: &str, bucket: &str) -> Self {
        S3Settings {
            host: host.into(),
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            bucket: bucket.into(),
            create_bucket_on_put: false,
            region: String::new(),
            bucket_url_format: "auto".into(),
            large_object_size: 100 * MIB,
            large_object_chunk_size: 10 * MIB,
            thread_pools: 10,
            cacert: None,
        }
    }
}

pub struct S3Store {
    client: Arc<S3Client>,
    settings: S3Settings,
    /// `host[:port]` as it goes into locations.
    host: String,
    /// Whether the endpoint is https (locations are then `s3+https://`).
    https: bool,
}

impl S3Store {
    pub fn new(settings: S3Settings) -> Result<Self> {
        let bad = |why: String| Error::invalid(format!("S3 store: {why}"));
        let (https, host) = if let Some(h) = settings.host.strip_prefix("https://") {
            (true, h)
        } else if let Some(h) = settings.host.strip_prefix("http://") {
            (false, h)
        } else {
            (false, settings.host.as_str())
        };
        let host = host.trim_end_matches('/').to_string();
        if host.is_empty() || host.contains('/') {
            return Err(bad(format!(
                "s3_store_host '{}' is not host[:port]",
                settings.host
            )));
        }
        for (name, value) in [
            ("s3_store_access_key", &settings.access_key),
            ("s3_store_secret_key", &settings.secret_key),
            ("s3_store_bucket", &settings.bucket),
        ] {
            if value.is_empty() {
                return Err(bad(format!("{name} is required")));
            }
        }
        if settings.large_object_chunk_size < MIN_PART_SIZE {
            return Err(bad(
                "s3_store_large_object_chunk_size must be at least 5 MB".into(),
            ));
        }
        if settings.thread_pools == 0 {
            return Err(bad(
                "s3_store_thread_pools must be a positive integer".into()
            ));
        }
        let style = match settings.bucket_url_format.as_str() {
            "path" => UrlStyle::Path,
            "virtual" => UrlStyle::Virtual,
            "auto" => auto_style(&host, &settings.bucket),
            other => {
                return Err(bad(format!(
                    "s3_store_bucket_url_format must be auto, path or virtual, not '{other}'"
                )))
            }
        };
        let region = if settings.region.is_empty() {
            region_of(&host)
        } else {
            settings.region.clone()
        };
        let trust = match &settings.cacert {
            Some(file) => Trust::CaFile(file.clone()),
            None => Trust::System,
        };
        let client = S3Client::new(
            Endpoint {
                https,
                host: host.clone(),
            },
            &trust,
            style,
            sigv4::Credentials {
                access_key: settings.access_key.clone(),
                secret_key: settings.secret_key.clone(),
                region,
            },
            Duration::from_secs(300),
        )
        .map_err(|e| bad(format!("s3_store_cacert: {e}")))?;
        Ok(S3Store {
            client: Arc::new(client),
            settings,
            host,
            https,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.settings.bucket
    }

    /// The location `add` records for `key`'s bytes.
    pub fn location_of(&self, key: &str) -> String {
        location::format(
            self.https,
            &self.settings.access_key,
            &self.settings.secret_key,
            &self.host,
            &self.settings.bucket,
            key,
        )
    }

    async fn put_object(&self, key: &str, body: Bytes) -> Result<()> {
        let mut req = S3Request::new(Method::PUT, &self.settings.bucket, Some(key));
        req.body = body;
        self.client.call(req).await.map(drop)
    }

    /// Multipart upload of `first` and the rest of `data`.
    async fn put_multipart(&self, key: &str, first: Bytes, data: &mut Parts) -> Result<u64> {
        let bucket = &self.settings.bucket;
        let mut req = S3Request::new(Method::POST, bucket, Some(key));
        req.query = &[("uploads", "")];
        let (_, _, body) = self.client.call(req).await?;
        let upload_id = xml::value(&body, "UploadId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::internal(format!("S3 gave no upload id for {bucket}/{key}")))?;
        let mut guard = AbortGuard {
            client: Some(self.client.clone()),
            bucket: bucket.clone(),
            key: key.to_string(),
            upload_id: upload_id.clone(),
        };
        let result = self.upload_parts(key, &upload_id, first, data).await;
        match result {
            Ok((size, etags)) => {
                self.complete(key, &upload_id, &etags).await?;
                guard.client = None;
                Ok(size)
            }
            Err(e) => {
                if let Some(client) = guard.client.take() {
                    abort_upload(&client, bucket, key, &upload_id).await;
                }
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        first: Bytes,
        data: &mut Parts,
    ) -> Result<(u64, Vec<String>)> {
        let mut in_flight: JoinSet<Result<(u32, String)>> = JoinSet::new();
        let result = self
            .send_parts(key, upload_id, first, data, &mut in_flight)
            .await;
        if result.is_err() {
            // Parts still on their way would land after the abort.
            while in_flight.join_next().await.is_some() {}
        }
        result
    }

    async fn send_parts(
        &self,
        key: &str,
        upload_id: &str,
        first: Bytes,
        data: &mut Parts,
        in_flight: &mut JoinSet<Result<(u32, String)>>,
    ) -> Result<(u64, Vec<String>)> {
        let mut etags: Vec<String> = Vec::new();
        let mut size = first.len() as u64;
        let mut part_number = 1u32;
        let mut pending = Some(first);
        loop {
            let part = match pending.take() {
                Some(part) => part,
                None => {
                    let want = self.part_size(part_number);
                    let part = data.next(want).await?;
                    if part.is_empty() {
                        break;
                    }
                    size += part.len() as u64;
                    part
                }
            };
            if part_number > MAX_PARTS {
                return Err(Error::LimitExceeded(format!(
                    "image {key} needs more than {MAX_PARTS} S3 parts"
                )));
            }
            while in_flight.len() >= self.settings.thread_pools {
                record(&mut etags, in_flight.join_next().await)?;
            }
            let client = self.client.clone();
            let (bucket, key, upload_id) = (
                self.settings.bucket.clone(),
                key.to_string(),
                upload_id.to_string(),
            );
            let number = part_number;
            in_flight.spawn(async move {
                let number_text = number.to_string();
                let query = [
                    ("partNumber", number_text.as_str()),
                    ("uploadId", upload_id.as_str()),
                ];
                let mut req = S3Request::new(Method::PUT, &bucket, Some(&key));
                req.query = &query;
                req.body = part;
                let (_, headers, _) = client.call(req).await?;
                let etag = headers
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Error::internal(format!("S3 gave no ETag for part {number} of {key}"))
                    })?;
                Ok((number, etag.to_string()))
            });
            part_number += 1;
        }
        while !in_flight.is_empty() {
            record(&mut etags, in_flight.join_next().await)?;
        }
        Ok((size, etags))
    }

    /// Part `n`'s size: the chunk size, doubled every thousand parts.
    fn part_size(&self, n: u32) -> usize {
        let doublings = ((n - 1) / PARTS_PER_SIZE_STEP).min(10);
        usize::try_from(self.settings.large_object_chunk_size << doublings).unwrap_or(usize::MAX)
    }

    async fn complete(&self, key: &str, upload_id: &str, etags: &[String]) -> Result<()> {
        let mut body = String::from("<CompleteMultipartUpload>");
        for (i, etag) in etags.iter().enumerate() {
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                xml::escape(etag)
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let mut req = S3Request::new(Method::POST, &self.settings.bucket, Some(key));
        let query = [("uploadId", upload_id)];
        req.query = &query;
        req.body = Bytes::from(body);
        self.client.call(req).await.map(drop)
    }

    /// Whether the bucket holds an object named `key`.
    pub async fn contains(&self, key: &str) -> Result<bool> {
        let req = S3Request::new(Method::HEAD, &self.settings.bucket, Some(key));
        let response = self.client.send(req).await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => Err(Error::internal(format!(
                "S3 HEAD {}/{key} answered {s}",
                self.settings.bucket
            ))),
        }
    }

    /// The keys of the objects in the bucket.
    pub async fn object_keys(&self) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut token = String::new();
        loop {
            let mut query = vec![("list-type", "2")];
            if !token.is_empty() {
                query.push(("continuation-token", token.as_str()));
            }
            let mut req = S3Request::new(Method::GET, &self.settings.bucket, None);
            req.query = &query;
            let (_, _, body) = self.client.call(req).await?;
            for object in xml::elements(&body, "Contents") {
                keys.extend(xml::value(object, "Key"));
            }
            let next = xml::value(&body, "NextContinuationToken").unwrap_or_default();
            if xml::value(&body, "IsTruncated").as_deref() != Some("true") || next.is_empty() {
                return Ok(keys);
            }
            token = next;
        }
    }

    /// Multipart uploads in the bucket: (key, upload id, initiated).
    pub async fn list_uploads(&self) -> Result<Vec<(String, String, String)>> {
        self.list_uploads_under("").await
    }

    /// Multipart uploads whose keys begin with `prefix`.
    async fn list_uploads_under(&self, prefix: &str) -> Result<Vec<(String, String, String)>> {
        let mut uploads = Vec::new();
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let mut query = vec![("uploads", "")];
            if !prefix.is_empty() {
                query.push(("prefix", prefix));
            }
            if !key_marker.is_empty() {
                query.push(("key-marker", key_marker.as_str()));
                query.push(("upload-id-marker", id_marker.as_str()));
            }
            let mut req = S3Request::new(Method::GET, &self.settings.bucket, None);
            req.query = &query;
            let (_, _, body) = self.client.call(req).await?;
            for upload in xml::elements(&body, "Upload") {
                uploads.push((
                    xml::value(upload, "Key").unwrap_or_default(),
                    xml::value(upload, "UploadId").unwrap_or_default(),
                    xml::value(upload, "Initiated").unwrap_or_default(),
                ));
            }
            let truncated = xml::value(&body, "IsTruncated").as_deref() == Some("true");
            let next_key = xml::value(&body, "NextKeyMarker").unwrap_or_default();
            if !truncated || next_key.is_empty() {
                return Ok(uploads);
            }
            id_marker = xml::value(&body, "NextUploadIdMarker").unwrap_or_default();
            key_marker = next_key;
        }
    }

    /// `list_uploads_under(prefix)`, or none where the server cannot list
    /// them.
    async fn listable_uploads(&self, prefix: &str) -> Result<Vec<(String, String, String)>> {
        match self.list_uploads_under(prefix).await {
            Err(Error::Internal(m)) if m.contains("NotImplemented") => {
                tracing::debug!(
                    bucket = %self.settings.bucket,
                    "the S3 server cannot list multipart uploads; abandoned uploads are not cleaned"
                );
                Ok(Vec::new())
            }
            other => other,
        }
    }

    async fn create_bucket(&self) -> Result<()> {
        let region = self.client_region();
        let mut req = S3Request::new(Method::PUT, &self.settings.bucket, None);
        if region != "us-east-1" {
            req.body = Bytes::from(format!(
                "<CreateBucketConfiguration><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                xml::escape(&region)
            ));
        }
        match self.client.call(req).await {
            Ok(_) => Ok(()),
            // Another node created it first.
            Err(Error::Internal(m)) if m.contains("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn client_region(&self) -> String {
        if self.settings.region.is_empty() {
            region_of(&self.host)
        } else {
            self.settings.region.clone()
        }
    }
}

/// Aborts a multipart upload when dropped armed: an upload whose request
/// was cancelled (the client went away) leaves no parts behind.
struct AbortGuard {
    client: Option<Arc<S3Client>>,
    bucket: String,
    key: String,
    upload_id: String,
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let (bucket, key, id) = (
                std::mem::take(&mut self.bucket),
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.upload_id),
            );
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    abort_upload(&client, &bucket, &key, &id).await;
                    // A part that was on its way may still land: abort again.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    abort_upload(&client, &bucket, &key, &id).await;
                });
            }
        }
    }
}

async fn abort_upload(client: &S3Client, bucket: &str, key: &str, upload_id: &str) -> bool {
    let query = [("uploadId", upload_id)];
    let mut req = S3Request::new(Method::DELETE, bucket, Some(key));
    req.query = &query;
    match client.call(req).await {
        Ok(_) | Err(Error::NotFound(_)) => true,
        Err(e) => {
            tracing::warn!(bucket, key, error = %e, "could not abort an S3 multipart upload");
            false
        }
    }
}

fn record(
    etags: &mut Vec<String>,
    joined: Option<std::result::Result<Result<(u32, String)>, tokio::task::JoinError>>,
) -> Result<()> {
    let Some(joined) = joined else { return Ok(()) };
    let (number, etag) =
        joined.map_err(|e| Error::internal(format!("S3 part upload failed: {e}")))??;
    let index = (number - 1) as usize;
    if etags.len() <= index {
        etags.resize(index + 1, String::new());
    }
    etags[index] = etag;
    Ok(())
}

/// The upload's input, cut into parts.
struct Parts {
    data: ByteStream,
    /// The input ended: it must not be polled again.
    ended: bool,
}

impl Parts {
    /// Reads until `want` bytes or the input's end (then empty); an input
    /// error is the client's (400).
    async fn next(&mut self, want: usize) -> Result<Bytes> {
        let mut buf = BytesMut::new();
        while buf.len() < want && !self.ended {
            match self.data.next().await {
                None => self.ended = true,
                Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    self.ended = true;
                    return Err(Error::invalid(format!("image data could not be read: {e}")));
                }
            }
        }
        Ok(buf.freeze())
    }
}

/// Virtual-host style for AWS endpoints with DNS-friendly buckets; path
/// style elsewhere (IP addresses, loopback, RGW and MinIO without wildcard
/// DNS).
fn auto_style(host: &str, bucket: &str) -> UrlStyle {
    let dns_bucket = bucket.len() >= 3
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let hostname = host.split(':').next().unwrap_or(host);
    if dns_bucket && hostname.ends_with(".amazonaws.com") {
        UrlStyle::Virtual
    } else {
        UrlStyle::Path
    }
}

/// The region an AWS host names (`s3.eu-west-1.amazonaws.com`,
/// `s3-eu-west-1.amazonaws.com`), else `us-east-1`.
fn region_of(host: &str) -> String {
    let hostname = host.split(':').next().unwrap_or(host);
    if let Some(prefix) = hostname.strip_suffix(".amazonaws.com") {
        let label = prefix.rsplit('.').next().unwrap_or(prefix);
        let region = if label == "s3" {
            prefix.strip_prefix("s3.").and_then(|r| r.split('.').next())
        } else {
            label
                .strip_prefix("s3-")
                .or(Some(label))
                .filter(|r| r.contains('-'))
        };
        if let Some(r) = region.filter(|r| *r != "s3" && r.contains('-')) {
            return r.to_string();
        }
    }
    "us-east-1".into()
}

#[async_trait]
impl Store for S3Store {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn prepare(&self) -> Result<()> {
        let req = S3Request::new(Method::HEAD, &self.settings.bucket, None);
        let response = self.client.send(req).await?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND if self.settings.create_bucket_on_put => self.create_bucket().await,
            StatusCode::NOT_FOUND => Err(Error::internal(format!(
                "S3 bucket '{}' does not exist (set s3_store_create_bucket_on_put = true to create it)",
                self.settings.bucket
            ))),
            s => Err(Error::internal(format!(
                "S3 bucket '{}' cannot be used: {s}",
                self.settings.bucket
            ))),
        }
    }

    async fn add(&self, image_id: &str, data: ByteStream) -> Result<StoredObject> {
        if image_id.is_empty() || image_id.contains(['/', '\\']) || image_id.starts_with('.') {
            return Err(Error::invalid(format!("invalid image id {image_id}")));
        }
        let chunk = usize::try_from(self.settings.large_object_chunk_size).unwrap_or(usize::MAX);
        let mut data = Parts { data, ended: false };
        let first = data.next(chunk).await?;
        let size = if data.ended && (first.len() as u64) < self.settings.large_object_size {
            let size = first.len() as u64;
            self.put_object(image_id, first).await?;
            size
        } else {
            self.put_multipart(image_id, first, &mut data).await?
        };
        Ok(StoredObject {
            location: self.location_of(image_id),
            size,
        })
    }

    async fn get(&self, location: &str, range: Option<ByteRange>) -> Result<ByteStream> {
        let loc = location::parse(location)?;
        let range_header = range.map(|r| format!("bytes={}-{}", r.start, r.end));
        let headers: Vec<(&str, &str)> =
            range_header.iter().map(|h| ("range", h.as_str())).collect();
        let mut req = S3Request::new(Method::GET, &loc.bucket, Some(&loc.key));
        req.headers = &headers;
        let response = self.client.send(req).await?;
        let status = response.status();
        let (_, body) = response.into_parts();
        if !status.is_success() {
            let what = format!("S3 GET {}", location::redact(location));
            let text = read_text(body, self.client.timeout(), &what).await?;
            return Err(match answer_error(&what, status, &text) {
                Error::NotFound(_) => Error::not_found(format!(
                    "Image data not found at {}",
                    location::redact(location)
                )),
                e => e,
            });
        }
        let stream = body
            .into_data_stream()
            .map_err(|e| io::Error::other(format!("S3 download: {e}")));
        Ok(Box::pin(stream))
    }

    async fn delete(&self, location: &str) -> Result<()> {
        let loc = location::parse(location)?;
        let req = S3Request::new(Method::DELETE, &loc.bucket, Some(&loc.key));
        match self.client.call(req).await {
            Ok(_) | Err(Error::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn partial_writes(&self) -> Result<Vec<PartialWrite>> {
        Ok(self
            .listable_uploads("")
            .await?
            .into_iter()
            // Only image ids: the bucket may hold other things.
            .filter(|(key, _, _)| !key.is_empty() && !key.contains('/'))
            .map(|(key, upload_id, _)| PartialWrite {
                image_id: key,
                handle: upload_id,
            })
            .collect())
    }

    async fn remove_partial_write(&self, partial: &PartialWrite) -> Result<()> {
        abort_upload(
            &self.client,
            &self.settings.bucket,
            &partial.image_id,
            &partial.handle,
        )
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_styles_follow_the_host() {
        assert_eq!(region_of("s3.eu-west-1.amazonaws.com"), "eu-west-1");
        assert_eq!(region_of("s3-eu-west-1.amazonaws.com"), "eu-west-1");
        assert_eq!(region_of("s3.amazonaws.com"), "us-east-1");
        assert_eq!(region_of("127.0.0.1:9000"), "us-east-1");
        assert_eq!(auto_style("s3.amazonaws.com", "images"), UrlStyle::Virtual);
        assert_eq!(auto_style("s3.amazonaws.com", "My.Images"), UrlStyle::Path);
        assert_eq!(auto_style("127.0.0.1:9000", "images"), UrlStyle::Path);
    }

    #[test]
    fn settings_are_checked() {
        let ok = S3Settings::new("http://127.0.0.1:9000", "a", "s", "images");
        assert!(S3Store::new(ok.clone()).is_ok());
        assert!(S3Store::new(S3Settings {
            large_object_chunk_size: MIB,
            ..ok.clone()
        })
        .is_err());
        assert!(S3Store::new(S3Settings {
            bucket: String::new(),
            ..ok.clone()
        })
        .is_err());
        assert!(S3Store::new(S3Settings {
            bucket_url_format: "x".into(),
            ..ok.clone()
        })
        .is_err());
        assert!(S3Store::new(S3Settings {
            host: "http://127.0.0.1:9000/path".into(),
            ..ok.clone()
        })
        .is_err());
        let missing = S3Store::new(S3Settings {
            host: "https://s3.amazonaws.com".into(),
            cacert: Some("/nonexistent/ca.pem".into()),
            ..ok.clone()
        });
        let Err(e) = missing else {
            panic!("a missing CA file was accepted")
        };
        assert!(e.message().contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn https_endpoints_give_s3_https_locations() {
        let ok = S3Settings::new("http://127.0.0.1:9000", "a", "s", "images");
        let plain = S3Store::new(ok.clone()).unwrap();
        assert_eq!(plain.location_of("id"), "s3://a:s@127.0.0.1:9000/images/id");
        let tls = S3Store::new(S3Settings {
            host: "https://s3.example:8443/".into(),
            ..ok
        })
        .unwrap();
        assert_eq!(
            tls.location_of("id"),
            "s3+https://a:s@s3.example:8443/images/id"
        );
    }
}
