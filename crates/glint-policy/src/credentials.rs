//! Who is asking (`Credentials`) and what they are asking about (`Target`).

use std::collections::BTreeMap;
use std::fmt;

/// The caller, as oslo.policy sees it: the values of oslo.context's
/// `RequestContext.to_policy_values()` (which Glance does not override),
/// plus `is_admin`.
///
/// Rules look values up by the oslo key names (`project_id`, `roles`,
/// `system_scope`, …), see [`Credentials::value`]. Glance's context
/// middleware lowercases role names; callers should do the same, although
/// `role:` checks compare case-insensitively anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: Option<String>,
    pub user_domain_id: Option<String>,
    /// Project of a project-scoped token.
    pub project_id: Option<String>,
    pub project_domain_id: Option<String>,
    /// Domain of a domain-scoped token.
    pub domain_id: Option<String>,
    /// `"all"` for a system-scoped token.
    pub system_scope: Option<String>,
    pub roles: Vec<String>,
    /// Glance's `RequestContext.is_admin`. oslo.context does not put it in
    /// the policy values, so in Glance an `is_admin:True` check never
    /// matches; here it matches when this is `true`. None of Glance's
    /// default rules use it.
    pub is_admin: bool,
    /// Whether the token's project is the cloud's admin project (keystone's
    /// `admin_project` setting); `true` when keystone does not say.
    pub is_admin_project: bool,
    pub service_user_id: Option<String>,
    pub service_user_domain_id: Option<String>,
    pub service_project_id: Option<String>,
    pub service_project_domain_id: Option<String>,
    /// Roles of the service token (`X-Service-Roles`), if one was sent.
    pub service_roles: Vec<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            user_id: None,
            user_domain_id: None,
            project_id: None,
            project_domain_id: None,
            domain_id: None,
            system_scope: None,
            roles: Vec::new(),
            is_admin: false,
            is_admin_project: true,
            service_user_id: None,
            service_user_domain_id: None,
            service_project_id: None,
            service_project_domain_id: None,
            service_roles: Vec::new(),
        }
    }
}

/// A credential value as a check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredValue<'a> {
    Str(&'a str),
    Bool(bool),
    List(&'a [String]),
}

impl Credentials {
    /// A project-scoped caller with the given roles.
    pub fn project(project_id: &str, roles: &[&str]) -> Self {
        Credentials {
            project_id: Some(project_id.to_owned()),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Credentials::default()
        }
    }

    /// A system-scoped (`system_scope = "all"`) caller with the given roles.
    pub fn system(roles: &[&str]) -> Self {
        Credentials {
            system_scope: Some("all".to_owned()),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Credentials::default()
        }
    }

    /// The value a generic check `KEY:…` compares against, by oslo key name.
    ///
    /// `system` is an alias of `system_scope` (oslo.policy adds it when the
    /// scope is set). Unset optional values are `None`: oslo would compare
    /// the string `"None"`, which no real target value equals.
    pub fn value(&self, key: &str) -> Option<CredValue<'_>> {
        fn opt(v: &Option<String>) -> Option<CredValue<'_>> {
            v.as_deref().map(CredValue::Str)
        }
        match key {
            "user_id" => opt(&self.user_id),
            "user_domain_id" => opt(&self.user_domain_id),
            "project_id" => opt(&self.project_id),
            "project_domain_id" => opt(&self.project_domain_id),
            "domain_id" => opt(&self.domain_id),
            "system_scope" => opt(&self.system_scope),
            "system" => self
                .system_scope
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(CredValue::Str),
            "roles" => Some(CredValue::List(&self.roles)),
            "is_admin" => Some(CredValue::Bool(self.is_admin)),
            "is_admin_project" => Some(CredValue::Bool(self.is_admin_project)),
            "service_user_id" => opt(&self.service_user_id),
            "service_user_domain_id" => opt(&self.service_user_domain_id),
            "service_project_id" => opt(&self.service_project_id),
            "service_project_domain_id" => opt(&self.service_project_domain_id),
            "service_roles" => Some(CredValue::List(&self.service_roles)),
            _ => None,
        }
    }

    /// The scope of the token, decided as oslo.policy does: system if
    /// `system_scope` is set, else domain if `domain_id` is set, else project.
    pub fn token_scope(&self) -> Scope {
        if self.system_scope.as_deref().is_some_and(|s| !s.is_empty()) {
            Scope::System
        } else if self.domain_id.as_deref().is_some_and(|s| !s.is_empty()) {
            Scope::Domain
        } else {
            Scope::Project
        }
    }
}

/// A token scope, and the scopes (`scope_types`) a rule accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    System,
    Domain,
    Project,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::System => "system",
            Scope::Domain => "domain",
            Scope::Project => "project",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object of an operation: the `%(name)s` values rules substitute.
/// A key that is absent makes the check that needs it false.
pub type Target = BTreeMap<String, String>;

/// A target from literal pairs, mostly for tests and ad-hoc checks.
pub fn target<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Target {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The target Glance builds for an existing image (its `ImageTarget`):
/// `id`, `owner` and its alias `project_id` (the image owner, not the
/// caller), `visibility`, and `member_id`.
///
/// `member_id` is not a member named in a URL: Glance sets it to the
/// caller's project when the image is `shared` and the caller does not own
/// it (the repository only returns such an image to a member), and leaves
/// it unset otherwise. Callers may add `name`, `status` and the image's
/// extra properties to the returned map.
pub fn image_target(
    image_id: &str,
    owner: Option<&str>,
    visibility: &str,
    caller_project: Option<&str>,
) -> Target {
    let mut t = Target::new();
    t.insert("id".to_owned(), image_id.to_owned());
    if let Some(owner) = owner {
        t.insert("owner".to_owned(), owner.to_owned());
        t.insert("project_id".to_owned(), owner.to_owned());
    }
    t.insert("visibility".to_owned(), visibility.to_owned());
    if visibility == "shared" && caller_project.is_some() && caller_project != owner {
        if let Some(member) = caller_project {
            t.insert("member_id".to_owned(), member.to_owned());
        }
    }
    t
}

/// The target Glance builds for an image that does not exist yet
/// (`add_image`, and the `publicize_image`/`communitize_image` checks made
/// during creation): `owner` and `project_id` are the requested owner or the
/// caller's project, `visibility` the requested one or `private`.
pub fn new_image_target(
    creds: &Credentials,
    owner: Option<&str>,
    visibility: Option<&str>,
) -> Target {
    let mut t = Target::new();
    if let Some(owner) = owner.or(creds.project_id.as_deref()) {
        t.insert("owner".to_owned(), owner.to_owned());
        t.insert("project_id".to_owned(), owner.to_owned());
    }
    t.insert(
        "visibility".to_owned(),
        visibility.unwrap_or("private").to_owned(),
    );
    t
}

/// The target Glance builds for a metadef namespace (and everything inside
/// it): the namespace's owner as `project_id` and its `visibility`. Without
/// a namespace (create, list) Glance uses `{project_id: caller's project}`,
/// see [`project_target`].
pub fn namespace_target(owner: Option<&str>, visibility: &str) -> Target {
    let mut t = Target::new();
    if let Some(owner) = owner {
        t.insert("project_id".to_owned(), owner.to_owned());
    }
    t.insert("visibility".to_owned(), visibility.to_owned());
    t
}

/// `{project_id: <caller's project>}`, the target of `get_images` and of
/// metadef operations with no namespace yet.
pub fn project_target(creds: &Credentials) -> Target {
    let mut t = Target::new();
    if let Some(p) = &creds.project_id {
        t.insert("project_id".to_owned(), p.clone());
    }
    t
}
