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

use axum::http::HeaderMap;
use glint_domain::{Error, RequestContext};
use percent_encoding::percent_decode_str;

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
        ..RequestContext::default()
    })
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
    fn unconfirmed_identity_is_unauthorized() {
        let err = context_from_headers(&headers(&[("x-identity-status", "Invalid")]), "r".into());
        assert!(matches!(err, Err(Error::Unauthorized(_))));
    }
}
