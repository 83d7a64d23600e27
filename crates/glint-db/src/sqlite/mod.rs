//! The SQLite backend: the default, embedded database.
//!
//! Writes go through a pool of one connection so that one process never
//! races itself for SQLite's write lock; reads use a pool of several (WAL
//! mode lets them run beside the writer). Other processes sharing the file
//! wait on SQLite's busy timeout.

mod checkpointer;
mod images;
mod list;
mod locations;
mod members;
mod metadefs;
mod migrate;
mod rows;
#[path = "../any_engine/tasks.rs"]
mod tasks;
mod writer;

/// The engine types and dialect the SQL shared by every engine
/// (`src/any_engine/`) is compiled with.
type Db = sqlx::Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
mod dialect {
    /// SQLite takes `?` placeholders as they are.
    pub(super) fn sql(text: &str) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(text)
    }
}

pub(crate) use locations::location_from_parts;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use glint_domain::image_query::ImageListQuery;
use glint_domain::{
    Error, Image, ImageLocation, ImageMember, ImageStatus, ImageUpdate, LocationStatus,
    MemberStatus, OwnerUsage, Result, Task, TaskQuery, TaskUpdate,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::Repository;
use glint_domain::metadef::NamespaceQuery;
use glint_domain::metadef::{Namespace, NamespaceContents, ResourceType, ResourceTypeAssociation};
use writer::Writer;

/// How much of the database file connections map into memory (SQLite maps
/// at most the file's size).
const MMAP_SIZE: u64 = 1 << 30;

#[derive(Clone)]
pub struct SqliteRepository {
    reader: SqlitePool,
    writer: Writer,
}

/// Turns an engine error into the domain's: unique violations are
/// conflicts, everything else an internal error.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return Error::conflict(db.message().to_string());
        }
    }
    tracing::error!(error = %e, "database error");
    Error::internal(format!("database error: {e}"))
}

impl SqliteRepository {
    /// Opens (creating when missing) the database at `path`, or a private
    /// in-memory database for `None`, and migrates it.
    pub async fn open(path: Option<&Path>) -> Result<Self> {
        let (reader, writer, checkpoints) = match path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        Error::internal(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30));
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    // Checkpoints run on a connection of their own.
                    .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
                    .await
                    .map_err(db_error)?;
                migrate::run(&writer).await?;
                let checkpoints = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.clone())
                    .await
                    .map_err(db_error)?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(8)
                    // Readers see pages through a memory map of the file
                    // (the kernel's page cache, shared), not through a
                    // read() and a copy into each connection's own cache.
                    .connect_with(
                        options
                            .read_only(true)
                            .pragma("mmap_size", MMAP_SIZE.to_string()),
                    )
                    .await
                    .map_err(db_error)?;
                (reader, writer, Some(checkpoints))
            }
            None => {
                // One connection: each in-memory connection is its own database.
                let options = SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(db_error)?
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await
                    .map_err(db_error)?;
                migrate::run(&pool).await?;
                (pool.clone(), pool, None)
            }
        };
        let writer = Writer::start(writer, checkpoints)?;
        Ok(SqliteRepository { reader, writer })
    }
}

#[async_trait]
impl Repository for SqliteRepository {
    async fn image_create(&self, image: &Image) -> Result<Image> {
        let new = image.clone();
        self.writer
            .run(move |c| Box::pin(async move { images::create(c, &new).await }))
            .await?;
        // Stored as given: every column round-trips, so no read-back.
        Ok(image.clone())
    }

    async fn image_get(&self, id: &str, include_deleted: bool) -> Result<Image> {
        images::get(&self.reader, id, include_deleted).await
    }

    async fn image_get_all(&self, query: &ImageListQuery) -> Result<Vec<Image>> {
        list::image_get_all(&self.reader, query).await
    }

    async fn image_update(&self, update: &ImageUpdate) -> Result<Image> {
        let update = update.clone();
        let id = update.image.id.clone();
        self.writer
            .run(move |c| Box::pin(async move { images::update(c, &update).await }))
            .await?;
        // Committed: a reader sees it, and the writer is free for the next.
        images::get(&self.reader, &id, false).await
    }

    async fn image_destroy(&self, id: &str) -> Result<Image> {
        let id = id.to_string();
        self.writer
            .run(move |c| {
                Box::pin(async move {
                    images::destroy(&mut *c, &id).await?;
                    images::get(c, &id, true).await
                })
            })
            .await
    }

    async fn image_touch(&self, id: &str, status: ImageStatus) -> Result<()> {
        let id = id.to_string();
        self.writer
            .run(move |c| Box::pin(async move { images::touch_in_status(c, &id, status).await }))
            .await
    }

