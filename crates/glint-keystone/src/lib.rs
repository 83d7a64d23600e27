//! Keystone token validation for the Image API, as keystonemiddleware's
//! `auth_token` does it: each request's `X-Auth-Token` (and optional
//! `X-Service-Token`) is validated with `GET /v3/auth/tokens`, using the
//! image service's own token from `[keystone_authtoken]`.
//!
//! - Invalid, expired or revoked token → [`AuthFailure::Unauthorized`].
//! - Keystone down, slow or refusing the service's own credentials →
//!   [`AuthFailure::Unavailable`]; never a silent pass.
//! - Validated tokens are cached for `token_cache_time` seconds (never past
//!   their expiry), so a revocation takes effect within that time.

mod cache;
mod http;
pub mod token;

use std::time::Duration;

use chrono::{DateTime, Utc};
use glint_config::KeystoneAuthtoken;
use hyper::{Method, StatusCode};
use serde_json::json;
use tokio::sync::Mutex;

use cache::TokenCache;
use http::{HttpClient, Unreachable};
pub use token::TokenInfo;

/// Most validated tokens remembered at once.
const CACHE_CAPACITY: usize = 10_000;
/// The service's own token is renewed this long before it expires.
const RENEW_MARGIN_SECONDS: i64 = 120;

/// Why a request could not be authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No token, or one Keystone does not accept (→ 401).
    Unauthorized,
    /// Keystone could not be asked (→ 503). The text is for the log.
    Unavailable(String),
}

/// A request's validated identity: the user's token and, when a service
/// forwarded the request, the service's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub user: TokenInfo,
    pub service: Option<TokenInfo>,
}

struct ServiceToken {
    id: String,
    expires_at: DateTime<Utc>,
}

pub struct Keystone {
    settings: KeystoneAuthtoken,
    http: HttpClient,
    cache: TokenCache,
    own_token: Mutex<Option<ServiceToken>>,
}

impl Keystone {
    pub fn new(settings: KeystoneAuthtoken) -> Self {
        Keystone {
            http: HttpClient::new(Duration::from_secs(settings.http_connect_timeout)),
            cache: TokenCache::new(settings.token_cache_time, CACHE_CAPACITY),
            own_token: Mutex::new(None),
            settings,
        }
    }

    /// The identity endpoint clients are told to authenticate with.
    pub fn www_authenticate_uri(&self) -> &str {
        &self.settings.www_authenticate_uri
    }

    /// Validates a request's tokens.
    pub async fn authenticate(
        &self,
        user_token: Option<&str>,
        service_token: Option<&str>,
    ) -> Result<Authenticated, AuthFailure> {
        let user_token = user_token
            .filter(|t| !t.is_empty())
            .ok_or(AuthFailure::Unauthorized)?;
        let user = self.validate(user_token).await?;
        let service = match service_token.filter(|t| !t.is_empty()) {
            None => None,
            Some(token) => {
                let service = self.validate(token).await?;
                if self.settings.service_token_roles_required
                    && !service
                        .roles
                        .iter()
                        .any(|r| self.settings.service_token_roles.contains(r))
                {
                    tracing::warn!("service token lacks every role of service_token_roles");
                    return Err(AuthFailure::Unauthorized);
                }
                Some(service)
            }
        };
        Ok(Authenticated { user, service })
    }

    /// Validates one token, from the cache when it can.
    pub async fn validate(&self, token: &str) -> Result<TokenInfo, AuthFailure> {
        let now = Utc::now();
        if let Some(info) = self.cache.get(token, now) {
            return Ok(info);
        }
        let mut renewed = false;
        loop {
            let own = self.own_token(renewed).await?;
            let url = format!("{}/auth/tokens", self.settings.auth_url);
            let response = self
                .http
                .send(
                    Method::GET,
                    &url,
                    &[("x-auth-token", &own), ("x-subject-token", token)],
                    None,
                )
                .await
                .map_err(unavailable)?;
            match response.status {
                StatusCode::OK => {
                    let info = token::parse(&response.body).ok_or_else(|| {
                        AuthFailure::Unavailable("Keystone answered with no token".into())
                    })?;
                    let now = Utc::now();
                    if info.expires_at <= now {
                        return Err(AuthFailure::Unauthorized);
                    }
                    self.cache.put(token, &info, now);
                    return Ok(info);
                }
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => {
                    return Err(AuthFailure::Unauthorized)
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN if !renewed => {
                    // Our own token was revoked or expired early: renew once.
                    self.forget_own_token().await;
                    renewed = true;
                }
                status => {
                    return Err(AuthFailure::Unavailable(format!(
                        "Keystone answered {status} to a token validation"
                    )))
                }
            }
        }
    }

    async fn forget_own_token(&self) {
        *self.own_token.lock().await = None;
    }

    /// The image service's own token, fetched or renewed as needed.
    async fn own_token(&self, force: bool) -> Result<String, AuthFailure> {
        let mut slot = self.own_token.lock().await;
        let margin = chrono::Duration::seconds(RENEW_MARGIN_SECONDS);
        if let Some(t) = slot.as_ref() {
            if !force && t.expires_at - margin > Utc::now() {
                return Ok(t.id.clone());
            }
        }
        let fresh = self.issue_own_token().await?;
        let id = fresh.id.clone();
        *slot = Some(fresh);
        Ok(id)
    }

    async fn issue_own_token(&self) -> Result<ServiceToken, AuthFailure> {
        let s = &self.settings;
        let domain = |id: &Option<String>, name: &str| match id {
            Some(id) => json!({"id": id}),
            None => json!({"name": name}),
        };
        let body = json!({"auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {
                    "name": s.username,
                    "domain": domain(&s.user_domain_id, &s.user_domain_name),
                    "password": s.password,
                }}
            },
            "scope": {"project": {
                "name": s.project_name,
                "domain": domain(&s.project_domain_id, &s.project_domain_name),
            }}
        }});
        let url = format!("{}/auth/tokens", s.auth_url);
        let response = self
            .http
            .send(Method::POST, &url, &[], Some(&body))
            .await
            .map_err(unavailable)?;
        if response.status != StatusCode::CREATED && response.status != StatusCode::OK {
            tracing::error!(
                status = %response.status,
                user = %s.username,
                "Keystone refused the image service's own credentials ([keystone_authtoken])"
            );
            return Err(AuthFailure::Unavailable(format!(
                "Keystone answered {} to the service's own credentials",
                response.status
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
        Ok(ServiceToken { id, expires_at })
    }
}

fn unavailable(e: Unreachable) -> AuthFailure {
    AuthFailure::Unavailable(e.0)
}
