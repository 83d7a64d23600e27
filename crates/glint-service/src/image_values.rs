//! The image schema's rules for values clients send: types, enums, lengths,
//! and which names are the service's own. Used by create and by patch.

use glint_config::Config;
use glint_domain::{image_rules, Error, Image, Result, Visibility};
use serde_json::Value;

const MAX_LENGTH: usize = 255;

/// Python's repr of a JSON value, as jsonschema messages show it.
fn repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

fn schema_error(detail: String) -> Error {
    Error::invalid(format!(
        "Provided object does not match schema 'image': {detail}"
    ))
}

fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Refuses names clients may never write: read-only (403) and reserved (403).
pub(crate) fn check_writable(name: &str) -> Result<()> {
    if image_rules::is_read_only(name) {
        return Err(Error::forbidden(format!(
            "Attribute '{name}' is read-only."
        )));
    }
    if image_rules::is_reserved(name) {
        return Err(Error::forbidden(format!("Attribute '{name}' is reserved.")));
    }
    Ok(())
}

fn optional_string(name: &str, v: &Value) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().count() > MAX_LENGTH => {
            Err(schema_error(format!("{} is too long", repr(v))))
        }
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(schema_error(format!(
            "{} is not of type 'null', 'string' (attribute '{name}')",
            repr(v)
        ))),
    }
}

fn enum_or_null(name: &str, v: &Value, allowed: &[String]) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if allowed.iter().any(|a| a == s) => Ok(Some(s.clone())),
        _ => Err(schema_error(format!(
            "{} is not one of {} (attribute '{name}')",
            repr(v),
            python_list(allowed)
        ))),
    }
}

fn boolean(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| {
        schema_error(format!(
            "{} is not of type 'boolean' (attribute '{name}')",
            repr(v)
        ))
    })
}

fn non_negative_integer(name: &str, v: &Value) -> Result<i64> {
    let n = v.as_i64().ok_or_else(|| {
        schema_error(format!(
            "{} is not of type 'integer' (attribute '{name}')",
            repr(v)
        ))
    })?;
    if n < 0 {
        return Err(Error::invalid(format!(
            "Invalid value '{n}' for parameter '{name}': Cannot be a negative value"
        )));
    }
    if n > i64::from(i32::MAX) {
        return Err(Error::invalid(format!(
            "'{name}' value out of range, must not exceed {}.",
            i32::MAX
        )));
    }
    Ok(n)
}

pub(crate) fn visibility(v: &Value) -> Result<Visibility> {
    v.as_str().and_then(Visibility::parse).ok_or_else(|| {
        schema_error(format!(
            "{} is not one of ['community', 'public', 'private', 'shared'] (attribute 'visibility')",
            repr(v)
        ))
    })
}

/// A list of tags: strings of at most 255 characters; duplicates collapse.
pub(crate) fn tags(v: &Value) -> Result<Vec<String>> {
    let items = v.as_array().ok_or_else(|| {
        schema_error(format!(
            "{} is not of type 'array' (attribute 'tags')",
            repr(v)
        ))
    })?;
    items
        .iter()
        .map(|t| match t {
            Value::String(s) => tag(s),
            other => Err(schema_error(format!(
                "{} is not of type 'string' (attribute 'tags')",
                repr(other)
            ))),
        })
        .collect()
}

pub(crate) fn tag(s: &str) -> Result<String> {
    if s.chars().count() > MAX_LENGTH {
        return Err(schema_error(format!("'{s}' is too long")));
    }
    Ok(s.to_string())
}

/// Where a written name landed.
pub(crate) enum Written {
    Base,
    Tags(Vec<String>),
    Property(String),
}

/// Writes client value `v` for `name` into `image`: a base attribute is set
/// in place; tags and extra properties are returned for the caller to
/// record (they are written granularly).
pub(crate) fn write(image: &mut Image, name: &str, v: &Value, config: &Config) -> Result<Written> {
    check_writable(name)?;
    match name {
        "name" => image.name = optional_string(name, v)?,
        "owner" => image.owner = optional_string(name, v)?,
        "visibility" => image.visibility = visibility(v)?,
        "protected" => image.protected = boolean(name, v)?,
        "os_hidden" => image.os_hidden = boolean(name, v)?,
        "min_ram" => image.min_ram = non_negative_integer(name, v)?,
        "min_disk" => image.min_disk = non_negative_integer(name, v)?,
        "disk_format" => image.disk_format = enum_or_null(name, v, &config.disk_formats)?,
        "container_format" => {
            image.container_format = enum_or_null(name, v, &config.container_formats)?
        }
        "tags" => return Ok(Written::Tags(tags(v)?)),
        "locations" => {
            return Err(Error::forbidden(
                "It's not allowed to add locations if locations are invisible.",
            ))
        }
        _ => {
            if name.chars().count() > MAX_LENGTH {
                return Err(schema_error(format!(
                    "'{name}' does not match any of the regexes"
                )));
            }
            return match v {
                Value::String(s) => Ok(Written::Property(s.clone())),
                other => Err(schema_error(format!(
                    "{} is not of type 'string' (attribute '{name}')",
                    repr(other)
                ))),
            };
        }
    }
    Ok(Written::Base)
}

/// Validates a client-supplied image id (a UUID).
pub(crate) fn image_id(v: &Value) -> Result<String> {
    let s = v.as_str().ok_or_else(|| {
        schema_error(format!(
            "{} is not of type 'string' (attribute 'id')",
            repr(v)
        ))
    })?;
    let ok = s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(schema_error(format!(
            "'{s}' does not match '^([0-9a-fA-F]){{8}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{4}}-([0-9a-fA-F]){{12}}$'"
        )))
    }
}
