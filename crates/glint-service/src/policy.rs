//! Access rules by operation name, as Glance names them, with Glance's
//! default (secure RBAC, project-scoped) rules.
//!
//! The identity issue replaces these defaults with an oslo.policy rule
//! engine behind this same function; callers do not change.

use glint_domain::{Error, RequestContext, Result};

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
        }
    }
}

/// What a rule may look at: the owner of the image acted on (or to be
/// created).
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    pub owner: Option<&'a str>,
}

/// Allows or refuses `action` for `ctx` on `target` (→ 403).
pub fn authorize(ctx: &RequestContext, action: Action, target: Target<'_>) -> Result<()> {
    if allowed(ctx, action, target) {
        Ok(())
    } else {
        Err(Error::forbidden(format!(
            "You are not authorized to complete {} action.",
            action.name()
        )))
    }
}

fn allowed(ctx: &RequestContext, action: Action, target: Target<'_>) -> bool {
    if ctx.is_admin {
        return true;
    }
    let own_project = |owner: Option<&str>| match (&ctx.project_id, owner) {
        (Some(p), Some(o)) => p == o,
        _ => false,
    };
    match action {
        Action::GetImage | Action::GetImages => ctx.has_role("reader"),
        // Whoever sees the image (checked before) may read its bytes.
        Action::DownloadImage => ctx.has_role("member"),
        Action::AddImage
        | Action::ModifyImage
        | Action::DeleteImage
        | Action::CommunitizeImage
        | Action::Deactivate
        | Action::Reactivate
        | Action::UploadImage => ctx.has_role("member") && own_project(target.owner),
        Action::PublicizeImage => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_change_their_own_project_images_only() {
        let ctx = RequestContext::member_of("p1");
        let own = Target { owner: Some("p1") };
        let other = Target { owner: Some("p2") };
        assert!(authorize(&ctx, Action::ModifyImage, own).is_ok());
        assert!(authorize(&ctx, Action::ModifyImage, other).is_err());
        assert!(authorize(&ctx, Action::PublicizeImage, own).is_err());
        assert!(authorize(&RequestContext::admin("r"), Action::PublicizeImage, other).is_ok());
    }

    #[test]
    fn readers_may_only_read() {
        let mut ctx = RequestContext::member_of("p1");
        ctx.roles = vec!["reader".into()];
        assert!(authorize(&ctx, Action::GetImages, Target::default()).is_ok());
        let err = authorize(&ctx, Action::AddImage, Target { owner: Some("p1") }).unwrap_err();
        assert_eq!(
            err.message(),
            "You are not authorized to complete add_image action."
        );
    }
}
