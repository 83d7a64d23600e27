//! Who is asking: the identity a request carries into the services.

/// The caller of one request, as the auth layer established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: String,
    pub user_id: Option<String>,
    /// The project the caller acts for; images it creates are owned by it.
    pub project_id: Option<String>,
    /// Role names, already expanded by implication (admin ⊃ member ⊃ reader).
    pub roles: Vec<String>,
    pub is_admin: bool,
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
        }
    }
}
