//! Keystone's unified limits for the image service, as oslo.limit reads
//! them: the service and region come from `[oslo_limit] endpoint_id`; a
//! project's limit for a resource is its project limit, else the registered
//! default, else 0 (nothing allowed). -1 means unlimited.

use std::collections::BTreeMap;

use hyper::StatusCode;
use tokio::sync::OnceCell;

use crate::session::Session;
use crate::AuthFailure;

pub struct UnifiedLimits {
    session: Session,
    endpoint_id: String,
    /// (service id, region id) of the endpoint, looked up once.
    endpoint: OnceCell<(String, Option<String>)>,
}

impl UnifiedLimits {
    pub fn new(session: Session, endpoint_id: String) -> Self {
        UnifiedLimits {
            session,
            endpoint_id,
            endpoint: OnceCell::new(),
        }
    }

    async fn endpoint(&self) -> Result<&(String, Option<String>), AuthFailure> {
        self.endpoint
            .get_or_try_init(|| async {
                let (status, body) = self
                    .session
                    .get(&format!("/endpoints/{}", self.endpoint_id))
                    .await?;
                if status != StatusCode::OK {
                    return Err(AuthFailure::Unavailable(format!(
                        "Keystone answered {status} for [oslo_limit] endpoint_id {}",
                        self.endpoint_id
                    )));
                }
                let endpoint = &body["endpoint"];
                let service = endpoint["service_id"].as_str().ok_or_else(|| {
                    AuthFailure::Unavailable("the limits endpoint names no service".into())
                })?;
                let region = endpoint["region_id"].as_str().map(str::to_string);
                Ok((service.to_string(), region))
            })
            .await
    }

    /// The limits of `project_id` for `resources`.
    pub async fn limits(
        &self,
        project_id: &str,
        resources: &[&str],
    ) -> Result<BTreeMap<String, i64>, AuthFailure> {
        let (service, region) = self.endpoint().await?;
        let region_query = region
            .as_deref()
            .map(|r| format!("&region_id={r}"))
            .unwrap_or_default();
        let registered = self
            .list(
                &format!("/registered_limits?service_id={service}{region_query}"),
                "registered_limits",
                "default_limit",
            )
            .await?;
        let project = self
            .list(
                &format!("/limits?service_id={service}&project_id={project_id}{region_query}"),
                "limits",
                "resource_limit",
            )
            .await?;
        Ok(resources
            .iter()
            .map(|r| {
                let limit = project
                    .get(*r)
                    .or_else(|| registered.get(*r))
                    .copied()
                    .unwrap_or(0);
                (r.to_string(), limit)
            })
            .collect())
    }

    async fn list(
        &self,
        path: &str,
        key: &str,
        value: &str,
    ) -> Result<BTreeMap<String, i64>, AuthFailure> {
        let (status, body) = self.session.get(path).await?;
        if status != StatusCode::OK {
            return Err(AuthFailure::Unavailable(format!(
                "Keystone answered {status} to GET {path}"
            )));
        }
        Ok(body[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let name = item["resource_name"].as_str()?;
                        let limit = item[value].as_i64()?;
                        Some((name.to_string(), limit))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
