//! Schema migrations, embedded in the binary and applied in order.
//!
//! Migration 1 is Glance's schema; a database Glance made is adopted as on
//! the server engines (see [`crate::glance_schema`]).

use glint_domain::Result;
use sqlx::SqlitePool;

use super::db_error;

/// (version, SQL) in order; a database records the highest it has applied.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("../../migrations/sqlite/0001_glance_schema.sql"),
    ),
    (
        2,
        include_str!("../../migrations/sqlite/0002_list_indexes.sql"),
    ),
];

pub(super) async fn run(pool: &SqlitePool) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS glint_schema_version (version INTEGER NOT NULL PRIMARY KEY)",
    )
    .execute(pool)
    .await
    .map_err(db_error)?;
    let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM glint_schema_version")
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
    let mut current = current.unwrap_or(0);
    if current == 0 {
        if let Some(revisions) = glance_revisions(pool).await? {
            crate::glance_schema::check_adoptable(&revisions)?;
            sqlx::query("INSERT INTO glint_schema_version (version) VALUES (1)")
                .execute(pool)
                .await
                .map_err(db_error)?;
            tracing::info!(
                revision = revisions.join(","),
                "adopted a database made by Glance (its schema is migration 1)"
            );
            current = 1;
        }
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let mut tx = pool.begin().await.map_err(db_error)?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("INSERT INTO glint_schema_version (version) VALUES (?)")
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

/// The rows of Glance's `alembic_version`, when the database has that table.
async fn glance_revisions(pool: &SqlitePool) -> Result<Option<Vec<String>>> {
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
    )
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    if tables == 0 {
        return Ok(None);
    }
    let revisions: Vec<String> = sqlx::query_scalar("SELECT version_num FROM alembic_version")
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    Ok(Some(revisions))
}
