//! The repository RPC (`POST /rpc`): every [`Repository`] operation as a
//! command. [`run`] holds one entry per command — its arguments, the
//! [`Guard`] check, the call — so adding an operation is one entry here
//! and one method in the remote repository.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use glint_db::{NamespaceQuery, Repository};
use glint_domain::image_query::ImageListQuery;
use glint_domain::metadef::NamespaceContents;
use glint_domain::{
    Error, Image, ImageLocation, ImageStatus, ImageUpdate, LocationStatus, MemberStatus, Result,
    Task, TaskQuery, TaskUpdate,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::guard::Guard;
use crate::server::{RegistryError, RegistryState};
use crate::wire::{encode_error, Command};

/// `POST /rpc`: runs the commands in order, answering their results; the
/// first failure is answered in its place and ends the batch.
pub async fn handle(
    State(state): State<RegistryState>,
    headers: HeaderMap,
    Json(commands): Json<Vec<Command>>,
) -> std::result::Result<Json<Vec<Value>>, RegistryError> {
    let ctx = state.identify(&headers).await?;
    let guard = Guard {
        ctx: &ctx,
        repo: &*state.repo,
    };
    let mut answers = Vec::with_capacity(commands.len());
    for Command { command, kwargs } in commands {
        match run(&guard, &command, kwargs).await {
            Ok(value) => answers.push(value),
            Err(e) => {
                if let Error::Internal(m) = &e {
                    tracing::error!(%command, error = %m, "registry command failed");
                }
                answers.push(encode_error(&e));
                break;
            }
        }
    }
    Ok(Json(answers))
}

/// Reads a command's keyword arguments into typed values:
/// `args!(kwargs, { id: String, include_deleted: bool })`.
macro_rules! args {
    ($kwargs:expr, { $($name:ident : $ty:ty),* $(,)? }) => {{
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Args { $($name: $ty),* }
        let a: Args = decode($kwargs)?;
        ($(a.$name),*)
    }};
}

fn decode<T: DeserializeOwned>(kwargs: Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(kwargs))
        .map_err(|e| Error::invalid(format!("bad arguments: {e}")))
}

fn answer<T: Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::internal(e.to_string()))
}

