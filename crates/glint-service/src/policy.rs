//! Access decisions by operation name, as Glance names them: the
//! oslo.policy engine of `glint-policy` with Glance's default (secure
//! RBAC, project-scoped) rules, a policy file's overrides, and property
//! protections. Targets are shaped as Glance's policy targets are.

use std::collections::BTreeMap;

use glint_config::PolicyConfig;
use glint_domain::{Error, Image, RequestContext, Result, Visibility};
use glint_policy::{
    Credentials, Enforcer, EnforcerOptions, Operation, PropertyProtections, RuleFormat,
};

/// The operations checked, by Glance's policy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AddImage,
    GetImage,
    GetImages,
    ModifyImage,
    DeleteImage,
    PublicizeImage,
    CommunitizeImage,
    Deactivate,
    Reactivate,
    UploadImage,
    DownloadImage,
    AddMember,
    DeleteMember,
    GetMember,
    GetMembers,
    ModifyMember,
    GetMetadefNamespace,
    GetMetadefNamespaces,
    AddMetadefNamespace,
    DeleteMetadefNamespace,
    ListMetadefResourceTypes,
    ModifyMetadefNamespace,
    GetMetadefObjects,
    AddMetadefObject,
    ModifyMetadefObject,
    DeleteMetadefObject,
    GetMetadefProperties,
    AddMetadefProperty,
    ModifyMetadefProperty,
    RemoveMetadefProperty,
    GetMetadefTags,
    AddMetadefTag,
    AddMetadefTags,
    ModifyMetadefTag,
    DeleteMetadefTag,
    DeleteMetadefTags,
    AddMetadefResourceTypeAssociation,
    RemoveMetadefResourceTypeAssociation,
    CopyImage,
    GetTask,
    GetTasks,
    AddTask,
    TasksApiAccess,
    StoresInfoDetail,
    DeleteImageLocation,
    AddImageLocation,
    FetchImageLocation,
    SetImageLocation,
    CacheImage,
    CacheList,
    CacheDelete,
    CacheClean,
    CachePrune,
    ListCachedNodes,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::AddImage => "add_image",
            Action::GetImage => "get_image",
            Action::GetImages => "get_images",
            Action::ModifyImage => "modify_image",
            Action::DeleteImage => "delete_image",
            Action::PublicizeImage => "publicize_image",
            Action::CommunitizeImage => "communitize_image",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::UploadImage => "upload_image",
            Action::DownloadImage => "download_image",
            Action::AddMember => "add_member",
            Action::DeleteMember => "delete_member",
            Action::GetMember => "get_member",
            Action::GetMembers => "get_members",
            Action::ModifyMember => "modify_member",
            Action::GetMetadefNamespace => "get_metadef_namespace",
            Action::GetMetadefNamespaces => "get_metadef_namespaces",
            Action::AddMetadefNamespace => "add_metadef_namespace",
            Action::DeleteMetadefNamespace => "delete_metadef_namespace",
            Action::ListMetadefResourceTypes => "list_metadef_resource_types",
            Action::ModifyMetadefNamespace => "modify_metadef_namespace",
            Action::GetMetadefObjects => "get_metadef_objects",
            Action::AddMetadefObject => "add_metadef_object",
            Action::ModifyMetadefObject => "modify_metadef_object",
            Action::DeleteMetadefObject => "delete_metadef_object",
            Action::GetMetadefProperties => "get_metadef_properties",
            Action::AddMetadefProperty => "add_metadef_property",
            Action::ModifyMetadefProperty => "modify_metadef_property",
            Action::RemoveMetadefProperty => "remove_metadef_property",
            Action::GetMetadefTags => "get_metadef_tags",
            Action::AddMetadefTag => "add_metadef_tag",
            Action::AddMetadefTags => "add_metadef_tags",
            Action::ModifyMetadefTag => "modify_metadef_tag",
            Action::DeleteMetadefTag => "delete_metadef_tag",
            Action::DeleteMetadefTags => "delete_metadef_tags",
            Action::AddMetadefResourceTypeAssociation => "add_metadef_resource_type_association",
            Action::RemoveMetadefResourceTypeAssociation => {
                "remove_metadef_resource_type_association"
            }
            Action::CopyImage => "copy_image",
            Action::GetTask => "get_task",
            Action::GetTasks => "get_tasks",
            Action::AddTask => "add_task",
            Action::TasksApiAccess => "tasks_api_access",
            Action::StoresInfoDetail => "stores_info_detail",
            Action::DeleteImageLocation => "delete_image_location",
            Action::AddImageLocation => "add_image_location",
            Action::FetchImageLocation => "fetch_image_location",
            Action::SetImageLocation => "set_image_location",
            Action::CacheImage => "cache_image",
            Action::CacheList => "cache_list",
            Action::CacheDelete => "cache_delete",
            Action::CacheClean => "cache_clean",
            Action::CachePrune => "cache_prune",
            Action::ListCachedNodes => "list_cached_nodes",
        }
    }
}

