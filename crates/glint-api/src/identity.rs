//! Who is calling, in noauth mode: the headers a Keystone middleware would
//! have set are trusted as they come.
//!
//! - `X-Identity-Status` other than `Confirmed` → 401, as Glance answers.
//! - `X-Project-Id` (or the older `X-Tenant-Id`), `X-User-Id`, `X-Roles`
//!   (comma-separated; percent-encoded values are decoded) make the context.
//! - Roles imply as Keystone's defaults do: admin ⊃ member ⊃ reader.
//! - A request with no identity headers at all is an admin of the default
//!   project, so that CLIs work against a bare `glint serve` with a dummy
//!   token.
//! - `X-Service-Catalog` (JSON, as keystonemiddleware sets it) is the
//!   caller's catalog; the token and the identity headers are kept to be
//!   sent on to another service that acts for the caller (glance-download).

use axum::http::HeaderMap;
use glint_domain::{Error, OnBehalf, RequestContext, ServiceCatalog};
use percent_encoding::percent_decode_str;

/// The headers a noauth caller's identity is made of; another Glint in
/// noauth mode sees the same caller when they are sent on as they came.
const FORWARDED: [&str; 7] = [
    "x-auth-token",
    "x-identity-status",
    "x-project-id",
    "x-tenant-id",
    "x-user-id",
    "x-user",
    "x-roles",
];

/// The project that owns what identity-less requests create.
pub const DEFAULT_PROJECT: &str = "default";

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            percent_decode_str(v.trim())
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|v| !v.is_empty())
}

pub fn context_from_headers(
    headers: &HeaderMap,
    request_id: String,
) -> Result<RequestContext, Error> {
    if let Some(status) = header(headers, "x-identity-status") {
        if status != "Confirmed" {
            return Err(Error::Unauthorized(
                "The request you have made requires authentication.".into(),
            ));
        }
    }
    let service_catalog = service_catalog(headers)?;
    let on_behalf = OnBehalf {
        headers: FORWARDED
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?.to_str().ok()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect(),
    };
    let project = header(headers, "x-project-id").or_else(|| header(headers, "x-tenant-id"));
    let user = header(headers, "x-user-id").or_else(|| header(headers, "x-user"));
    let roles_header = header(headers, "x-roles");
    if project.is_none() && user.is_none() && roles_header.is_none() {
        return Ok(RequestContext {
            request_id,
            user_id: None,
            project_id: Some(DEFAULT_PROJECT.to_string()),
            roles: expand_roles(["admin"]),
            is_admin: true,
            service_catalog,
            on_behalf,
            ..RequestContext::default()
        });
    }
    let named: Vec<String> = roles_header
        .unwrap_or_default()
        .split(',')
        .map(|r| r.trim().to_ascii_lowercase())
        .filter(|r| !r.is_empty())
        .collect();
    let roles = expand_roles(named.iter().map(String::as_str));
    let is_admin = roles.iter().any(|r| r == "admin");
    Ok(RequestContext {
        request_id,
        user_id: user,
        project_id: project,
        roles,
        is_admin,
        service_catalog,
        on_behalf,
        ..RequestContext::default()
    })
}

/// `X-Service-Catalog`, when sent. Glance refuses a catalog that is not
/// JSON (with 500); Glint answers 400, the caller's mistake.
fn service_catalog(headers: &HeaderMap) -> Result<Option<ServiceCatalog>, Error> {
    let Some(raw) = headers.get("x-service-catalog") else {
        return Ok(None);
    };
    let invalid = || Error::invalid("Invalid service catalog json.");
    let value: serde_json::Value = serde_json::from_slice(raw.as_bytes()).map_err(|_| invalid())?;
    ServiceCatalog::from_json(&value)
        .map(Some)
        .map_err(|_| invalid())
}

/// Adds the roles Keystone's default implications give.
fn expand_roles<'a>(named: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    let mut add = |r: &str| {
        if !roles.iter().any(|x| x == r) {
            roles.push(r.to_string());
        }
    };
    for role in named {
        add(role);
        match role {
            "admin" => {
                add("member");
                add("reader");
            }
            "member" => add("reader"),
            _ => {}
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn no_headers_is_admin_of_default_project() {
        let ctx = context_from_headers(&HeaderMap::new(), "r".into()).unwrap();
        assert!(ctx.is_admin);
        assert_eq!(ctx.project_id.as_deref(), Some(DEFAULT_PROJECT));
    }

    #[test]
    fn roles_are_decoded_and_implied() {
        let ctx = context_from_headers(
            &headers(&[("x-project-id", "p1"), ("x-roles", "member%2Cfoo")]),
            "r".into(),
        )
        .unwrap();
        assert_eq!(ctx.roles, vec!["member", "reader", "foo"]);
        assert!(!ctx.is_admin);
        let ctx = context_from_headers(
            &headers(&[("x-tenant-id", "p2"), ("x-roles", "Admin")]),
            "r".into(),
        )
        .unwrap();
        assert!(ctx.is_admin);
        assert_eq!(ctx.project_id.as_deref(), Some("p2"));
    }

    #[test]
    fn catalog_and_identity_are_kept_for_calls_on_the_callers_behalf() {
        let ctx = context_from_headers(
            &headers(&[
                ("x-auth-token", "tok"),
                ("x-project-id", "p1"),
                ("x-roles", "member"),
                ("x-service-catalog", r#"[{"type": "image", "endpoints": [{"region": "R2", "publicURL": "http://r2:9292"}]}]"#),
                ("x-other", "not sent on"),
            ]),
            "r".into(),
        )
        .unwrap();
        assert_eq!(
            ctx.service_catalog
                .unwrap()
                .url_for("image", "R2", "public"),
            Some("http://r2:9292")
        );
        let sent: Vec<&str> = ctx
            .on_behalf
            .headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(sent, ["x-auth-token", "x-project-id", "x-roles"]);
        assert!(!format!("{:?}", ctx.on_behalf).contains("\"tok\""));
        for bad in ["not json", r#""a string""#] {
            let err = context_from_headers(&headers(&[("x-service-catalog", bad)]), "r".into());
            assert!(matches!(err, Err(Error::InvalidInput(_))), "{bad}");
        }
    }

    #[test]
    fn unconfirmed_identity_is_unauthorized() {
        let err = context_from_headers(&headers(&[("x-identity-status", "Invalid")]), "r".into());
        assert!(matches!(err, Err(Error::Unauthorized(_))));
    }
}
