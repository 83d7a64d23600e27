//! The rules Glance registers (its `glance/policies` package): name, check
//! string, the token scopes each accepts, and the check string it replaced,
//! which oslo.policy still honours while `enforce_new_defaults` is off.
//!
//! The rules without scope types (`default`, `context_is_admin`,
//! `service_api`, `metadef_default`, `metadef_admin`) are building blocks
//! other rules refer to; they take a token of any scope.

use crate::credentials::Scope;

/// A rule a service registers in code, as oslo.policy's `RuleDefault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDefault {
    pub name: String,
    pub check_str: String,
    /// Token scopes the rule accepts; empty means any (no scope check).
    pub scope_types: Vec<Scope>,
    /// The check string this default replaced (oslo's `DeprecatedRule`, in
    /// Glance always under the same name).
    pub deprecated_check_str: Option<String>,
    /// The rule is going away and Glance does not consult it any more.
    pub deprecated_for_removal: bool,
}

impl RuleDefault {
    /// A rule with no scope types and no deprecated predecessor.
    pub fn new(name: &str, check_str: &str) -> Self {
        RuleDefault {
            name: name.to_owned(),
            check_str: check_str.to_owned(),
            scope_types: Vec::new(),
            deprecated_check_str: None,
            deprecated_for_removal: false,
        }
    }

    /// Sets the scopes a token must have.
    pub fn scoped(mut self, scope_types: &[Scope]) -> Self {
        self.scope_types = scope_types.to_vec();
        self
    }

    /// Records the check string this default replaced.
    pub fn replacing(mut self, deprecated_check_str: &str) -> Self {
        self.deprecated_check_str = Some(deprecated_check_str.to_owned());
        self
    }
}

// Glance's personas (glance/policies/base.py), spelled out.
const ALWAYS: &str = "";
const ADMIN: &str = "rule:context_is_admin";
const DEFAULT: &str = "rule:default";
const SERVICE: &str = "rule:service_api";
const ADMIN_OR_SERVICE: &str = "rule:context_is_admin or rule:service_api";
const ADMIN_OR_PROJECT_MEMBER: &str =
    "rule:context_is_admin or (role:member and project_id:%(project_id)s)";
const ADMIN_OR_PROJECT_READER: &str =
    "rule:context_is_admin or (role:reader and project_id:%(project_id)s)";
/// A reader may see any shared image: the repository, not the policy, hides
/// shared images from projects that are not members.
const ADMIN_OR_PROJECT_READER_GET_IMAGE: &str = "rule:context_is_admin or \
    (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s \
    or 'community':%(visibility)s or 'public':%(visibility)s \
    or 'shared':%(visibility)s))";
const ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE: &str = "rule:context_is_admin or \
    (role:member and (project_id:%(project_id)s or project_id:%(member_id)s \
    or 'community':%(visibility)s or 'public':%(visibility)s \
    or 'shared':%(visibility)s))";
const ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE: &str = "rule:context_is_admin or \
    (role:member and project_id:%(project_id)s and project_id:%(owner)s)";
const ADMIN_OR_PROJECT_READER_GET_NAMESPACE: &str = "rule:context_is_admin or \
    (role:reader and (project_id:%(project_id)s or 'public':%(visibility)s))";
const ADMIN_OR_SHARED_MEMBER: &str =
    "rule:context_is_admin or (role:member and project_id:%(member_id)s)";
/// Unparenthesized in Glance; `and` binds tighter, so it reads as
/// `admin or (reader and (owner or member))`.
const ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER: &str = "rule:context_is_admin or \
    role:reader and (project_id:%(project_id)s or project_id:%(member_id)s)";
const SERVICE_OR_PROJECT_MEMBER: &str = "rule:service_api or \
    (role:member and project_id:%(project_id)s and project_id:%(owner)s)";
const METADEF_ADMIN: &str = "rule:metadef_admin";
const METADEF_DEFAULT: &str = "rule:metadef_default";
const MANAGE_IMAGE_CACHE: &str = "rule:manage_image_cache";

const ANY: bool = false;
const PROJECT: bool = true;

struct Def {
    name: &'static str,
    check: &'static str,
    project_only: bool,
    deprecated: Option<&'static str>,
    for_removal: bool,
}

const fn def(
    name: &'static str,
    check: &'static str,
    project_only: bool,
    deprecated: Option<&'static str>,
    for_removal: bool,
) -> Def {
    Def {
        name,
        check,
        project_only,
        deprecated,
        for_removal,
    }
}