/// Runs one command for the guard's caller.
pub async fn run(guard: &Guard<'_>, command: &str, kwargs: Map<String, Value>) -> Result<Value> {
    let repo: &dyn Repository = guard.repo;
    match command {
        "image_create" => {
            let image = args!(kwargs, { image: Image });
            guard.owner(
                image.owner.as_deref(),
                "create an image for another project",
            )?;
            answer(repo.image_create(&image).await?)
        }
        "image_get" => {
            let (id, include_deleted) = args!(kwargs, { id: String, include_deleted: bool });
            answer(guard.visible_image(&id, include_deleted).await?)
        }
        "image_get_all" => {
            let query = args!(kwargs, { query: ImageListQuery });
            guard.viewer(&query.viewer)?;
            answer(repo.image_get_all(&query).await?)
        }
        "image_update" => {
            let update = args!(kwargs, { update: ImageUpdate });
            let stored = guard.mutable_image(&update.image.id).await?;
            if update.image.owner != stored.owner {
                guard.owner(
                    update.image.owner.as_deref(),
                    "give an image to another project",
                )?;
            }
            answer(repo.image_update(&update).await?)
        }
        "image_destroy" => {
            let id = args!(kwargs, { id: String });
            guard.mutable_image(&id).await?;
            answer(repo.image_destroy(&id).await?)
        }
        "image_touch" => {
            let (id, status) = args!(kwargs, { id: String, status: ImageStatus });
            guard.mutable_image(&id).await?;
            answer(repo.image_touch(&id, status).await?)
        }
        "image_tag_add" => {
            let (image_id, tag) = args!(kwargs, { image_id: String, tag: String });
            guard.mutable_image(&image_id).await?;
            answer(repo.image_tag_add(&image_id, &tag).await?)
        }
        "image_tag_delete" => {
            let (image_id, tag) = args!(kwargs, { image_id: String, tag: String });
            guard.mutable_image(&image_id).await?;
            answer(repo.image_tag_delete(&image_id, &tag).await?)
        }
        "image_member_create" => {
            let (image_id, member) = args!(kwargs, { image_id: String, member: String });
            guard.mutable_image(&image_id).await?;
            answer(repo.image_member_create(&image_id, &member).await?)
        }
        "image_member_update" => {
            let (image_id, member, status) =
                args!(kwargs, { image_id: String, member: String, status: MemberStatus });
            guard.member_status(&image_id, &member).await?;
            answer(repo.image_member_update(&image_id, &member, status).await?)
        }
        "image_member_delete" => {
            let (image_id, member) = args!(kwargs, { image_id: String, member: String });
            guard.mutable_image(&image_id).await?;
            answer(repo.image_member_delete(&image_id, &member).await?)
        }
        "image_member_find" => {
            let (image_id, member, status) = args!(kwargs, {
                image_id: String, member: Option<String>, status: Option<MemberStatus>
            });
            guard.visible_image(&image_id, false).await?;
            answer(
                repo.image_member_find(&image_id, member.as_deref(), status)
                    .await?,
            )
        }
        "image_location_add" => {
            let (image_id, location) = args!(kwargs, { image_id: String, location: ImageLocation });
            guard.mutable_image(&image_id).await?;
            answer(repo.image_location_add(&image_id, &location).await?)
        }
        "image_location_set_status" => {
            let (image_id, url, status) =
                args!(kwargs, { image_id: String, url: String, status: LocationStatus });
            guard.mutable_image(&image_id).await?;
            answer(
                repo.image_location_set_status(&image_id, &url, status)
                    .await?,
            )
        }
        "image_locations_pending_delete" => {
            let deleted_before = args!(kwargs, { deleted_before: DateTime<Utc> });
            guard.admin_only("list locations pending delete")?;
            answer(repo.image_locations_pending_delete(deleted_before).await?)
        }
        "metadef_namespace_create" => {
            let contents = args!(kwargs, { contents: NamespaceContents });
            guard.owner(
                Some(&contents.namespace.owner),
                "create a namespace for another project",
            )?;
            answer(repo.metadef_namespace_create(&contents).await?)
        }
        "metadef_namespace_get" => {
            let name = args!(kwargs, { name: String });
            guard.namespace(&name, false).await?;
            answer(repo.metadef_namespace_get(&name).await?)
        }
        "metadef_namespace_list" => {
            let query = args!(kwargs, { query: NamespaceQuery });
            guard.viewer(&query.viewer)?;
            answer(repo.metadef_namespace_list(&query).await?)
        }
        "metadef_namespace_replace" => {
            let (name, expected, contents) = args!(kwargs, {
                name: String, expected: DateTime<Utc>, contents: NamespaceContents
            });
            guard.namespace(&name, true).await?;
            guard.owner(
                Some(&contents.namespace.owner),
                "give a namespace to another project",
            )?;
            answer(
                repo.metadef_namespace_replace(&name, expected, &contents)
                    .await?,
            )
        }
        "metadef_namespace_delete" => {
            let name = args!(kwargs, { name: String });
            guard.namespace(&name, true).await?;
            answer(repo.metadef_namespace_delete(&name).await?)
        }
        "metadef_resource_types" => answer(repo.metadef_resource_types().await?),
        "owner_usage" => {
            let owner = args!(kwargs, { owner: String });
            guard.owner(Some(&owner), "read another project's usage")?;
            answer(repo.owner_usage(&owner).await?)
        }
        "task_create" => {
            let task = args!(kwargs, { task: Task });
            guard.owner(Some(&task.owner), "create a task for another project")?;
            answer(repo.task_create(&task).await?)
        }
        "task_get" => {
            let id = args!(kwargs, { id: String });
            guard.task(&id, false).await?;
            answer(repo.task_get(&id).await?)
        }
        "task_get_all" => {
            let query = args!(kwargs, { query: TaskQuery });
            if let Some(owner) = &query.owner {
                guard.owner(Some(owner), "list another project's tasks")?;
            } else if let Some(image_id) = &query.image_id {
                // An image's tasks, for whoever sees the image.
                guard.visible_image(image_id, true).await?;
            } else {
                guard.admin_only("list every project's tasks")?;
            }
            answer(repo.task_get_all(&query).await?)
        }
        "task_update" => {
            let update = args!(kwargs, { update: TaskUpdate });
            guard.task(&update.id, true).await?;
            answer(repo.task_update(&update).await?)
        }
        "task_delete_expired" => {
            let now = args!(kwargs, { now: DateTime<Utc> });
            guard.admin_only("expire tasks")?;
            answer(repo.task_delete_expired(now).await?)
        }
        other => Err(Error::invalid(format!(
            "unknown registry command '{other}'"
        ))),
    }
}
