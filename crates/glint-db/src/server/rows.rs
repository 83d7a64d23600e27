//! Decoding rows into domain values.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use glint_domain::{Error, Image, ImageStatus, Result, Visibility};
use sqlx::{Pool, QueryBuilder, Row};

use super::dialect::get_i64;
use super::{db_error, Db, DbRow};
use crate::sqlite::location_from_parts;

pub(super) const IMAGE_COLUMNS: &str = "images.id, images.name, images.size, images.status, \
    images.created_at, images.updated_at, images.deleted_at, images.deleted, images.disk_format, \
    images.container_format, images.checksum, images.owner, images.min_disk, images.min_ram, \
    images.protected, images.virtual_size, images.visibility, images.os_hidden, \
    images.os_hash_algo, images.os_hash_value";

pub(super) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// `created_at` and `updated_at` (which Glance leaves NULL until a change).
pub(super) fn times(row: &DbRow) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let created: NaiveDateTime = row.try_get("created_at").map_err(db_error)?;
    let updated: Option<NaiveDateTime> = row.try_get("updated_at").map_err(db_error)?;
    Ok((utc(created), utc(updated.unwrap_or(created))))
}

/// An image row without its properties and tags.
pub(super) fn image_from_row(row: &DbRow) -> Result<Image> {
    let status: String = row.try_get("status").map_err(db_error)?;
    // PostgreSQL's column is the image_visibility enum, whose value is its
    // label on the wire.
    let visibility: String = row.try_get_unchecked("visibility").map_err(db_error)?;
    let (created_at, updated_at) = times(row)?;
    let deleted_at: Option<NaiveDateTime> = row.try_get("deleted_at").map_err(db_error)?;
    Ok(Image {
        id: row.try_get("id").map_err(db_error)?,
        name: row.try_get("name").map_err(db_error)?,
        status: ImageStatus::parse(&status).ok_or_else(|| {
            Error::internal(format!("unknown image status '{status}' in database"))
        })?,
        visibility: Visibility::parse(&visibility).ok_or_else(|| {
            Error::internal(format!("unknown visibility '{visibility}' in database"))
        })?,
        protected: row.try_get("protected").map_err(db_error)?,
        os_hidden: row.try_get("os_hidden").map_err(db_error)?,
        checksum: row.try_get("checksum").map_err(db_error)?,
        os_hash_algo: row.try_get("os_hash_algo").map_err(db_error)?,
        os_hash_value: row.try_get("os_hash_value").map_err(db_error)?,
        owner: row.try_get("owner").map_err(db_error)?,
        size: row.try_get("size").map_err(db_error)?,
        virtual_size: row.try_get("virtual_size").map_err(db_error)?,
        min_ram: get_i64(row, "min_ram")?,
        min_disk: get_i64(row, "min_disk")?,
        disk_format: row.try_get("disk_format").map_err(db_error)?,
        container_format: row.try_get("container_format").map_err(db_error)?,
        created_at,
        updated_at,
        deleted: row.try_get("deleted").map_err(db_error)?,
        deleted_at: deleted_at.map(utc),
        properties: BTreeMap::new(),
        tags: BTreeSet::new(),
        locations: Vec::new(),
    })
}

/// Fills in the properties, tags and locations of `images`, a query each.
pub(super) async fn attach_details(pool: &Pool<Db>, images: &mut [Image]) -> Result<()> {
    if images.is_empty() {
        return Ok(());
    }
    let index: HashMap<String, usize> = images
        .iter()
        .enumerate()
        .map(|(i, img)| (img.id.clone(), i))
        .collect();

    let mut q = QueryBuilder::<Db>::new(
        "SELECT image_id, name, value FROM image_properties \
         WHERE deleted = FALSE AND image_id IN (",
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

    let mut q = QueryBuilder::<Db>::new(
        "SELECT image_id, value FROM image_tags WHERE deleted = FALSE AND image_id IN (",
    );
    push_ids(&mut q, images);
    for row in q.build().fetch_all(pool).await.map_err(db_error)? {
        let image_id: String = row.try_get("image_id").map_err(db_error)?;
        let value: String = row.try_get("value").map_err(db_error)?;
        if let Some(&i) = index.get(&image_id) {
            images[i].tags.insert(value);
        }
    }

    let mut q = QueryBuilder::<Db>::new(
        "SELECT image_id, value, meta_data, status FROM image_locations \
         WHERE deleted = FALSE AND image_id IN (",
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

fn push_ids(q: &mut QueryBuilder<'_, Db>, images: &[Image]) {
    let mut sep = q.separated(", ");
    for img in images {
        sep.push_bind(img.id.clone());
    }
    q.push(")");
}
