//! Every option Glint reads: section, name, default and help, in one table.

pub struct OptionSpec {
    pub section: &'static str,
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

const fn opt(
    section: &'static str,
    name: &'static str,
    default: &'static str,
    help: &'static str,
) -> OptionSpec {
    OptionSpec {
        section,
        name,
        default,
        help,
    }
}

pub const OPTIONS: &[OptionSpec] = &[
    opt("DEFAULT", "bind_host", "127.0.0.1", "Address the Image API listens on."),
    opt("DEFAULT", "bind_port", "9292", "Port the Image API listens on."),
    opt("DEFAULT", "workers", "", "Worker threads serving requests (empty: one per CPU core)."),
    opt(
        "DEFAULT",
        "data_dir",
        "data",
        "Folder for the embedded defaults: the SQLite database and the image\nfolder live here unless configured elsewhere. Created on first start.",
    ),
    opt("DEFAULT", "limit_param_default", "25", "Images returned by a list request that sets no limit."),
    opt("DEFAULT", "api_limit_max", "1000", "Most items a list request returns, whatever limit it asks."),
    opt("DEFAULT", "image_property_quota", "128", "Most extra properties an image may have (negative: unlimited)."),
    opt("DEFAULT", "image_tag_quota", "128", "Most tags an image may have (negative: unlimited)."),
    opt("DEFAULT", "image_member_quota", "128", "Most members an image may have (negative: unlimited)."),
    opt("DEFAULT", "image_location_quota", "10", "Most locations an image may have (negative: unlimited)."),
    opt("DEFAULT", "image_size_cap", "1099511627776", "Largest image size accepted, in bytes."),
    opt("DEFAULT", "show_image_direct_url", "false", "Show the image's first location as direct_url."),
    opt("DEFAULT", "show_multiple_locations", "false", "Show image locations."),
    opt("DEFAULT", "public_endpoint", "", "Public URL of the Image API, used in links; empty: the request's Host."),
    opt("DEFAULT", "hashing_algorithm", "sha512", "Hash algorithm for os_hash_value (sha512, sha384, sha256, sha224, sha1, md5)."),
    opt(
        "DEFAULT",
        "disk_formats",
        "ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop",
        "Deprecated location of [image_format] disk_formats.",
    ),
    opt(
        "DEFAULT",
        "container_formats",
        "ami,ari,aki,bare,ovf,ova,docker,compressed",
        "Deprecated location of [image_format] container_formats.",
    ),
    opt(
        "DEFAULT",
        "user_storage_quota",
        "0",
        "Most bytes of image data one owner may keep (B, KB, MB, GB, TB suffixes; 0: unlimited).",
    ),
    opt("DEFAULT", "delayed_delete", "false", "Keep deleted images' bytes (status pending_delete) until the scrubber removes them."),
    opt("DEFAULT", "scrub_time", "0", "Seconds a pending-delete image waits before the scrubber removes its bytes."),
    opt("DEFAULT", "scrubber_interval", "0", "Seconds between in-process scrubber runs (0: no in-process scrubber; run `glint scrub`)."),
    opt(
        "DEFAULT",
        "enabled_backends",
        "",
        "Named stores, `id:type` separated by commas (type: file or s3). Each has a section [id]\nwith store_description and filesystem_store_datadir (file) or the s3_store_* options\n(s3: host, access_key, secret_key, bucket, cacert, ...). Empty: one file store.",
    ),
    opt("database", "connection", "", "Database URL (sqlite:////path, postgresql://…, mysql+pymysql://…).\nEmpty: SQLite in data_dir."),
    opt(
        "image_format",
        "disk_formats",
        "ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop",
        "Disk formats images may declare.",
    ),
    opt(
        "image_format",
        "container_formats",
        "ami,ari,aki,bare,ovf,ova,docker,compressed",
        "Container formats images may declare.",
    ),
    opt("glance_store", "default_backend", "", "The store uploads go to when enabled_backends is set."),
    opt("glance_store", "filesystem_store_datadir", "", "Folder for image bytes of the file store (empty: data_dir/images)."),
    opt(
        "glance_store",
        "https_ca_certificates_file",
        "",
        "PEM file of the CAs that verify https:// image locations (the http store);\nwhen set, https_insecure is ignored. Empty: see https_insecure.",
    ),
    opt(
        "glance_store",
        "https_insecure",
        "true",
        "Do not verify the certificates of https:// image locations (Glance's default);\nfalse: verify them with the system CA store (SSL_CERT_FILE, SSL_CERT_DIR).\nIgnored when https_ca_certificates_file is set.",
    ),
    opt("paste_deploy", "flavor", "", "Authentication: empty or noauth trusts identity headers; keystone validates tokens."),
    opt("keystone_authtoken", "auth_url", "", "Keystone's identity endpoint (e.g. http://keystone:5000/v3), for validating tokens."),
    opt("keystone_authtoken", "www_authenticate_uri", "", "Identity endpoint named to clients in WWW-Authenticate (default: auth_url)."),
    opt("keystone_authtoken", "username", "", "The image service's own Keystone user."),
    opt("keystone_authtoken", "password", "", "That user's password."),
    opt("keystone_authtoken", "project_name", "", "The project the service user's token is scoped to."),
    opt("keystone_authtoken", "user_domain_name", "Default", "Domain of the service user."),
    opt("keystone_authtoken", "project_domain_name", "Default", "Domain of the service project."),
    opt("keystone_authtoken", "user_domain_id", "", "Domain id of the service user (instead of its name)."),
    opt("keystone_authtoken", "project_domain_id", "", "Domain id of the service project (instead of its name)."),
    opt("keystone_authtoken", "token_cache_time", "300", "Seconds a validated token is trusted without asking Keystone again."),
    opt("keystone_authtoken", "http_connect_timeout", "10", "Seconds to wait for Keystone before answering 503."),
    opt("keystone_authtoken", "service_token_roles", "service", "Roles a service token (X-Service-Token) must carry one of."),
    opt("keystone_authtoken", "service_token_roles_required", "false", "Refuse service tokens without one of service_token_roles."),
    opt("keystone_authtoken", "cafile", "", "PEM file of the CAs that verify an https:// Keystone (empty: the system CA store)."),
    opt("keystone_authtoken", "insecure", "false", "Do not verify an https:// Keystone's certificate (wins over cafile)."),
    opt("DEFAULT", "use_keystone_limits", "false", "Enforce Keystone's unified limits (image_size_total, image_stage_total, image_count_total, image_count_uploading)."),
    opt("oslo_limit", "endpoint_id", "", "The image service's endpoint in Keystone's catalog; its service and region own the limits."),
    opt("oslo_limit", "auth_url", "", "Keystone's identity endpoint for reading limits (default: [keystone_authtoken] auth_url)."),
    opt("oslo_limit", "username", "", "User that reads limits (needs reader on the system scope, or on each project)."),
    opt("oslo_limit", "password", "", "That user's password."),
    opt("oslo_limit", "user_domain_name", "Default", "Domain of that user."),
    opt("oslo_limit", "user_domain_id", "", "Domain id of that user (instead of its name)."),
    opt("oslo_limit", "system_scope", "", "Ask for a system-scoped token (all); else project_name scopes it."),
    opt("oslo_limit", "project_name", "", "Project to scope the token to when system_scope is empty."),
    opt("oslo_limit", "project_domain_name", "Default", "Domain of that project."),
    opt("oslo_limit", "cafile", "", "PEM file of the CAs that verify an https:// Keystone for limits (empty: the system\nCA store; [keystone_authtoken] cafile when auth_url comes from there)."),
    opt("oslo_limit", "insecure", "false", "Do not verify that Keystone's certificate (wins over cafile; [keystone_authtoken]\ninsecure when auth_url comes from there)."),
    opt("oslo_policy", "policy_file", "policy.yaml", "Policy overrides (YAML or JSON); relative paths are looked up beside the config file."),
    opt("oslo_policy", "enforce_scope", "true", "Refuse tokens whose scope a rule does not accept."),
    opt("oslo_policy", "enforce_new_defaults", "true", "Use only the new (secure RBAC) default rules, not the deprecated ones."),
    opt("DEFAULT", "property_protection_file", "", "Property protections file; empty: no protections."),
    opt("DEFAULT", "property_protection_rule_format", "roles", "How property protections name who may act: roles or policies."),
    opt(
        "DEFAULT",
        "data_api",
        "database",
        "Where the Image API keeps its records: database (the [database] connection) or\nregistry (a `glint registry` at registry_host:registry_port; Glance's\nglance.db.registry.api is accepted too).",
    ),
    opt("DEFAULT", "registry_host", "127.0.0.1", "Address of the registry: where `glint registry` listens and data_api = registry connects."),
    opt("DEFAULT", "registry_port", "9191", "Port of the registry."),
    opt("DEFAULT", "registry_client_timeout", "600", "Seconds the Image API waits for one registry call before answering 503."),
    opt(
        "DEFAULT",
        "registry_client_protocol",
        "http",
        "How data_api = registry reaches the registry: http, or https (through a TLS\nproxy in front of `glint registry`, which serves plain HTTP).",
    ),
    opt("DEFAULT", "registry_client_ca_file", "", "PEM file of the CAs that verify an https registry (empty: the system CA store)."),
    opt("DEFAULT", "registry_client_insecure", "false", "Do not verify an https registry's certificate (wins over registry_client_ca_file)."),
    opt(
        "dashboard",
        "image_url_allowed_hosts",
        "",
        "Hosts (host or host:port, comma-separated) the dashboard may copy image\ndata from when an image is created from an http:// or https:// URL; empty: none.",
    ),
    opt(
        "DEFAULT",
        "enabled_import_methods",
        "glance-direct,web-download,copy-image",
        "Interoperable import methods offered (glance-direct, web-download, copy-image,\nglance-download).",
    ),
    opt("os_glance_staging_store", "filesystem_store_datadir", "", "Folder where staged image data waits for its import (empty: data_dir/staging).\nEvery API node must reach the same folder."),
    opt("import_filtering_opts", "allowed_schemes", "http,https", "URL schemes web-download may fetch (empty: any not disallowed)."),
    opt("import_filtering_opts", "disallowed_schemes", "", "URL schemes web-download refuses (used when allowed_schemes is empty)."),
    opt("import_filtering_opts", "allowed_hosts", "", "Hosts web-download may fetch from (empty: any not disallowed)."),
    opt("import_filtering_opts", "disallowed_hosts", "", "Hosts web-download refuses (used when allowed_hosts is empty)."),
    opt("import_filtering_opts", "allowed_ports", "80,443", "Ports web-download may connect to (empty: any not disallowed)."),
    opt("import_filtering_opts", "disallowed_ports", "", "Ports web-download refuses (used when allowed_ports is empty)."),
    opt(
        "glance_download_properties",
        "extra_properties",
        "hw_,trait:,os_distro,os_secure_boot,os_type",
        "Properties glance-download copies from the remote image: names or name\nprefixes (os_glance_* never).",
    ),
    opt(
        "glance_download_opts",
        "endpoints",
        "",
        "Image API endpoints of other regions for glance-download, as\nREGION=URL (comma-separated), e.g. RegionTwo=http://glance.two:9292; used\nwhen the caller's service catalog names no image endpoint for the region\n(Glint).",
    ),
    opt("task", "task_time_to_live", "48", "Hours a finished task is kept before it is deleted."),
    opt(
        "image_import_opts",
        "image_import_plugins",
        "",
        "Import plugins run on the staged data, in order (image_decompression,\nimage_conversion, inject_image_metadata).",
    ),
    opt("image_conversion", "output_format", "raw", "Disk format image_conversion converts imports to (raw, qcow2, vmdk)."),
    opt("inject_metadata_properties", "inject", "", "Properties inject_image_metadata sets on imported images (key:value, comma-separated)."),
    opt("inject_metadata_properties", "ignore_user_roles", "admin", "Users with one of these roles get no injected properties."),
    opt("task", "task_heartbeat_timeout", "60", "Seconds after which work whose process stopped reporting is put right by\nany node: a running task is taken over, an upload or stage is undone (the\nimage queued again, its partial bytes removed) (Glint)."),
    opt(
        "image_format",
        "require_image_format_match",
        "true",
        "Inspect uploaded bytes and refuse them when they do not match disk_format\n(bare containers only).",
    ),
    opt(
        "image_format",
        "gpt_safety_checks_nonfatal",
        "",
        "GPT/MBR safety checks (e.g. mbr) whose failure only logs a warning.",
    ),
    opt(
        "image_format",
        "vmdk_allowed_types",
        "streamOptimized,monolithicSparse",
        "VMDK createType subformats image conversion accepts (uploads accept only\nthe single-file ones whatever this says).",
    ),
];

/// Sections whose options belong to other libraries' configuration (Keystone
/// middleware, messaging, logging); Glint reads some later and never warns.
const IGNORED_SECTIONS: &[&str] = &[
    "keystone_authtoken",
    "oslo_messaging_notifications",
    "oslo_messaging_rabbit",
    "oslo_policy",
    "oslo_limit",
    "oslo_concurrency",
    "oslo_middleware",
    "profiler",
    "cors",
    "wsgi",
    "store_type_location_strategy",
    "os_glance_staging_store",
    "os_glance_tasks_store",
];

pub fn find(section: &str, name: &str) -> Option<&'static OptionSpec> {
    OPTIONS
        .iter()
        .find(|o| o.section == section && o.name == name)
}

pub fn is_ignored_section(section: &str) -> bool {
    IGNORED_SECTIONS.contains(&section)
}

/// Options of a store's own section (`[fast]` for `enabled_backends = fast:file`).
pub const STORE_SECTION_OPTIONS: &[&str] = &[
    "filesystem_store_datadir",
    "store_description",
    "weight",
    "s3_store_host",
    "s3_store_access_key",
    "s3_store_secret_key",
    "s3_store_bucket",
    "s3_store_create_bucket_on_put",
    "s3_store_region_name",
    "s3_store_bucket_url_format",
    "s3_store_large_object_size",
    "s3_store_large_object_chunk_size",
    "s3_store_thread_pools",
    "s3_store_cacert",
];
