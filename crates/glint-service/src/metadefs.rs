//! The metadata definitions catalog: namespaces with their resource type
//! associations, property definitions, objects and tags.
//!
//! Public namespaces are seen by everyone, private ones by their owner;
//! only admins change the catalog (Glance's `metadef_admin`). A namespace
//! the caller may not see is NotFound.

use std::sync::Arc;

use glint_db::{NamespaceQuery, Repository};
use glint_domain::metadef::{Namespace, NamespaceContents, ResourceType, ResourceTypeAssociation};
use glint_domain::{time, Error, RequestContext, Result};
use serde_json::Value;

use crate::metadef_document;
use crate::policy::{Action, Policy, Target};

/// What the loader did with one catalog document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    Created(String),
    /// Already in the catalog and left as it was.
    Skipped(String),
    /// Already in the catalog; the document's entries were merged in.
    Merged(String),
    /// Replaced by the document (`overwrite`).
    Replaced(String),
}

/// How the loader treats a namespace that is already in the catalog, as
/// `glance-manage db load_metadefs` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Leave it as it is.
    Skip,
    /// Add the document's properties, objects, tags and associations that
    /// it lacks; with `prefer_new`, the document's version also replaces
    /// entries (and attributes) present in both.
    Merge { prefer_new: bool },
    /// Replace it whole.
    Overwrite,
}

/// Puts `new` into `list` unless an entry of the same name is there;
/// replaces that entry when `prefer_new`.
fn merge_by_name<T: Clone>(
    list: &mut Vec<T>,
    new: &[T],
    name: impl Fn(&T) -> &str,
    prefer_new: bool,
) {
    for item in new {
        match list.iter_mut().find(|x| name(x) == name(item)) {
            Some(slot) if prefer_new => *slot = item.clone(),
            Some(_) => {}
            None => list.push(item.clone()),
        }
    }
}

#[derive(Clone)]
pub struct MetadefService {
    pub(crate) repo: Arc<dyn Repository>,
    pub(crate) policy: Arc<Policy>,
}

impl MetadefService {
    pub fn new(repo: Arc<dyn Repository>, policy: Arc<Policy>) -> Self {
        MetadefService { repo, policy }
    }

