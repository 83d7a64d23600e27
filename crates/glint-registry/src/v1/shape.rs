//! Images as the registry v1 API writes them.

use chrono::{DateTime, Utc};
use glint_domain::{Image, Visibility};
use serde_json::{json, Map, Value};

/// `2012-03-27T18:34:36.000000`: the registry's timestamps (UTC, no zone).
fn timestamp(t: &DateTime<Utc>) -> Value {
    Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
}

/// The brief form `GET /images` lists.
pub fn brief(image: &Image) -> Value {
    json!({
        "id": image.id,
        "name": image.name,
        "size": image.size,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "checksum": image.checksum,
    })
}

/// Every field, with `properties` as an object.
pub fn detail(image: &Image) -> Value {
    let properties: Map<String, Value> = image
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "id": image.id,
        "name": image.name,
        "size": image.size,
        "virtual_size": image.virtual_size,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "checksum": image.checksum,
        "status": image.status.as_str(),
        "is_public": image.visibility == Visibility::Public,
        "visibility": image.visibility.as_str(),
        "protected": image.protected,
        "min_disk": image.min_disk,
        "min_ram": image.min_ram,
        "owner": image.owner,
        "created_at": timestamp(&image.created_at),
        "updated_at": timestamp(&image.updated_at),
        "deleted_at": image.deleted_at.as_ref().map(timestamp),
        "deleted": image.deleted,
        "properties": properties,
    })
}
