//! The image service: create, read, list, change and delete image records.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use glint_config::Config;
use glint_db::Repository;
use glint_domain::image_query::ImageListQuery;
use glint_domain::{
    image_rules, time, Error, Image, ImageStatus, ImageUpdate, NewImage, RequestContext, Result,
    Visibility,
};
use glint_store::Stores;
use serde_json::{Map, Value};

use crate::image_cache::ImageCache;
use crate::image_patch::{Dialect, OpKind, PatchOp};
use crate::image_values::{self, Written};
use crate::policy::{Action, Policy, PropertyOp, Target};
use crate::unified_limits::{Resource, UnifiedLimits};

#[derive(Clone)]
pub struct ImageService {
    pub(crate) config: Arc<Config>,
    pub(crate) repo: Arc<dyn Repository>,
    pub(crate) stores: Stores,
    pub(crate) policy: Arc<Policy>,
    pub(crate) limits: UnifiedLimits,
    /// This node's image cache, when `image_cache_dir` is set.
    pub(crate) cache: Option<Arc<ImageCache>>,
}

impl ImageService {
    pub fn new(
        config: Arc<Config>,
        repo: Arc<dyn Repository>,
        stores: Stores,
        policy: Arc<Policy>,
        limits: UnifiedLimits,
    ) -> Self {
        ImageService {
            config,
            repo,
            stores,
            policy,
            limits,
            cache: None,
        }
    }

    /// The same service keeping copies in `cache`.
    pub fn with_cache(mut self, cache: Option<Arc<ImageCache>>) -> Self {
        self.cache = cache;
        self
    }

    /// Keystone's unified limits (empty when off).
    pub fn limits(&self) -> &UnifiedLimits {
        &self.limits
    }

    /// The access rules in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The enabled stores.
    /// This node's image cache, if it has one.
    pub fn cache(&self) -> Option<&Arc<ImageCache>> {
        self.cache.as_ref()
    }

    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Creates a queued image from the attributes of a create request.
    ///
    /// Errors: read-only or reserved attribute → Forbidden; invalid value →
    /// InvalidInput; another owner, or public visibility without the right
    /// → Forbidden; quota → LimitExceeded; existing id → Conflict.
    pub async fn create(&self, ctx: &RequestContext, body: &Map<String, Value>) -> Result<Image> {
        let owner = match body.get("owner") {
            Some(Value::String(o)) => Some(o.clone()),
            _ => ctx.project_id.clone(),
        };
        if !ctx.is_admin && owner != ctx.project_id {
            return Err(Error::forbidden(format!(
                "You are not permitted to create images owned by '{}'",
                owner.as_deref().unwrap_or("")
            )));
        }
        let visibility = body
            .get("visibility")
            .and_then(Value::as_str)
            .and_then(Visibility::parse);
        self.policy.authorize(
            ctx,
            Action::AddImage,
            &Target::new_image(owner.as_deref(), visibility),
        )?;
        self.limits
            .enforce(ctx.project_id.as_deref(), &[(Resource::ImageCountTotal, 1)])
            .await?;

        let mut id = None;
        let mut new = NewImage {
            owner: owner.clone(),
            ..NewImage::default()
        };
        // Values are checked on a scratch image, then moved into `new`.
        let mut scratch = Image::from_new(String::new(), new.clone(), time::now());
        for (name, value) in body {
            if name == "id" {
                id = Some(image_values::image_id(value)?);
                continue;
            }
            match image_values::write(&mut scratch, name, value, &self.config)? {
                Written::Base => {}
                Written::Tags(tags) => new.tags = tags.into_iter().collect(),
                Written::Property(v) => {
                    self.policy.check_property(ctx, name, PropertyOp::Create)?;
                    new.properties.insert(name.clone(), v);
                }
            }
        }
        new.name = scratch.name;
        new.visibility = body.get("visibility").map(|_| scratch.visibility);
        new.protected = scratch.protected;
        new.os_hidden = scratch.os_hidden;
        new.owner = scratch.owner;
        new.min_ram = scratch.min_ram;
        new.min_disk = scratch.min_disk;
        new.disk_format = scratch.disk_format;
        new.container_format = scratch.container_format;

        self.authorize_visibility(ctx, new.visibility, new.owner.as_deref())?;
        self.check_quotas(new.properties.len(), new.tags.len())?;

        let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let image = Image::from_new(id, new, time::now());
        let mut created = self.repo.image_create(&image).await?;
        tracing::info!(image_id = %created.id, owner = ?created.owner, "image created");
        self.policy.hide_unreadable(ctx, &mut created);
        Ok(created)
    }

