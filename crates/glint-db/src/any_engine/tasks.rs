//! Task rows (`tasks` with `task_info`), in SQL every engine speaks.
//!
//! Compiled once per engine (SQLite, PostgreSQL, MySQL) with that engine's
//! `Db`, `DbRow` and `dialect::sql` (which numbers `?` placeholders where
//! the engine wants `$n`). Writes take a connection already inside a
//! transaction: SQLite's writer job, or a server transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use glint_domain::task::TaskSortKey;
use glint_domain::{Error, Result, Task, TaskQuery, TaskStatus, TaskUpdate};
use serde_json::{Map, Value};
use sqlx::{Executor, QueryBuilder, Row};

use super::dialect::sql;
use super::{db_error, Db, DbRow};

type Connection = <Db as sqlx::Database>::Connection;

const TASK_COLUMNS: &str = "tasks.id, tasks.type, tasks.status, tasks.owner, tasks.expires_at, \
    tasks.created_at, tasks.updated_at, tasks.deleted_at, tasks.deleted, tasks.image_id, \
    tasks.request_id, tasks.user_id, task_info.input, task_info.result, task_info.message";

fn object(text: Option<String>, what: &str) -> Result<Option<Map<String, Value>>> {
    match text.as_deref().map(str::trim) {
        None | Some("") | Some("null") => Ok(None),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(Error::internal(format!(
                "task {what} in the database is not a JSON object"
            ))),
        },
    }
}

fn text_of(map: Option<&Map<String, Value>>) -> Option<String> {
    map.map(|m| Value::Object(m.clone()).to_string())
}

fn task_from_row(row: &DbRow) -> Result<Task> {
    let status: String = row.try_get("status").map_err(db_error)?;
    let created_at: NaiveDateTime = row.try_get("created_at").map_err(db_error)?;
    let updated_at: Option<NaiveDateTime> = row.try_get("updated_at").map_err(db_error)?;
    let expires_at: Option<NaiveDateTime> = row.try_get("expires_at").map_err(db_error)?;
    let deleted_at: Option<NaiveDateTime> = row.try_get("deleted_at").map_err(db_error)?;
    Ok(Task {
        id: row.try_get("id").map_err(db_error)?,
        task_type: row.try_get("type").map_err(db_error)?,
        status: TaskStatus::parse(&status).ok_or_else(|| {
            Error::internal(format!("unknown task status '{status}' in database"))
        })?,
        owner: row.try_get("owner").map_err(db_error)?,
        input: object(row.try_get("input").map_err(db_error)?, "input")?.unwrap_or_default(),
        result: object(row.try_get("result").map_err(db_error)?, "result")?,
        message: row
            .try_get::<Option<String>, _>("message")
            .map_err(db_error)?
            .unwrap_or_default(),
        expires_at: expires_at.map(|t| t.and_utc()),
        created_at: created_at.and_utc(),
        updated_at: updated_at.unwrap_or(created_at).and_utc(),
        image_id: row.try_get("image_id").map_err(db_error)?,
        request_id: row.try_get("request_id").map_err(db_error)?,
        user_id: row.try_get("user_id").map_err(db_error)?,
        deleted: row.try_get("deleted").map_err(db_error)?,
        deleted_at: deleted_at.map(|t| t.and_utc()),
    })
}

pub(crate) async fn create(conn: &mut Connection, task: &Task) -> Result<()> {
    sqlx::query(&sql(
        "INSERT INTO tasks (id, type, status, owner, expires_at, created_at, updated_at, \
         deleted, image_id, request_id, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?, ?)",
    ))
    .bind(&task.id)
    .bind(&task.task_type)
    .bind(task.status.as_str())
    .bind(&task.owner)
    .bind(task.expires_at.map(|t| t.naive_utc()))
    .bind(task.created_at.naive_utc())
    .bind(task.updated_at.naive_utc())
    .bind(&task.image_id)
    .bind(&task.request_id)
    .bind(&task.user_id)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    sqlx::query(&sql(
        "INSERT INTO task_info (task_id, input, result, message) VALUES (?, ?, ?, ?)",
    ))
    .bind(&task.id)
    .bind(text_of(Some(&task.input)))
    .bind(text_of(task.result.as_ref()))
    .bind(&task.message)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn get<'c, E>(executor: E, id: &str) -> Result<Task>
where
    E: Executor<'c, Database = Db>,
{
    let row = sqlx::query(&sql(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks LEFT JOIN task_info ON task_info.task_id = tasks.id \
         WHERE tasks.id = ? AND tasks.deleted = FALSE"
    )))
    .bind(id)
    .fetch_optional(executor)
    .await
    .map_err(db_error)?;
    match row {
        Some(row) => task_from_row(&row),
        None => Err(Error::not_found(format!("Could not find task {id}"))),
    }
}

