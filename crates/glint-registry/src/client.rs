//! The remote repository: [`Repository`] over the registry's RPC. Each
//! operation is one command in one `POST /rpc`, carrying the identity
//! headers of the request being served ([`crate::caller`]).
//!
//! A registry that cannot be reached, or that answers garbage, is
//! [`Error::Unavailable`] (503): the command was not run, or its outcome is
//! unknown and the API node does not go on as if it had been.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use glint_db::{NamespaceQuery, Repository};
use glint_domain::image_query::ImageListQuery;
use glint_domain::metadef::{Namespace, NamespaceContents, ResourceType, ResourceTypeAssociation};
use glint_domain::{
    Error, Image, ImageLocation, ImageMember, ImageStatus, ImageUpdate, LocationStatus,
    MemberStatus, OwnerUsage, Result, Task, TaskQuery, TaskUpdate,
};
use glint_http_client::{describe, TlsError, Trust};
use glint_keystone::Keystone;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::caller;
use crate::wire::{decode_error, Command, RPC_PATH};

/// A repository in a `glint registry` process.
pub struct RemoteRepository {
    client: glint_http_client::Client<Full<Bytes>>,
    rpc_url: String,
    timeout: Duration,
    /// With Keystone: the service's own token goes with calls made outside
    /// any request (start-up recovery, the scrubber).
    keystone: Option<Arc<Keystone>>,
}

impl RemoteRepository {
    /// A repository served by the registry at `base_url`
    /// (`http://host:9191`, or `https://` trusting `trust`); each call
    /// gives up after `timeout`. Errors: a CA file that cannot be read.
    pub fn new(base_url: &str, timeout: Duration, trust: &Trust) -> Result<Self, TlsError> {
        let connector = glint_http_client::connector(trust, timeout.min(Duration::from_secs(10)))?;
        Ok(RemoteRepository {
            client: Client::builder(TokioExecutor::new()).build(connector),
            rpc_url: format!("{}{RPC_PATH}", base_url.trim_end_matches('/')),
            timeout,
            keystone: None,
        })
    }

    /// Calls made outside any request carry the service's own Keystone
    /// token.
    pub fn with_keystone(mut self, keystone: Arc<Keystone>) -> Self {
        self.keystone = Some(keystone);
        self
    }

    /// Who the call is for: the caller of the request being served, else
    /// the service itself.
    async fn identity(&self) -> Result<caller::Headers> {
        let forwarded = caller::forwarded();
        if !forwarded.is_empty() {
            return Ok(forwarded);
        }
        let Some(keystone) = &self.keystone else {
            return Ok(forwarded);
        };
        let token = keystone
            .service_token(false)
            .await
            .map_err(|e| self.unavailable(format!("no service token: {e:?}")))?;
        let value = HeaderValue::from_str(&token).map_err(|e| Error::internal(e.to_string()))?;
        Ok(vec![(HeaderName::from_static("x-auth-token"), value)])
    }

    fn unavailable(&self, why: impl std::fmt::Display) -> Error {
        tracing::error!(registry = %self.rpc_url, error = %why, "registry call failed");
        Error::Unavailable("The image registry is temporarily unavailable.".into())
    }

    /// Runs one command; its result decoded as `T`, or the error it raised.
    async fn call<T: DeserializeOwned>(&self, command: &str, kwargs: Value) -> Result<T> {
        let Value::Object(kwargs) = kwargs else {
            return Err(Error::internal("registry arguments must be an object"));
        };
        let batch = [Command {
            command: command.to_string(),
            kwargs,
        }];
        let body = serde_json::to_vec(&batch).map_err(|e| Error::internal(e.to_string()))?;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(&self.rpc_url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json");
        for (name, value) in self.identity().await? {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Error::internal(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| describe(&e))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => return Err(self.unavailable(e)),
            Err(_) => return Err(self.unavailable(format!("no answer within {:?}", self.timeout))),
        };
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|e| self.unavailable(format!("{status}: not JSON: {e}")))?;
        if status != StatusCode::OK {
            // The registry refused the whole request (authentication,
            // framing): its error is the answer.
            return Err(decode_error(&body).unwrap_or_else(|| self.unavailable(status)));
        }
        let answer = match body {
            Value::Array(mut answers) if answers.len() == 1 => answers.remove(0),
            other => return Err(self.unavailable(format!("unexpected answer {other}"))),
        };
        if let Some(e) = decode_error(&answer) {
            return Err(e);
        }
        serde_json::from_value(answer)
            .map_err(|e| self.unavailable(format!("{command}: unexpected result: {e}")))
    }
}

#[async_trait]
impl Repository for RemoteRepository {
    async fn image_create(&self, image: &Image) -> Result<Image> {
        self.call("image_create", json!({ "image": image })).await
    }

