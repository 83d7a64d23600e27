//! The repository on a database server: one pool, each operation one
//! function of this folder's modules.
//!
//! Concurrency: every write that must not race another node's runs in one
//! transaction that first takes the row lock of what it changes (the
//! image's row, through an `UPDATE` or `SELECT … FOR UPDATE`, or the
//! namespace's), so writers to one image queue on the server while writers
//! to different images do not meet. Compare-and-swaps (`from_state`, a
//! namespace's `updated_at`) are conditions checked under that lock.

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
use sqlx::Pool;

use super::{dialect, images, list, locations, members, metadefs, migrate, tasks, Db};
use crate::db_error;
use crate::Repository;

#[derive(Clone)]
pub struct ServerRepository {
    pool: Pool<Db>,
}

impl ServerRepository {
    /// Connects to the database at `url` (sqlx's form of the engine's URL)
    /// and migrates it.
    pub async fn open(url: &str) -> Result<Self> {
        let pool = dialect::connect(url).await?;
        migrate::run(&pool).await?;
        Ok(ServerRepository { pool })
    }

    /// The engine's name, as `[database] connection` URLs spell it.
    pub fn engine(&self) -> &'static str {
        dialect::ENGINE
    }

    /// Closes every connection (a database cannot be dropped while they
    /// are open on PostgreSQL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Repository for ServerRepository {
    async fn image_create(&self, image: &Image) -> Result<Image> {
        images::create(&self.pool, image).await?;
        self.image_get(&image.id, false).await
    }

    async fn image_get(&self, id: &str, include_deleted: bool) -> Result<Image> {
        images::get(&self.pool, id, include_deleted).await
    }

    async fn image_get_all(&self, query: &ImageListQuery) -> Result<Vec<Image>> {
        list::image_get_all(&self.pool, query).await
    }

    async fn image_update(&self, update: &ImageUpdate) -> Result<Image> {
        images::update(&self.pool, update).await?;
        images::get(&self.pool, &update.image.id, false).await
    }

    async fn image_destroy(&self, id: &str) -> Result<Image> {
        images::destroy(&self.pool, id).await?;
        images::get(&self.pool, id, true).await
    }

    async fn image_touch(&self, id: &str, status: ImageStatus) -> Result<()> {
        images::touch_in_status(&self.pool, id, status).await
    }

    async fn image_tag_add(&self, image_id: &str, tag: &str) -> Result<()> {
        images::tag_add(&self.pool, image_id, tag).await
    }

    async fn image_tag_delete(&self, image_id: &str, tag: &str) -> Result<()> {
        images::tag_delete(&self.pool, image_id, tag).await
    }

    async fn image_member_create(&self, image_id: &str, member: &str) -> Result<ImageMember> {
        members::create(&self.pool, image_id, member).await
    }

    async fn image_member_update(
        &self,
        image_id: &str,
        member: &str,
        status: MemberStatus,
    ) -> Result<ImageMember> {
        members::update(&self.pool, image_id, member, status).await
    }

    async fn image_member_delete(&self, image_id: &str, member: &str) -> Result<()> {
        members::delete(&self.pool, image_id, member).await
    }

    async fn image_member_find(
        &self,
        image_id: &str,
        member: Option<&str>,
        status: Option<MemberStatus>,
    ) -> Result<Vec<ImageMember>> {
        members::find(&self.pool, image_id, member, status).await
    }

    async fn image_location_add(&self, image_id: &str, location: &ImageLocation) -> Result<()> {
        locations::add(&self.pool, image_id, location).await
    }

    async fn image_location_set_status(
        &self,
        image_id: &str,
        url: &str,
        status: LocationStatus,
    ) -> Result<()> {
        locations::set_status(&self.pool, image_id, url, status).await
    }

    async fn image_locations_pending_delete(
        &self,
        deleted_before: DateTime<Utc>,
    ) -> Result<Vec<(String, ImageLocation)>> {
        locations::pending_delete(&self.pool, deleted_before).await
    }

    async fn metadef_namespace_create(&self, contents: &NamespaceContents) -> Result<()> {
        metadefs::create(&self.pool, contents).await
    }

    async fn metadef_namespace_get(&self, name: &str) -> Result<NamespaceContents> {
        metadefs::get(&self.pool, name).await
    }

    async fn metadef_namespace_list(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>> {
        metadefs::list(&self.pool, query).await
    }

    async fn metadef_namespace_replace(
        &self,
        name: &str,
        expected: DateTime<Utc>,
        contents: &NamespaceContents,
    ) -> Result<()> {
        metadefs::replace(&self.pool, name, expected, contents).await
    }

    async fn metadef_namespace_delete(&self, name: &str) -> Result<()> {
        metadefs::delete(&self.pool, name).await
    }

    async fn metadef_resource_types(&self) -> Result<Vec<ResourceType>> {
        metadefs::resource_types(&self.pool).await
    }

    async fn owner_usage(&self, owner: &str) -> Result<OwnerUsage> {
        locations::owner_usage(&self.pool, owner).await
    }

    async fn task_create(&self, task: &Task) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        tasks::create(&mut tx, task).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn task_get(&self, id: &str) -> Result<Task> {
        tasks::get(&self.pool, id).await
    }

    async fn task_get_all(&self, query: &TaskQuery) -> Result<Vec<Task>> {
        let marker = match &query.marker {
            Some(id) => Some(tasks::get(&self.pool, id).await?),
            None => None,
        };
        tasks::get_all(&self.pool, marker.as_ref(), query).await
    }

    async fn task_update(&self, update: &TaskUpdate) -> Result<Task> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        tasks::update(&mut tx, update).await?;
        tx.commit().await.map_err(db_error)?;
        tasks::get(&self.pool, &update.id).await
    }

    async fn task_delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        tasks::delete_expired(&self.pool, now).await
    }
}