    /// Namespaces the caller sees; the query's viewer is filled in here.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        mut query: NamespaceQuery,
    ) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>> {
        self.policy.authorize(
            ctx,
            Action::GetMetadefNamespaces,
            &Target::owner(ctx.project_id.as_deref()),
        )?;
        query.viewer = glint_domain::image_query::Viewer {
            project_id: ctx.project_id.clone(),
            is_admin: ctx.is_admin,
        };
        let list = self.repo.metadef_namespace_list(&query).await?;
        Ok(list
            .into_iter()
            .filter(|(ns, _)| self.sees(ctx, ns))
            .collect())
    }

    /// One namespace with everything in it.
    pub async fn get(&self, ctx: &RequestContext, name: &str) -> Result<NamespaceContents> {
        let contents = self.repo.metadef_namespace_get(name).await?;
        if !self.sees(ctx, &contents.namespace) {
            return Err(not_found(name));
        }
        Ok(contents)
    }

    /// Creates a namespace (and what it holds) from a request body.
    pub async fn create(&self, ctx: &RequestContext, body: &Value) -> Result<NamespaceContents> {
        let owner = ctx.project_id.clone().unwrap_or_default();
        let contents = metadef_document::parse(body, &owner, time::now())?;
        metadef_document::check_definitions(&contents)?;
        let ns = &contents.namespace;
        self.policy.authorize(
            ctx,
            Action::AddMetadefNamespace,
            &Target::namespace(&ns.owner, ns.visibility),
        )?;
        self.repo.metadef_namespace_create(&contents).await?;
        tracing::info!(namespace = %ns.namespace, "metadef namespace created");
        self.repo.metadef_namespace_get(&ns.namespace).await
    }

    /// Deletes a namespace; protected ones are Forbidden.
    pub async fn delete(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        let contents = self.get(ctx, name).await?;
        let ns = &contents.namespace;
        self.policy.authorize(
            ctx,
            Action::DeleteMetadefNamespace,
            &Target::namespace(&ns.owner, ns.visibility),
        )?;
        if ns.protected {
            return Err(Error::forbidden(format!(
                "Metadata definition namespace {name} is protected and cannot be deleted."
            )));
        }
        self.repo.metadef_namespace_delete(name).await
    }

    /// Every resource type.
    pub async fn resource_types(&self, ctx: &RequestContext) -> Result<Vec<ResourceType>> {
        self.policy.authorize(
            ctx,
            Action::ListMetadefResourceTypes,
            &Target::owner(ctx.project_id.as_deref()),
        )?;
        self.repo.metadef_resource_types().await
    }

    /// Loads one catalog document as an operator tool does (owner `admin`
    /// when the document names none); `mode` says what happens to a
    /// namespace already in the catalog.
    pub async fn load_document(&self, doc: &Value, mode: LoadMode) -> Result<Loaded> {
        let now = time::now();
        let new = metadef_document::parse(doc, "admin", now)?;
        let name = new.namespace.namespace.clone();
        let mut existing = match self.repo.metadef_namespace_get(&name).await {
            Ok(existing) => existing,
            Err(Error::NotFound(_)) => {
                self.repo.metadef_namespace_create(&new).await?;
                return Ok(Loaded::Created(name));
            }
            Err(e) => return Err(e),
        };
        let expected = existing.namespace.updated_at;
        match mode {
            LoadMode::Skip => Ok(Loaded::Skipped(name)),
            LoadMode::Overwrite => {
                let mut replacement = new;
                replacement.namespace.created_at = existing.namespace.created_at;
                self.repo
                    .metadef_namespace_replace(&name, expected, &replacement)
                    .await?;
                Ok(Loaded::Replaced(name))
            }
            LoadMode::Merge { prefer_new } => {
                if prefer_new {
                    let created_at = existing.namespace.created_at;
                    existing.namespace = new.namespace.clone();
                    existing.namespace.created_at = created_at;
                }
                merge_by_name(
                    &mut existing.associations,
                    &new.associations,
                    |a| &a.name,
                    prefer_new,
                );
                merge_by_name(
                    &mut existing.properties,
                    &new.properties,
                    |p| &p.name,
                    prefer_new,
                );
                merge_by_name(&mut existing.objects, &new.objects, |o| &o.name, prefer_new);
                merge_by_name(&mut existing.tags, &new.tags, |t| &t.name, prefer_new);
                existing.namespace.updated_at =
                    now.max(expected + chrono::Duration::microseconds(1));
                self.repo
                    .metadef_namespace_replace(&name, expected, &existing)
                    .await?;
                Ok(Loaded::Merged(name))
            }
        }
    }

    /// Every namespace, whole, for export (operator tool).
    pub async fn export_all(&self) -> Result<Vec<NamespaceContents>> {
        let query = NamespaceQuery {
            viewer: glint_domain::image_query::Viewer {
                project_id: None,
                is_admin: true,
            },
            visibility: None,
            resource_types: Vec::new(),
            sort_key: "namespace".into(),
            sort_asc: true,
            marker: None,
            limit: None,
        };
        let mut out = Vec::new();
        for (ns, _) in self.repo.metadef_namespace_list(&query).await? {
            out.push(self.repo.metadef_namespace_get(&ns.namespace).await?);
        }
        Ok(out)
    }

    /// Deletes every namespace (operator tool); returns how many.
    pub async fn unload_all(&self) -> Result<usize> {
        let all = self.export_all().await?;
        for contents in &all {
            self.repo
                .metadef_namespace_delete(&contents.namespace.namespace)
                .await?;
        }
        Ok(all.len())
    }

    pub(crate) fn sees(&self, ctx: &RequestContext, ns: &Namespace) -> bool {
        self.policy.allows(
            ctx,
            Action::GetMetadefNamespace,
            &Target::namespace(&ns.owner, ns.visibility),
        )
    }
}

pub(crate) fn not_found(name: &str) -> Error {
    Error::not_found(format!(
        "Metadata definition namespace={name} was not found."
    ))
}
