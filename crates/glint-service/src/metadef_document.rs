//! Namespaces as JSON documents: the body of `POST /v2/metadefs/namespaces`
//! and the catalog files `glance-manage db load_metadefs` reads, which have
//! the same shape; and back again for `export-metadefs`.

use chrono::{DateTime, Utc};
use glint_domain::metadef::{
    MetadefObject, MetadefProperty, MetadefTag, Namespace, NamespaceContents,
    ResourceTypeAssociation,
};
use glint_domain::{Error, Result, Visibility};
use serde_json::{json, Map, Value};

fn optional_string(doc: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::invalid(format!(
            "Invalid value for '{key}': {other} is not a string"
        ))),
    }
}

fn name_of(doc: &Map<String, Value>, what: &str) -> Result<String> {
    match optional_string(doc, "name")? {
        Some(n) if !n.is_empty() && n.chars().count() <= 80 => Ok(n),
        Some(n) if !n.is_empty() => Err(Error::invalid(format!(
            "Invalid {what} name '{n}': longer than 80 characters"
        ))),
        _ => Err(Error::invalid(format!("A {what} needs a 'name'"))),
    }
}

fn object_of<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Error::invalid(format!("{what} must be a JSON object")))
}

/// Reads a namespace document; `owner` applies when the document names
/// none.
pub fn parse(doc: &Value, owner: &str, now: DateTime<Utc>) -> Result<NamespaceContents> {
    let doc = object_of(doc, "A namespace")?;
    let namespace = match optional_string(doc, "namespace")? {
        Some(n) if !n.is_empty() && n.chars().count() <= 80 => n,
        Some(n) if !n.is_empty() => {
            return Err(Error::invalid(format!(
                "Invalid namespace '{n}': longer than 80 characters"
            )))
        }
        _ => return Err(Error::invalid("A namespace needs a 'namespace' name")),
    };
    let visibility = match optional_string(doc, "visibility")? {
        None => Visibility::Private,
        Some(v) => match v.as_str() {
            "public" => Visibility::Public,
            "private" => Visibility::Private,
            _ => {
                return Err(Error::invalid(format!(
                    "Invalid value '{v}' for 'visibility': expected public or private"
                )))
            }
        },
    };
    let protected = match doc.get("protected") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::invalid(format!(
                "Invalid value for 'protected': {other} is not a boolean"
            )))
        }
    };
    let associations = match doc.get("resource_type_associations") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| association(item, now))
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(Error::invalid(
                "'resource_type_associations' must be a list",
            ))
        }
    };
    let properties = match doc.get("properties") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, schema)| {
                Ok(MetadefProperty {
                    name: name.clone(),
                    schema: object_of(schema, &format!("Property '{name}'"))?.clone(),
                })
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(Error::invalid("'properties' must be an object")),
    };
    let objects = match doc.get("objects") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| object(item, now))
            .collect::<Result<_>>()?,
        Some(_) => return Err(Error::invalid("'objects' must be a list")),
    };
    let tags = match doc.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| tag(item, now))
            .collect::<Result<_>>()?,
        Some(_) => return Err(Error::invalid("'tags' must be a list")),
    };
    Ok(NamespaceContents {
        namespace: Namespace {
            namespace,
            display_name: optional_string(doc, "display_name")?,
            description: optional_string(doc, "description")?,
            visibility,
            protected,
            owner: optional_string(doc, "owner")?.unwrap_or_else(|| owner.to_string()),
            created_at: now,
            updated_at: now,
        },
        associations,
        properties,
        objects,
        tags,
    })
}

/// A resource type association: `{"name", "prefix", "properties_target"}`.
pub fn association(value: &Value, now: DateTime<Utc>) -> Result<ResourceTypeAssociation> {
    let item = object_of(value, "A resource type association")?;
    Ok(ResourceTypeAssociation {
        name: name_of(item, "resource type")?,
        prefix: optional_string(item, "prefix")?,
        properties_target: optional_string(item, "properties_target")?,
        created_at: now,
        updated_at: now,
    })
}

/// An object: `{"name", "description", "required", "properties"}`.
pub fn object(value: &Value, now: DateTime<Utc>) -> Result<MetadefObject> {
    let item = object_of(value, "An object")?;
    let required = match item.get("required") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(r)) => r
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Error::invalid("'required' must list property names"))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(Error::invalid("'required' must be a list")),
    };
    Ok(MetadefObject {
        name: name_of(item, "object")?,
        description: optional_string(item, "description")?,
        required,
        properties: match item.get("properties") {
            None | Some(Value::Null) => Map::new(),
            Some(p) => object_of(p, "An object's 'properties'")?.clone(),
        },
        created_at: now,
        updated_at: now,
    })
}

/// A tag: `{"name"}`.
pub fn tag(value: &Value, now: DateTime<Utc>) -> Result<MetadefTag> {
    Ok(MetadefTag {
        name: name_of(object_of(value, "A tag")?, "tag")?,
        created_at: now,
        updated_at: now,
    })
}