/// What a rule may look at, by the keys Glance's policy targets use:
/// `project_id` and `owner` (the image's owner), `visibility`, `id`,
/// `name`, `member_id` (the caller's project when it sees a shared image
/// as a member) and the image's own properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target(BTreeMap<String, String>);

impl Target {
    /// The target of an operation on an image that does not exist yet, or
    /// on the images of `owner` in general.
    pub fn owner(owner: Option<&str>) -> Self {
        let mut t = BTreeMap::new();
        if let Some(owner) = owner {
            t.insert("project_id".into(), owner.to_string());
            t.insert("owner".into(), owner.to_string());
        }
        Target(t)
    }

    /// The target of an operation on an image to be created with
    /// `visibility` (Glance's dict target for `add_image`).
    pub fn new_image(owner: Option<&str>, visibility: Option<Visibility>) -> Self {
        let mut t = Target::owner(owner);
        t.0.insert(
            "visibility".into(),
            visibility.unwrap_or(Visibility::Private).as_str().into(),
        );
        t
    }

    /// The target of an operation on `image` as `ctx` sees it.
    pub fn image(ctx: &RequestContext, image: &Image) -> Self {
        let mut t = BTreeMap::new();
        for (k, v) in &image.properties {
            t.insert(k.clone(), v.clone());
        }
        let mut t = Target(t);
        if let Some(owner) = &image.owner {
            t.0.insert("project_id".into(), owner.clone());
            t.0.insert("owner".into(), owner.clone());
        }
        t.0.insert("id".into(), image.id.clone());
        t.0.insert("visibility".into(), image.visibility.as_str().into());
        if let Some(name) = &image.name {
            t.0.insert("name".into(), name.clone());
        }
        t.0.insert("status".into(), image.status.as_str().into());
        // As Glance does: a caller who is not the owner of a shared image
        // can only have found it as a member.
        if image.visibility == Visibility::Shared && ctx.project_id != image.owner {
            if let Some(project) = &ctx.project_id {
                t.0.insert("member_id".into(), project.clone());
            }
        }
        t
    }

    /// The target of an operation on a metadef namespace (its owner and
    /// visibility), as Glance's metadef policy targets are.
    pub fn namespace(owner: &str, visibility: Visibility) -> Self {
        let mut t = Target::owner(Some(owner));
        t.0.insert("visibility".into(), visibility.as_str().into());
        t
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// What is done to an image property, for property protections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyOp {
    Create,
    Read,
    Update,
    Delete,
}

/// The access rules in force: Glance's default rules with the policy
/// file's overrides, and the property protections, if any.
pub struct Policy {
    enforcer: Enforcer,
    protections: Option<PropertyProtections>,
}

impl Policy {
    /// Glance's default rules, no policy file, no property protections.
    pub fn glance_defaults() -> Self {
        Policy {
            enforcer: Enforcer::glance_defaults(),
            protections: None,
        }
    }

    /// The rules `[oslo_policy]` and `property_protection_file` describe;
    /// also returns warnings (rules that cannot be parsed refuse
    /// everything). An unreadable or invalid file is an error.
    pub fn from_config(config: &PolicyConfig) -> std::result::Result<(Self, Vec<String>), String> {
        let mut enforcer = Enforcer::glance_with_options(EnforcerOptions {
            enforce_scope: config.enforce_scope,
            enforce_new_defaults: config.enforce_new_defaults,
            ..EnforcerOptions::default()
        });
        let protections = match &config.property_protection_file {
            None => None,
            Some(path) => {
                let format = RuleFormat::parse(&config.property_protection_rule_format)
                    .unwrap_or(RuleFormat::Roles);
                let protections = PropertyProtections::load(path, format)
                    .map_err(|e| format!("property protection file {}: {e}", path.display()))?;
                protections
                    .register(&mut enforcer)
                    .map_err(|e| format!("property protection file {}: {e}", path.display()))?;
                Some(protections)
            }
        };
        // The policy file comes last: it may override the protection rules.
        let warnings = match &config.policy_file {
            Some(path) => enforcer
                .load_policy_file(path)
                .map_err(|e| format!("policy file {}: {e}", path.display()))?
                .iter()
                .map(ToString::to_string)
                .collect(),
            None => Vec::new(),
        };
        Ok((
            Policy {
                enforcer,
                protections,
            },
            warnings,
        ))
    }

    /// Fills in what the rules derive from an authenticated identity:
    /// whether `context_is_admin` holds.
    pub fn complete(&self, mut ctx: RequestContext) -> RequestContext {
        ctx.is_admin = false;
        ctx.is_admin = self
            .enforcer
            .enforce("context_is_admin", &credentials(&ctx), &BTreeMap::new())
            .allowed;
        ctx
    }

