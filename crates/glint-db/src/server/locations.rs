//! Image location rows: where copies of an image's bytes live.

use chrono::{DateTime, Utc};
use glint_domain::{time, ImageLocation, LocationStatus, OwnerUsage, Result};
use sqlx::{Pool, Row, Transaction};

use super::dialect::{bigint, get_i64, sql};
use super::{db_error, images, Db};
use crate::sqlite::location_from_parts;

/// Adds a location under the image's row lock, so that it cannot slip in
/// beside a concurrent delete of the image.
pub(super) async fn add(pool: &Pool<Db>, image_id: &str, location: &ImageLocation) -> Result<()> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    images::lock(&mut tx, image_id).await?;
    insert(&mut tx, image_id, location).await?;
    tx.commit().await.map_err(db_error)
}

/// Inserts a location inside a transaction that has checked the image.
pub(super) async fn insert(
    tx: &mut Transaction<'_, Db>,
    image_id: &str,
    location: &ImageLocation,
) -> Result<()> {
    let now = time::now().naive_utc();
    let meta = serde_json::Value::Object(location.metadata.clone()).to_string();
    sqlx::query(&sql("INSERT INTO image_locations \
         (image_id, value, created_at, updated_at, deleted, meta_data, status) \
         VALUES (?, ?, ?, ?, FALSE, ?, ?)"))
    .bind(image_id)
    .bind(&location.url)
    .bind(now)
    .bind(now)
    .bind(meta)
    .bind(location.status.as_str())
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn set_status(
    pool: &Pool<Db>,
    image_id: &str,
    url: &str,
    status: LocationStatus,
) -> Result<()> {
    let now = time::now().naive_utc();
    let text = if status == LocationStatus::Deleted {
        "UPDATE image_locations SET status = ?, updated_at = ?, deleted = TRUE, deleted_at = ? \
         WHERE image_id = ? AND value = ? AND status != 'deleted'"
    } else {
        "UPDATE image_locations SET status = ?, updated_at = ? \
         WHERE image_id = ? AND value = ? AND status != 'deleted'"
    };
    let text = sql(text);
    let mut q = sqlx::query(&text).bind(status.as_str()).bind(now);
    if status == LocationStatus::Deleted {
        q = q.bind(now);
    }
    q.bind(image_id)
        .bind(url)
        .execute(pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn pending_delete(
    pool: &Pool<Db>,
    deleted_before: DateTime<Utc>,
) -> Result<Vec<(String, ImageLocation)>> {
    let rows = sqlx::query(&sql(
        "SELECT l.image_id, l.value, l.meta_data, l.status FROM image_locations l \
         JOIN images i ON i.id = l.image_id \
         WHERE l.status = 'pending_delete' AND i.deleted = TRUE AND i.deleted_at <= ? \
         ORDER BY l.id",
    ))
    .bind(deleted_before.naive_utc())
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let image_id: String = row.try_get("image_id").map_err(db_error)?;
            let status: String = row.try_get("status").map_err(db_error)?;
            let loc = location_from_parts(
                row.try_get("value").map_err(db_error)?,
                row.try_get("meta_data").map_err(db_error)?,
                &status,
            )?;
            Ok((image_id, loc))
        })
        .collect()
}

pub(super) async fn owner_usage(pool: &Pool<Db>, owner: &str) -> Result<OwnerUsage> {
    let text = format!(
        "SELECT {} AS stored, {} AS staged, {} AS images, {} AS uploading \
         FROM images WHERE owner = ? AND deleted = FALSE",
        bigint("COALESCE(SUM(size), 0)"),
        bigint("COALESCE(SUM(CASE WHEN status IN ('uploading', 'importing') THEN size END), 0)"),
        bigint("COUNT(*)"),
        bigint(
            "COALESCE(SUM(CASE WHEN status IN ('saving', 'uploading', 'importing') \
             THEN 1 ELSE 0 END), 0)"
        ),
    );
    let row = sqlx::query(&sql(&text))
        .bind(owner)
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
    let get = |column: &str| -> Result<u64> { Ok(get_i64(&row, column)?.max(0) as u64) };
    Ok(OwnerUsage {
        stored_bytes: get("stored")?,
        staged_bytes: get("staged")?,
        image_count: get("images")?,
        uploading_count: get("uploading")?,
    })
}