    /// Loads an image the caller can see; invisible images are NotFound.
    pub async fn get(&self, ctx: &RequestContext, id: &str) -> Result<Image> {
        let mut image = self.load_visible(ctx, id).await?;
        self.policy
            .authorize(ctx, Action::GetImage, &Target::image(ctx, &image))
            .map_err(|_| Error::image_not_found(id))?;
        self.policy.hide_unreadable(ctx, &mut image);
        hide_locations_if_deactivated(ctx, &mut image);
        Ok(image)
    }

    /// Lists images. The query's limit is capped at `api_limit_max`; a
    /// marker that names no visible image is InvalidInput.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        mut query: ImageListQuery,
    ) -> Result<Vec<Image>> {
        self.policy.authorize(
            ctx,
            Action::GetImages,
            &Target::owner(ctx.project_id.as_deref()),
        )?;
        query.limit = Some(self.effective_limit(query.limit));
        let images = match self.repo.image_get_all(&query).await {
            // A marker naming no visible image is the request's fault.
            Err(Error::NotFound(m)) => return Err(Error::InvalidInput(m)),
            other => other?,
        };
        // As Glance: each listed image must pass `get_image` too.
        Ok(images
            .into_iter()
            .filter(|image| {
                self.policy
                    .allows(ctx, Action::GetImage, &Target::image(ctx, image))
            })
            .map(|mut image| {
                self.policy.hide_unreadable(ctx, &mut image);
                hide_locations_if_deactivated(ctx, &mut image);
                image
            })
            .collect())
    }

    /// The limit a list request ends up with.
    pub fn effective_limit(&self, requested: Option<u32>) -> u32 {
        requested
            .unwrap_or(self.config.limit_param_default)
            .min(self.config.api_limit_max)
    }

    /// Applies a PATCH document's operations, all or nothing.
    pub async fn update(
        &self,
        ctx: &RequestContext,
        id: &str,
        ops: &[PatchOp],
        dialect: Dialect,
    ) -> Result<Image> {
        let mut image = self.load_mutable(ctx, id, Action::ModifyImage).await?;
        // Properties the caller may not read are not there for it: they
        // are neither changed nor removed by its patch.
        self.policy.hide_unreadable(ctx, &mut image);
        let mut changed = image.clone();
        let mut properties = image.properties.clone();
        let mut tags: Option<BTreeSet<String>> = None;

        let location_ops: Vec<PatchOp> = ops
            .iter()
            .filter(|op| op.root() == "locations")
            .cloned()
            .collect();
        for op in ops.iter().filter(|op| op.root() != "locations") {
            let name = op.root();
            image_values::check_writable(name)?;
            let exists = image_rules::is_base_attribute(name) || properties.contains_key(name);
            match op.kind {
                OpKind::Add | OpKind::Replace => {
                    if op.kind == OpKind::Add && dialect == Dialect::V2_0 && exists {
                        return Err(Error::conflict(format!("Property {name} already present.")));
                    }
                    if op.kind == OpKind::Replace && !exists {
                        return Err(Error::conflict(format!("Property {name} does not exist.")));
                    }
                    let value = op.value.as_ref().unwrap_or(&Value::Null);
                    match image_values::write(&mut changed, name, value, &self.config)? {
                        Written::Base => {}
                        Written::Tags(t) => tags = Some(t.into_iter().collect()),
                        Written::Property(v) => {
                            let op = if properties.contains_key(name) {
                                PropertyOp::Update
                            } else {
                                PropertyOp::Create
                            };
                            self.policy.check_property(ctx, name, op)?;
                            properties.insert(name.to_string(), v);
                        }
                    }
                }
                OpKind::Remove => {
                    if image_rules::is_base_attribute(name) {
                        return Err(Error::forbidden(format!(
                            "Property {name} may not be removed."
                        )));
                    }
                    if !properties.contains_key(name) {
                        return Err(Error::conflict(format!("Property {name} does not exist.")));
                    }
                    self.policy.check_property(ctx, name, PropertyOp::Delete)?;
                    properties.remove(name);
                }
            }
        }

        if changed.owner != image.owner && !ctx.is_admin {
            return Err(Error::forbidden("Owner can't be updated by non admin."));
        }
        if changed.visibility != image.visibility {
            self.authorize_visibility(ctx, Some(changed.visibility), changed.owner.as_deref())?;
        }
        let tag_count = tags.as_ref().map_or(image.tags.len(), BTreeSet::len);
        if properties.len() > image.properties.len() || tags.is_some() {
            self.check_quotas(properties.len(), tag_count)?;
        }

        let locations = if location_ops.is_empty() {
            None
        } else {
            Some(self.location_changes(ctx, &image, &location_ops).await?)
        };
        if let Some(size) = locations.as_ref().and_then(|l| l.activate_with_size) {
            changed.status = ImageStatus::Active;
            changed.size = Some(size);
        }

        let mut update = ImageUpdate::base(changed);
        update.from_state = locations.as_ref().map(|_| image.status);
        if let Some(l) = &locations {
            update.add_locations = l.add.clone();
        }
        update.set_properties = properties
            .iter()
            .filter(|(k, v)| image.properties.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>();
        update.remove_properties = image
            .properties
            .keys()
            .filter(|k| !properties.contains_key(*k))
            .cloned()
            .collect();
        update.tags = tags;
        let mut updated = self.repo.image_update(&update).await?;
        if let Some(l) = locations.filter(|l| !l.remove.is_empty()) {
            self.drop_locations(id, &l.remove).await;
            updated = self.repo.image_get(id, false).await?;
        }
        self.policy.hide_unreadable(ctx, &mut updated);
        hide_locations_if_deactivated(ctx, &mut updated);
        Ok(updated)
    }

    /// Deletes an image (soft delete) and its bytes — at once, or, with
    /// `delayed_delete`, later by the scrubber (status `pending_delete`).
    /// Protected images are refused.
    pub async fn delete(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let image = match self.load_mutable(ctx, id, Action::DeleteImage).await {
            Err(Error::NotFound(_)) => {
                return Err(Error::not_found(format!(
                    "Failed to find image {id} to delete"
                )))
            }
            other => other?,
        };
        if image.protected {
            return Err(Error::forbidden(format!(
                "Image {id} is protected and cannot be deleted."
            )));
        }
        self.mark_data_for_deletion(&image).await?;
        if self.config.delayed_delete {
            let mut pending = image.clone();
            pending.status = ImageStatus::PendingDelete;
            self.repo.image_update(&ImageUpdate::base(pending)).await?;
        }
        self.repo.image_destroy(id).await?;
        if !self.config.delayed_delete {
            self.delete_data(&image).await;
        }
        if let Some(cache) = &self.cache {
            cache.remove(id).await;
        }
        tracing::info!(image_id = %id, delayed = self.config.delayed_delete, "image deleted");
        Ok(())
    }

    /// active → deactivated (a deactivated image stays so); other statuses
    /// are Forbidden, as in Glance.
    pub async fn deactivate(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.transition(
            ctx,
            id,
            Action::Deactivate,
            ImageStatus::Active,
            ImageStatus::Deactivated,
        )
        .await
    }

    /// deactivated → active (an active image stays so).
    pub async fn reactivate(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.transition(
            ctx,
            id,
            Action::Reactivate,
            ImageStatus::Deactivated,
            ImageStatus::Active,
        )
        .await
    }

    async fn transition(
        &self,
        ctx: &RequestContext,
        id: &str,
        action: Action,
        from: ImageStatus,
        to: ImageStatus,
    ) -> Result<()> {
        let image = self.load_mutable(ctx, id, action).await?;
        if image.status == to {
            return Ok(());
        }
        if image.status != from {
            let verb = if action == Action::Deactivate {
                "deactivate"
            } else {
                "reactivate"
            };
            return Err(Error::forbidden(format!(
                "Not allowed to {verb} image in status '{}'",
                image.status
            )));
        }
        let mut changed = image;
        changed.status = to;
        let mut update = ImageUpdate::base(changed);
        update.from_state = Some(from);
        self.repo.image_update(&update).await?;
        Ok(())
    }

    /// Adds a tag to an image.
    pub async fn add_tag(&self, ctx: &RequestContext, id: &str, tag: &str) -> Result<()> {
        let image = self.load_mutable(ctx, id, Action::ModifyImage).await?;
        let tag = image_values::tag(tag)?;
        if !image.tags.contains(&tag) {
            self.check_quotas(0, image.tags.len() + 1)?;
        }
        self.repo.image_tag_add(id, &tag).await
    }

    /// Removes a tag; NotFound when the image does not carry it.
    pub async fn delete_tag(&self, ctx: &RequestContext, id: &str, tag: &str) -> Result<()> {
        self.load_mutable(ctx, id, Action::ModifyImage).await?;
        self.repo.image_tag_delete(id, tag).await
    }

    pub(crate) async fn load_visible(&self, ctx: &RequestContext, id: &str) -> Result<Image> {
        let image = self.repo.image_get(id, false).await?;
        let is_member = match (&ctx.project_id, image.visibility) {
            (Some(project), Visibility::Shared) if !ctx.is_admin => !self
                .repo
                .image_member_find(id, Some(project), None)
                .await?
                .is_empty(),
            _ => false,
        };
        if image_rules::is_visible(ctx, &image, || is_member) {
            Ok(image)
        } else {
            Err(Error::image_not_found(id))
        }
    }

    /// Loads an image the caller may change with `action`: invisible →
    /// NotFound, visible but not allowed → Forbidden.
    pub(crate) async fn load_mutable(
        &self,
        ctx: &RequestContext,
        id: &str,
        action: Action,
    ) -> Result<Image> {
        let image = self.load_visible(ctx, id).await?;
        let target = Target::image(ctx, &image);
        if let Err(refused) = self.policy.authorize(ctx, action, &target) {
            // As Glance: refusing what the caller cannot even see is 404.
            if !self.policy.allows(ctx, Action::GetImage, &target) {
                return Err(Error::image_not_found(id));
            }
            return Err(refused);
        }
        Ok(image)
    }

    fn authorize_visibility(
        &self,
        ctx: &RequestContext,
        visibility: Option<Visibility>,
        owner: Option<&str>,
    ) -> Result<()> {
        let target = Target::new_image(owner, visibility);
        match visibility {
            Some(Visibility::Public) => self.policy.authorize(ctx, Action::PublicizeImage, &target),
            Some(Visibility::Community) => {
                self.policy
                    .authorize(ctx, Action::CommunitizeImage, &target)
            }
            _ => Ok(()),
        }
    }

    fn check_quotas(&self, properties: usize, tags: usize) -> Result<()> {
        let over = |quota: i64, attempted: usize| quota >= 0 && attempted as i64 > quota;
        if over(self.config.image_property_quota, properties) {
            return Err(Error::LimitExceeded(format!(
                "The limit has been exceeded on the number of allowed image properties. Attempted: {properties}, Maximum: {}",
                self.config.image_property_quota
            )));
        }
        if over(self.config.image_tag_quota, tags) {
            return Err(Error::LimitExceeded(format!(
                "The limit has been exceeded on the number of allowed image tags. Attempted: {tags}, Maximum: {}",
                self.config.image_tag_quota
            )));
        }
        Ok(())
    }
}

/// As Glance: only an admin sees where a deactivated image's data lives
/// (its locations, direct_url and stores), until it is reactivated.
fn hide_locations_if_deactivated(ctx: &RequestContext, image: &mut Image) {
    if image.status == ImageStatus::Deactivated && !ctx.is_admin {
        image.locations.clear();
    }
}
