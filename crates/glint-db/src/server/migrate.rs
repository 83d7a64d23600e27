//! Schema migrations, embedded in the binary and applied in order under a
//! server-wide lock, so that API nodes starting together migrate once.
//!
//! Migration 1 is Glance's schema. A database Glance made (it has an
//! `images` table but no `glint_schema_version`) is adopted: migration 1
//! is recorded as applied and only Glint's later ones run.

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
    if current == 0 && glance_made(conn).await? {
        record(conn, 1).await?;
        tracing::info!("adopted a database made by Glance (its schema is migration 1)");
        current = 1;
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

/// Whether the database already holds Glance's `images` table.
async fn glance_made(conn: &mut sqlx::pool::PoolConnection<Db>) -> Result<bool> {
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_schema = {} AND table_name = 'images'",
        dialect::CURRENT_SCHEMA
    ))
    .fetch_one(&mut **conn)
    .await
    .map_err(db_error)?;
    Ok(dialect::get_i64(&row, "n")? > 0)
}
