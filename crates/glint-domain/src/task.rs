//! Tasks: long-running work (image import, copy between stores) recorded
//! as a row before it starts, so that a restart finds it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Glance's task status machine: pending → processing → success | failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Processing,
    Success,
    Failure,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Pending,
        TaskStatus::Processing,
        TaskStatus::Success,
        TaskStatus::Failure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Processing => "processing",
            TaskStatus::Success => "success",
            TaskStatus::Failure => "failure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the task's work is over.
    pub fn is_final(self) -> bool {
        matches!(self, TaskStatus::Success | TaskStatus::Failure)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The task types Glance knows.
pub const TASK_TYPES: [&str; 3] = ["import", "api_image_import", "location_import"];

/// One task, with its input, result and message (Glance's `tasks` and
/// `task_info` rows).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Task {
    pub id: String,
    /// `api_image_import` for the import API; `import` for `POST /v2/tasks`.
    pub task_type: String,
    pub status: TaskStatus,
    pub owner: String,
    pub input: Map<String, Value>,
    pub result: Option<Map<String, Value>>,
    pub message: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Also the heartbeat of a running task: a worker touches it while it
    /// works, so that a task whose worker died can be told from a slow one.
    pub updated_at: DateTime<Utc>,
    pub image_id: Option<String>,
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A change to a task, written if the task is still in `from_status` and,
/// when given, still has `from_updated_at` (a compare-and-swap that lets one
/// node take over a stale task and makes racing takers lose cleanly).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskUpdate {
    pub id: String,
    pub status: TaskStatus,
    pub result: Option<Map<String, Value>>,
    pub message: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub from_status: TaskStatus,
    pub from_updated_at: Option<DateTime<Utc>>,
}

impl TaskUpdate {
    /// An update that keeps everything of `task` but what the caller sets.
    pub fn of(task: &Task, now: DateTime<Utc>) -> Self {
        TaskUpdate {
            id: task.id.clone(),
            status: task.status,
            result: task.result.clone(),
            message: task.message.clone(),
            expires_at: task.expires_at,
            updated_at: now,
            from_status: task.status,
            from_updated_at: None,
        }
    }
}

/// Sort keys `GET /v2/tasks` accepts (non-null columns, so that markers
/// page the same on every engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskSortKey {
    CreatedAt,
    UpdatedAt,
    Id,
    Type,
    Status,
    Owner,
}

impl TaskSortKey {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created_at" => TaskSortKey::CreatedAt,
            "updated_at" => TaskSortKey::UpdatedAt,
            "id" => TaskSortKey::Id,
            "type" => TaskSortKey::Type,
            "status" => TaskSortKey::Status,
            "owner" => TaskSortKey::Owner,
            _ => return None,
        })
    }

    /// The column the key sorts on.
    pub fn column(self) -> &'static str {
        match self {
            TaskSortKey::CreatedAt => "created_at",
            TaskSortKey::UpdatedAt => "updated_at",
            TaskSortKey::Id => "id",
            TaskSortKey::Type => "type",
            TaskSortKey::Status => "status",
            TaskSortKey::Owner => "owner",
        }
    }
}

/// What a task listing asks for.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskQuery {
    /// Only this owner's tasks; `None` for every owner (admins, workers).
    pub owner: Option<String>,
    pub task_type: Option<String>,
    pub statuses: Vec<TaskStatus>,
    pub image_id: Option<String>,
    /// Only tasks last updated before this instant (stale-task sweeps).
    pub updated_before: Option<DateTime<Utc>>,
    pub sort_key: TaskSortKey,
    pub ascending: bool,
    /// Tasks after this one in the sort order; `NotFound` when unknown.
    pub marker: Option<String>,
    pub limit: Option<u32>,
}

impl Default for TaskQuery {
    fn default() -> Self {
        TaskQuery {
            owner: None,
            task_type: None,
            statuses: Vec::new(),
            image_id: None,
            updated_before: None,
            sort_key: TaskSortKey::CreatedAt,
            ascending: false,
            marker: None,
            limit: None,
        }
    }
}
