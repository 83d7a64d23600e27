//! Image rows: create, read, compare-and-swap update, soft delete, tags.

use chrono::{DateTime, NaiveDateTime, Utc};
use glint_domain::{time, Error, Image, ImageStatus, ImageUpdate, Result};
use sqlx::{Pool, QueryBuilder, Transaction};

use super::dialect::{self, sql};
use super::rows::{attach_details, image_from_row, IMAGE_COLUMNS};
use super::{db_error, Db};

fn naive(t: &DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub(super) async fn create(pool: &Pool<Db>, image: &Image) -> Result<()> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    let insert = format!(
        "INSERT INTO images (id, name, size, status, created_at, updated_at, deleted, \
         disk_format, container_format, checksum, owner, min_disk, min_ram, protected, \
         virtual_size, visibility, os_hidden, os_hash_algo, os_hash_value) \
         VALUES (?, ?, ?, ?, ?, ?, FALSE, ?, ?, ?, ?, ?, ?, ?, ?, {}, ?, ?, ?)",
        dialect::VISIBILITY_PARAM
    );
    let inserted = sqlx::query(&sql(&insert))
        .bind(&image.id)
        .bind(&image.name)
        .bind(image.size)
        .bind(image.status.as_str())
        .bind(naive(&image.created_at))
        .bind(naive(&image.updated_at))
        .bind(&image.disk_format)
        .bind(&image.container_format)
        .bind(&image.checksum)
        .bind(&image.owner)
        .bind(image.min_disk)
        .bind(image.min_ram)
        .bind(image.protected)
        .bind(image.virtual_size)
        .bind(image.visibility.as_str())
        .bind(image.os_hidden)
        .bind(&image.os_hash_algo)
        .bind(&image.os_hash_value)
        .execute(&mut *tx)
        .await;
    if let Err(e) = inserted {
        return Err(match db_error(e) {
            Error::Conflict(_) => Error::conflict(format!(
                "Image with identifier {} already exists!",
                image.id
            )),
            other => other,
        });
    }
    for (name, value) in &image.properties {
        set_property(&mut tx, &image.id, name, value, &image.created_at).await?;
    }
    for tag in &image.tags {
        add_tag(&mut tx, &image.id, tag, &image.created_at).await?;
    }
    tx.commit().await.map_err(db_error)
}

pub(super) async fn get(pool: &Pool<Db>, id: &str, include_deleted: bool) -> Result<Image> {
    let text = format!(
        "SELECT {IMAGE_COLUMNS} FROM images WHERE id = ?{}",
        if include_deleted {
            ""
        } else {
            " AND deleted = FALSE"
        }
    );
    let row = sqlx::query(&sql(&text))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::image_not_found(id))?;
    let mut images = vec![image_from_row(&row)?];
    attach_details(pool, &mut images).await?;
    Ok(images.remove(0))
}

