//! The `{"image": {...}}` a v1 client sends to create or update an image,
//! read into the fields it sets. Unknown fields and wrong types are 400.

use std::collections::BTreeMap;

use glint_domain::{Error, Image, ImageStatus, Result, Visibility};
use serde_json::{Map, Value};

/// The fields one request sets; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct ImageFields {
    pub id: Option<String>,
    pub name: Option<Option<String>>,
    pub status: Option<ImageStatus>,
    pub visibility: Option<Visibility>,
    pub protected: Option<bool>,
    pub disk_format: Option<Option<String>>,
    pub container_format: Option<Option<String>>,
    pub size: Option<Option<i64>>,
    pub virtual_size: Option<Option<i64>>,
    pub checksum: Option<Option<String>>,
    pub min_disk: Option<i64>,
    pub min_ram: Option<i64>,
    pub owner: Option<Option<String>>,
    pub properties: Option<BTreeMap<String, String>>,
}

fn bad(field: &str, want: &str) -> Error {
    Error::invalid(format!("Invalid value for '{field}': expected {want}."))
}

fn string(field: &str, v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(bad(field, "a string")),
    }
}

fn integer(field: &str, v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i >= 0 => Ok(Some(i)),
            _ => Err(bad(field, "a non-negative integer")),
        },
        Value::String(s) => s
            .parse::<i64>()
            .ok()
            .filter(|i| *i >= 0)
            .map(Some)
            .ok_or_else(|| bad(field, "a non-negative integer")),
        _ => Err(bad(field, "a non-negative integer")),
    }
}

fn boolean(field: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => parse_bool(s).ok_or_else(|| bad(field, "true or false")),
        _ => Err(bad(field, "true or false")),
    }
}

/// oslo's `bool_from_string` in strict form.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

/// Reads `{"image": {...}}`.
pub fn parse(body: &Value) -> Result<ImageFields> {
    let Some(image) = body.get("image").and_then(Value::as_object) else {
        return Err(Error::invalid(
            "The request body must be {\"image\": {...}}.",
        ));
    };
    read(image)
}

fn read(image: &Map<String, Value>) -> Result<ImageFields> {
    let mut f = ImageFields::default();
    for (key, v) in image {
        match key.as_str() {
            "id" => f.id = string(key, v)?,
            "name" => f.name = Some(string(key, v)?),
            "status" => {
                let s = string(key, v)?.unwrap_or_default();
                f.status = Some(
                    ImageStatus::parse(&s)
                        .ok_or_else(|| Error::invalid(format!("Invalid image status '{s}'.")))?,
                );
            }
            "is_public" => {
                let public = boolean(key, v)?;
                if f.visibility.is_none() {
                    f.visibility = Some(if public {
                        Visibility::Public
                    } else {
                        Visibility::Shared
                    });
                }
            }
            "visibility" => {
                let s = string(key, v)?.unwrap_or_default();
                f.visibility = Some(
                    Visibility::parse(&s)
                        .ok_or_else(|| Error::invalid(format!("Invalid visibility '{s}'.")))?,
                );
            }
            "protected" => f.protected = Some(boolean(key, v)?),
            "disk_format" => f.disk_format = Some(string(key, v)?),
            "container_format" => f.container_format = Some(string(key, v)?),
            "size" => f.size = Some(integer(key, v)?),
            "virtual_size" => f.virtual_size = Some(integer(key, v)?),
            "checksum" => f.checksum = Some(string(key, v)?),
            "min_disk" => f.min_disk = Some(integer(key, v)?.unwrap_or(0)),
            "min_ram" => f.min_ram = Some(integer(key, v)?.unwrap_or(0)),
            "owner" => f.owner = Some(string(key, v)?),
            "properties" => {
                let Some(props) = v.as_object() else {
                    return Err(bad(key, "an object"));
                };
                let mut out = BTreeMap::new();
                for (name, value) in props {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return Err(bad(&format!("properties.{name}"), "a string")),
                    };
                    out.insert(name.clone(), value);
                }
                f.properties = Some(out);
            }
            // Read-only: written by the registry itself.
            "created_at" | "updated_at" | "deleted_at" | "deleted" => {}
            other => {
                return Err(Error::invalid(format!(
                    "Unknown image attribute '{other}'."
                )))
            }
        }
    }
    Ok(f)
}

impl ImageFields {
    /// Writes the base attributes this request sets into `image`.
    pub fn apply(&self, image: &mut Image) {
        if let Some(v) = &self.name {
            image.name = v.clone();
        }
        if let Some(v) = self.status {
            image.status = v;
        }
        if let Some(v) = self.visibility {
            image.visibility = v;
        }
        if let Some(v) = self.protected {
            image.protected = v;
        }
        if let Some(v) = &self.disk_format {
            image.disk_format = v.clone();
        }
        if let Some(v) = &self.container_format {
            image.container_format = v.clone();
        }
        if let Some(v) = self.size {
            image.size = v;
        }
        if let Some(v) = self.virtual_size {
            image.virtual_size = v;
        }
        if let Some(v) = &self.checksum {
            image.checksum = v.clone();
        }
        if let Some(v) = self.min_disk {
            image.min_disk = v;
        }
        if let Some(v) = self.min_ram {
            image.min_ram = v;
        }
        if let Some(v) = &self.owner {
            image.owner = v.clone();
        }
    }
}
