//! Decoding rows into domain values.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use glint_domain::{Error, Image, ImageStatus, Result, Visibility};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use super::db_error;
use super::locations::location_from_parts;

pub(super) const IMAGE_COLUMNS: &str = "images.id, images.name, images.size, images.status, \
    images.created_at, images.updated_at, images.deleted_at, images.deleted, images.disk_format, \
    images.container_format, images.checksum, images.owner, images.min_disk, images.min_ram, \
    images.protected, images.virtual_size, images.visibility, images.os_hidden, \
    images.os_hash_algo, images.os_hash_value";

pub(super) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// An image row without its properties and tags.
pub(super) fn image_from_row(row: &SqliteRow) -> Result<Image> {
    let get_err = |e: sqlx::Error| db_error(e);
    let status: String = row.try_get("status").map_err(get_err)?;
    let visibility: String = row.try_get("visibility").map_err(get_err)?;
    let created_at: NaiveDateTime = row.try_get("created_at").map_err(get_err)?;
    let updated_at: Option<NaiveDateTime> = row.try_get("updated_at").map_err(get_err)?;
    let deleted_at: Option<NaiveDateTime> = row.try_get("deleted_at").map_err(get_err)?;
    Ok(Image {
        id: row.try_get("id").map_err(get_err)?,
        name: row.try_get("name").map_err(get_err)?,
        status: ImageStatus::parse(&status).ok_or_else(|| {
            Error::internal(format!("unknown image status '{status}' in database"))
        })?,
        visibility: Visibility::parse(&visibility).ok_or_else(|| {
            Error::internal(format!("unknown visibility '{visibility}' in database"))
        })?,
        protected: row.try_get("protected").map_err(get_err)?,
        os_hidden: row.try_get("os_hidden").map_err(get_err)?,
        checksum: row.try_get("checksum").map_err(get_err)?,
        os_hash_algo: row.try_get("os_hash_algo").map_err(get_err)?,
        os_hash_value: row.try_get("os_hash_value").map_err(get_err)?,
        owner: row.try_get("owner").map_err(get_err)?,
        size: row.try_get("size").map_err(get_err)?,
        virtual_size: row.try_get("virtual_size").map_err(get_err)?,
        min_ram: row.try_get("min_ram").map_err(get_err)?,
        min_disk: row.try_get("min_disk").map_err(get_err)?,
        disk_format: row.try_get("disk_format").map_err(get_err)?,
        container_format: row.try_get("container_format").map_err(get_err)?,
        created_at: utc(created_at),
        updated_at: utc(updated_at.unwrap_or(created_at)),
        deleted: row.try_get("deleted").map_err(get_err)?,
        deleted_at: deleted_at.map(utc),
        properties: BTreeMap::new(),
        tags: BTreeSet::new(),
        locations: Vec::new(),
    })
}

/// Fills in the properties, tags and locations of `images`, a query each.
pub(super) async fn attach_details(pool: &SqlitePool, images: &mut [Image]) -> Result<()> {
    if images.is_empty() {
        return Ok(());
    }
    let index: HashMap<String, usize> = images
        .iter()
        .enumerate()
        .map(|(i, img)| (img.id.clone(), i))
        .collect();

    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT image_id, name, value FROM image_properties WHERE deleted = 0 AND image_id IN (",
    );
    push_ids(&mut q, images);
    for row in q.build().fetch_all(pool).await.map_err(db_error)? {
        let image_id: String = row.try_get("image_id").map_err(db_error)?;
        let name: String = row.try_get("name").map_err(db_error)?;
        let value: Option<String> = row.try_get("value").map_err(db_error)?;
        if let Some(&i) = index.get(&image_id) {
            images[i].properties.insert(name, value.unwrap_or_default());
        }
    }

    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT image_id, value FROM image_tags WHERE deleted = 0 AND image_id IN (",
    );
    push_ids(&mut q, images);
    for row in q.build().fetch_all(pool).await.map_err(db_error)? {
        let image_id: String = row.try_get("image_id").map_err(db_error)?;
        let value: String = row.try_get("value").map_err(db_error)?;
        if let Some(&i) = index.get(&image_id) {
            images[i].tags.insert(value);
        }
    }

    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT image_id, value, meta_data, status FROM image_locations \
         WHERE deleted = 0 AND image_id IN (",
    );
    push_ids(&mut q, images);
    q.push(" ORDER BY id");
    for row in q.build().fetch_all(pool).await.map_err(db_error)? {
        let image_id: String = row.try_get("image_id").map_err(db_error)?;
        let status: String = row.try_get("status").map_err(db_error)?;
        let location = location_from_parts(
            row.try_get("value").map_err(db_error)?,
            row.try_get("meta_data").map_err(db_error)?,
            &status,
        )?;
        if let Some(&i) = index.get(&image_id) {
            images[i].locations.push(location);
        }
    }
    Ok(())
}

fn push_ids(q: &mut QueryBuilder<'_, Sqlite>, images: &[Image]) {
    let mut sep = q.separated(", ");
    for img in images {
        sep.push_bind(img.id.clone());
    }
    q.push(")");
}
