//! Decoding rows into domain values.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use glint_domain::{Error, Image, ImageStatus, Result, Visibility};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

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
fn image_from_row(row: &SqliteRow) -> Result<Image> {
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

/// Three more columns for [`IMAGE_COLUMNS`]: an image's live properties,
/// tags and locations, each aggregated into one JSON text by SQLite, so that
/// a page of images is one query and one row per image.
pub(super) const DETAIL_COLUMNS: &str = "\
    (SELECT json_group_object(p.name, p.value) FROM image_properties p \
     WHERE p.image_id = images.id AND p.deleted = 0) AS detail_properties, \
    (SELECT json_group_array(t.value) FROM image_tags t \
     WHERE t.image_id = images.id AND t.deleted = 0) AS detail_tags, \
    (SELECT json_group_array(json_array(l.value, l.meta_data, l.status)) FROM \
     (SELECT value, meta_data, status FROM image_locations l \
      WHERE l.image_id = images.id AND l.deleted = 0 ORDER BY l.id) l) AS detail_locations";

/// An image row selected with [`IMAGE_COLUMNS`] and [`DETAIL_COLUMNS`].
pub(super) fn image_with_details_from_row(row: &SqliteRow) -> Result<Image> {
    let mut image = image_from_row(row)?;
    let text = |column: &str| -> Result<String> {
        let value: Option<String> = row.try_get(column).map_err(db_error)?;
        Ok(value.unwrap_or_default())
    };
    let corrupt = |what: &str, e: serde_json::Error| {
        Error::internal(format!("unreadable {what} of image {}: {e}", image.id))
    };

    let properties: BTreeMap<String, Option<String>> =
        json_or_empty(&text("detail_properties")?).map_err(|e| corrupt("properties", e))?;
    image.properties = properties
        .into_iter()
        .map(|(name, value)| (name, value.unwrap_or_default()))
        .collect();
    image.tags = json_or_empty(&text("detail_tags")?).map_err(|e| corrupt("tags", e))?;
    let locations: Vec<(String, Option<String>, String)> =
        json_or_empty(&text("detail_locations")?).map_err(|e| corrupt("locations", e))?;
    image.locations = locations
        .into_iter()
        .map(|(url, meta_data, status)| location_from_parts(url, meta_data, &status))
        .collect::<Result<_>>()?;
    Ok(image)
}

/// Parses aggregated JSON; no rows aggregate to an empty text or `null`.
fn json_or_empty<T: serde::de::DeserializeOwned + Default>(
    text: &str,
) -> std::result::Result<T, serde_json::Error> {
    if text.is_empty() || text == "null" {
        Ok(T::default())
    } else {
        serde_json::from_str(text)
    }
}
