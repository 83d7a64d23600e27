//! A typed image-list request: filters, sort order and page, as the
//! repository executes it. The HTTP layer parses query strings into this;
//! the repository never sees a raw parameter.

use chrono::{DateTime, Utc};

use crate::image::{ImageStatus, Visibility};

/// The attributes Glance lets clients sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Name,
    Status,
    ContainerFormat,
    DiskFormat,
    Size,
    Id,
    CreatedAt,
    UpdatedAt,
}

impl SortKey {
    pub const ALL: [SortKey; 8] = [
        SortKey::Name,
        SortKey::Status,
        SortKey::ContainerFormat,
        SortKey::DiskFormat,
        SortKey::Size,
        SortKey::Id,
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::ContainerFormat => "container_format",
            SortKey::DiskFormat => "disk_format",
            SortKey::Size => "size",
            SortKey::Id => "id",
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    Asc,
    Desc,
}

impl SortDir {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "asc" => Some(SortDir::Asc),
            "desc" => Some(SortDir::Desc),
            _ => None,
        }
    }
}

/// A comparison against a timestamp (`created_at=gt:2016-04-18T21:38:54Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Comparison {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "eq" => Comparison::Eq,
            "neq" => Comparison::Neq,
            "gt" => Comparison::Gt,
            "gte" => Comparison::Gte,
            "lt" => Comparison::Lt,
            "lte" => Comparison::Lte,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeFilter {
    pub op: Comparison,
    pub at: DateTime<Utc>,
}

/// An exact match, or one of several values (`name=in:a,"b,c"`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueFilter {
    Eq(String),
    In(Vec<String>),
}

/// Which member relations count when listing shared images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatusFilter {
    #[default]
    Accepted,
    Pending,
    Rejected,
    All,
}

impl MemberStatusFilter {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "accepted" => MemberStatusFilter::Accepted,
            "pending" => MemberStatusFilter::Pending,
            "rejected" => MemberStatusFilter::Rejected,
            "all" => MemberStatusFilter::All,
            _ => return None,
        })
    }

    /// The member status to match, or `None` for any.
    pub fn as_status(self) -> Option<&'static str> {
        match self {
            MemberStatusFilter::Accepted => Some("accepted"),
            MemberStatusFilter::Pending => Some("pending"),
            MemberStatusFilter::Rejected => Some("rejected"),
            MemberStatusFilter::All => None,
        }
    }
}

/// The `visibility` list filter: one visibility, or everything visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisibilityFilter {
    Only(Visibility),
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImageFilters {
    pub id: Option<ValueFilter>,
    pub name: Option<ValueFilter>,
    pub status: Option<ValueFilter>,
    pub disk_format: Option<ValueFilter>,
    pub container_format: Option<ValueFilter>,
    pub owner: Option<ValueFilter>,
    pub checksum: Option<ValueFilter>,
    pub os_hash_value: Option<ValueFilter>,
    pub visibility: Option<VisibilityFilter>,
    pub member_status: MemberStatusFilter,
    pub protected: Option<bool>,
    /// `Some(false)` (hidden images left out) unless the caller asks.
    pub os_hidden: Option<bool>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    pub created_at: Vec<TimeFilter>,
    pub updated_at: Vec<TimeFilter>,
    /// Images must carry every one of these tags.
    pub tags: Vec<String>,
    /// Extra-property matches, all of which must hold.
    pub properties: Vec<(String, ValueFilter)>,
}

/// Whose eyes a listing is for: decides which images are candidates at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Viewer {
    pub project_id: Option<String>,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageListQuery {
    pub viewer: Viewer,
    pub filters: ImageFilters,
    /// Complete sort order; the repository appends `created_at` and `id`
    /// when absent so that pages are stable.
    pub sort: Vec<(SortKey, SortDir)>,
    /// Return images after this one in the sort order.
    pub marker: Option<String>,
    pub limit: Option<u32>,
    /// Include soft-deleted rows (operator tools, registry).
    pub include_deleted: bool,
}

impl ImageListQuery {
    pub fn for_viewer(viewer: Viewer) -> Self {
        ImageListQuery {
            viewer,
            filters: ImageFilters {
                os_hidden: Some(false),
                ..ImageFilters::default()
            },
            sort: vec![],
            marker: None,
            limit: None,
            include_deleted: false,
        }
    }

    /// The sort order with Glance's tie-breakers appended.
    pub fn full_sort(&self) -> Vec<(SortKey, SortDir)> {
        let mut sort = self.sort.clone();
        if sort.is_empty() {
            sort.push((SortKey::CreatedAt, SortDir::Desc));
        }
        let last_dir = sort.last().map(|s| s.1).unwrap_or(SortDir::Desc);
        for key in [SortKey::CreatedAt, SortKey::Id] {
            if !sort.iter().any(|(k, _)| *k == key) {
                sort.push((key, last_dir));
            }
        }
        sort
    }
}

/// The image statuses a `status` filter may name.
pub fn is_known_status(s: &str) -> bool {
    ImageStatus::parse(s).is_some()
}
