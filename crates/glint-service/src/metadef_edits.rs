//! Changes inside a metadef namespace — its attributes, property
//! definitions, objects, tags and resource type associations.
//!
//! Each change loads the namespace, checks the rule, edits it in memory and
//! writes it back under a compare-and-swap on `updated_at`, so two
//! concurrent edits never lose one another: the later gets Conflict.

use glint_domain::metadef::{
    MetadefObject, MetadefProperty, MetadefTag, NamespaceContents, ResourceTypeAssociation,
};
use glint_domain::{time, Error, RequestContext, Result};
use serde_json::Value;

use crate::metadef_document;
use crate::metadefs::{not_found, MetadefService};
use crate::policy::{Action, Target};

fn missing(what: &str, name: &str, namespace: &str) -> Error {
    Error::not_found(format!(
        "Metadata definition {what}={name} was not found in namespace={namespace}."
    ))
}

fn duplicate(what: &str, name: &str, namespace: &str) -> Error {
    Error::conflict(format!(
        "A metadata definition {what} with name={name} already exists in namespace={namespace}."
    ))
}

impl MetadefService {
    /// A namespace the caller sees, after `action` is allowed on it.
    async fn visible(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        action: Action,
    ) -> Result<NamespaceContents> {
        let contents = self.repo.metadef_namespace_get(namespace).await?;
        if !self.sees(ctx, &contents.namespace) {
            return Err(not_found(namespace));
        }
        let ns = &contents.namespace;
        self.policy
            .authorize(ctx, action, &Target::namespace(&ns.owner, ns.visibility))?;
        Ok(contents)
    }

    /// Applies `change` to the namespace and writes it back.
    async fn edit<T>(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        action: Action,
        change: impl FnOnce(&mut NamespaceContents) -> Result<T>,
    ) -> Result<(T, NamespaceContents)> {
        let mut contents = self.visible(ctx, namespace, action).await?;
        let expected = contents.namespace.updated_at;
        let out = change(&mut contents)?;
        let now = time::now();
        contents.namespace.updated_at = if now > expected {
            now
        } else {
            expected + chrono::Duration::microseconds(1)
        };
        self.repo
            .metadef_namespace_replace(namespace, expected, &contents)
            .await?;
        Ok((out, contents))
    }

    /// `PUT /v2/metadefs/namespaces/{ns}`: new attributes (and name).
    pub async fn update_namespace(
        &self,
        ctx: &RequestContext,
        namespace: &str,
        body: &Value,
    ) -> Result<NamespaceContents> {
        let (_, contents) = self
            .edit(ctx, namespace, Action::ModifyMetadefNamespace, |c| {
                let owner = c.namespace.owner.clone();
                let parsed = metadef_document::parse(body, &owner, c.namespace.created_at)?;
                let mut ns = parsed.namespace;
                ns.created_at = c.namespace.created_at;
                c.namespace = ns;
                Ok(())
            })
            .await?;
        Ok(contents)
    }

    pub async fn properties(&self, ctx: &RequestContext, ns: &str) -> Result<Vec<MetadefProperty>> {
        Ok(self
            .visible(ctx, ns, Action::GetMetadefProperties)
            .await?
            .properties)
    }