pub(crate) async fn get_all<'c, E>(
    executor: E,
    marker: Option<&Task>,
    query: &TaskQuery,
) -> Result<Vec<Task>>
where
    E: Executor<'c, Database = Db>,
{
    let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
        "SELECT {TASK_COLUMNS} FROM tasks LEFT JOIN task_info ON task_info.task_id = tasks.id \
         WHERE tasks.deleted = FALSE"
    ));
    if let Some(owner) = &query.owner {
        qb.push(" AND tasks.owner = ").push_bind(owner.clone());
    }
    if let Some(t) = &query.task_type {
        qb.push(" AND tasks.type = ").push_bind(t.clone());
    }
    if !query.statuses.is_empty() {
        qb.push(" AND tasks.status IN (");
        let mut list = qb.separated(", ");
        for s in &query.statuses {
            list.push_bind(s.as_str());
        }
        qb.push(")");
    }
    if let Some(image_id) = &query.image_id {
        qb.push(" AND tasks.image_id = ")
            .push_bind(image_id.clone());
    }
    if let Some(before) = query.updated_before {
        qb.push(" AND tasks.updated_at < ")
            .push_bind(before.naive_utc());
    }
    let column = format!("tasks.{}", query.sort_key.column());
    let (cmp, dir) = if query.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    if let Some(marker) = marker {
        qb.push(format!(" AND ({column} {cmp} "));
        push_sort_value(&mut qb, query.sort_key, marker);
        qb.push(format!(" OR ({column} = "));
        push_sort_value(&mut qb, query.sort_key, marker);
        qb.push(format!(" AND tasks.id {cmp} "))
            .push_bind(marker.id.clone())
            .push("))");
    }
    qb.push(format!(" ORDER BY {column} {dir}, tasks.id {dir}"));
    if let Some(limit) = query.limit {
        qb.push(" LIMIT ").push_bind(i64::from(limit));
    }
    let rows = qb.build().fetch_all(executor).await.map_err(db_error)?;
    rows.iter().map(task_from_row).collect()
}

fn push_sort_value(qb: &mut QueryBuilder<'_, Db>, key: TaskSortKey, task: &Task) {
    match key {
        TaskSortKey::CreatedAt => qb.push_bind(task.created_at.naive_utc()),
        TaskSortKey::UpdatedAt => qb.push_bind(task.updated_at.naive_utc()),
        TaskSortKey::Id => qb.push_bind(task.id.clone()),
        TaskSortKey::Type => qb.push_bind(task.task_type.clone()),
        TaskSortKey::Status => qb.push_bind(task.status.as_str()),
        TaskSortKey::Owner => qb.push_bind(task.owner.clone()),
    };
}

pub(crate) async fn update(conn: &mut Connection, update: &TaskUpdate) -> Result<()> {
    let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("UPDATE tasks SET status = ");
    qb.push_bind(update.status.as_str())
        .push(", updated_at = ")
        .push_bind(update.updated_at.naive_utc())
        .push(", expires_at = ")
        .push_bind(update.expires_at.map(|t| t.naive_utc()))
        .push(" WHERE id = ")
        .push_bind(update.id.clone())
        .push(" AND deleted = FALSE AND status = ")
        .push_bind(update.from_status.as_str());
    if let Some(seen) = update.from_updated_at {
        qb.push(" AND updated_at = ").push_bind(seen.naive_utc());
    }
    let changed = qb
        .build()
        .execute(&mut *conn)
        .await
        .map_err(db_error)?
        .rows_affected();
    if changed == 0 {
        // Missing, deleted, or changed by someone else since it was read.
        get(&mut *conn, &update.id).await?;
        return Err(Error::conflict(format!(
            "Task {} was changed by another worker",
            update.id
        )));
    }
    sqlx::query(&sql(
        "UPDATE task_info SET result = ?, message = ? WHERE task_id = ?",
    ))
    .bind(text_of(update.result.as_ref()))
    .bind(&update.message)
    .bind(&update.id)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn delete_expired<'c, E>(executor: E, now: DateTime<Utc>) -> Result<u64>
where
    E: Executor<'c, Database = Db>,
{
    let now = now.naive_utc();
    Ok(
        sqlx::query(&sql("UPDATE tasks SET deleted = TRUE, deleted_at = ? \
         WHERE deleted = FALSE AND expires_at IS NOT NULL AND expires_at < ?"))
        .bind(now)
        .bind(now)
        .execute(executor)
        .await
        .map_err(db_error)?
        .rows_affected(),
    )
}
