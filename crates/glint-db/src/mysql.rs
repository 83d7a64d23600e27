//! The MySQL/MariaDB backend, for clouds that run several API nodes on one
//! database server.
//!
//! The SQL lives in `src/server/`, whose files this module and
//! [`postgres`](crate::postgres) each compile with their own engine types;
//! this file holds only what MySQL says differently (the [`dialect`]).
//!
//! Connections run at READ COMMITTED, as on PostgreSQL: every write that
//! must not race takes the image's (or namespace's) row lock first, so
//! InnoDB's default REPEATABLE READ would only add gap locks and deadlocks.

/// The sqlx engine the shared SQL is compiled for.
type Db = sqlx::MySql;
type DbRow = sqlx::mysql::MySqlRow;

// The same files as `postgres`'s (clippy's duplicate_mod is allowed in lib.rs).
#[path = "server/images.rs"]
mod images;
#[path = "server/list.rs"]
mod list;
#[path = "server/locations.rs"]
mod locations;
#[path = "server/members.rs"]
mod members;
#[path = "server/metadefs.rs"]
mod metadefs;
#[path = "server/migrate.rs"]
mod migrate;
#[path = "server/repo.rs"]
mod repo;
#[path = "server/rows.rs"]
mod rows;
#[path = "any_engine/tasks.rs"]
mod tasks;

use crate::db_error;

pub use repo::ServerRepository as MysqlRepository;

mod dialect {
    //! How MySQL and MariaDB spell what the shared SQL needs.

    use std::borrow::Cow;
    use std::time::Duration;

    use glint_domain::Result;
    use sqlx::mysql::{MySqlPool, MySqlPoolOptions, MySqlRow};
    use sqlx::{Executor, Row};

    use crate::db_error;

    pub(super) const ENGINE: &str = "mysql";

    /// (version, SQL) in order; a database records the highest it has applied.
    pub(super) const MIGRATIONS: &[(i64, &str)] = &[
        (
            1,
            include_str!("../migrations/mysql/0001_glance_schema.sql"),
        ),
        (
            2,
            include_str!("../migrations/mysql/0002_glint_indexes.sql"),
        ),
    ];

    /// Serializes migrations between processes (held by one connection).
    pub(super) const MIGRATION_LOCK: &str = "SELECT GET_LOCK('glint_schema_migration', 600)";
    pub(super) const MIGRATION_UNLOCK: &str = "SELECT RELEASE_LOCK('glint_schema_migration')";

    /// The current schema, for `information_schema` look-ups.
    pub(super) const CURRENT_SCHEMA: &str = "DATABASE()";

    /// A bound image visibility (the ENUM column takes text as it is).
    pub(super) const VISIBILITY_PARAM: &str = "?";

    /// An integer aggregate (`SUM` is DECIMAL on MySQL) as BIGINT.
    pub(super) fn bigint(expr: &str) -> String {
        format!("CAST({expr} AS SIGNED)")
    }

    /// Sets an image property, reviving a soft-deleted row of the same name.
    pub(super) const UPSERT_PROPERTY: &str =
        "INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted) \
         VALUES (?, ?, ?, ?, ?, FALSE) \
         ON DUPLICATE KEY UPDATE value = VALUES(value), \
         updated_at = VALUES(updated_at), deleted = FALSE, deleted_at = NULL";

    /// Adds a resource type unless one of that name exists.
    pub(super) const INSERT_RESOURCE_TYPE: &str =
        "INSERT IGNORE INTO metadef_resource_types (name, protected, created_at, updated_at) \
         VALUES (?, FALSE, ?, ?)";

    /// MySQL's placeholders are the shared SQL's `?`.
    pub(super) fn sql(text: &str) -> Cow<'_, str> {
        Cow::Borrowed(text)
    }

    /// An integer column (any of MySQL's integer types).
    pub(super) fn get_i64(row: &MySqlRow, column: &str) -> Result<i64> {
        row.try_get::<i64, _>(column).map_err(db_error)
    }

    pub(super) async fn connect(url: &str) -> Result<MySqlPool> {
        MySqlPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                        .await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(db_error)
    }
}
