//! The image PATCH language: Glance's subsets of JSON Patch, in its two
//! media types (`…-v2.1-json-patch`, RFC 6902 style, and the deprecated
//! `…-v2.0-json-patch`, draft-4 style).

use glint_domain::{Error, Result};
use serde_json::Value;

pub const MEDIA_TYPE_V2_1: &str = "application/openstack-images-v2.1-json-patch";
pub const MEDIA_TYPE_V2_0: &str = "application/openstack-images-v2.0-json-patch";
pub const MEDIA_TYPES: [&str; 2] = [MEDIA_TYPE_V2_0, MEDIA_TYPE_V2_1];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `{"op": "add", "path": "/x", "value": …}`.
    V2_1,
    /// `{"add": "/x", "value": …}`; adding an existing property is a conflict.
    V2_0,
}

impl Dialect {
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            MEDIA_TYPE_V2_1 => Some(Dialect::V2_1),
            MEDIA_TYPE_V2_0 => Some(Dialect::V2_0),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

/// One change to an image.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub kind: OpKind,
    /// The JSON pointer, decoded: `["name"]`, `["locations", "0"]`.
    pub path: Vec<String>,
    pub value: Option<Value>,
}

impl PatchOp {
    pub fn root(&self) -> &str {
        self.path.first().map(String::as_str).unwrap_or("")
    }
}

/// Parses a patch document; malformed documents are 400s.
pub fn parse(doc: &Value, dialect: Dialect) -> Result<Vec<PatchOp>> {
    let items = doc
        .as_array()
        .ok_or_else(|| Error::invalid("Request body must be a JSON array of operation objects."))?;
    items.iter().map(|item| parse_op(item, dialect)).collect()
}

fn parse_op(item: &Value, dialect: Dialect) -> Result<PatchOp> {
    let obj = item
        .as_object()
        .ok_or_else(|| Error::invalid("Operations must be JSON objects."))?;
    let (kind, pointer) = match dialect {
        Dialect::V2_1 => {
            let op = obj
                .get("op")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid("Unable to find 'op' in JSON Schema change"))?;
            let kind = op_kind(op).ok_or_else(|| {
                Error::invalid(format!(
                    "Invalid operation: `{op}`. It must be one of the following: add, remove, replace."
                ))
            })?;
            let path = obj
                .get("path")
                .ok_or_else(|| Error::invalid("Unable to find 'path' in JSON Schema change"))?;
            (kind, path)
        }
        Dialect::V2_0 => {
            let found: Vec<(OpKind, &Value)> = ["add", "remove", "replace"]
                .into_iter()
                .filter_map(|k| obj.get(k).map(|p| (op_kind(k).expect("known op"), p)))
                .collect();
            match found.as_slice() {
                [one] => *one,
                _ => {
                    return Err(Error::invalid(
                        "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".",
                    ))
                }
            }
        }
    };
    let pointer = pointer
        .as_str()
        .ok_or_else(|| Error::invalid("Pointer must be a JSON string."))?;
    let path = decode_pointer(pointer)?;
    let value = obj.get("value").cloned();
    if kind != OpKind::Remove && value.is_none() {
        return Err(Error::invalid(format!(
            "Operation \"{}\" requires a member named \"value\".",
            match kind {
                OpKind::Add => "add",
                _ => "replace",
            }
        )));
    }
    if kind == OpKind::Remove && value.is_some() {
        return Err(Error::invalid(
            "Operation \"remove\" must not contain a member named \"value\".",
        ));
    }
    let op = PatchOp { kind, path, value };
    let depth_ok = match op.root() {
        "locations" => op.path.len() <= 2,
        _ => op.path.len() == 1,
    };
    if !depth_ok {
        return Err(Error::invalid(format!(
            "Invalid JSON pointer for this resource: '{pointer}'"
        )));
    }
    Ok(op)
}

fn op_kind(s: &str) -> Option<OpKind> {
    match s {
        "add" => Some(OpKind::Add),
        "remove" => Some(OpKind::Remove),
        "replace" => Some(OpKind::Replace),
        _ => None,
    }
}

/// RFC 6901: `/a~1b/c~0d` → `["a/b", "c~d"]`.
fn decode_pointer(pointer: &str) -> Result<Vec<String>> {
    let rest = pointer.strip_prefix('/').ok_or_else(|| {
        Error::invalid("Pointer `%s` does not start with \"/\".".replace("%s", pointer))
    })?;
    if rest.is_empty() {
        return Err(Error::invalid(format!(
            "Pointer `{pointer}` does not contain a valid token."
        )));
    }
    rest.split('/')
        .map(|token| {
            if token.is_empty() {
                return Err(Error::invalid(format!(
                    "Pointer `{pointer}` contains adjacent \"/\"."
                )));
            }
            let mut out = String::new();
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => {
                            return Err(Error::invalid(format!(
                                "Pointer `{pointer}` contains \"~\" not part of a recognized escape sequence."
                            )))
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            Ok(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_both_dialects() {
        let v21 = parse(
            &json!([{"op": "replace", "path": "/name", "value": "x"}, {"op": "remove", "path": "/a~1b"}]),
            Dialect::V2_1,
        )
        .unwrap();
        assert_eq!(v21[0].kind, OpKind::Replace);
        assert_eq!(v21[1].path, vec!["a/b"]);
        let v20 = parse(&json!([{"add": "/foo", "value": "bar"}]), Dialect::V2_0).unwrap();
        assert_eq!(v20[0].kind, OpKind::Add);
        assert_eq!(v20[0].root(), "foo");
    }

    #[test]
    fn rejects_malformed_documents() {
        for (doc, dialect) in [
            (json!({"op": "add"}), Dialect::V2_1),
            (json!([{"op": "move", "path": "/a"}]), Dialect::V2_1),
            (json!([{"op": "add", "path": "/a"}]), Dialect::V2_1),
            (
                json!([{"op": "add", "path": "a", "value": "1"}]),
                Dialect::V2_1,
            ),
            (
                json!([{"op": "add", "path": "/a/b", "value": "1"}]),
                Dialect::V2_1,
            ),
            (
                json!([{"add": "/a", "replace": "/b", "value": "1"}]),
                Dialect::V2_0,
            ),
            (
                json!([{"op": "remove", "path": "/a", "value": "1"}]),
                Dialect::V2_1,
            ),
        ] {
            assert!(parse(&doc, dialect).is_err(), "{doc}");
        }
    }
}
