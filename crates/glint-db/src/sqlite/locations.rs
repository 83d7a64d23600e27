//! Image location rows: where copies of an image's bytes live.

use chrono::{DateTime, Utc};
use glint_domain::{time, Error, ImageLocation, LocationStatus, OwnerUsage, Result};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::db_error;

pub(crate) fn location_from_parts(
    url: String,
    meta_data: Option<String>,
    status: &str,
) -> Result<ImageLocation> {
    let metadata = match meta_data.as_deref() {
        None | Some("") => serde_json::Map::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        },
    };
    Ok(ImageLocation {
        url,
        metadata,
        status: LocationStatus::parse(status)
            .ok_or_else(|| Error::internal(format!("unknown location status '{status}'")))?,
    })
}

pub(super) async fn add(
    conn: &mut SqliteConnection,
    image_id: &str,
    location: &ImageLocation,
) -> Result<()> {
    let live: Option<i64> = sqlx::query_scalar("SELECT 1 FROM images WHERE id = ? AND deleted = 0")
        .bind(image_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
    if live.is_none() {
        return Err(Error::image_not_found(image_id));
    }
    insert(&mut *conn, image_id, location).await?;
    Ok(())
}

/// Inserts a location inside a transaction that has checked the image.
pub(super) async fn insert(
    conn: &mut SqliteConnection,
    image_id: &str,
    location: &ImageLocation,
) -> Result<()> {
    let now = time::now().naive_utc();
    let meta = serde_json::Value::Object(location.metadata.clone()).to_string();
    sqlx::query(
        "INSERT INTO image_locations (image_id, value, created_at, updated_at, deleted, meta_data, status) \
         VALUES (?, ?, ?, ?, 0, ?, ?)",
    )
    .bind(image_id)
    .bind(&location.url)
    .bind(now)
    .bind(now)
    .bind(meta)
    .bind(location.status.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn set_status(
    conn: &mut SqliteConnection,
    image_id: &str,
    url: &str,
    status: LocationStatus,
) -> Result<()> {
    let now = time::now().naive_utc();
    let deleted = status == LocationStatus::Deleted;
    sqlx::query(
        "UPDATE image_locations SET status = ?, updated_at = ?, \
         deleted = CASE WHEN ? THEN 1 ELSE deleted END, \
         deleted_at = CASE WHEN ? THEN ? ELSE deleted_at END \
         WHERE image_id = ? AND value = ? AND status != 'deleted'",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(deleted)
    .bind(deleted)
    .bind(now)
    .bind(image_id)
    .bind(url)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn pending_delete(
    pool: &SqlitePool,
    deleted_before: DateTime<Utc>,
) -> Result<Vec<(String, ImageLocation)>> {
    let rows = sqlx::query(
        "SELECT l.image_id, l.value, l.meta_data, l.status FROM image_locations l \
         JOIN images i ON i.id = l.image_id \
         WHERE l.status = 'pending_delete' AND i.deleted = 1 AND i.deleted_at <= ? \
         ORDER BY l.id",
    )
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

pub(super) async fn owner_usage(pool: &SqlitePool, owner: &str) -> Result<OwnerUsage> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(size), 0) AS stored, \
         COALESCE(SUM(CASE WHEN status IN ('uploading', 'importing') THEN size END), 0) AS staged, \
         COUNT(*) AS images, \
         COALESCE(SUM(CASE WHEN status IN ('saving', 'uploading', 'importing') THEN 1 ELSE 0 END), 0) AS uploading \
         FROM images WHERE owner = ? AND deleted = 0",
    )
    .bind(owner)
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    let get = |column: &str| -> Result<u64> {
        let v: i64 = row.try_get(column).map_err(db_error)?;
        Ok(v.max(0) as u64)
    };
    Ok(OwnerUsage {
        stored_bytes: get("stored")?,
        staged_bytes: get("staged")?,
        image_count: get("images")?,
        uploading_count: get("uploading")?,
    })
}
