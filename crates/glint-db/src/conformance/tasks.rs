//! Conformance checks for task rows.

use chrono::Duration;
use glint_domain::task::TaskSortKey;
use glint_domain::{time, Error, Task, TaskQuery, TaskStatus, TaskUpdate};
use serde_json::{json, Map, Value};

use crate::Repository;

fn new_task(owner: &str, image_id: Option<&str>) -> Task {
    let now = time::now();
    let mut input = Map::new();
    input.insert("image_id".into(), json!(image_id));
    input.insert(
        "import_req".into(),
        json!({"method": {"name": "web-download"}}),
    );
    Task {
        id: uuid::Uuid::new_v4().to_string(),
        task_type: "api_image_import".into(),
        status: TaskStatus::Pending,
        owner: owner.into(),
        input,
        result: None,
        message: String::new(),
        expires_at: None,
        created_at: now,
        updated_at: now,
        image_id: image_id.map(str::to_string),
        request_id: Some("req-1".into()),
        user_id: Some("user-1".into()),
        deleted: false,
        deleted_at: None,
    }
}

pub async fn tasks_round_trip_and_update(repo: &dyn Repository) {
    let task = new_task("p1", Some("11111111-1111-1111-1111-111111111111"));
    repo.task_create(&task).await.unwrap();
    let got = repo.task_get(&task.id).await.unwrap();
    assert_eq!(got, task);
    assert!(matches!(
        repo.task_get("no-such-task").await,
        Err(Error::NotFound(_))
    ));

    // pending → processing, compare-and-swap on status and heartbeat.
    let mut claim = TaskUpdate::of(&got, time::now() + Duration::milliseconds(5));
    claim.status = TaskStatus::Processing;
    claim.from_updated_at = Some(got.updated_at);
    let processing = repo.task_update(&claim).await.unwrap();
    assert_eq!(processing.status, TaskStatus::Processing);
    assert!(
        matches!(repo.task_update(&claim).await, Err(Error::Conflict(_))),
        "a second claim from the same old state must lose"
    );

    let mut done = TaskUpdate::of(&processing, time::now() + Duration::milliseconds(10));
    done.status = TaskStatus::Failure;
    done.message = "Import failed: the source answered 404".into();
    let mut result = Map::new();
    result.insert("stores".into(), Value::Array(vec![]));
    done.result = Some(result.clone());
    done.expires_at = Some(time::now() + Duration::hours(48));
    let failed = repo.task_update(&done).await.unwrap();
    assert_eq!(failed.status, TaskStatus::Failure);
    assert_eq!(failed.message, done.message);
    assert_eq!(failed.result, Some(result));
    assert_eq!(failed.expires_at, done.expires_at);
    assert_eq!(failed.input, task.input);
}

pub async fn tasks_list_filters_sorts_pages_and_expire(repo: &dyn Repository) {
    let mut ids = Vec::new();
    for n in 0..7 {
        let owner = if n % 2 == 0 { "even" } else { "odd" };
        let mut task = new_task(owner, None);
        task.created_at = time::now() + Duration::seconds(n);
        task.updated_at = task.created_at;
        if n == 6 {
            task.task_type = "import".into();
            task.status = TaskStatus::Success;
            task.expires_at = Some(time::now() - Duration::seconds(1));
        }
        repo.task_create(&task).await.unwrap();
        ids.push(task.id);
    }
    let all = |q: TaskQuery| async move {
        repo.task_get_all(&q)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect::<Vec<_>>()
    };
    // Newest first by default.
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(all(TaskQuery::default()).await, newest_first);
    let evens = all(TaskQuery {
        owner: Some("even".into()),
        ascending: true,
        ..TaskQuery::default()
    })
    .await;
    assert_eq!(
        evens,
        vec![
            ids[0].clone(),
            ids[2].clone(),
            ids[4].clone(),
            ids[6].clone()
        ]
    );
    let imports = all(TaskQuery {
        task_type: Some("import".into()),
        ..TaskQuery::default()
    })
    .await;
    assert_eq!(imports, vec![ids[6].clone()]);
    let open = all(TaskQuery {
        statuses: vec![TaskStatus::Pending, TaskStatus::Processing],
        ..TaskQuery::default()
    })
    .await;
    assert_eq!(open.len(), 6);

    // Paging by every sort key visits every task once.
    for key in [
        TaskSortKey::CreatedAt,
        TaskSortKey::UpdatedAt,
        TaskSortKey::Id,
        TaskSortKey::Type,
        TaskSortKey::Status,
        TaskSortKey::Owner,
    ] {
        for ascending in [true, false] {
            let mut seen = Vec::new();
            let mut marker = None;
            loop {
                let page = all(TaskQuery {
                    sort_key: key,
                    ascending,
                    marker: marker.clone(),
                    limit: Some(2),
                    ..TaskQuery::default()
                })
                .await;
                if page.is_empty() {
                    break;
                }
                marker = page.last().cloned();
                seen.extend(page);
            }
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(seen.len(), 7, "{key:?} ascending={ascending}: {seen:?}");
            assert_eq!(sorted.len(), 7, "{key:?} ascending={ascending}: duplicates");
        }
    }
    assert!(matches!(
        repo.task_get_all(&TaskQuery {
            marker: Some("no-such-task".into()),
            ..TaskQuery::default()
        })
        .await,
        Err(Error::NotFound(_))
    ));

    // Expired tasks go; the others stay.
    assert_eq!(repo.task_delete_expired(time::now()).await.unwrap(), 1);
    assert!(matches!(
        repo.task_get(&ids[6]).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(all(TaskQuery::default()).await.len(), 6);
}