/// A property definition from a request body (`{"name", "type",
/// "title", …}`); the name is taken out of the schema.
pub fn property(value: &Value) -> Result<MetadefProperty> {
    let mut schema = object_of(value, "A property")?.clone();
    let name = name_of(&schema, "property")?;
    schema.remove("name");
    check_definition(&name, &schema)?;
    Ok(MetadefProperty { name, schema })
}

/// The catalog-file form of a namespace (what `export-metadefs` writes).
pub fn document(contents: &NamespaceContents) -> Value {
    let ns = &contents.namespace;
    let mut doc = Map::new();
    doc.insert("namespace".into(), ns.namespace.clone().into());
    if let Some(d) = &ns.display_name {
        doc.insert("display_name".into(), d.clone().into());
    }
    if let Some(d) = &ns.description {
        doc.insert("description".into(), d.clone().into());
    }
    doc.insert("visibility".into(), ns.visibility.as_str().into());
    doc.insert("protected".into(), ns.protected.into());
    doc.insert("owner".into(), ns.owner.clone().into());
    if !contents.associations.is_empty() {
        let list: Vec<Value> = contents
            .associations
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("name".into(), a.name.clone().into());
                if let Some(p) = &a.prefix {
                    m.insert("prefix".into(), p.clone().into());
                }
                if let Some(t) = &a.properties_target {
                    m.insert("properties_target".into(), t.clone().into());
                }
                Value::Object(m)
            })
            .collect();
        doc.insert("resource_type_associations".into(), list.into());
    }
    if !contents.properties.is_empty() {
        let props: Map<String, Value> = contents
            .properties
            .iter()
            .map(|p| (p.name.clone(), Value::Object(p.schema.clone())))
            .collect();
        doc.insert("properties".into(), props.into());
    }
    if !contents.objects.is_empty() {
        let objects: Vec<Value> = contents
            .objects
            .iter()
            .map(|o| {
                let mut m = Map::new();
                m.insert("name".into(), o.name.clone().into());
                if let Some(d) = &o.description {
                    m.insert("description".into(), d.clone().into());
                }
                if !o.required.is_empty() {
                    m.insert("required".into(), json!(o.required));
                }
                m.insert("properties".into(), Value::Object(o.properties.clone()));
                Value::Object(m)
            })
            .collect();
        doc.insert("objects".into(), objects.into());
    }
    if !contents.tags.is_empty() {
        let tags: Vec<Value> = contents
            .tags
            .iter()
            .map(|t| json!({"name": t.name}))
            .collect();
        doc.insert("tags".into(), tags.into());
    }
    Value::Object(doc)
}

const PROPERTY_TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];

/// Checks a property definition as Glance's metadef property schema does:
/// `title` and `type` are required, and the common keywords have the types
/// JSON schema gives them. The error names the property and the field.
pub fn check_definition(name: &str, schema: &Map<String, Value>) -> Result<()> {
    let bad = |field: &str, want: &str| {
        Err(Error::invalid(format!(
            "Invalid property definition '{name}': '{field}' {want}"
        )))
    };
    match schema.get("title") {
        Some(Value::String(_)) => {}
        Some(_) => return bad("title", "must be a string"),
        None => return bad("title", "is required"),
    }
    match schema.get("type") {
        Some(Value::String(t)) if PROPERTY_TYPES.contains(&t.as_str()) => {}
        Some(Value::Null) => {}
        Some(_) => {
            return bad(
                "type",
                "must be one of array, boolean, integer, number, object, string",
            )
        }
        None => return bad("type", "is required"),
    }
    for (field, value) in schema {
        let ok = match field.as_str() {
            "description" | "pattern" => value.is_string(),
            "readonly" | "uniqueItems" | "additionalItems" => value.is_boolean(),
            "minimum" | "maximum" => value.is_number(),
            "minLength" | "maxLength" | "minItems" | "maxItems" => value.as_u64().is_some(),
            "enum" => value.is_array(),
            "items" => value.is_object(),
            "operators" | "required" => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            _ => true,
        };
        if !ok {
            return bad(field, "has a value of the wrong type");
        }
    }
    Ok(())
}

/// Checks every property definition a namespace document holds (its own
/// and its objects').
pub fn check_definitions(contents: &NamespaceContents) -> Result<()> {
    for p in &contents.properties {
        check_definition(&p.name, &p.schema)?;
    }
    for o in &contents.objects {
        check_object(o)?;
    }
    Ok(())
}

/// Checks an object's property definitions.
pub fn check_object(object: &MetadefObject) -> Result<()> {
    for (name, schema) in &object.properties {
        let schema = schema.as_object().ok_or_else(|| {
            Error::invalid(format!(
                "Invalid property definition '{name}': not an object"
            ))
        })?;
        check_definition(name, schema)?;
    }
    Ok(())
}
