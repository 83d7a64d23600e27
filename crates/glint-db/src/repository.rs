//! The repository trait: every persistent operation the services need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use glint_domain::image_query::ImageListQuery;
use glint_domain::metadef::{
    Namespace, NamespaceContents, NamespaceQuery, ResourceType, ResourceTypeAssociation,
};
use glint_domain::{
    Image, ImageLocation, ImageMember, ImageStatus, ImageUpdate, LocationStatus, MemberStatus,
    OwnerUsage, Result, Task, TaskQuery, TaskUpdate,
};

/// The image catalog's storage. Operations mirror Glance's registry driver
/// so that a remote registry can carry them one for one.
///
/// Errors: `NotFound` for a missing (or soft-deleted) image, `Conflict` when a
/// compare-and-swap loses or a unique rule is broken, `Internal` for the
/// engine's own failures.
#[async_trait]
pub trait Repository: Send + Sync + 'static {
    /// Inserts a new image with its properties and tags.
    async fn image_create(&self, image: &Image) -> Result<Image>;

    /// Loads one image; soft-deleted ones only when `include_deleted`.
    async fn image_get(&self, id: &str, include_deleted: bool) -> Result<Image>;

    /// Lists images for a viewer, filtered, sorted and paged. A marker that
    /// does not name a visible image is `NotFound`.
    async fn image_get_all(&self, query: &ImageListQuery) -> Result<Vec<Image>>;

    /// Applies an update atomically (see [`ImageUpdate`]) and returns the
    /// image as stored afterwards.
    async fn image_update(&self, update: &ImageUpdate) -> Result<Image>;

    /// Soft-deletes an image with its properties, tags, members and
    /// locations. Its status becomes `deleted` unless it is `pending_delete`;
    /// locations pending delete keep that status for the scrubber.
    async fn image_destroy(&self, id: &str) -> Result<Image>;

    /// Reports that the work holding an image in `status` (an upload) is
    /// alive: sets `updated_at` to now and nothing else. `Conflict` when
    /// the image has left that status, `NotFound` when it is gone.
    async fn image_touch(&self, id: &str, status: ImageStatus) -> Result<()>;

    /// Adds a tag (no-op when present).
    async fn image_tag_add(&self, image_id: &str, tag: &str) -> Result<()>;

    /// Removes a tag; `NotFound` when the image does not carry it.
    async fn image_tag_delete(&self, image_id: &str, tag: &str) -> Result<()>;

    /// Adds a project as a member of an image (status `pending`).
    async fn image_member_create(&self, image_id: &str, member: &str) -> Result<ImageMember>;

    /// Sets a member's status.
    async fn image_member_update(
        &self,
        image_id: &str,
        member: &str,
        status: MemberStatus,
    ) -> Result<ImageMember>;

    /// Removes a membership (soft delete); `NotFound` when there is none.
    async fn image_member_delete(&self, image_id: &str, member: &str) -> Result<()>;

    /// Members of an image, optionally only `member`, optionally only those
    /// in `status`.
    async fn image_member_find(
        &self,
        image_id: &str,
        member: Option<&str>,
        status: Option<MemberStatus>,
    ) -> Result<Vec<ImageMember>>;

    /// Records a copy of an image's bytes.
    async fn image_location_add(&self, image_id: &str, location: &ImageLocation) -> Result<()>;

    /// Sets the status of an image's location (of live or deleted images);
    /// `Deleted` also soft-deletes the row.
    async fn image_location_set_status(
        &self,
        image_id: &str,
        url: &str,
        status: LocationStatus,
    ) -> Result<()>;

    /// Locations waiting for the scrubber whose image was deleted at or
    /// before `deleted_before`, as (image id, location).
    async fn image_locations_pending_delete(
        &self,
        deleted_before: DateTime<Utc>,
    ) -> Result<Vec<(String, ImageLocation)>>;

    /// Stores a namespace with everything in it, atomically; an existing
    /// name is `Conflict`. Unknown resource types are added.
    async fn metadef_namespace_create(&self, contents: &NamespaceContents) -> Result<()>;

    /// A namespace with its associations, properties, objects and tags.
    async fn metadef_namespace_get(&self, name: &str) -> Result<NamespaceContents>;

    /// Namespaces the viewer sees, with their associations.
    async fn metadef_namespace_list(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>>;

    /// Rewrites a namespace and everything in it (it may be renamed) if it
    /// was last updated at `expected`; otherwise `Conflict`.
    async fn metadef_namespace_replace(
        &self,
        name: &str,
        expected: DateTime<Utc>,
        contents: &NamespaceContents,
    ) -> Result<()>;

    /// Deletes a namespace and everything in it.
    async fn metadef_namespace_delete(&self, name: &str) -> Result<()>;

    /// Every known resource type.
    async fn metadef_resource_types(&self) -> Result<Vec<ResourceType>>;

    /// What an owner's live images use, for `user_storage_quota` and
    /// unified limits.
    async fn owner_usage(&self, owner: &str) -> Result<OwnerUsage>;

    /// Records a new task (a row before any work).
    async fn task_create(&self, task: &Task) -> Result<()>;

    /// Loads one live task; `NotFound` when missing or deleted.
    async fn task_get(&self, id: &str) -> Result<Task>;

    /// Lists live tasks, filtered, sorted (id breaks ties) and paged. A
    /// marker that names no visible task is `NotFound`.
    async fn task_get_all(&self, query: &TaskQuery) -> Result<Vec<Task>>;

    /// Writes an update if the task is still as the update expects
    /// (`from_status`, `from_updated_at`); otherwise `Conflict`.
    async fn task_update(&self, update: &TaskUpdate) -> Result<Task>;

    /// Soft-deletes tasks whose `expires_at` is before `now`; answers how
    /// many.
    async fn task_delete_expired(&self, now: DateTime<Utc>) -> Result<u64>;
}