/// The update's first statement changes the image row, so it holds that
/// row's lock for the rest of the transaction: a racing update waits, then
/// re-reads the row and finds the status it expected gone (both engines'
/// UPDATE evaluates its WHERE on the latest committed row).
pub(super) async fn update(pool: &Pool<Db>, update: &ImageUpdate) -> Result<()> {
    let image = &update.image;
    let now = time::now();
    let mut tx = pool.begin().await.map_err(db_error)?;
    let mut text = format!(
        "UPDATE images SET name = ?, size = ?, status = ?, updated_at = ?, disk_format = ?, \
         container_format = ?, checksum = ?, owner = ?, min_disk = ?, min_ram = ?, protected = ?, \
         virtual_size = ?, visibility = {}, os_hidden = ?, os_hash_algo = ?, os_hash_value = ? \
         WHERE id = ? AND deleted = FALSE",
        dialect::VISIBILITY_PARAM
    );
    if update.from_state.is_some() {
        text.push_str(" AND status = ?");
    }
    let text = sql(&text);
    let mut q = sqlx::query(&text)
        .bind(&image.name)
        .bind(image.size)
        .bind(image.status.as_str())
        .bind(naive(&now))
        .bind(&image.disk_format)
        .bind(&image.container_format)
        .bind(&image.checksum)
        .bind(&image.owner)
        .bind(image.min_disk)
        .bind(image.min_ram)
        .bind(image.protected)
        .bind(image.virtual_size)
        .bind(image.visibility.as_str())
        .bind(image.os_hidden)
        .bind(&image.os_hash_algo)
        .bind(&image.os_hash_value)
        .bind(&image.id);
    if let Some(from) = update.from_state {
        q = q.bind(from.as_str());
    }
    let updated = q.execute(&mut *tx).await.map_err(db_error)?.rows_affected();
    if updated == 0 {
        drop(tx);
        let current = get(pool, &image.id, false).await?;
        return Err(Error::conflict(format!(
            "Image status transition from {} to {} is not allowed",
            current.status, image.status
        )));
    }

    if update.purge_properties {
        let mut q =
            QueryBuilder::<Db>::new("UPDATE image_properties SET deleted = TRUE, deleted_at = ");
        q.push_bind(naive(&now));
        q.push(" WHERE image_id = ");
        q.push_bind(image.id.clone());
        q.push(" AND deleted = FALSE");
        if !update.set_properties.is_empty() {
            q.push(" AND name NOT IN (");
            let mut sep = q.separated(", ");
            for name in update.set_properties.keys() {
                sep.push_bind(name.clone());
            }
            q.push(")");
        }
        q.build().execute(&mut *tx).await.map_err(db_error)?;
    }
    for name in &update.remove_properties {
        sqlx::query(&sql(
            "UPDATE image_properties SET deleted = TRUE, deleted_at = ? \
             WHERE image_id = ? AND name = ? AND deleted = FALSE",
        ))
        .bind(naive(&now))
        .bind(&image.id)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    for (name, value) in &update.set_properties {
        set_property(&mut tx, &image.id, name, value, &now).await?;
    }
    if let Some(tags) = &update.tags {
        let mut q = QueryBuilder::<Db>::new("UPDATE image_tags SET deleted = TRUE, deleted_at = ");
        q.push_bind(naive(&now));
        q.push(" WHERE image_id = ");
        q.push_bind(image.id.clone());
        q.push(" AND deleted = FALSE");
        if !tags.is_empty() {
            q.push(" AND value NOT IN (");
            let mut sep = q.separated(", ");
            for tag in tags {
                sep.push_bind(tag.clone());
            }
            q.push(")");
        }
        q.build().execute(&mut *tx).await.map_err(db_error)?;
        for tag in tags {
            add_tag(&mut tx, &image.id, tag, &now).await?;
        }
    }
    for location in &update.add_locations {
        super::locations::insert(&mut tx, &image.id, location).await?;
    }
    tx.commit().await.map_err(db_error)
}

pub(super) async fn destroy(pool: &Pool<Db>, id: &str) -> Result<()> {
    let now = naive(&time::now());
    let mut tx = pool.begin().await.map_err(db_error)?;
    let done = sqlx::query(&sql(
        "UPDATE images SET deleted = TRUE, deleted_at = ?, updated_at = ?, \
         status = CASE WHEN status = ? THEN status ELSE ? END \
         WHERE id = ? AND deleted = FALSE",
    ))
    .bind(now)
    .bind(now)
    .bind(ImageStatus::PendingDelete.as_str())
    .bind(ImageStatus::Deleted.as_str())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if done == 0 {
        return Err(Error::image_not_found(id));
    }
    for table in [
        "image_properties",
        "image_tags",
        "image_members",
        "image_locations",
    ] {
        sqlx::query(&sql(&format!(
            "UPDATE {table} SET deleted = TRUE, deleted_at = ? \
             WHERE image_id = ? AND deleted = FALSE"
        )))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

pub(super) async fn tag_add(pool: &Pool<Db>, image_id: &str, tag: &str) -> Result<()> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    touch(&mut tx, image_id).await?;
    add_tag(&mut tx, image_id, tag, &time::now()).await?;
    tx.commit().await.map_err(db_error)
}

pub(super) async fn tag_delete(pool: &Pool<Db>, image_id: &str, tag: &str) -> Result<()> {
    let now = time::now();
    let mut tx = pool.begin().await.map_err(db_error)?;
    touch(&mut tx, image_id).await?;
    let removed = sqlx::query(&sql(
        "UPDATE image_tags SET deleted = TRUE, deleted_at = ? \
         WHERE image_id = ? AND value = ? AND deleted = FALSE",
    ))
    .bind(naive(&now))
    .bind(image_id)
    .bind(tag)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if removed == 0 {
        return Err(Error::not_found(format!("Tag {tag} not found")));
    }
    tx.commit().await.map_err(db_error)
}

/// Bumps `updated_at` of an image still in `status` (see
/// `Repository::image_touch`).
pub(super) async fn touch_in_status(
    pool: &Pool<Db>,
    image_id: &str,
    status: ImageStatus,
) -> Result<()> {
    let n = sqlx::query(&sql(
        "UPDATE images SET updated_at = ? WHERE id = ? AND deleted = FALSE AND status = ?",
    ))
    .bind(naive(&time::now()))
    .bind(image_id)
    .bind(status.as_str())
    .execute(pool)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        get(pool, image_id, false).await?;
        return Err(Error::image_left_status(image_id, status));
    }
    Ok(())
}

/// Bumps `updated_at`, failing with `NotFound` for a missing image; the
/// image's row stays locked until the transaction ends, so writers of its
/// tags queue behind each other.
async fn touch(tx: &mut Transaction<'_, Db>, image_id: &str) -> Result<()> {
    let n = sqlx::query(&sql(
        "UPDATE images SET updated_at = ? WHERE id = ? AND deleted = FALSE",
    ))
    .bind(naive(&time::now()))
    .bind(image_id)
    .execute(&mut **tx)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        return Err(Error::image_not_found(image_id));
    }
    Ok(())
}

