//! What the registry lets a caller do through the RPC, whatever the API
//! node in front asked: the rules the Image API's services apply, checked
//! again where the database is, so that a compromised or buggy API node
//! acts only as its callers may.
//!
//! - Lists are for the caller's own eyes: a viewer that is not the caller
//!   (another project, or admin for a non-admin) is `Forbidden`.
//! - Images, namespaces and tasks the caller cannot see are `NotFound`;
//!   changing what the caller sees but does not own is `Forbidden`. A task
//!   is seen by its owner and by whoever sees the image it worked on.
//! - A member changes only its own membership status.
//! - Admins may do everything.

use glint_db::Repository;
use glint_domain::image_query::Viewer;
use glint_domain::image_rules::{is_mutable, is_visible};
use glint_domain::{Error, Image, RequestContext, Result, Visibility};

pub struct Guard<'a> {
    pub ctx: &'a RequestContext,
    pub repo: &'a dyn Repository,
}

fn refused(what: &str) -> Error {
    Error::Forbidden(format!("You are not authorized to {what}."))
}

impl Guard<'_> {
    fn admin(&self) -> bool {
        self.ctx.is_admin
    }

    fn own(&self, owner: Option<&str>) -> bool {
        self.admin() || (owner.is_some() && owner == self.ctx.project_id.as_deref())
    }

    /// A listing must be for the caller.
    pub fn viewer(&self, viewer: &Viewer) -> Result<()> {
        if self.admin() || (!viewer.is_admin && viewer.project_id == self.ctx.project_id) {
            Ok(())
        } else {
            Err(refused("list for another viewer"))
        }
    }

    /// Acting on what `owner` owns (`action` says what, for the error).
    pub fn owner(&self, owner: Option<&str>, action: &str) -> Result<()> {
        if self.own(owner) {
            Ok(())
        } else {
            Err(refused(action))
        }
    }

    /// Only admins.
    pub fn admin_only(&self, what: &str) -> Result<()> {
        if self.admin() {
            Ok(())
        } else {
            Err(refused(what))
        }
    }

    /// The image, if the caller may see it (else `NotFound`).
    pub async fn visible_image(&self, id: &str, include_deleted: bool) -> Result<Image> {
        let image = self.repo.image_get(id, include_deleted).await?;
        if self.admin() {
            return Ok(image);
        }
        let member = match (&self.ctx.project_id, image.visibility) {
            (Some(project), Visibility::Shared) => !self
                .repo
                .image_member_find(id, Some(project), None)
                .await?
                .is_empty(),
            _ => false,
        };
        if is_visible(self.ctx, &image, || member) {
            Ok(image)
        } else {
            Err(Error::image_not_found(id))
        }
    }

    /// The image, if the caller may change it.
    pub async fn mutable_image(&self, id: &str) -> Result<Image> {
        let image = self.visible_image(id, true).await?;
        if is_mutable(self.ctx, &image) {
            Ok(image)
        } else {
            Err(refused("change this image"))
        }
    }

    /// A membership status is set by the member (or the image's owner).
    pub async fn member_status(&self, image_id: &str, member: &str) -> Result<()> {
        let image = self.visible_image(image_id, false).await?;
        if self.ctx.project_id.as_deref() == Some(member) || is_mutable(self.ctx, &image) {
            Ok(())
        } else {
            Err(refused("change another project's membership"))
        }
    }

    /// A metadef namespace the caller may see (else `NotFound`) and, when
    /// `change`, owns (else `Forbidden`).
    pub async fn namespace(&self, name: &str, change: bool) -> Result<()> {
        let contents = self.repo.metadef_namespace_get(name).await?;
        let ns = &contents.namespace;
        let own = self.own(Some(&ns.owner));
        if !own && ns.visibility != Visibility::Public {
            return Err(Error::NotFound(format!(
                "Metadata definition namespace={name} was not found."
            )));
        }
        if change && !own {
            return Err(refused("change this namespace"));
        }
        Ok(())
    }

    /// A task the caller owns, or one that worked on an image the caller
    /// sees (and, when `change`, may change); else `NotFound`.
    pub async fn task(&self, id: &str, change: bool) -> Result<()> {
        let task = self.repo.task_get(id).await?;
        if self.own(Some(&task.owner)) {
            return Ok(());
        }
        if let Some(image_id) = &task.image_id {
            if let Ok(image) = self.visible_image(image_id, true).await {
                if !change || is_mutable(self.ctx, &image) {
                    return Ok(());
                }
            }
        }
        Err(Error::NotFound(format!(
            "Task with the given ID {id} not found"
        )))
    }
}
