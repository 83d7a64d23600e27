//! The dashboard's image form → the Image API's attributes, as Horizon's
//! `create_image_metadata` maps them: defaults for the base attributes,
//! container formats implied by some disk formats, `kernel`/`ramdisk`
//! renamed, and every field it does not know kept as a custom property.

use serde_json::{Map, Value};

use crate::error::{DashError, DashResult};

/// Form fields that are never custom properties.
const KNOWN_FIELDS: [&str; 33] = [
    "visibility",
    "protected",
    "disk_format",
    "container_format",
    "min_disk",
    "min_ram",
    "name",
    "properties",
    "kernel",
    "ramdisk",
    "tags",
    "import_data",
    "source",
    "image_id",
    "image_url",
    "source_type",
    "data",
    "public",
    "checksum",
    "created_at",
    "deleted",
    "is_copying",
    "deleted_at",
    "is_public",
    "virtual_size",
    "status",
    "size",
    "owner",
    "id",
    "updated_at",
    "kernel_id",
    "ramdisk_id",
    "image_file",
];

const VISIBILITIES: [&str; 4] = ["public", "private", "community", "shared"];

/// Whether a form value is true: a JSON boolean, or `true`/`True`/`1`/`on`
/// as forms send it.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1" | "on" | "yes"),
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// A non-negative size in GB/MB from a number or a numeric string; empty
/// means 0, as Horizon's `or 0`.
fn size_field(name: &str, v: Option<&Value>) -> DashResult<Value> {
    match v {
        None | Some(Value::Null) => Ok(0.into()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(0.into()),
        Some(Value::String(s)) => s.trim().parse::<i64>().map(Value::from).map_err(|_| {
            DashError::bad_request(format!("{name} must be a whole number, not '{s}'"))
        }),
        Some(Value::Number(n)) if n.is_i64() => Ok(Value::Number(n.clone())),
        Some(other) => Err(DashError::bad_request(format!(
            "{name} must be a whole number, not {other}"
        ))),
    }
}

/// A custom property's value as the Image API keeps it: a string.
pub fn property_value(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::String(_) => Some(v.clone()),
        Value::Bool(b) => Some(Value::String(if *b { "True" } else { "False" }.into())),
        other => Some(Value::String(other.to_string())),
    }
}

fn is_set(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        _ => true,
    }
}

/// The Image API attributes for a form's fields.
pub fn image_attributes(form: &Map<String, Value>) -> DashResult<Map<String, Value>> {
    let text = |k: &str, default: &str| match form.get(k) {
        Some(Value::String(s)) => s.clone(),
        _ => default.to_string(),
    };
    let mut disk_format = text("disk_format", "raw");
    let mut container_format = text("container_format", "bare");
    match disk_format.as_str() {
        "ami" | "aki" | "ari" => container_format = disk_format.clone(),
        "docker" => {
            disk_format = "raw".into();
            container_format = "docker".into();
        }
        "vhd" => container_format = "ovf".into(),
        "ova" => {
            container_format = "ova".into();
            disk_format = "vmdk".into();
        }
        _ => {}
    }
    let visibility = match form.get("visibility") {
        None | Some(Value::Null) => "private".to_string(),
        Some(Value::String(v)) if VISIBILITIES.contains(&v.as_str()) => v.clone(),
        Some(Value::String(v)) => {
            return Err(DashError::bad_request(format!(
                "invalid visibility option: {v}"
            )))
        }
        Some(other) => {
            return Err(DashError::bad_request(format!(
                "invalid visibility option: {other}"
            )))
        }
    };

    let mut meta = Map::new();
    meta.insert("protected".into(), truthy(form.get("protected")).into());
    meta.insert("disk_format".into(), disk_format.into());
    meta.insert("container_format".into(), container_format.into());
    meta.insert(
        "min_disk".into(),
        size_field("min_disk", form.get("min_disk"))?,
    );
    meta.insert(
        "min_ram".into(),
        size_field("min_ram", form.get("min_ram"))?,
    );
    meta.insert("name".into(), text("name", "").into());
    meta.insert("visibility".into(), visibility.into());
    for (property, field) in [
        ("description", "description"),
        ("kernel_id", "kernel"),
        ("ramdisk_id", "ramdisk"),
        ("architecture", "architecture"),
    ] {
        if is_set(form.get(field)) {
            if let Some(v) = form.get(field).and_then(property_value) {
                meta.insert(property.into(), v);
            }
        }
    }
    for (k, v) in form {
        if KNOWN_FIELDS.contains(&k.as_str()) || meta.contains_key(k) || k == "$$originalJSON" {
            continue;
        }
        if let Some(v) = property_value(v) {
            meta.insert(k.clone(), v);
        }
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_and_renames() {
        let meta = image_attributes(&form(json!({
            "name": "n", "kernel": "k", "description": "", "os_distro": "debian",
            "min_ram": "512", "protected": "true", "is_public": true
        })))
        .unwrap();
        assert_eq!(meta["disk_format"], "raw");
        assert_eq!(meta["container_format"], "bare");
        assert_eq!(meta["visibility"], "private");
        assert_eq!(meta["kernel_id"], "k");
        assert_eq!(meta["min_ram"], 512);
        assert_eq!(meta["min_disk"], 0);
        assert_eq!(meta["protected"], true);
        assert_eq!(meta["os_distro"], "debian");
        // As Horizon: an empty description is kept as it came.
        assert_eq!(meta["description"], "");
        assert!(!meta.contains_key("is_public"));
    }

    #[test]
    fn formats_imply_containers() {
        for (disk, want_disk, want_container) in [
            ("aki", "aki", "aki"),
            ("docker", "raw", "docker"),
            ("vhd", "vhd", "ovf"),
            ("ova", "vmdk", "ova"),
            ("qcow2", "qcow2", "bare"),
        ] {
            let meta = image_attributes(&form(json!({"disk_format": disk}))).unwrap();
            assert_eq!(meta["disk_format"], want_disk);
            assert_eq!(meta["container_format"], want_container);
        }
    }

    #[test]
    fn bad_visibility_is_named() {
        let err = image_attributes(&form(json!({"visibility": "everyone"}))).unwrap_err();
        assert_eq!(err.message, "invalid visibility option: everyone");
    }
}