    async fn image_get(&self, id: &str, include_deleted: bool) -> Result<Image> {
        self.call(
            "image_get",
            json!({ "id": id, "include_deleted": include_deleted }),
        )
        .await
    }

    async fn image_get_all(&self, query: &ImageListQuery) -> Result<Vec<Image>> {
        self.call("image_get_all", json!({ "query": query })).await
    }

    async fn image_update(&self, update: &ImageUpdate) -> Result<Image> {
        self.call("image_update", json!({ "update": update })).await
    }

    async fn image_destroy(&self, id: &str) -> Result<Image> {
        self.call("image_destroy", json!({ "id": id })).await
    }

    async fn image_touch(&self, id: &str, status: ImageStatus) -> Result<()> {
        self.call("image_touch", json!({ "id": id, "status": status }))
            .await
    }

    async fn image_tag_add(&self, image_id: &str, tag: &str) -> Result<()> {
        self.call("image_tag_add", json!({ "image_id": image_id, "tag": tag }))
            .await
    }

    async fn image_tag_delete(&self, image_id: &str, tag: &str) -> Result<()> {
        self.call(
            "image_tag_delete",
            json!({ "image_id": image_id, "tag": tag }),
        )
        .await
    }

    async fn image_member_create(&self, image_id: &str, member: &str) -> Result<ImageMember> {
        self.call(
            "image_member_create",
            json!({ "image_id": image_id, "member": member }),
        )
        .await
    }

    async fn image_member_update(
        &self,
        image_id: &str,
        member: &str,
        status: MemberStatus,
    ) -> Result<ImageMember> {
        self.call(
            "image_member_update",
            json!({ "image_id": image_id, "member": member, "status": status }),
        )
        .await
    }

    async fn image_member_delete(&self, image_id: &str, member: &str) -> Result<()> {
        self.call(
            "image_member_delete",
            json!({ "image_id": image_id, "member": member }),
        )
        .await
    }

    async fn image_member_find(
        &self,
        image_id: &str,
        member: Option<&str>,
        status: Option<MemberStatus>,
    ) -> Result<Vec<ImageMember>> {
        self.call(
            "image_member_find",
            json!({ "image_id": image_id, "member": member, "status": status }),
        )
        .await
    }

    async fn image_location_add(&self, image_id: &str, location: &ImageLocation) -> Result<()> {
        self.call(
            "image_location_add",
            json!({ "image_id": image_id, "location": location }),
        )
        .await
    }

    async fn image_location_set_status(
        &self,
        image_id: &str,
        url: &str,
        status: LocationStatus,
    ) -> Result<()> {
        self.call(
            "image_location_set_status",
            json!({ "image_id": image_id, "url": url, "status": status }),
        )
        .await
    }

    async fn image_locations_pending_delete(
        &self,
        deleted_before: DateTime<Utc>,
    ) -> Result<Vec<(String, ImageLocation)>> {
        self.call(
            "image_locations_pending_delete",
            json!({ "deleted_before": deleted_before }),
        )
        .await
    }

    async fn metadef_namespace_create(&self, contents: &NamespaceContents) -> Result<()> {
        self.call("metadef_namespace_create", json!({ "contents": contents }))
            .await
    }

    async fn metadef_namespace_get(&self, name: &str) -> Result<NamespaceContents> {
        self.call("metadef_namespace_get", json!({ "name": name }))
            .await
    }

    async fn metadef_namespace_list(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>> {
        self.call("metadef_namespace_list", json!({ "query": query }))
            .await
    }

    async fn metadef_namespace_replace(
        &self,
        name: &str,
        expected: DateTime<Utc>,
        contents: &NamespaceContents,
    ) -> Result<()> {
        self.call(
            "metadef_namespace_replace",
            json!({ "name": name, "expected": expected, "contents": contents }),
        )
        .await
    }

    async fn metadef_namespace_delete(&self, name: &str) -> Result<()> {
        self.call("metadef_namespace_delete", json!({ "name": name }))
            .await
    }

    async fn metadef_resource_types(&self) -> Result<Vec<ResourceType>> {
        self.call("metadef_resource_types", json!({})).await
    }

    async fn owner_usage(&self, owner: &str) -> Result<OwnerUsage> {
        self.call("owner_usage", json!({ "owner": owner })).await
    }

    async fn task_create(&self, task: &Task) -> Result<()> {
        self.call("task_create", json!({ "task": task })).await
    }

    async fn task_get(&self, id: &str) -> Result<Task> {
        self.call("task_get", json!({ "id": id })).await
    }

    async fn task_get_all(&self, query: &TaskQuery) -> Result<Vec<Task>> {
        self.call("task_get_all", json!({ "query": query })).await
    }

    async fn task_update(&self, update: &TaskUpdate) -> Result<Task> {
        self.call("task_update", json!({ "update": update })).await
    }

    async fn task_delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        self.call("task_delete_expired", json!({ "now": now }))
            .await
    }
}
