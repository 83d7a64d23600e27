//! A small client for driving the app in-process: `get`, `post_json`,
//! `patch`, `put`, `delete`, each returning status, headers and JSON.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use glint_api::AppState;
use glint_config::Config;
use glint_service::Services;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    app: Router,
    services: Services,
    _dir: tempfile::TempDir,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Who sends a request.
#[derive(Clone, Copy)]
pub enum As {
    /// No identity headers: the default admin.
    Anonymous,
    Member(&'static str),
    Reader(&'static str),
    Admin(&'static str),
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(Config::defaults()).await
    }

    pub async fn with_config(mut config: Config) -> Self {
        let dir = tempfile::tempdir().unwrap();
        config.filesystem_store_datadir = dir.path().join("images");
        config.import.staging_dir = dir.path().join("staging");
        let repo: Arc<dyn glint_db::Repository> = Arc::new(
            glint_db::sqlite::SqliteRepository::open(None)
                .await
                .unwrap(),
        );
        if !config.stores.is_empty() {
            for (i, store) in config.stores.iter_mut().enumerate() {
                store.filesystem_store_datadir = dir.path().join(format!("store-{i}"));
            }
        }
        let stores = glint_service::stores::open(&config).await.unwrap();
        let auth = match &config.keystone {
            Some(k) => glint_api::auth::Authenticator::Keystone(Arc::new(
                glint_keystone::Keystone::new(k.clone()).unwrap(),
            )),
            None => glint_api::auth::Authenticator::Noauth,
        };
        let (policy, _) = glint_service::Policy::from_config(&config.policy).unwrap();
        let services = Services::new(Arc::new(config), repo, stores, Arc::new(policy)).unwrap();
        TestApp {
            app: glint_api::app(AppState::with_auth(services.clone(), auth)),
            services,
            _dir: dir,
        }
    }

    /// The app itself, e.g. to serve it on a real port.
    pub fn router(&self) -> Router {
        self.app.clone()
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub async fn request(
        &self,
        who: As,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Option<String>,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let body = body.map(Body::from).unwrap_or_else(Body::empty);
        self.request_with_body(who, method, uri, content_type, body, extra)
            .await
    }

    pub async fn request_with_body(
        &self,
        who: As,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Body,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "glint.test:9292");
        let (project, roles) = match who {
            As::Anonymous => (None, None),
            As::Member(p) => (Some(p), Some("member")),
            As::Reader(p) => (Some(p), Some("reader")),
            As::Admin(p) => (Some(p), Some("admin")),
        };
        if let Some(p) = project {
            builder = builder
                .header("x-project-id", p)
                .header("x-user-id", format!("user-{p}"))
                .header("x-identity-status", "Confirmed");
        }
        if let Some(r) = roles {
            builder = builder.header("x-roles", r);
        }
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        // Like curl: `Accept: */*` unless the test says otherwise.
        if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            builder = builder.header("accept", "*/*");
        }
        // An empty value leaves the header out.
        for (k, v) in extra.iter().filter(|(_, v)| !v.is_empty()) {
            builder = builder.header(*k, *v);
        }
        let request = builder.body(body).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            body: bytes.to_vec(),
        }
    }

    pub async fn get(&self, who: As, uri: &str) -> TestResponse {
        self.request(who, Method::GET, uri, None, None, &[]).await
    }

    pub async fn post_json(&self, who: As, uri: &str, body: Value) -> TestResponse {
        self.request(
            who,
            Method::POST,
            uri,
            Some("application/json"),
            Some(body.to_string()),
            &[],
        )
        .await
    }

    pub async fn post(&self, who: As, uri: &str) -> TestResponse {
        self.request(who, Method::POST, uri, None, None, &[]).await
    }

    pub async fn patch(&self, who: As, uri: &str, ops: Value) -> TestResponse {
        self.request(
            who,
            Method::PATCH,
            uri,
            Some("application/openstack-images-v2.1-json-patch"),
            Some(ops.to_string()),
            &[],
        )
        .await
    }

    pub async fn put(&self, who: As, uri: &str) -> TestResponse {
        self.request(who, Method::PUT, uri, None, None, &[]).await
    }

    pub async fn delete(&self, who: As, uri: &str) -> TestResponse {
        self.request(who, Method::DELETE, uri, None, None, &[])
            .await
    }

    /// Creates an image and returns its JSON, asserting 201.
    pub async fn create_image(&self, who: As, body: Value) -> Value {
        let r = self.post_json(who, "/v2/images", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()
    }
}

impl TestApp {
    /// `PUT …/file` with `data` as application/octet-stream.
    pub async fn upload(&self, who: As, image_id: &str, data: Vec<u8>) -> TestResponse {
        let len = data.len().to_string();
        self.request_with_body(
            who,
            Method::PUT,
            &format!("/v2/images/{image_id}/file"),
            Some("application/octet-stream"),
            Body::from(data),
            &[("content-length", &len)],
        )
        .await
    }

    /// Every file below the data folder, for checking nothing is left.
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = vec![];
        walk(self.data_dir(), &mut out);
        out
    }
}
