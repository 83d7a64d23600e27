//! What a Keystone v3 token says about its holder (`GET /v3/auth/tokens`).

use chrono::{DateTime, Utc};
use glint_domain::ServiceCatalog;
use serde_json::Value;

/// The identity a validated token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub user_id: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_id: Option<String>,
    pub project_domain_id: Option<String>,
    /// Set for a domain-scoped token.
    pub domain_id: Option<String>,
    /// `all` for a system-scoped token.
    pub system_scope: Option<String>,
    /// Role names (lower case) as Keystone expanded them.
    pub roles: Vec<String>,
    pub expires_at: DateTime<Utc>,
    /// The token's service catalog (validation asks for it, as
    /// keystonemiddleware does unless told otherwise).
    pub catalog: ServiceCatalog,
}

fn string_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, key| v.get(key))?.as_str()
}

/// Reads the `{"token": {...}}` document; `None` if it is not one.
pub fn parse(body: &Value) -> Option<TokenInfo> {
    let token = body.get("token")?;
    let expires_at = DateTime::parse_from_rfc3339(token.get("expires_at")?.as_str()?)
        .ok()?
        .with_timezone(&Utc);
    let owned = |path: &[&str]| string_at(token, path).map(str::to_string);
    let system_scope = match token.get("system") {
        Some(system) if system.get("all").and_then(Value::as_bool) == Some(true) => {
            Some("all".to_string())
        }
        _ => None,
    };
    let roles = token
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(|r| r.get("name").and_then(Value::as_str))
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    Some(TokenInfo {
        user_id: owned(&["user", "id"]),
        user_domain_id: owned(&["user", "domain", "id"]),
        project_id: owned(&["project", "id"]),
        project_domain_id: owned(&["project", "domain", "id"]),
        domain_id: owned(&["domain", "id"]),
        system_scope,
        roles,
        expires_at,
        catalog: token
            .get("catalog")
            .and_then(|c| ServiceCatalog::from_json(c).ok())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn project_token() {
        let body = json!({"token": {
            "expires_at": "2030-01-02T03:04:05.000000Z",
            "user": {"id": "u1", "name": "alice", "domain": {"id": "default", "name": "Default"}},
            "project": {"id": "p1", "name": "alpha", "domain": {"id": "default", "name": "Default"}},
            "roles": [{"id": "r1", "name": "Member"}, {"id": "r2", "name": "reader"}],
            "methods": ["password"],
            "catalog": [{"type": "image", "endpoints": [
                {"interface": "public", "region_id": "RegionTwo", "url": "http://two:9292"}]}]
        }});
        let info = parse(&body).unwrap();
        assert_eq!(info.user_id.as_deref(), Some("u1"));
        assert_eq!(info.project_id.as_deref(), Some("p1"));
        assert_eq!(info.project_domain_id.as_deref(), Some("default"));
        assert_eq!(info.roles, vec!["member", "reader"]);
        assert_eq!(info.system_scope, None);
        assert_eq!(info.expires_at.to_rfc3339(), "2030-01-02T03:04:05+00:00");
        assert_eq!(
            info.catalog.url_for("image", "RegionTwo", "public"),
            Some("http://two:9292")
        );
    }

    #[test]
    fn system_token() {
        let body = json!({"token": {
            "expires_at": "2030-01-02T03:04:05Z",
            "user": {"id": "u1"},
            "system": {"all": true},
            "roles": [{"name": "admin"}]
        }});
        let info = parse(&body).unwrap();
        assert_eq!(info.system_scope.as_deref(), Some("all"));
        assert_eq!(info.project_id, None);
    }

    #[test]
    fn not_a_token() {
        assert_eq!(parse(&json!({"error": {}})), None);
        assert_eq!(parse(&json!({"token": {"expires_at": "soon"}})), None);
    }
}
