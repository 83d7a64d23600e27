//! Image sharing: the projects a `shared` image is offered to, and their
//! answers.
//!
//! The image's owner adds and removes members; each member project accepts,
//! rejects or leaves pending its own membership. Only `shared` images have
//! members. A caller sees the members of images it owns, and its own
//! membership of images shared with it; an admin sees all.
//!
//! Error texts are Glance's, because clients show them as they come.

use std::sync::Arc;

use glint_config::Config;
use glint_db::Repository;
use glint_domain::{Error, Image, ImageMember, MemberStatus, RequestContext, Result, Visibility};

use crate::images::ImageService;
use crate::policy::{Action, Target};

#[derive(Clone)]
pub struct MemberService {
    config: Arc<Config>,
    repo: Arc<dyn Repository>,
    images: ImageService,
}

/// What a member operation is called in Glance's error messages.
#[derive(Clone, Copy)]
enum Verb {
    Create,
    Update,
    Delete,
}

impl Verb {
    fn refused(self, image_id: &str) -> String {
        let verb = match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        };
        format!("Not allowed to {verb} members for image {image_id}.")
    }
}

impl MemberService {
    pub fn new(config: Arc<Config>, repo: Arc<dyn Repository>, images: ImageService) -> Self {
        MemberService {
            config,
            repo,
            images,
        }
    }

    /// The members of an image the caller may see.
    pub async fn list(&self, ctx: &RequestContext, image_id: &str) -> Result<Vec<ImageMember>> {
        let image = self.lookup_image(ctx, image_id).await?;
        let checked = self
            .require_shared(&image)
            .and_then(|()| self.authorize(ctx, &image, Action::GetMembers));
        if let Err(e) = checked {
            return Err(Error::forbidden(format!(
                "Not allowed to list members for image {image_id}: {}",
                e.message()
            )));
        }
        let members = self.repo.image_member_find(image_id, None, None).await?;
        Ok(members
            .into_iter()
            .filter(|m| self.sees_membership(ctx, &image, m))
            .collect())
    }

    /// One membership; anything the caller may not see is NotFound.
    pub async fn get(
        &self,
        ctx: &RequestContext,
        image_id: &str,
        member_id: &str,
    ) -> Result<ImageMember> {
        let image = self.lookup_image(ctx, image_id).await?;
        if let Err(e) = self.require_shared(&image) {
            return Err(Error::NotFound(e.message().to_string()));
        }
        match self.lookup_member(ctx, &image, member_id).await {
            Err(Error::Forbidden(m)) => Err(Error::NotFound(m)),
            other => other,
        }
    }

    /// Offers the image to `member_id` (status `pending`).
    pub async fn create(
        &self,
        ctx: &RequestContext,
        image_id: &str,
        member_id: &str,
    ) -> Result<ImageMember> {
        let image = self.lookup_image(ctx, image_id).await?;
        self.require_shared(&image)
            .and_then(|()| self.authorize(ctx, &image, Action::AddMember))
            .map_err(|_| Error::forbidden(Verb::Create.refused(image_id)))?;
        let quota = self.config.image_member_quota;
        if quota >= 0 {
            let current = self
                .repo
                .image_member_find(image_id, None, None)
                .await?
                .len();
            let attempted = current + 1;
            if attempted as i64 > quota {
                return Err(Error::LimitExceeded(format!(
                    "Image member limit exceeded for image {image_id}: The limit has been \
                     exceeded on the number of allowed image members for this image. \
                     Attempted: {attempted}, Maximum: {quota}:"
                )));
            }
        }
        match self.repo.image_member_create(image_id, member_id).await {
            Err(Error::Conflict(_)) => Err(Error::conflict(format!(
                "Member {member_id} is duplicated for image {image_id}"
            ))),
            other => {
                if other.is_ok() {
                    tracing::info!(image_id, member_id, "image member added");
                }
                other
            }
        }
    }

    /// Sets a membership's status; only the member itself (or an admin)
    /// may.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        image_id: &str,
        member_id: &str,
        status: &str,
    ) -> Result<ImageMember> {
        let image = self.lookup_image(ctx, image_id).await?;
        self.require_shared(&image)
            .map_err(|_| Error::forbidden(Verb::Update.refused(image_id)))?;
        self.lookup_member(ctx, &image, member_id).await?;
        self.authorize(ctx, &image, Action::ModifyMember)
            .map_err(|_| Error::forbidden(Verb::Update.refused(image_id)))?;
        let status = MemberStatus::parse(status).ok_or_else(|| {
            Error::invalid(
                "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".",
            )
        })?;
        self.repo
            .image_member_update(image_id, member_id, status)
            .await
    }

    /// Withdraws the image from `member_id`.
    pub async fn delete(
        &self,
        ctx: &RequestContext,
        image_id: &str,
        member_id: &str,
    ) -> Result<()> {
        let image = self.lookup_image(ctx, image_id).await?;
        self.require_shared(&image)
            .map_err(|_| Error::forbidden(Verb::Delete.refused(image_id)))?;
        self.lookup_member(ctx, &image, member_id).await?;
        self.authorize(ctx, &image, Action::DeleteMember)
            .map_err(|_| Error::forbidden(Verb::Delete.refused(image_id)))?;
        self.repo.image_member_delete(image_id, member_id).await?;
        tracing::info!(image_id, member_id, "image member removed");
        Ok(())
    }

    async fn lookup_image(&self, ctx: &RequestContext, image_id: &str) -> Result<Image> {
        self.images
            .load_visible(ctx, image_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::not_found(format!("Image {image_id} not found.")),
                other => other,
            })
    }

    fn require_shared(&self, image: &Image) -> Result<()> {
        if image.visibility == Visibility::Shared {
            Ok(())
        } else {
            Err(Error::forbidden("Only shared images have members."))
        }
    }

    /// Glance checks `get_image` before every member rule.
    fn authorize(&self, ctx: &RequestContext, image: &Image, action: Action) -> Result<()> {
        let target = Target::image(ctx, image);
        self.images
            .policy()
            .authorize(ctx, Action::GetImage, &target)?;
        self.images.policy().authorize(ctx, action, &target)
    }

    fn sees_membership(&self, ctx: &RequestContext, image: &Image, m: &ImageMember) -> bool {
        ctx.is_admin
            || match &ctx.project_id {
                Some(p) => image.owner.as_deref() == Some(p.as_str()) || &m.member == p,
                None => false,
            }
    }

    async fn lookup_member(
        &self,
        ctx: &RequestContext,
        image: &Image,
        member_id: &str,
    ) -> Result<ImageMember> {
        self.authorize(ctx, image, Action::GetMember).map_err(|_| {
            Error::forbidden(format!(
                "You are not authorized to lookup the members of the image {}.",
                image.id
            ))
        })?;
        self.repo
            .image_member_find(&image.id, Some(member_id), None)
            .await?
            .into_iter()
            .find(|m| self.sees_membership(ctx, image, m))
            .ok_or_else(|| {
                Error::not_found(format!(
                    "{member_id} not found in the member list of the image {}.",
                    image.id
                ))
            })
    }
}