/// In Glance's registration order: base, image, tasks, metadef, cache,
/// discovery.
const GLANCE: &[Def] = &[
    def("default", ALWAYS, ANY, Some(ADMIN), false),
    def("context_is_admin", "role:admin", ANY, None, false),
    def(
        "service_api",
        "role:service or role:admin",
        ANY,
        None,
        false,
    ),
    def(
        "add_image",
        ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "delete_image",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "get_image",
        ADMIN_OR_PROJECT_READER_GET_IMAGE,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "get_images",
        ADMIN_OR_PROJECT_READER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "modify_image",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def("publicize_image", ADMIN, PROJECT, None, false),
    def(
        "communitize_image",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "download_image",
        ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "download_from_store",
        ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
        PROJECT,
        None,
        false,
    ),
    def(
        "upload_image",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "delete_image_location",
        ADMIN,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "get_image_location",
        ADMIN_OR_PROJECT_READER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "set_image_location",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "add_image_location",
        SERVICE_OR_PROJECT_MEMBER,
        PROJECT,
        None,
        false,
    ),
    def("fetch_image_location", SERVICE, PROJECT, None, false),
    def(
        "add_member",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "delete_member",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "get_member",
        ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "get_members",
        ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "modify_member",
        ADMIN_OR_SHARED_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def("manage_image_cache", ADMIN, PROJECT, None, false),
    def(
        "deactivate",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def(
        "reactivate",
        ADMIN_OR_PROJECT_MEMBER,
        PROJECT,
        Some(DEFAULT),
        false,
    ),
    def("copy_image", ADMIN, PROJECT, None, false),
    def("list_cached_nodes", ADMIN, PROJECT, None, false),
    def("get_task", DEFAULT, PROJECT, Some(DEFAULT), false),
    def("get_tasks", DEFAULT, PROJECT, Some(DEFAULT), false),
    def("add_task", DEFAULT, PROJECT, Some(DEFAULT), false),
    def("modify_task", DEFAULT, PROJECT, None, true),
    def("tasks_api_access", ADMIN, PROJECT, None, false),
    def("metadef_default", ALWAYS, ANY, None, false),
    def("metadef_admin", ADMIN, ANY, None, false),
    def(
        "get_metadef_namespace",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "get_metadef_namespaces",
        ADMIN_OR_PROJECT_READER,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "modify_metadef_namespace",
        METADEF_ADMIN,
        PROJECT,
        None,
        false,
    ),
    def("add_metadef_namespace", METADEF_ADMIN, PROJECT, None, false),
    def(
        "delete_metadef_namespace",
        METADEF_ADMIN,
        PROJECT,
        None,
        false,
    ),
    def(
        "get_metadef_object",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "get_metadef_objects",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def("modify_metadef_object", METADEF_ADMIN, PROJECT, None, false),
    def("add_metadef_object", METADEF_ADMIN, PROJECT, None, false),
    def("delete_metadef_object", METADEF_ADMIN, PROJECT, None, false),
    def(
        "list_metadef_resource_types",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "get_metadef_resource_type",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "add_metadef_resource_type_association",
        METADEF_ADMIN,
        PROJECT,
        None,
        false,
    ),
    def(
        "remove_metadef_resource_type_association",
        METADEF_ADMIN,
        PROJECT,
        None,
        false,
    ),
    def(
        "get_metadef_property",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "get_metadef_properties",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "modify_metadef_property",
        METADEF_ADMIN,
        PROJECT,
        None,
        false,
    ),
    def("add_metadef_property", METADEF_ADMIN, PROJECT, None, false),
    def(
        "remove_metadef_property",
        METADEF_ADMIN,
        PROJECT,
        None,
        false,
    ),
    def(
        "get_metadef_tag",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def(
        "get_metadef_tags",
        ADMIN_OR_PROJECT_READER_GET_NAMESPACE,
        PROJECT,
        Some(METADEF_DEFAULT),
        false,
    ),
    def("modify_metadef_tag", METADEF_ADMIN, PROJECT, None, false),
    def("add_metadef_tag", METADEF_ADMIN, PROJECT, None, false),
    def("add_metadef_tags", METADEF_ADMIN, PROJECT, None, false),
    def("delete_metadef_tag", METADEF_ADMIN, PROJECT, None, false),
    def("delete_metadef_tags", METADEF_ADMIN, PROJECT, None, false),
    def(
        "cache_image",
        ADMIN,
        PROJECT,
        Some(MANAGE_IMAGE_CACHE),
        false,
    ),
    def(
        "cache_list",
        ADMIN,
        PROJECT,
        Some(MANAGE_IMAGE_CACHE),
        false,
    ),
    def(
        "cache_delete",
        ADMIN,
        PROJECT,
        Some(MANAGE_IMAGE_CACHE),
        false,
    ),
    def("cache_clean", ADMIN, PROJECT, None, false),
    def("cache_prune", ADMIN, PROJECT, None, false),
    def(
        "stores_info_detail",
        ADMIN_OR_SERVICE,
        PROJECT,
        Some(ADMIN),
        false,
    ),
];

/// Every rule Glance registers, with its current (secure RBAC) default.
pub fn glance_rule_defaults() -> Vec<RuleDefault> {
    GLANCE
        .iter()
        .map(|d| RuleDefault {
            name: d.name.to_owned(),
            check_str: d.check.to_owned(),
            scope_types: if d.project_only {
                vec![Scope::Project]
            } else {
                Vec::new()
            },
            deprecated_check_str: d.deprecated.map(str::to_owned),
            deprecated_for_removal: d.for_removal,
        })
        .collect()
}