    async fn image_tag_add(&self, image_id: &str, tag: &str) -> Result<()> {
        let (id, tag) = (image_id.to_string(), tag.to_string());
        self.writer
            .run(move |c| Box::pin(async move { images::tag_add(c, &id, &tag).await }))
            .await
    }

    async fn image_tag_delete(&self, image_id: &str, tag: &str) -> Result<()> {
        let (id, tag) = (image_id.to_string(), tag.to_string());
        self.writer
            .run(move |c| Box::pin(async move { images::tag_delete(c, &id, &tag).await }))
            .await
    }

    async fn image_member_create(&self, image_id: &str, member: &str) -> Result<ImageMember> {
        let (id, member) = (image_id.to_string(), member.to_string());
        self.writer
            .run(move |c| Box::pin(async move { members::create(c, &id, &member).await }))
            .await
    }

    async fn image_member_update(
        &self,
        image_id: &str,
        member: &str,
        status: MemberStatus,
    ) -> Result<ImageMember> {
        let (id, member) = (image_id.to_string(), member.to_string());
        self.writer
            .run(move |c| Box::pin(async move { members::update(c, &id, &member, status).await }))
            .await
    }

    async fn image_member_delete(&self, image_id: &str, member: &str) -> Result<()> {
        let (id, member) = (image_id.to_string(), member.to_string());
        self.writer
            .run(move |c| Box::pin(async move { members::delete(c, &id, &member).await }))
            .await
    }

    async fn image_member_find(
        &self,
        image_id: &str,
        member: Option<&str>,
        status: Option<MemberStatus>,
    ) -> Result<Vec<ImageMember>> {
        members::find(&self.reader, image_id, member, status).await
    }

    async fn image_location_add(&self, image_id: &str, location: &ImageLocation) -> Result<()> {
        let (id, location) = (image_id.to_string(), location.clone());
        self.writer
            .run(move |c| Box::pin(async move { locations::add(c, &id, &location).await }))
            .await
    }

    async fn image_location_set_status(
        &self,
        image_id: &str,
        url: &str,
        status: LocationStatus,
    ) -> Result<()> {
        let (id, url) = (image_id.to_string(), url.to_string());
        self.writer
            .run(move |c| {
                Box::pin(async move { locations::set_status(c, &id, &url, status).await })
            })
            .await
    }

    async fn image_locations_pending_delete(
        &self,
        deleted_before: DateTime<Utc>,
    ) -> Result<Vec<(String, ImageLocation)>> {
        locations::pending_delete(&self.reader, deleted_before).await
    }

    async fn metadef_namespace_create(&self, contents: &NamespaceContents) -> Result<()> {
        let contents = contents.clone();
        self.writer
            .run(move |c| Box::pin(async move { metadefs::create(c, &contents).await }))
            .await
    }

    async fn metadef_namespace_get(&self, name: &str) -> Result<NamespaceContents> {
        metadefs::get(&self.reader, name).await
    }

    async fn metadef_namespace_list(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>> {
        metadefs::list(&self.reader, query).await
    }

    async fn metadef_namespace_replace(
        &self,
        name: &str,
        expected: DateTime<Utc>,
        contents: &NamespaceContents,
    ) -> Result<()> {
        let (name, contents) = (name.to_string(), contents.clone());
        self.writer
            .run(move |c| {
                Box::pin(async move { metadefs::replace(c, &name, expected, &contents).await })
            })
            .await
    }

    async fn metadef_namespace_delete(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.writer
            .run(move |c| Box::pin(async move { metadefs::delete(c, &name).await }))
            .await
    }

    async fn metadef_resource_types(&self) -> Result<Vec<ResourceType>> {
        metadefs::resource_types(&self.reader).await
    }

    async fn owner_usage(&self, owner: &str) -> Result<OwnerUsage> {
        locations::owner_usage(&self.reader, owner).await
    }

    async fn task_create(&self, task: &Task) -> Result<()> {
        let task = task.clone();
        self.writer
            .run(move |c| Box::pin(async move { tasks::create(c, &task).await }))
            .await
    }

    async fn task_get(&self, id: &str) -> Result<Task> {
        tasks::get(&self.reader, id).await
    }

    async fn task_get_all(&self, query: &TaskQuery) -> Result<Vec<Task>> {
        let marker = match &query.marker {
            Some(id) => Some(tasks::get(&self.reader, id).await?),
            None => None,
        };
        tasks::get_all(&self.reader, marker.as_ref(), query).await
    }

    async fn task_update(&self, update: &TaskUpdate) -> Result<Task> {
        let update = update.clone();
        let id = update.id.clone();
        self.writer
            .run(move |c| Box::pin(async move { tasks::update(c, &update).await }))
            .await?;
        tasks::get(&self.reader, &id).await
    }

    async fn task_delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        self.writer
            .run(move |c| Box::pin(async move { tasks::delete_expired(c, now).await }))
            .await
    }
}
