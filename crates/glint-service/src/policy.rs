//! Access rules by operation name, as Glance names them, with Glance's
//! default (secure RBAC, project-scoped) rules.
//!
//! The identity issue replaces these defaults with an oslo.policy rule
//! engine behind this same function; callers do not change.

use std::collections::BTreeMap;

use glint_domain::{Error, Image, RequestContext, Result, Visibility};

/// The operations checked, by Glance's policy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AddImage,
    GetImage,
    GetImages,
    ModifyImage,
    DeleteImage,
    PublicizeImage,
    CommunitizeImage,
    Deactivate,
    Reactivate,
    UploadImage,
    DownloadImage,
    AddMember,
    DeleteMember,
    GetMember,
    GetMembers,
    ModifyMember,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::AddImage => "add_image",
            Action::GetImage => "get_image",
            Action::GetImages => "get_images",
            Action::ModifyImage => "modify_image",
            Action::DeleteImage => "delete_image",
            Action::PublicizeImage => "publicize_image",
            Action::CommunitizeImage => "communitize_image",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::UploadImage => "upload_image",
            Action::DownloadImage => "download_image",
            Action::AddMember => "add_member",
            Action::DeleteMember => "delete_member",
            Action::GetMember => "get_member",
            Action::GetMembers => "get_members",
            Action::ModifyMember => "modify_member",
        }
    }
}

/// What a rule may look at, by the keys Glance's policy targets use:
/// `project_id` and `owner` (the image's owner), `visibility`, `id`,
/// `name`, `member_id` (the caller's project when it sees a shared image
/// as a member) and the image's own properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target(BTreeMap<String, String>);

impl Target {
    /// The target of an operation on an image that does not exist yet, or
    /// on the images of `owner` in general.
    pub fn owner(owner: Option<&str>) -> Self {
        let mut t = BTreeMap::new();
        if let Some(owner) = owner {
            t.insert("project_id".into(), owner.to_string());
            t.insert("owner".into(), owner.to_string());
        }
        Target(t)
    }

    /// The target of an operation on an image to be created with
    /// `visibility` (Glance's dict target for `add_image`).
    pub fn new_image(owner: Option<&str>, visibility: Option<Visibility>) -> Self {
        let mut t = Target::owner(owner);
        t.0.insert(
            "visibility".into(),
            visibility.unwrap_or(Visibility::Private).as_str().into(),
        );
        t
    }

    /// The target of an operation on `image` as `ctx` sees it.
    pub fn image(ctx: &RequestContext, image: &Image) -> Self {
        let mut t = BTreeMap::new();
        for (k, v) in &image.properties {
            t.insert(k.clone(), v.clone());
        }
        let mut t = Target(t);
        if let Some(owner) = &image.owner {
            t.0.insert("project_id".into(), owner.clone());
            t.0.insert("owner".into(), owner.clone());
        }
        t.0.insert("id".into(), image.id.clone());
        t.0.insert("visibility".into(), image.visibility.as_str().into());
        if let Some(name) = &image.name {
            t.0.insert("name".into(), name.clone());
        }
        t.0.insert("status".into(), image.status.as_str().into());
        // As Glance does: a caller who is not the owner of a shared image
        // can only have found it as a member.
        if image.visibility == Visibility::Shared && ctx.project_id != image.owner {
            if let Some(project) = &ctx.project_id {
                t.0.insert("member_id".into(), project.clone());
            }
        }
        t
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// What is done to an image property, for property protections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyOp {
    Create,
    Read,
    Update,
    Delete,
}

/// The access rules in force.
#[derive(Debug, Clone, Default)]
pub struct Policy {}

impl Policy {
    /// Glance's default rules.
    pub fn glance_defaults() -> Self {
        Policy {}
    }

    /// Fills in what the rules derive from an authenticated identity:
    /// whether `context_is_admin` holds.
    pub fn complete(&self, mut ctx: RequestContext) -> RequestContext {
        ctx.is_admin = ctx.has_role("admin");
        ctx
    }

    /// Allows or refuses `action` for `ctx` on `target` (→ 403).
    pub fn authorize(&self, ctx: &RequestContext, action: Action, target: &Target) -> Result<()> {
        if self.allows(ctx, action, target) {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "You are not authorized to complete {} action.",
                action.name()
            )))
        }
    }

    /// Whether property protections let `ctx` do `op` to property `name`.
    pub fn property_allowed(&self, _ctx: &RequestContext, _name: &str, _op: PropertyOp) -> bool {
        true
    }

    /// Refuses (403, Glance's text) what property protections forbid.
    pub fn check_property(&self, ctx: &RequestContext, name: &str, op: PropertyOp) -> Result<()> {
        if self.property_allowed(ctx, name, op) {
            Ok(())
        } else {
            Err(Error::forbidden(format!("Attribute '{name}' is reserved.")))
        }
    }

    /// Drops the properties `ctx` may not read from `image`.
    pub fn hide_unreadable(&self, ctx: &RequestContext, image: &mut Image) {
        image
            .properties
            .retain(|name, _| self.property_allowed(ctx, name, PropertyOp::Read));
    }

    /// Whether `action` is allowed, without an error.
    pub fn allows(&self, ctx: &RequestContext, action: Action, target: &Target) -> bool {
        allowed(ctx, action, target)
    }
}

fn allowed(ctx: &RequestContext, action: Action, target: &Target) -> bool {
    if ctx.is_admin {
        return true;
    }
    let is_project = |key: &str| match (&ctx.project_id, target.get(key)) {
        (Some(p), Some(o)) => p == o,
        _ => false,
    };
    match action {
        Action::GetImage | Action::GetImages => ctx.has_role("reader"),
        // Whoever sees the image (checked before) may read its bytes.
        Action::DownloadImage => ctx.has_role("member"),
        Action::GetMember | Action::GetMembers => {
            ctx.has_role("reader") && (is_project("project_id") || is_project("member_id"))
        }
        Action::ModifyMember => ctx.has_role("member") && is_project("member_id"),
        Action::AddImage
        | Action::ModifyImage
        | Action::DeleteImage
        | Action::CommunitizeImage
        | Action::Deactivate
        | Action::Reactivate
        | Action::UploadImage
        | Action::AddMember
        | Action::DeleteMember => ctx.has_role("member") && is_project("project_id"),
        Action::PublicizeImage => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_change_their_own_project_images_only() {
        let ctx = RequestContext::member_of("p1");
        let policy = Policy::glance_defaults();
        let own = Target::owner(Some("p1"));
        let other = Target::owner(Some("p2"));
        assert!(policy.authorize(&ctx, Action::ModifyImage, &own).is_ok());
        assert!(policy.authorize(&ctx, Action::ModifyImage, &other).is_err());
        assert!(policy
            .authorize(&ctx, Action::PublicizeImage, &own)
            .is_err());
        assert!(policy
            .authorize(&RequestContext::admin("r"), Action::PublicizeImage, &other)
            .is_ok());
    }

    #[test]
    fn readers_may_only_read() {
        let mut ctx = RequestContext::member_of("p1");
        ctx.roles = vec!["reader".into()];
        let policy = Policy::glance_defaults();
        assert!(policy
            .authorize(&ctx, Action::GetImages, &Target::default())
            .is_ok());
        let err = policy
            .authorize(&ctx, Action::AddImage, &Target::owner(Some("p1")))
            .unwrap_err();
        assert_eq!(
            err.message(),
            "You are not authorized to complete add_image action."
        );
    }
}