    /// Allows or refuses `action` for `ctx` on `target` (→ 403).
    pub fn authorize(&self, ctx: &RequestContext, action: Action, target: &Target) -> Result<()> {
        if self.allows(ctx, action, target) {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "You are not authorized to complete {} action.",
                action.name()
            )))
        }
    }

    /// Whether `action` is allowed, without an error.
    pub fn allows(&self, ctx: &RequestContext, action: Action, target: &Target) -> bool {
        let decision = self
            .enforcer
            .enforce(action.name(), &credentials(ctx), target.as_map());
        if !decision.allowed {
            tracing::debug!(action = action.name(), reason = ?decision.reason, "policy refused");
        }
        decision.allowed
    }

    /// Whether property protections let `ctx` do `op` to property `name`.
    pub fn property_allowed(&self, ctx: &RequestContext, name: &str, op: PropertyOp) -> bool {
        let Some(protections) = &self.protections else {
            return true;
        };
        let op = match op {
            PropertyOp::Create => Operation::Create,
            PropertyOp::Read => Operation::Read,
            PropertyOp::Update => Operation::Update,
            PropertyOp::Delete => Operation::Delete,
        };
        protections.allowed(name, op, &credentials(ctx), &self.enforcer)
    }

    /// Refuses (403, Glance's text) what property protections forbid.
    pub fn check_property(&self, ctx: &RequestContext, name: &str, op: PropertyOp) -> Result<()> {
        if self.property_allowed(ctx, name, op) {
            Ok(())
        } else {
            Err(Error::forbidden(format!("Attribute '{name}' is reserved.")))
        }
    }

    /// Drops the properties `ctx` may not read from `image`.
    pub fn hide_unreadable(&self, ctx: &RequestContext, image: &mut Image) {
        if self.protections.is_none() {
            return;
        }
        let creds = credentials(ctx);
        if let Some(protections) = &self.protections {
            image.properties.retain(|name, _| {
                protections.allowed(name, Operation::Read, &creds, &self.enforcer)
            });
        }
    }
}

/// What the rules see of a caller (oslo.context's policy values).
fn credentials(ctx: &RequestContext) -> Credentials {
    let service = ctx.service.as_ref();
    Credentials {
        user_id: ctx.user_id.clone(),
        user_domain_id: ctx.user_domain_id.clone(),
        project_id: ctx.project_id.clone(),
        project_domain_id: ctx.project_domain_id.clone(),
        domain_id: ctx.domain_id.clone(),
        system_scope: ctx.system_scope.clone(),
        roles: ctx.roles.clone(),
        is_admin: ctx.is_admin,
        is_admin_project: true,
        service_user_id: service.and_then(|s| s.user_id.clone()),
        service_project_id: service.and_then(|s| s.project_id.clone()),
        service_roles: service.map(|s| s.roles.clone()).unwrap_or_default(),
        ..Credentials::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_change_their_own_project_images_only() {
        let ctx = RequestContext::member_of("p1");
        let policy = Policy::glance_defaults();
        let own = Target::owner(Some("p1"));
        let other = Target::owner(Some("p2"));
        assert!(policy.authorize(&ctx, Action::ModifyImage, &own).is_ok());
        assert!(policy.authorize(&ctx, Action::ModifyImage, &other).is_err());
        assert!(policy
            .authorize(&ctx, Action::PublicizeImage, &own)
            .is_err());
        let mut admin = RequestContext::admin("r");
        admin.project_id = Some("p9".into());
        assert!(policy
            .authorize(&admin, Action::PublicizeImage, &other)
            .is_ok());
    }

    #[test]
    fn a_system_scoped_admin_is_refused_project_operations() {
        let policy = Policy::glance_defaults();
        let mut ctx = RequestContext::admin("r");
        ctx.system_scope = Some("all".into());
        let ctx = policy.complete(ctx);
        assert!(ctx.is_admin);
        assert!(policy
            .authorize(&ctx, Action::GetImages, &Target::owner(None))
            .is_err());
    }

    #[test]
    fn property_protections_from_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("protections.conf");
        std::fs::write(
            &file,
            "[^x_billing_.*]\ncreate = admin\nread = admin,member\nupdate = admin\ndelete = admin\n\n[.*]\ncreate = @\nread = @\nupdate = @\ndelete = @\n",
        )
        .unwrap();
        let mut config = glint_config::Config::defaults().policy;
        config.property_protection_file = Some(file);
        let (policy, _) = Policy::from_config(&config).unwrap();
        let member = RequestContext::member_of("p1");
        let mut reader = RequestContext::member_of("p1");
        reader.roles = vec!["reader".into()];
        assert!(policy.property_allowed(&member, "x_billing_code", PropertyOp::Read));
        assert!(!policy.property_allowed(&reader, "x_billing_code", PropertyOp::Read));
        assert!(policy
            .check_property(&member, "x_billing_code", PropertyOp::Create)
            .is_err());
        assert!(policy.property_allowed(&reader, "os_distro", PropertyOp::Delete));
    }

    #[test]
    fn readers_may_only_read() {
        let mut ctx = RequestContext::member_of("p1");
        ctx.roles = vec!["reader".into()];
        let policy = Policy::glance_defaults();
        assert!(policy
            .authorize(&ctx, Action::GetImages, &Target::owner(Some("p1")))
            .is_ok());
        let err = policy
            .authorize(&ctx, Action::AddImage, &Target::owner(Some("p1")))
            .unwrap_err();
        assert_eq!(
            err.message(),
            "You are not authorized to complete add_image action."
        );
    }
}
