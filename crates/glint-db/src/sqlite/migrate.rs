//! Schema migrations, embedded in the binary and applied in order.

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
    let current = current.unwrap_or(0);
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
