//! Metadata definitions (metadefs): the catalog of properties, objects and
//! tags clouds use to describe images, flavors and volumes, grouped in
//! namespaces that resource types are associated with.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::image::Visibility;
use crate::image_query::Viewer;

/// A namespace's own attributes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Namespace {
    pub namespace: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub visibility: Visibility,
    pub protected: bool,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A resource type's association with a namespace: the prefix its
/// properties take on that resource type, and where they apply.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceTypeAssociation {
    pub name: String,
    pub prefix: Option<String>,
    pub properties_target: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A known resource type (`OS::Glance::Image`, …).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceType {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A property definition: its name and its JSON-schema fragment (type,
/// title, enum, …), kept as written.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetadefProperty {
    pub name: String,
    pub schema: Map<String, Value>,
}

/// A group of property definitions.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetadefObject {
    pub name: String,
    pub description: Option<String>,
    pub required: Vec<String>,
    pub properties: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetadefTag {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A namespace with everything in it, as a catalog file holds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NamespaceContents {
    pub namespace: Namespace,
    pub associations: Vec<ResourceTypeAssociation>,
    pub properties: Vec<MetadefProperty>,
    pub objects: Vec<MetadefObject>,
    pub tags: Vec<MetadefTag>,
}

/// Which namespaces a list returns, in what order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NamespaceQuery {
    pub viewer: Viewer,
    pub visibility: Option<Visibility>,
    /// Only namespaces associated with one of these.
    pub resource_types: Vec<String>,
    /// `created_at` (default), `updated_at` or `namespace`.
    pub sort_key: String,
    pub sort_asc: bool,
    /// The namespace after which the page starts.
    pub marker: Option<String>,
    pub limit: Option<u32>,
}
