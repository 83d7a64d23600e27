//! Image rows: create, read, compare-and-swap update, soft delete, tags.

use chrono::NaiveDateTime;
use glint_domain::{time, Error, Image, ImageStatus, ImageUpdate, Result};
use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};

use super::db_error;
use super::rows::{image_with_details_from_row, DETAIL_COLUMNS, IMAGE_COLUMNS};

fn naive(t: &chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub(super) async fn create(conn: &mut SqliteConnection, image: &Image) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO images (id, name, size, status, created_at, updated_at, deleted, \
         disk_format, container_format, checksum, owner, min_disk, min_ram, protected, \
         virtual_size, visibility, os_hidden, os_hash_algo, os_hash_value) \
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
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
    .execute(&mut *conn)
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
    // A new image has no rows yet: each kind is one multi-row insert.
    let created = naive(&image.created_at);
    if !image.properties.is_empty() {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted) ",
        );
        q.push_values(&image.properties, |mut row, (name, value)| {
            row.push_bind(&image.id)
                .push_bind(name)
                .push_bind(value)
                .push_bind(created)
                .push_bind(created)
                .push("0");
        });
        q.build().execute(&mut *conn).await.map_err(db_error)?;
    }
    if !image.tags.is_empty() {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted) ",
        );
        q.push_values(&image.tags, |mut row, tag| {
            row.push_bind(&image.id)
                .push_bind(tag)
                .push_bind(created)
                .push_bind(created)
                .push("0");
        });
        q.build().execute(&mut *conn).await.map_err(db_error)?;
    }
    Ok(())
}

pub(super) async fn get<'e>(
    exec: impl SqliteExecutor<'e>,
    id: &str,
    include_deleted: bool,
) -> Result<Image> {
    let sql = format!(
        "SELECT {IMAGE_COLUMNS}, {DETAIL_COLUMNS} FROM images WHERE id = ?{}",
        if include_deleted {
            ""
        } else {
            " AND deleted = 0"
        }
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(exec)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::image_not_found(id))?;
    image_with_details_from_row(&row)
}

pub(super) async fn update(conn: &mut SqliteConnection, update: &ImageUpdate) -> Result<()> {
    let image = &update.image;
    let now = time::now();
    let mut sql = String::from(
        "UPDATE images SET name = ?, size = ?, status = ?, updated_at = ?, disk_format = ?, \
         container_format = ?, checksum = ?, owner = ?, min_disk = ?, min_ram = ?, protected = ?, \
         virtual_size = ?, visibility = ?, os_hidden = ?, os_hash_algo = ?, os_hash_value = ? \
         WHERE id = ? AND deleted = 0",
    );
    if update.from_state.is_some() {
        sql.push_str(" AND status = ?");
    }
    let mut q = sqlx::query(&sql)
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
    let updated = q
        .execute(&mut *conn)
        .await
        .map_err(db_error)?
        .rows_affected();
    if updated == 0 {
        let current = get(&mut *conn, &image.id, false).await?;
        return Err(Error::conflict(format!(
            "Image status transition from {} to {} is not allowed",
            current.status, image.status
        )));
    }

    if update.purge_properties {
        let mut q = sqlx::QueryBuilder::<Sqlite>::new(
            "UPDATE image_properties SET deleted = 1, deleted_at = ",
        );
        q.push_bind(naive(&now));
        q.push(" WHERE image_id = ");
        q.push_bind(image.id.clone());
        q.push(" AND deleted = 0");
        if !update.set_properties.is_empty() {
            q.push(" AND name NOT IN (");
            let mut sep = q.separated(", ");
            for name in update.set_properties.keys() {
                sep.push_bind(name.clone());
            }
            q.push(")");
        }
        q.build().execute(&mut *conn).await.map_err(db_error)?;
    }
    if !update.remove_properties.is_empty() {
        let mut q =
            QueryBuilder::<Sqlite>::new("UPDATE image_properties SET deleted = 1, deleted_at = ");
        q.push_bind(naive(&now));
        q.push(" WHERE image_id = ");
        q.push_bind(&image.id);
        q.push(" AND deleted = 0 AND name IN (");
        let mut names = q.separated(", ");
        for name in &update.remove_properties {
            names.push_bind(name);
        }
        q.push(")");
        q.build().execute(&mut *conn).await.map_err(db_error)?;
    }
    if !update.set_properties.is_empty() {
        set_properties(&mut *conn, &image.id, &update.set_properties, &now).await?;
    }
    if let Some(tags) = &update.tags {
        let mut q =
            sqlx::QueryBuilder::<Sqlite>::new("UPDATE image_tags SET deleted = 1, deleted_at = ");
        q.push_bind(naive(&now));
        q.push(" WHERE image_id = ");
        q.push_bind(image.id.clone());
        q.push(" AND deleted = 0");
        if !tags.is_empty() {
            q.push(" AND value NOT IN (");
            let mut sep = q.separated(", ");
            for tag in tags {
                sep.push_bind(tag.clone());
            }
            q.push(")");
        }
        q.build().execute(&mut *conn).await.map_err(db_error)?;
        for tag in tags {
            add_tag(&mut *conn, &image.id, tag, &now).await?;
        }
    }
    for location in &update.add_locations {
        super::locations::insert(&mut *conn, &image.id, location).await?;
    }
    Ok(())
}

