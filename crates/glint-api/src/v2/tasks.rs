//! Tasks: `GET|POST /v2/tasks`, `GET /v2/tasks/{task_id}` (admin-only by
//! default, as in Glance) and `GET /v2/images/{image_id}/tasks`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use glint_domain::task::{TaskSortKey, TASK_TYPES};
use glint_domain::{time, Error, Result, Task, TaskQuery, TaskStatus};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::links::base_url;
use crate::state::AppState;
use crate::v2::images::json_body;
use crate::v2::list_params::{self, Params};

/// A task as `GET /v2/tasks/{id}` shows it; `brief` leaves out input,
/// result and message, as Glance's listing does.
pub fn task_json(task: &Task, brief: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), task.id.clone().into());
    out.insert("type".into(), task.task_type.clone().into());
    out.insert("status".into(), task.status.as_str().into());
    out.insert("owner".into(), task.owner.clone().into());
    out.insert(
        "expires_at".into(),
        task.expires_at.map(|t| time::to_api(&t)).into(),
    );
    out.insert("created_at".into(), time::to_api(&task.created_at).into());
    out.insert("updated_at".into(), time::to_api(&task.updated_at).into());
    if !brief {
        out.insert("input".into(), Value::Object(task.input.clone()));
        out.insert(
            "result".into(),
            task.result
                .clone()
                .map(Value::Object)
                .unwrap_or(Value::Null),
        );
        out.insert("message".into(), task.message.clone().into());
        out.insert("image_id".into(), task.image_id.clone().into());
        out.insert("request_id".into(), task.request_id.clone().into());
        out.insert("user_id".into(), task.user_id.clone().into());
    }
    out.insert("self".into(), format!("/v2/tasks/{}", task.id).into());
    out.insert("schema".into(), "/v2/schemas/task".into());
    Value::Object(out)
}

fn parse_query(params: &Params, max: u32, default: u32) -> Result<TaskQuery> {
    let mut query = TaskQuery {
        limit: Some(default),
        ..TaskQuery::default()
    };
    for (key, value) in params {
        match key.as_str() {
            "limit" => {
                let n: i64 = value.parse().map_err(|_| {
                    Error::invalid(format!("limit param must be an integer, not '{value}'"))
                })?;
                if n < 0 {
                    return Err(Error::invalid("limit param must be positive"));
                }
                query.limit = Some((n as u64).min(u64::from(max)) as u32);
            }
            "marker" => query.marker = Some(value.clone()),
            "sort_key" => {
                query.sort_key = TaskSortKey::parse(value)
                    .ok_or_else(|| Error::invalid(format!("Invalid sort key: {value}")))?
            }
            "sort_dir" => {
                query.ascending = match value.as_str() {
                    "asc" => true,
                    "desc" => false,
                    _ => return Err(Error::invalid(format!("Invalid sort direction: {value}"))),
                }
            }
            "status" => query.statuses.push(
                TaskStatus::parse(value)
                    .ok_or_else(|| Error::invalid(format!("Invalid status value: {value}")))?,
            ),
            "type" => {
                if !TASK_TYPES.contains(&value.as_str()) {
                    return Err(Error::invalid(format!("Invalid type value: {value}")));
                }
                query.task_type = Some(value.clone())
            }
            _ => {}
        }
    }
    Ok(query)
}

/// `GET /v2/tasks` — the caller's tasks (every project's for admins),
/// newest first, filtered by `status` and `type`, paged with `marker` and
/// `limit`. 400 bad parameter; 403 without tasks API access.
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let params = list_params::parse_query_string(raw.as_deref());
    let query = parse_query(
        &params,
        state.config.api_limit_max,
        state.config.limit_param_default,
    )?;
    let limit = query.limit;
    let tasks = state.services.tasks.list(&ctx, query).await?;
    let mut body = Map::new();
    body.insert(
        "tasks".into(),
        tasks.iter().map(|t| task_json(t, true)).collect(),
    );
    body.insert(
        "first".into(),
        list_params::first_link_at("/v2/tasks", &params).into(),
    );
    body.insert("schema".into(), "/v2/schemas/tasks".into());
    if let Some(last) = tasks.last().filter(|_| Some(tasks.len() as u32) == limit) {
        body.insert(
            "next".into(),
            list_params::next_link_at("/v2/tasks", &params, &last.id).into(),
        );
    }
    Ok(Json(Value::Object(body)))
}

/// `GET /v2/tasks/{task_id}` — one task. 404 missing or another project's.
pub async fn show(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let task = state.services.tasks.get(&ctx, &id).await?;
    Ok(Json(task_json(&task, false)))
}

/// `POST /v2/tasks` — creates an `import` task: `{"type": "import",
/// "input": {"import_from": URL, "import_from_format": …,
/// "image_properties": {…}}}`. 201 with the task.
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let task_type = body
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("Task needs a 'type'"))?;
    if !TASK_TYPES.contains(&task_type) {
        return Err(Error::invalid(format!("Invalid type value: {task_type}")).into());
    }
    let input = body
        .get("input")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid("Task needs an 'input' object"))?;
    let task = state
        .services
        .imports
        .create_import_task(&ctx, task_type, input)
        .await?;
    let location = format!("{}/v2/tasks/{}", base_url(&state, &headers), task.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(task_json(&task, false)),
    )
        .into_response())
}

/// `GET /v2/images/{image_id}/tasks` — the tasks that worked on an image.
pub async fn of_image(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let tasks = state.services.tasks.of_image(&ctx, &id).await?;
    Ok(Json(serde_json::json!({
        "tasks": tasks.iter().map(|t| task_json(t, false)).collect::<Vec<_>>()
    })))
}
