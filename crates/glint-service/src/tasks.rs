//! Reading tasks: `GET /v2/tasks` (admin API) and
//! `GET /v2/images/{id}/tasks` (whoever sees the image).

use std::sync::Arc;

use glint_db::Repository;
use glint_domain::{Error, RequestContext, Result, Task, TaskQuery};

use crate::images::ImageService;
use crate::policy::{Action, Policy, Target};

#[derive(Clone)]
pub struct TaskService {
    repo: Arc<dyn Repository>,
    policy: Arc<Policy>,
    images: ImageService,
}

impl TaskService {
    pub fn new(images: ImageService) -> Self {
        TaskService {
            repo: images.repo.clone(),
            policy: images.policy.clone(),
            images,
        }
    }

    fn authorize(&self, ctx: &RequestContext, action: Action) -> Result<()> {
        let target = Target::owner(ctx.project_id.as_deref());
        self.policy
            .authorize(ctx, Action::TasksApiAccess, &target)?;
        self.policy.authorize(ctx, action, &target)
    }

    /// Tasks of the caller's project (every project's for admins).
    pub async fn list(&self, ctx: &RequestContext, mut query: TaskQuery) -> Result<Vec<Task>> {
        self.authorize(ctx, Action::GetTasks)?;
        if !ctx.is_admin {
            query.owner = ctx.project_id.clone();
        }
        self.repo.task_get_all(&query).await
    }

    pub async fn get(&self, ctx: &RequestContext, id: &str) -> Result<Task> {
        self.authorize(ctx, Action::GetTask)?;
        let task = self.repo.task_get(id).await?;
        if !ctx.is_admin && ctx.project_id.as_deref() != Some(task.owner.as_str()) {
            return Err(Error::not_found(format!("Could not find task {id}")));
        }
        Ok(task)
    }

    /// The tasks that worked on an image, newest first.
    pub async fn of_image(&self, ctx: &RequestContext, image_id: &str) -> Result<Vec<Task>> {
        let image = self.images.load_visible(ctx, image_id).await?;
        self.policy
            .authorize(ctx, Action::GetImage, &Target::image(ctx, &image))?;
        self.repo
            .task_get_all(&TaskQuery {
                image_id: Some(image_id.to_string()),
                ..TaskQuery::default()
            })
            .await
    }
}
