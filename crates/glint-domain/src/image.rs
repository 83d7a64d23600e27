//! The image: a catalog record (base attributes, free-form properties, tags)
//! whose bytes live in a store.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};

/// Where an image is in its life; Glance's status machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    Queued,
    Saving,
    Active,
    Killed,
    Deleted,
    PendingDelete,
    Deactivated,
    Uploading,
    Importing,
}

impl ImageStatus {
    pub const ALL: [ImageStatus; 9] = [
        ImageStatus::Queued,
        ImageStatus::Saving,
        ImageStatus::Active,
        ImageStatus::Killed,
        ImageStatus::Deleted,
        ImageStatus::PendingDelete,
        ImageStatus::Deactivated,
        ImageStatus::Uploading,
        ImageStatus::Importing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Queued => "queued",
            ImageStatus::Saving => "saving",
            ImageStatus::Active => "active",
            ImageStatus::Killed => "killed",
            ImageStatus::Deleted => "deleted",
            ImageStatus::PendingDelete => "pending_delete",
            ImageStatus::Deactivated => "deactivated",
            ImageStatus::Uploading => "uploading",
            ImageStatus::Importing => "importing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for ImageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may see an image besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone, and it shows in everyone's default list.
    Public,
    /// Everyone who asks for it; listed only for its owner by default.
    Community,
    /// The owner and the projects added as members.
    Shared,
    /// The owner alone.
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Public,
        Visibility::Community,
        Visibility::Shared,
        Visibility::Private,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Community => "community",
            Visibility::Shared => "shared",
            Visibility::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of one copy of an image's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationStatus {
    Active,
    /// Waiting for the scrubber (delayed delete).
    PendingDelete,
    Deleted,
}

impl LocationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationStatus::Active => "active",
            LocationStatus::PendingDelete => "pending_delete",
            LocationStatus::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            LocationStatus::Active,
            LocationStatus::PendingDelete,
            LocationStatus::Deleted,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// Where one copy of an image's bytes lives: a store URL and its metadata
/// (`{"store": "fast"}` when several stores are enabled).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageLocation {
    pub url: String,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub status: LocationStatus,
}

impl ImageLocation {
    /// The store id recorded in the metadata, if any.
    pub fn store(&self) -> Option<&str> {
        self.metadata.get("store").and_then(|s| s.as_str())
    }
}

/// An image record: base attributes, extra properties and tags.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub status: ImageStatus,
    pub visibility: Visibility,
    pub protected: bool,
    pub os_hidden: bool,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub owner: Option<String>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub min_ram: i64,
    pub min_disk: i64,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Extra properties: free-form string key/values.
    pub properties: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
    /// Copies of the bytes, oldest first (active and pending-delete ones).
    pub locations: Vec<ImageLocation>,
}

/// The values a new image starts with, before the service fills in the rest.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct NewImage {
    pub id: Option<String>,
    pub name: Option<String>,
    pub visibility: Option<Visibility>,
    pub protected: bool,
    pub os_hidden: bool,
    pub owner: Option<String>,
    pub min_ram: i64,
    pub min_disk: i64,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub properties: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
}

impl Image {
    /// A queued image with the given id, owner and values, stamped `now`.
    pub fn from_new(id: String, new: NewImage, now: DateTime<Utc>) -> Image {
        Image {
            id,
            name: new.name,
            status: ImageStatus::Queued,
            visibility: new.visibility.unwrap_or(Visibility::Shared),
            protected: new.protected,
            os_hidden: new.os_hidden,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            owner: new.owner,
            size: None,
            virtual_size: None,
            min_ram: new.min_ram,
            min_disk: new.min_disk,
            disk_format: new.disk_format,
            container_format: new.container_format,
            created_at: now,
            updated_at: now,
            deleted: false,
            deleted_at: None,
            properties: new.properties,
            tags: new.tags,
            locations: Vec::new(),
        }
    }
}

/// A change to one image, written atomically by the repository.
///
/// Base attributes are written from `image` as they are; extra properties
/// only where named, so that two writers touching different properties both
/// win. `from_state` makes the write a compare-and-swap on the status: when
/// the stored status differs, nothing is written and the repository answers
/// `Conflict`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageUpdate {
    pub image: Image,
    pub set_properties: BTreeMap<String, String>,
    pub remove_properties: BTreeSet<String>,
    /// Remove every property not in `set_properties` (registry v1 `PUT`).
    pub purge_properties: bool,
    /// Replace the tag set, when given.
    pub tags: Option<BTreeSet<String>>,
    /// Record these copies of the bytes in the same transaction.
    pub add_locations: Vec<ImageLocation>,
    pub from_state: Option<ImageStatus>,
}

impl ImageUpdate {
    /// An update writing `image`'s base attributes and nothing else.
    pub fn base(image: Image) -> Self {
        ImageUpdate {
            image,
            set_properties: BTreeMap::new(),
            remove_properties: BTreeSet::new(),
            purge_properties: false,
            tags: None,
            add_locations: Vec::new(),
            from_state: None,
        }
    }
}
