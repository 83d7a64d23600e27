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
pub mod http;
pub mod limits;
pub mod session;
pub mod token;

use std::time::Duration;

use chrono::Utc;
use glint_config::KeystoneAuthtoken;
use glint_http_client::{TlsError, Trust};
use hyper::{Method, StatusCode};

use cache::TokenCache;
use http::{HttpClient, Unreachable};
use session::{Credentials, Domain, Scope, Session};
pub use token::TokenInfo;

/// Most validated tokens remembered at once.
const CACHE_CAPACITY: usize = 10_000;

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

pub struct Keystone {
    settings: KeystoneAuthtoken,
    session: Session,
    cache: TokenCache,
}

/// Whom `[keystone_authtoken]` trusts over https: keystoneauth's rule,
/// `insecure` first, then `cafile`, else the system's CAs.
pub fn trust(settings: &KeystoneAuthtoken) -> Trust {
    Trust::insecure_first(settings.cafile.clone(), settings.insecure)
}

impl Keystone {
    /// Errors: `cafile` cannot be read or holds no certificate.
    pub fn new(settings: KeystoneAuthtoken) -> Result<Self, TlsError> {
        let http = HttpClient::new(
            Duration::from_secs(settings.http_connect_timeout),
            &trust(&settings),
        )
        .map_err(|e| TlsError(format!("[keystone_authtoken] cafile: {e}")))?;
        let domain = |id: &Option<String>, name: &str| match id {
            Some(id) => Domain::Id(id.clone()),
            None => Domain::Name(name.to_string()),
        };
        let credentials = Credentials {
            auth_url: settings.auth_url.clone(),
            username: settings.username.clone(),
            password: settings.password.clone(),
            user_domain: domain(&settings.user_domain_id, &settings.user_domain_name),
            scope: Scope::Project {
                name: settings.project_name.clone(),
                domain: domain(&settings.project_domain_id, &settings.project_domain_name),
            },
        };
        Ok(Keystone {
            session: Session::new(http, credentials),
            cache: TokenCache::new(settings.token_cache_time, CACHE_CAPACITY),
            settings,
        })
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

    /// The image service's own token (`[keystone_authtoken]` username and
    /// project), for calls it makes on its own behalf.
    pub async fn service_token(&self, renew: bool) -> Result<String, AuthFailure> {
        self.session.token(renew).await
    }

    /// Validates one token, from the cache when it can.
    pub async fn validate(&self, token: &str) -> Result<TokenInfo, AuthFailure> {
        let now = Utc::now();
        if let Some(info) = self.cache.get(token, now) {
            return Ok(info);
        }
        let mut renewed = false;
        loop {
            let own = self.session.token(renewed).await?;
            let url = format!("{}/auth/tokens", self.settings.auth_url);
            let response = self
                .session
                .http()
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
}

fn unavailable(e: Unreachable) -> AuthFailure {
    AuthFailure::Unavailable(e.0)
}
