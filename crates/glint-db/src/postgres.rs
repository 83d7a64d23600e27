//! The PostgreSQL backend, for clouds that run several API nodes on one
//! database server.
//!
//! The SQL lives in `src/server/`, whose files this module and
//! [`mysql`](crate::mysql) each compile with their own engine types; this
//! file holds only what PostgreSQL says differently (the [`dialect`]).

/// The sqlx engine the shared SQL is compiled for.
type Db = sqlx::Postgres;
type DbRow = sqlx::postgres::PgRow;

// The same files as `mysql`'s (clippy's duplicate_mod is allowed in lib.rs).
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

pub use repo::ServerRepository as PostgresRepository;

mod dialect {
    //! How PostgreSQL spells what the shared SQL needs.

    use std::borrow::Cow;
    use std::time::Duration;

    use glint_domain::Result;
    use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
    use sqlx::Row;

    use crate::db_error;

    pub(super) const ENGINE: &str = "postgresql";

    /// (version, SQL) in order; a database records the highest it has applied.
    pub(super) const MIGRATIONS: &[(i64, &str)] = &[
        (
            1,
            include_str!("../migrations/postgres/0001_glance_schema.sql"),
        ),
        (
            2,
            include_str!("../migrations/postgres/0002_glint_indexes.sql"),
        ),
    ];

    /// Serializes migrations between processes (held by one connection).
    pub(super) const MIGRATION_LOCK: &str = "SELECT pg_advisory_lock(7462697)";
    pub(super) const MIGRATION_UNLOCK: &str = "SELECT pg_advisory_unlock(7462697)";

    /// The current schema, for `information_schema` look-ups.
    pub(super) const CURRENT_SCHEMA: &str = "current_schema()";

    /// A bound image visibility: Glance's column is the `image_visibility`
    /// enum, which a text parameter does not compare with uncast.
    pub(super) const VISIBILITY_PARAM: &str = "CAST(? AS image_visibility)";

    /// An integer aggregate (`SUM` is `numeric` on PostgreSQL) as BIGINT.
    pub(super) fn bigint(expr: &str) -> String {
        format!("CAST({expr} AS BIGINT)")
    }

    /// Sets an image property, reviving a soft-deleted row of the same name.
    pub(super) const UPSERT_PROPERTY: &str =
        "INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted) \
         VALUES (?, ?, ?, ?, ?, FALSE) \
         ON CONFLICT (image_id, name) DO UPDATE SET value = EXCLUDED.value, \
         updated_at = EXCLUDED.updated_at, deleted = FALSE, deleted_at = NULL";

    /// Adds a resource type unless one of that name exists.
    pub(super) const INSERT_RESOURCE_TYPE: &str =
        "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at) \
         VALUES (?, FALSE, ?, ?) ON CONFLICT (name) DO NOTHING";

    /// `?` placeholders become `$1`, `$2`, … (no statement here holds a
    /// `?` inside a string literal).
    pub(super) fn sql(text: &str) -> Cow<'_, str> {
        if !text.contains('?') {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut n = 0;
        for c in text.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }

    /// An integer column: Glance's ids and sizes are INTEGER (int4) or
    /// BIGINT (int8), which PostgreSQL keeps apart.
    pub(super) fn get_i64(row: &PgRow, column: &str) -> Result<i64> {
        match row.try_get::<i64, _>(column) {
            Ok(v) => Ok(v),
            Err(_) => row
                .try_get::<i32, _>(column)
                .map(i64::from)
                .map_err(db_error),
        }
    }

    pub(super) async fn connect(url: &str) -> Result<PgPool> {
        PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(db_error)
    }
}
