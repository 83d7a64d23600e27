//! Signing in to the page when Glint validates Keystone tokens.
//!
//! The sign-in form's user name and password get a project-scoped token
//! from Keystone; the token is kept in an HttpOnly, SameSite=Strict cookie
//! and nowhere else (so every Glint process behind a balancer understands
//! it). [`from_cookie`] turns the cookie back into `X-Auth-Token` before
//! the shared auth layer validates it. Writes made with the cookie must
//! carry `X-CSRFToken`, a digest of the token the page learns from
//! `GET /dashboard/session` and a cross-site page cannot.
//!
//! With noauth there is nothing to sign in to: the page works directly.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use glint_api::auth::{Authenticator, Caller};
use glint_api::AppState;
use glint_keystone::http::HttpClient;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::body::json_object;
use crate::error::{absent, DashError, DashResult};

/// The session cookie's name.
pub const COOKIE: &str = "glint_session";
/// The header writes made with the cookie carry.
pub const CSRF_HEADER: &str = "x-csrftoken";

/// The CSRF token that goes with a session's Keystone token.
pub fn csrf_token(token: &str) -> String {
    let digest = Sha256::digest(format!("glint-dashboard-csrf\0{token}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Middleware: a request that brings no `X-Auth-Token` but the session
/// cookie is authenticated with the cookie's token; unless it only reads,
/// it must carry the matching `X-CSRFToken` (403 otherwise).
pub async fn from_cookie(mut request: Request, next: Next) -> Response {
    if request.headers().contains_key("x-auth-token") {
        return next.run(request).await;
    }
    if let Some(token) = cookie_token(request.headers()) {
        let reads = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        let csrf_ok = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == csrf_token(&token));
        if !reads && !csrf_ok {
            return DashError::new(StatusCode::FORBIDDEN, "CSRF token missing or incorrect.")
                .into_response();
        }
        if let Ok(v) = HeaderValue::from_str(&token) {
            request.headers_mut().insert("x-auth-token", v);
        }
    }
    next.run(request).await
}

fn session_cookie(state: &AppState, value: &str, max_age: Option<u64>) -> String {
    let secure = state
        .config
        .public_endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("https://"));
    let mut cookie = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// `POST /dashboard/login` with `{"username", "password", "project",
/// "domain"}` (domain `Default` when left out) — gets a token for that
/// project from Keystone and sets the session cookie. 400 missing fields
/// or a noauth server; 401 refused; 503 Keystone unreachable.
pub async fn login(State(state): State<AppState>, body: axum::body::Bytes) -> DashResult<Response> {
    let Some(keystone) = &state.config.keystone else {
        return Err(DashError::bad_request(
            "This server trusts identity headers (noauth): there is nothing to sign in to.",
        ));
    };
    let form = json_object(&body)?;
    let missing = absent(&form, &["username", "password", "project"]);
    if !missing.is_empty() {
        return Err(DashError::missing(&missing));
    }
    let text = |k: &str| form.get(k).and_then(Value::as_str).unwrap_or_default();
    let domain = match text("domain") {
        "" => "Default",
        d => d,
    };
    let request = json!({"auth": {
        "identity": {
            "methods": ["password"],
            "password": {"user": {
                "name": text("username"),
                "domain": {"name": domain},
                "password": text("password"),
            }}
        },
        "scope": {"project": {"name": text("project"), "domain": {"name": domain}}},
    }});
    let timeout = Duration::from_secs(keystone.http_connect_timeout.max(5));
    let http = HttpClient::new(timeout, &glint_keystone::trust(keystone)).map_err(|e| {
        tracing::error!(error = %e, "no client for Keystone");
        DashError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The identity service cannot be reached; try again later.",
        )
    })?;
    let url = format!("{}/auth/tokens", keystone.auth_url);
    let answer = http
        .send(Method::POST, &url, &[], Some(&request))
        .await
        .map_err(|e| {
            tracing::error!(error = %e.0, "cannot reach Keystone to sign in");
            DashError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The identity service cannot be reached; try again later.",
            )
        })?;
    let token = match answer.status.as_u16() {
        200 | 201 => answer
            .headers
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        401 | 403 | 404 => {
            return Err(DashError::new(
                StatusCode::UNAUTHORIZED,
                "The user name or password is wrong, or the user has no role in that project.",
            ))
        }
        status => {
            tracing::error!(status, "Keystone refused a sign-in");
            None
        }
    };
    let Some(token) = token else {
        return Err(DashError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The identity service did not issue a token; try again later.",
        ));
    };
    let mut response = Json(json!({
        "user": text("username"),
        "project": text("project"),
        "csrf_token": csrf_token(&token),
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &token, None)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `POST /dashboard/logout` — forgets the session cookie. 204.
pub async fn logout(State(state): State<AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", Some(0))) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `GET /dashboard/session` — who the page acts as: `auth` (`keystone` or
/// `noauth`), the user, project and roles, and the CSRF token for writes.
/// 401 `"not logged in"` when Keystone is on and there is no valid session.
pub async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
) -> Json<Value> {
    let auth = match state.auth {
        Authenticator::Noauth => "noauth",
        Authenticator::Keystone(_) => "keystone",
    };
    Json(json!({
        "auth": auth,
        "user_id": ctx.user_id,
        "project_id": ctx.project_id,
        "roles": ctx.roles,
        "is_admin": ctx.is_admin,
        "csrf_token": cookie_token(&headers).map(|t| csrf_token(&t)),
    }))
}
