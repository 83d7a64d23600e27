//! An image as Horizon's REST API shows it: a fixed set of attributes
//! (unset ones null, `size` 0), `is_public`, and everything else the Image
//! API shows gathered under `properties`.

use glint_api::v2::image_view::image_json;
use glint_config::Config;
use glint_domain::Image;
use serde_json::{Map, Value};

/// The attributes shown at the top level.
const ATTRIBUTES: [&str; 16] = [
    "architecture",
    "container_format",
    "disk_format",
    "created_at",
    "owner",
    "size",
    "id",
    "status",
    "updated_at",
    "checksum",
    "visibility",
    "name",
    "is_public",
    "protected",
    "min_disk",
    "min_ram",
];

/// Attributes left out of `properties` in lists (shown by a single GET).
const EXTENDED: [&str; 8] = [
    "file",
    "locations",
    "schema",
    "tags",
    "virtual_size",
    "kernel_id",
    "ramdisk_id",
    "image_url",
];

/// The image as `GET /api/glance/images/` lists it (`extended` false) or
/// `GET /api/glance/images/{id}/` shows it (`extended` true).
pub fn image_dict(image: &Image, config: &Config, extended: bool) -> Value {
    let Value::Object(full) = image_json(image, config) else {
        unreachable!("an image is shown as an object")
    };
    let mut out = Map::new();
    for key in ATTRIBUTES {
        let value = match key {
            "is_public" => Value::Bool(image.visibility.as_str() == "public"),
            "size" => full
                .get("size")
                .filter(|v| !v.is_null())
                .cloned()
                .unwrap_or(0.into()),
            _ => full.get(key).cloned().unwrap_or(Value::Null),
        };
        out.insert(key.to_string(), value);
    }
    out.insert(
        "properties".into(),
        Value::Object(properties_of(&full, extended)),
    );
    Value::Object(out)
}

/// What `GET /api/glance/images/{id}/properties/` answers: the image's
/// attributes other than the known ones.
pub fn properties(image: &Image, config: &Config) -> Value {
    let Value::Object(full) = image_json(image, config) else {
        unreachable!("an image is shown as an object")
    };
    Value::Object(properties_of(&full, false))
}

fn properties_of(full: &Map<String, Value>, extended: bool) -> Map<String, Value> {
    full.iter()
        .filter(|(k, _)| {
            !ATTRIBUTES.contains(&k.as_str()) && (extended || !EXTENDED.contains(&k.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
