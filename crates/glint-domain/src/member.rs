//! Image members: the projects a shared image is offered to.

use std::fmt;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Pending,
    Accepted,
    Rejected,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Pending => "pending",
            MemberStatus::Accepted => "accepted",
            MemberStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            MemberStatus::Pending,
            MemberStatus::Accepted,
            MemberStatus::Rejected,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One project's membership of one image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageMember {
    pub image_id: String,
    pub member: String,
    pub status: MemberStatus,
    pub can_share: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
