//! Who is asking: the identity a request carries into the services.

use std::fmt;

use crate::catalog::ServiceCatalog;

/// The caller of one request, as the auth layer established it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: String,
    pub user_id: Option<String>,
    /// The project the caller acts for; images it creates are owned by it.
    pub project_id: Option<String>,
    /// Role names, already expanded by implication (admin ⊃ member ⊃ reader).
    pub roles: Vec<String>,
    /// Whether the `context_is_admin` rule holds for the caller.
    pub is_admin: bool,
    pub user_domain_id: Option<String>,
    pub project_domain_id: Option<String>,
    /// Set for a domain-scoped token.
    pub domain_id: Option<String>,
    /// Set for a system-scoped token (`all`).
    pub system_scope: Option<String>,
    /// The service that forwarded the request (`X-Service-Token`), if any.
    pub service: Option<ServiceIdentity>,
    /// Where the caller's cloud answers: from its token, or in noauth mode
    /// from `X-Service-Catalog`.
    pub service_catalog: Option<ServiceCatalog>,
    /// What lets another OpenStack service see this same caller.
    pub on_behalf: OnBehalf,
}

/// The headers to send to another OpenStack service acting for the caller:
/// its `X-Auth-Token`, and in noauth mode the identity headers it came
/// with. Their values never appear in `Debug` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OnBehalf {
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for OnBehalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.headers.iter().map(|(name, _)| name))
            .finish()
    }
}

/// Who a service token belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceIdentity {
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    pub roles: Vec<String>,
}

impl RequestContext {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }

    /// A context for operator tools and tests: admin of no project.
    pub fn admin(request_id: impl Into<String>) -> Self {
        RequestContext {
            request_id: request_id.into(),
            user_id: None,
            project_id: None,
            roles: vec!["admin".into(), "member".into(), "reader".into()],
            is_admin: true,
            ..RequestContext::default()
        }
    }

    /// A member (and reader) of `project`.
    pub fn member_of(project: &str) -> Self {
        RequestContext {
            request_id: format!("req-{}", uuid::Uuid::new_v4()),
            user_id: Some(format!("user-of-{project}")),
            project_id: Some(project.to_string()),
            roles: vec!["member".into(), "reader".into()],
            is_admin: false,
            ..RequestContext::default()
        }
    }
}