/// Locks a live image's row for the rest of the transaction.
pub(super) async fn lock(tx: &mut Transaction<'_, Db>, image_id: &str) -> Result<()> {
    sqlx::query(&sql(
        "SELECT id FROM images WHERE id = ? AND deleted = FALSE FOR UPDATE",
    ))
    .bind(image_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?
    .ok_or_else(|| Error::image_not_found(image_id))?;
    Ok(())
}

/// Sets a property, reviving a soft-deleted row of the same name.
async fn set_property(
    tx: &mut Transaction<'_, Db>,
    image_id: &str,
    name: &str,
    value: &str,
    now: &DateTime<Utc>,
) -> Result<()> {
    sqlx::query(&sql(dialect::UPSERT_PROPERTY))
        .bind(image_id)
        .bind(name)
        .bind(value)
        .bind(naive(now))
        .bind(naive(now))
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Adds a tag unless the image already carries it (the caller holds the
/// image's row lock, so the check and the insert do not race).
async fn add_tag(
    tx: &mut Transaction<'_, Db>,
    image_id: &str,
    tag: &str,
    now: &DateTime<Utc>,
) -> Result<()> {
    let present = sqlx::query(&sql(
        "SELECT id FROM image_tags WHERE image_id = ? AND value = ? AND deleted = FALSE",
    ))
    .bind(image_id)
    .bind(tag)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    if present.is_some() {
        return Ok(());
    }
    sqlx::query(&sql(
        "INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted) \
         VALUES (?, ?, ?, ?, FALSE)",
    ))
    .bind(image_id)
    .bind(tag)
    .bind(naive(now))
    .bind(naive(now))
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}
