//! The JSON an image is shown as, in every v2 response.

use glint_config::Config;
use glint_domain::{time, Image, LocationStatus};
use serde_json::{Map, Value};

/// Base attributes always present (null when unset), extra properties as
/// strings, and the links Glance adds.
pub fn image_json(image: &Image, config: &Config) -> Value {
    let mut out = Map::new();
    for (k, v) in &image.properties {
        out.insert(k.clone(), Value::String(v.clone()));
    }
    let opt = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
    out.insert("name".into(), opt(&image.name));
    out.insert("disk_format".into(), opt(&image.disk_format));
    out.insert("container_format".into(), opt(&image.container_format));
    out.insert("visibility".into(), image.visibility.as_str().into());
    out.insert(
        "size".into(),
        image.size.map(Value::from).unwrap_or(Value::Null),
    );
    out.insert(
        "virtual_size".into(),
        image.virtual_size.map(Value::from).unwrap_or(Value::Null),
    );
    out.insert("status".into(), image.status.as_str().into());
    out.insert("checksum".into(), opt(&image.checksum));
    out.insert("protected".into(), image.protected.into());
    out.insert("min_ram".into(), image.min_ram.into());
    out.insert("min_disk".into(), image.min_disk.into());
    out.insert("owner".into(), opt(&image.owner));
    out.insert("os_hidden".into(), image.os_hidden.into());
    out.insert("os_hash_algo".into(), opt(&image.os_hash_algo));
    out.insert("os_hash_value".into(), opt(&image.os_hash_value));
    out.insert("id".into(), image.id.clone().into());
    out.insert("created_at".into(), time::to_api(&image.created_at).into());
    out.insert("updated_at".into(), time::to_api(&image.updated_at).into());
    out.insert(
        "tags".into(),
        Value::Array(image.tags.iter().cloned().map(Value::String).collect()),
    );
    out.insert("self".into(), format!("/v2/images/{}", image.id).into());
    out.insert(
        "file".into(),
        format!("/v2/images/{}/file", image.id).into(),
    );
    out.insert("schema".into(), "/v2/schemas/image".into());
    let active = image
        .locations
        .iter()
        .filter(|l| l.status == LocationStatus::Active);
    if !config.stores.is_empty() {
        let stores: Vec<&str> = active.clone().filter_map(|l| l.store()).collect();
        if !stores.is_empty() {
            out.insert("stores".into(), stores.join(",").into());
        }
    }
    if config.show_multiple_locations {
        let locations: Vec<Value> = active
            .clone()
            .map(|l| {
                serde_json::json!({"url": l.url, "metadata": Value::Object(l.metadata.clone())})
            })
            .collect();
        out.insert("locations".into(), Value::Array(locations));
    }
    if config.show_image_direct_url {
        if let Some(first) = active.clone().next() {
            out.insert("direct_url".into(), first.url.clone().into());
        }
    }
    Value::Object(out)
}