    pub async fn property(
        &self,
        ctx: &RequestContext,
        ns: &str,
        name: &str,
    ) -> Result<MetadefProperty> {
        self.properties(ctx, ns)
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| missing("property", name, ns))
    }

    pub async fn create_property(
        &self,
        ctx: &RequestContext,
        ns: &str,
        body: &Value,
    ) -> Result<MetadefProperty> {
        let property = metadef_document::property(body)?;
        let added = property.clone();
        self.edit(ctx, ns, Action::AddMetadefProperty, |c| {
            if c.properties.iter().any(|p| p.name == added.name) {
                return Err(duplicate("property", &added.name, ns));
            }
            c.properties.push(added);
            Ok(())
        })
        .await?;
        Ok(property)
    }

    pub async fn update_property(
        &self,
        ctx: &RequestContext,
        ns: &str,
        name: &str,
        body: &Value,
    ) -> Result<MetadefProperty> {
        let property = metadef_document::property(body)?;
        let new = property.clone();
        self.edit(ctx, ns, Action::ModifyMetadefProperty, |c| {
            if new.name != name && c.properties.iter().any(|p| p.name == new.name) {
                return Err(duplicate("property", &new.name, ns));
            }
            let slot = c
                .properties
                .iter_mut()
                .find(|p| p.name == name)
                .ok_or_else(|| missing("property", name, ns))?;
            *slot = new;
            Ok(())
        })
        .await?;
        Ok(property)
    }

    pub async fn delete_property(&self, ctx: &RequestContext, ns: &str, name: &str) -> Result<()> {
        self.edit(ctx, ns, Action::RemoveMetadefProperty, |c| {
            let before = c.properties.len();
            c.properties.retain(|p| p.name != name);
            if c.properties.len() == before {
                return Err(missing("property", name, ns));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    pub async fn objects(&self, ctx: &RequestContext, ns: &str) -> Result<Vec<MetadefObject>> {
        Ok(self
            .visible(ctx, ns, Action::GetMetadefObjects)
            .await?
            .objects)
    }

    pub async fn object(
        &self,
        ctx: &RequestContext,
        ns: &str,
        name: &str,
    ) -> Result<MetadefObject> {
        self.objects(ctx, ns)
            .await?
            .into_iter()
            .find(|o| o.name == name)
            .ok_or_else(|| missing("object", name, ns))
    }

    pub async fn create_object(
        &self,
        ctx: &RequestContext,
        ns: &str,
        body: &Value,
    ) -> Result<MetadefObject> {
        let object = metadef_document::object(body, time::now())?;
        metadef_document::check_object(&object)?;
        let added = object.clone();
        self.edit(ctx, ns, Action::AddMetadefObject, |c| {
            if c.objects.iter().any(|o| o.name == added.name) {
                return Err(duplicate("object", &added.name, ns));
            }
            c.objects.push(added);
            Ok(())
        })
        .await?;
        Ok(object)
    }

    pub async fn update_object(
        &self,
        ctx: &RequestContext,
        ns: &str,
        name: &str,
        body: &Value,
    ) -> Result<MetadefObject> {
        let mut object = metadef_document::object(body, time::now())?;
        metadef_document::check_object(&object)?;
        let (created_at, _) = self
            .edit(ctx, ns, Action::ModifyMetadefObject, |c| {
                if object.name != name && c.objects.iter().any(|o| o.name == object.name) {
                    return Err(duplicate("object", &object.name, ns));
                }
                let slot = c
                    .objects
                    .iter_mut()
                    .find(|o| o.name == name)
                    .ok_or_else(|| missing("object", name, ns))?;
                let mut new = object.clone();
                new.created_at = slot.created_at;
                *slot = new;
                Ok(slot.created_at)
            })
            .await?;
        object.created_at = created_at;
        Ok(object)
    }

    pub async fn delete_object(&self, ctx: &RequestContext, ns: &str, name: &str) -> Result<()> {
        self.edit(ctx, ns, Action::DeleteMetadefObject, |c| {
            let before = c.objects.len();
            c.objects.retain(|o| o.name != name);
            if c.objects.len() == before {
                return Err(missing("object", name, ns));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    pub async fn tags(&self, ctx: &RequestContext, ns: &str) -> Result<Vec<MetadefTag>> {
        Ok(self.visible(ctx, ns, Action::GetMetadefTags).await?.tags)
    }

    pub async fn tag(&self, ctx: &RequestContext, ns: &str, name: &str) -> Result<MetadefTag> {
        self.tags(ctx, ns)
            .await?
            .into_iter()
            .find(|t| t.name == name)
            .ok_or_else(|| missing("tag", name, ns))
    }

    pub async fn create_tag(
        &self,
        ctx: &RequestContext,
        ns: &str,
        name: &str,
    ) -> Result<MetadefTag> {
        let tag = metadef_document::tag(&serde_json::json!({ "name": name }), time::now())?;
        let added = tag.clone();
        self.edit(ctx, ns, Action::AddMetadefTag, |c| {
            if c.tags.iter().any(|t| t.name == added.name) {
                return Err(duplicate("tag", &added.name, ns));
            }
            c.tags.push(added);
            Ok(())
        })
        .await?;
        Ok(tag)
    }

    /// Creates several tags at once; with `append` the existing ones stay,
    /// otherwise they are replaced. A name twice in the request is 409.
    pub async fn create_tags(
        &self,
        ctx: &RequestContext,
        ns: &str,
        body: &Value,
        append: bool,
    ) -> Result<Vec<MetadefTag>> {
        let now = time::now();
        let tags: Vec<MetadefTag> = match body.get("tags") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|t| metadef_document::tag(t, now))
                .collect::<Result<_>>()?,
            _ => return Err(Error::invalid("Expected {\"tags\": [{\"name\": …}, …]}")),
        };
        let added = tags.clone();
        self.edit(ctx, ns, Action::AddMetadefTags, |c| {
            if !append {
                c.tags.clear();
            }
            for tag in added {
                if c.tags.iter().any(|t| t.name == tag.name) {
                    return Err(duplicate("tag", &tag.name, ns));
                }
                c.tags.push(tag);
            }
            Ok(())
        })
        .await?;
        Ok(tags)
    }

    pub async fn rename_tag(
        &self,
        ctx: &RequestContext,
        ns: &str,
        name: &str,
        body: &Value,
    ) -> Result<MetadefTag> {
        let new = metadef_document::tag(body, time::now())?;
        let (tag, _) = self
            .edit(ctx, ns, Action::ModifyMetadefTag, |c| {
                if new.name != name && c.tags.iter().any(|t| t.name == new.name) {
                    return Err(duplicate("tag", &new.name, ns));
                }
                let slot = c
                    .tags
                    .iter_mut()
                    .find(|t| t.name == name)
                    .ok_or_else(|| missing("tag", name, ns))?;
                slot.name = new.name.clone();
                slot.updated_at = new.updated_at;
                Ok(slot.clone())
            })
            .await?;
        Ok(tag)
    }

    pub async fn delete_tag(&self, ctx: &RequestContext, ns: &str, name: &str) -> Result<()> {
        self.edit(ctx, ns, Action::DeleteMetadefTag, |c| {
            let before = c.tags.len();
            c.tags.retain(|t| t.name != name);
            if c.tags.len() == before {
                return Err(missing("tag", name, ns));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// Deletes every object, property or tag of a namespace.
    pub async fn clear(&self, ctx: &RequestContext, ns: &str, what: Contents) -> Result<()> {
        let action = match what {
            Contents::Objects => Action::DeleteMetadefObject,
            Contents::Properties => Action::RemoveMetadefProperty,
            Contents::Tags => Action::DeleteMetadefTags,
        };
        self.edit(ctx, ns, action, |c| {
            if c.namespace.protected {
                return Err(Error::forbidden(format!(
                    "Metadata definition namespace {ns} is protected and cannot be changed."
                )));
            }
            match what {
                Contents::Objects => c.objects.clear(),
                Contents::Properties => c.properties.clear(),
                Contents::Tags => c.tags.clear(),
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }

    pub async fn associations(
        &self,
        ctx: &RequestContext,
        ns: &str,
    ) -> Result<Vec<ResourceTypeAssociation>> {
        Ok(self
            .visible(ctx, ns, Action::ListMetadefResourceTypes)
            .await?
            .associations)
    }

    pub async fn associate(
        &self,
        ctx: &RequestContext,
        ns: &str,
        body: &Value,
    ) -> Result<ResourceTypeAssociation> {
        let association = metadef_document::association(body, time::now())?;
        let added = association.clone();
        self.edit(ctx, ns, Action::AddMetadefResourceTypeAssociation, |c| {
            if c.associations.iter().any(|a| a.name == added.name) {
                return Err(Error::conflict(format!(
                    "The metadata definition resource-type association of resource-type={} to namespace={ns}, already exists.",
                    added.name
                )));
            }
            c.associations.push(added);
            Ok(())
        })
        .await?;
        Ok(association)
    }

    pub async fn dissociate(
        &self,
        ctx: &RequestContext,
        ns: &str,
        resource_type: &str,
    ) -> Result<()> {
        self.edit(ctx, ns, Action::RemoveMetadefResourceTypeAssociation, |c| {
            let before = c.associations.len();
            c.associations.retain(|a| a.name != resource_type);
            if c.associations.len() == before {
                return Err(Error::not_found(format!(
                    "The metadata definition resource-type association of resource-type={resource_type} to namespace={ns}, was not found."
                )));
            }
            Ok(())
        })
        .await
        .map(|_| ())
    }
}

/// What [`MetadefService::clear`] empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    Objects,
    Properties,
    Tags,
}