pub(super) async fn destroy(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    let now = naive(&time::now());
    let done = sqlx::query(
        "UPDATE images SET deleted = 1, deleted_at = ?, updated_at = ?, \
         status = CASE WHEN status = ? THEN status ELSE ? END \
         WHERE id = ? AND deleted = 0",
    )
    .bind(now)
    .bind(now)
    .bind(ImageStatus::PendingDelete.as_str())
    .bind(ImageStatus::Deleted.as_str())
    .bind(id)
    .execute(&mut *conn)
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
        sqlx::query(&format!(
            "UPDATE {table} SET deleted = 1, deleted_at = ? WHERE image_id = ? AND deleted = 0"
        ))
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

pub(super) async fn tag_add(conn: &mut SqliteConnection, image_id: &str, tag: &str) -> Result<()> {
    touch(&mut *conn, image_id).await?;
    add_tag(&mut *conn, image_id, tag, &time::now()).await?;
    Ok(())
}

pub(super) async fn tag_delete(
    conn: &mut SqliteConnection,
    image_id: &str,
    tag: &str,
) -> Result<()> {
    let now = time::now();
    touch(&mut *conn, image_id).await?;
    let removed = sqlx::query(
        "UPDATE image_tags SET deleted = 1, deleted_at = ? \
         WHERE image_id = ? AND value = ? AND deleted = 0",
    )
    .bind(naive(&now))
    .bind(image_id)
    .bind(tag)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?
    .rows_affected();
    if removed == 0 {
        return Err(Error::not_found(format!("Tag {tag} not found")));
    }
    Ok(())
}

/// Bumps `updated_at` of an image still in `status` (see
/// `Repository::image_touch`).
pub(super) async fn touch_in_status(
    conn: &mut SqliteConnection,
    image_id: &str,
    status: ImageStatus,
) -> Result<()> {
    let n =
        sqlx::query("UPDATE images SET updated_at = ? WHERE id = ? AND deleted = 0 AND status = ?")
            .bind(naive(&time::now()))
            .bind(image_id)
            .bind(status.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db_error)?
            .rows_affected();
    if n == 0 {
        get(&mut *conn, image_id, false).await?;
        return Err(Error::image_left_status(image_id, status));
    }
    Ok(())
}

/// Bumps `updated_at`, failing with `NotFound` for a missing image; being a
/// write, it also takes the write lock before the transaction reads.
async fn touch(conn: &mut SqliteConnection, image_id: &str) -> Result<()> {
    let n = sqlx::query("UPDATE images SET updated_at = ? WHERE id = ? AND deleted = 0")
        .bind(naive(&time::now()))
        .bind(image_id)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?
        .rows_affected();
    if n == 0 {
        return Err(Error::image_not_found(image_id));
    }
    Ok(())
}

/// Sets properties in one statement, reviving soft-deleted rows of the
/// same names.
async fn set_properties(
    conn: &mut SqliteConnection,
    image_id: &str,
    properties: &BTreeMap<String, String>,
    now: &chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let now = naive(now);
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted) ",
    );
    q.push_values(properties, |mut row, (name, value)| {
        row.push_bind(image_id)
            .push_bind(name)
            .push_bind(value)
            .push_bind(now)
            .push_bind(now)
            .push("0");
    });
    q.push(
        " ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value, \
         updated_at = excluded.updated_at, deleted = 0, deleted_at = NULL",
    );
    q.build().execute(&mut *conn).await.map_err(db_error)?;
    Ok(())
}

/// Adds a tag unless the image already carries it.
async fn add_tag(
    conn: &mut SqliteConnection,
    image_id: &str,
    tag: &str,
    now: &chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted) \
         SELECT ?, ?, ?, ?, 0 WHERE NOT EXISTS \
         (SELECT 1 FROM image_tags WHERE image_id = ? AND value = ? AND deleted = 0)",
    )
    .bind(image_id)
    .bind(tag)
    .bind(naive(now))
    .bind(naive(now))
    .bind(image_id)
    .bind(tag)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}
