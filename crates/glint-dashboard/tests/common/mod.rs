//! Drives the dashboard in-process: requests as a project's member, admin
//! or the identity-less default admin, answers with status, headers and
//! JSON.

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
    pub services: Services,
    _dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
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
    /// No identity headers: noauth's default admin.
    Anyone,
    Member(&'static str),
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
        let stores = glint_service::stores::open(&config).await.unwrap();
        let (policy, _) = glint_service::Policy::from_config(&config.policy).unwrap();
        let services = Services::new(Arc::new(config), repo, stores, Arc::new(policy)).unwrap();
        TestApp {
            app: glint_dashboard::app(AppState::new(services.clone())),
            services,
            _dir: dir,
        }
    }

    /// Loads the standard metadefs catalogs from `../shared/metadefs`.
    pub async fn load_metadefs(&self) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/metadefs");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let doc: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                self.services
                    .metadefs
                    .load_document(&doc, glint_service::metadefs::LoadMode::Skip)
                    .await
                    .unwrap();
            }
        }
    }

    pub async fn send(
        &self,
        who: As,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(uri);
        // As the page's scripts do, unless the test says otherwise (an
        // empty value leaves the header out).
        let ajax = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-requested-with"))
            .map_or("XMLHttpRequest", |(_, v)| *v);
        if !ajax.is_empty() {
            builder = builder.header("x-requested-with", ajax);
        }
        let (project, role) = match who {
            As::Anyone => (None, None),
            As::Member(p) => (Some(p), Some("member")),
            As::Admin(p) => (Some(p), Some("admin")),
        };
        if let (Some(p), Some(r)) = (project, role) {
            builder = builder
                .header("x-project-id", p)
                .header("x-user-id", format!("user-{p}"))
                .header("x-roles", r);
        }
        for (k, v) in headers {
            if !k.eq_ignore_ascii_case("x-requested-with") {
                builder = builder.header(*k, *v);
            }
        }
        let response = self
            .app
            .clone()
            .oneshot(builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, who: As, uri: &str) -> Answer {
        self.send(who, Method::GET, uri, &[], Body::empty()).await
    }

    pub async fn json(&self, who: As, method: Method, uri: &str, body: Value) -> Answer {
        self.send(
            who,
            method,
            uri,
            &[("content-type", "application/json")],
            Body::from(body.to_string()),
        )
        .await
    }

    /// Uploads `data` with the form `fields` (multipart, `data` last).
    pub async fn upload(&self, who: As, fields: &[(&str, &str)], data: &[u8]) -> Answer {
        let boundary = "glint-test-boundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"x.img\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send(
            who,
            Method::POST,
            "/api/glance/images/",
            &[("content-type", &content_type)],
            Body::from(body),
        )
        .await
    }
}
