//! Schema migrations, embedded in the binary and applied in order under a
//! server-wide lock, so that API nodes starting together migrate once.
//!
//! Migration 1 is Glance's schema. A database Glance made (its
//! `alembic_version` at a revision Glint can serve, and no
//! `glint_schema_version`) is adopted: migration 1 is recorded as applied
//! and only Glint's later ones run (see [`crate::glance_schema`]).

use glint_domain::Result;
use sqlx::{Acquire, Pool};

use super::dialect::{self, sql, MIGRATIONS};
use super::{db_error, Db};

pub(super) async fn run(pool: &Pool<Db>) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(db_error)?;
    sqlx::raw_sql(dialect::MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let result = migrate(&mut conn).await;
    let unlocked = sqlx::raw_sql(dialect::MIGRATION_UNLOCK)
        .execute(&mut *conn)
        .await
        .map_err(db_error);
    result.and(unlocked.map(|_| ()))
}

async fn migrate(conn: &mut sqlx::pool::PoolConnection<Db>) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS glint_schema_version (version INTEGER NOT NULL PRIMARY KEY)",
    )
    .execute(&mut **conn)
    .await
    .map_err(db_error)?;
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS version FROM glint_schema_version")
        .fetch_one(&mut **conn)
        .await
        .map_err(db_error)?;
    let mut current = dialect::get_i64(&row, "version")?;
    if current == 0 {
        if let Some(revisions) = glance_revisions(conn).await? {
            crate::glance_schema::check_adoptable(&revisions)?;
            record(conn, 1).await?;
            tracing::info!(
                revision = revisions.join(","),
                "adopted a database made by Glance (its schema is migration 1)"
            );
            current = 1;
        }
    }
    for (version, text) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        // PostgreSQL runs a migration and its record atomically; MySQL
        // commits each DDL statement as it goes.
        let mut tx = conn.begin().await.map_err(db_error)?;
        sqlx::raw_sql(text)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(&sql(
            "INSERT INTO glint_schema_version (version) VALUES (?)",
        ))
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        tracing::info!(
            version,
            engine = dialect::ENGINE,
            "applied database migration"
        );
    }
    Ok(())
}

async fn record(conn: &mut sqlx::pool::PoolConnection<Db>, version: i64) -> Result<()> {
    sqlx::query(&sql(
        "INSERT INTO glint_schema_version (version) VALUES (?)",
    ))
    .bind(version)
    .execute(&mut **conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// The rows of Glance's `alembic_version`, when the database has that
/// table (Glance made it, or Glint's migration 1 did).
async fn glance_revisions(
    conn: &mut sqlx::pool::PoolConnection<Db>,
) -> Result<Option<Vec<String>>> {
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema = {} AND table_name = 'alembic_version'",
        dialect::CURRENT_SCHEMA
    ))
    .fetch_one(&mut **conn)
    .await
    .map_err(db_error)?;
    if dialect::get_i64(&row, "n")? == 0 {
        return Ok(None);
    }
    let revisions: Vec<String> = sqlx::query_scalar("SELECT version_num FROM alembic_version")
        .fetch_all(&mut **conn)
        .await
        .map_err(db_error)?;
    Ok(Some(revisions))
}
