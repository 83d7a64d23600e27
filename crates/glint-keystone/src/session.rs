//! A token of Glint's own, from a password in the configuration, renewed
//! before it expires: what keystoneauth's password plugin does for Glance.

use chrono::{DateTime, Utc};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::http::HttpClient;
use crate::token;
use crate::AuthFailure;

/// The token is renewed this long before it expires.
const RENEW_MARGIN_SECONDS: i64 = 120;

/// What a token of Glint's own is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Project { name: String, domain: Domain },
    System,
}

/// A domain named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Id(String),
    Name(String),
}

impl Domain {
    fn json(&self) -> Value {
        match self {
            Domain::Id(id) => json!({"id": id}),
            Domain::Name(name) => json!({"name": name}),
        }
    }
}

/// A user and password, and the scope to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The identity v3 endpoint, without a trailing slash.
    pub auth_url: String,
    pub username: String,
    pub password: String,
    pub user_domain: Domain,
    pub scope: Scope,
}

struct Issued {
    id: String,
    expires_at: DateTime<Utc>,
}

pub struct Session {
    http: HttpClient,
    credentials: Credentials,
    current: Mutex<Option<Issued>>,
}

impl Session {
    pub fn new(http: HttpClient, credentials: Credentials) -> Self {
        Session {
            http,
            credentials,
            current: Mutex::new(None),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn auth_url(&self) -> &str {
        &self.credentials.auth_url
    }

    /// The current token, issuing a new one when there is none, it is about
    /// to expire, or `renew` asks for it (the last one was refused).
    pub async fn token(&self, renew: bool) -> Result<String, AuthFailure> {
        let mut slot = self.current.lock().await;
        let margin = chrono::Duration::seconds(RENEW_MARGIN_SECONDS);
        if let Some(t) = slot.as_ref() {
            if !renew && t.expires_at - margin > Utc::now() {
                return Ok(t.id.clone());
            }
        }
        let fresh = self.issue().await?;
        let id = fresh.id.clone();
        *slot = Some(fresh);
        Ok(id)
    }

    /// `GET {auth_url}{path}` with Glint's own token, renewing it once if
    /// Keystone refuses it.
    pub async fn get(&self, path: &str) -> Result<(StatusCode, Value), AuthFailure> {
        let url = format!("{}{path}", self.credentials.auth_url);
        let mut renew = false;
        loop {
            let own = self.token(renew).await?;
            let response = self
                .http
                .send(Method::GET, &url, &[("x-auth-token", &own)], None)
                .await
                .map_err(|e| AuthFailure::Unavailable(e.0))?;
            if response.status == StatusCode::UNAUTHORIZED && !renew {
                renew = true;
                continue;
            }
            return Ok((response.status, response.body));
        }
    }

    async fn issue(&self) -> Result<Issued, AuthFailure> {
        let c = &self.credentials;
        let scope = match &c.scope {
            Scope::Project { name, domain } => {
                json!({"project": {"name": name, "domain": domain.json()}})
            }
            Scope::System => json!({"system": {"all": true}}),
        };
        let body = json!({"auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {
                    "name": c.username,
                    "domain": c.user_domain.json(),
                    "password": c.password,
                }}
            },
            "scope": scope,
        }});
        let url = format!("{}/auth/tokens", c.auth_url);
        let response = self
            .http
            .send(Method::POST, &url, &[], Some(&body))
            .await
            .map_err(|e| AuthFailure::Unavailable(e.0))?;
        if response.status != StatusCode::CREATED && response.status != StatusCode::OK {
            tracing::error!(
                status = %response.status,
                user = %c.username,
                "Keystone refused Glint's own credentials"
            );
            return Err(AuthFailure::Unavailable(format!(
                "Keystone answered {} to Glint's own credentials (user {})",
                response.status, c.username
            )));
        }
        let id = response
            .headers
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| AuthFailure::Unavailable("Keystone issued no token".into()))?;
        let expires_at = token::parse(&response.body)
            .map(|t| t.expires_at)
            .unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(5));
        Ok(Issued { id, expires_at })
    }
}
