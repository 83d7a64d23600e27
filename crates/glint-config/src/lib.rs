//! Configuration: one typed [`Config`], loaded once at start-up from an
//! oslo.config-style INI file using Glance's option names.
//!
//! Every option Glint reads is declared once in [`options::OPTIONS`] with its
//! section, default and help; `glint config sample` prints that table as a
//! commented file. Options Glint does not know are warned about, never
//! fatal; values that cannot be parsed are errors.

mod import;
mod ini;
pub mod options;

use std::fmt;
use std::path::{Path, PathBuf};

pub use import::{ImportConfig, UriFilter, IMPORT_METHODS};
pub use ini::IniFile;
use options::{OptionSpec, OPTIONS};

/// A configuration problem the operator must fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// `[keystone_authtoken]`: how to validate tokens with Keystone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoneAuthtoken {
    /// The identity v3 endpoint, without a trailing slash.
    pub auth_url: String,
    pub www_authenticate_uri: String,
    pub username: String,
    pub password: String,
    pub project_name: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
    pub user_domain_id: Option<String>,
    pub project_domain_id: Option<String>,
    pub token_cache_time: u64,
    pub http_connect_timeout: u64,
    pub service_token_roles: Vec<String>,
    pub service_token_roles_required: bool,
    /// `cafile`: the CAs that verify an https:// Keystone; `None`: the
    /// system's.
    pub cafile: Option<PathBuf>,
    /// `insecure`: no certificate verification (wins over `cafile`).
    pub insecure: bool,
}

/// `use_keystone_limits` and `[oslo_limit]`: where unified limits come
/// from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoneLimits {
    pub endpoint_id: String,
    pub auth_url: String,
    pub username: String,
    pub password: String,
    pub user_domain_name: String,
    pub user_domain_id: Option<String>,
    /// `Some("all")` for a system-scoped token.
    pub system_scope: Option<String>,
    pub project_name: Option<String>,
    pub project_domain_name: String,
    /// `cafile` and `insecure`, as for `[keystone_authtoken]`.
    pub cafile: Option<PathBuf>,
    pub insecure: bool,
}

/// `[oslo_policy]` and property protections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// The policy file; `None` when the default name does not exist.
    pub policy_file: Option<PathBuf>,
    pub enforce_scope: bool,
    pub enforce_new_defaults: bool,
    pub property_protection_file: Option<PathBuf>,
    /// `roles` or `policies`.
    pub property_protection_rule_format: String,
}

/// One named store from `enabled_backends` and its section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub id: String,
    /// Backend type: `file`.
    pub kind: String,
    pub filesystem_store_datadir: PathBuf,
    pub description: Option<String>,
    /// The `s3_store_*` options of an `s3` store.
    pub s3: Option<S3StoreOptions>,
}

/// An `s3` store's section, glance_store's option names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3StoreOptions {
    /// `s3_store_host`: `http://host:port`, `https://host:port` or a bare
    /// host (http).
    pub host: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
    pub create_bucket_on_put: bool,
    pub region_name: String,
    /// `auto`, `path` or `virtual`.
    pub bucket_url_format: String,
    /// `s3_store_large_object_size`, in bytes (the option is in MB).
    pub large_object_size: u64,
    /// `s3_store_large_object_chunk_size`, in bytes (the option is in MB).
    pub large_object_chunk_size: u64,
    pub thread_pools: usize,
    /// `s3_store_cacert`: the CAs that verify an https:// endpoint; `None`:
    /// the system's.
    pub cacert: Option<PathBuf>,
}

/// Everything Glint reads from configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub bind_host: String,
    pub bind_port: u16,
    /// Number of worker threads serving requests (`None`: one per core).
    pub workers: Option<usize>,
    /// Where the embedded defaults keep their files.
    pub data_dir: PathBuf,
    /// `[database] connection`.
    pub database_connection: String,
    pub limit_param_default: u32,
    pub api_limit_max: u32,
    pub disk_formats: Vec<String>,
    pub container_formats: Vec<String>,
    pub image_property_quota: i64,
    pub image_tag_quota: i64,
    pub image_member_quota: i64,
    pub image_location_quota: i64,
    pub image_size_cap: u64,
    pub show_image_direct_url: bool,
    pub show_multiple_locations: bool,
    /// Base URL used in links (`Location`, versions); else the request's host.
    pub public_endpoint: Option<String>,
    /// `[glance_store] filesystem_store_datadir`.
    pub filesystem_store_datadir: PathBuf,
    /// `[glance_store] https_ca_certificates_file`: the CAs that verify
    /// https:// image locations (then `https_insecure` is ignored).
    pub https_ca_certificates_file: Option<PathBuf>,
    /// `[glance_store] https_insecure`: https:// image locations are read
    /// without certificate verification.
    pub https_insecure: bool,
    pub hashing_algorithm: String,
    /// Bytes of image data one owner may keep; 0 is unlimited.
    pub user_storage_quota: u64,
    pub delayed_delete: bool,
    pub scrub_time: u64,
    pub scrubber_interval: u64,
    /// Named stores (`enabled_backends`); empty for the single file store.
    pub stores: Vec<StoreConfig>,
    /// `[glance_store] default_backend`.
    pub default_store: Option<String>,
    /// `[paste_deploy] flavor`: `None`/`noauth` trust identity headers.
    pub auth_flavor: Option<String>,
    /// Set when the flavor is keystone.
    pub keystone: Option<KeystoneAuthtoken>,
    /// Set when `use_keystone_limits` is on.
    pub keystone_limits: Option<KeystoneLimits>,
    pub policy: PolicyConfig,
    /// `[dashboard] image_url_allowed_hosts`: hosts (`host` or
    /// `host:port`) the dashboard may copy image data from; empty: none.
    pub dashboard_url_hosts: Vec<String>,
    /// Import methods, staging, web-download filtering, tasks.
    pub import: ImportConfig,
    /// `[image_format] require_image_format_match`.
    pub require_image_format_match: bool,
    /// `[image_format] gpt_safety_checks_nonfatal`.
    pub gpt_safety_checks_nonfatal: Vec<String>,
    /// `[image_format] vmdk_allowed_types`, for image conversion.
    pub vmdk_allowed_types: Vec<String>,
    /// Warnings produced while loading (unknown options…), for logging.
    pub warnings: Vec<String>,
    /// `data_api`: the database itself, or a registry.
    pub data_api: DataApi,
    /// `registry_host` and `registry_port`.
    pub registry_host: String,
    pub registry_port: u16,
    /// `registry_client_timeout`, in seconds.
    pub registry_client_timeout: u64,
    /// `registry_client_protocol`: `http` or `https`.
    pub registry_client_protocol: String,
    /// `registry_client_ca_file`: the CAs that verify an https registry.
    pub registry_client_ca_file: Option<PathBuf>,
    /// `registry_client_insecure`: no certificate verification (wins over
    /// the CA file).
    pub registry_client_insecure: bool,
    /// `image_cache_dir` and its options; `None` when there is no cache.
    pub image_cache: Option<ImageCacheConfig>,
}

/// This node's image cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageCacheConfig {
    /// `image_cache_dir`.
    pub dir: PathBuf,
    /// `image_cache_max_size`, bytes.
    pub max_size: u64,
    /// `image_cache_stall_time`, seconds.
    pub stall_time_secs: u64,
    /// `cache_prefetcher_interval`, seconds.
    pub prefetcher_interval_secs: u64,
    /// Whether downloads go through the cache: the caching flavors of
    /// `[paste_deploy] flavor`, as Glance's pipelines have it.
    pub serves_downloads: bool,
}

/// Where the Image API keeps its records (`data_api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataApi {
    /// The `[database] connection`, directly.
    Database,
    /// A `glint registry` service.
    Registry,
}

impl Config {
    /// The configuration with every option at its default.
    pub fn defaults() -> Self {
        Self::from_ini(&IniFile::default()).expect("defaults are valid")
    }

    /// Loads `path`; a missing or unreadable file is an error.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let ini =
            IniFile::parse(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Self::read(&ini, path.parent())
    }

    pub fn from_ini(ini: &IniFile) -> Result<Self, ConfigError> {
        Self::read(ini, None)
    }

    /// Reads `ini`; relative file names in it are looked up in `beside`
    /// (the configuration file's folder) first, as oslo.config does.
    fn read(ini: &IniFile, beside: Option<&Path>) -> Result<Self, ConfigError> {
        let r = Reader { ini };
        let mut warnings = Vec::new();
        let stores = read_stores(ini, &data_dir_of(ini))?;
        for (section, key) in ini.keys() {
            let store_section =
                stores.iter().any(|s| s.id == section) || section == "os_glance_staging_store";
            let store_option =
                store_section && options::STORE_SECTION_OPTIONS.contains(&key.as_str());
            if options::find(&section, &key).is_none()
                && !options::is_ignored_section(&section)
                && !store_option
            {
                warnings.push(format!("unknown option [{section}] {key} is ignored"));
            }
        }
        let data_dir = PathBuf::from(r.string("DEFAULT", "data_dir")?);
        let database_connection = match r.optional("database", "connection") {
            Some(c) => c,
            None => format!("sqlite:///{}", data_dir.join("glint.sqlite").display()),
        };
        let filesystem_store_datadir = match r.optional("glance_store", "filesystem_store_datadir")
        {
            Some(d) => PathBuf::from(d),
            None => data_dir.join("images"),
        };
        let workers = r.u64("DEFAULT", "workers")?;
        let limit_param_default = r.u64("DEFAULT", "limit_param_default")?.unwrap_or(25);
        let api_limit_max = r.u64("DEFAULT", "api_limit_max")?.unwrap_or(1000);
        if limit_param_default == 0 || api_limit_max == 0 {
            return Err(ConfigError(
                "limit_param_default and api_limit_max must be at least 1".into(),
            ));
        }
        let bind_port = r.u64("DEFAULT", "bind_port")?.unwrap_or(9292);
        let bind_port = u16::try_from(bind_port).map_err(|_| {
            ConfigError(format!(
                "invalid value for [DEFAULT] bind_port: {bind_port} is not a port number"
            ))
        })?;
        let hashing_algorithm = r.string("DEFAULT", "hashing_algorithm")?;
        if !["sha512", "sha384", "sha256", "sha224", "sha1", "md5"]
            .contains(&hashing_algorithm.as_str())
        {
            return Err(ConfigError(format!(
                "invalid value for [DEFAULT] hashing_algorithm: '{hashing_algorithm}' is not supported"
            )));
        }
        let auth_flavor = r
            .optional("paste_deploy", "flavor")
            .filter(|f| !f.is_empty());
        if let Some(flavor) = &auth_flavor {
            if ![
                "keystone",
                "noauth",
                "caching",
                "cachemanagement",
                "keystone+cachemanagement",
                "keystone+caching",
            ]
            .contains(&flavor.as_str())
            {
                return Err(ConfigError(format!(
                    "invalid value for [paste_deploy] flavor: '{flavor}' (expected keystone or noauth)"
                )));
            }
        }
        let default_store = r
            .optional("glance_store", "default_backend")
            .filter(|s| !s.is_empty());
        if !stores.is_empty() {
            let Some(default) = &default_store else {
                return Err(ConfigError(
                    "[glance_store] default_backend must name one of enabled_backends".into(),
                ));
            };
            if !stores.iter().any(|s| &s.id == default) {
                return Err(ConfigError(format!(
                    "[glance_store] default_backend '{default}' is not in enabled_backends"
                )));
            }
        }
        let keystone = match auth_flavor.as_deref() {
            Some(f) if f.starts_with("keystone") => Some(read_keystone(&r)?),
            _ => None,
        };
        let policy = read_policy(&r, beside)?;
        let keystone_limits = if r.bool("DEFAULT", "use_keystone_limits")? {
            Some(read_keystone_limits(&r, keystone.as_ref())?)
        } else {
            None
        };
        let user_storage_quota = parse_byte_size(&r.string("DEFAULT", "user_storage_quota")?)
            .ok_or_else(|| {
                ConfigError(format!(
                    "invalid value for [DEFAULT] user_storage_quota: '{}' is not a size (e.g. 10GB)",
                    r.string("DEFAULT", "user_storage_quota").unwrap_or_default()
                ))
            })?;
        let import = import::read(&r, &data_dir)?;
        let image_cache = read_image_cache(&r, auth_flavor.as_deref())?;
        if image_cache.is_some() && r.string("DEFAULT", "image_cache_driver")? == "centralized_db" {
            warnings.push(
                "image_cache_driver = centralized_db: Glint keeps each node's cache index in its \
                 image_cache_dir, not in the database; GET /v2/cache/nodes answers 409"
                    .into(),
            );
        }
        if let Some(staging) = &import.staging_s3 {
            if let Some(store) = stores
                .iter()
                .find(|s| s.s3.as_ref().is_some_and(|s3| s3.bucket == staging.bucket))
            {
                return Err(ConfigError(format!(
                    "[os_glance_staging_store] s3_store_bucket '{}' is store '{}''s bucket: staging needs a bucket of its own",
                    staging.bucket, store.id
                )));
            }
        }
        Ok(Config {
            user_storage_quota,
            delayed_delete: r.bool("DEFAULT", "delayed_delete")?,
            scrub_time: r.u64("DEFAULT", "scrub_time")?.unwrap_or(0),
            scrubber_interval: r.u64("DEFAULT", "scrubber_interval")?.unwrap_or(0),
            stores,
            default_store,
            bind_host: r.string("DEFAULT", "bind_host")?,
            bind_port,
            workers: workers.map(|w| w.max(1) as usize),
            data_dir,
            database_connection,
            limit_param_default: limit_param_default.min(u64::from(u32::MAX)) as u32,
            api_limit_max: api_limit_max.min(u64::from(u32::MAX)) as u32,
            disk_formats: r.list_in(&["image_format", "DEFAULT"], "disk_formats")?,
            container_formats: r.list_in(&["image_format", "DEFAULT"], "container_formats")?,
            image_property_quota: r.i64("DEFAULT", "image_property_quota")?,
            image_tag_quota: r.i64("DEFAULT", "image_tag_quota")?,
            image_member_quota: r.i64("DEFAULT", "image_member_quota")?,
            image_location_quota: r.i64("DEFAULT", "image_location_quota")?,
            image_size_cap: r.u64("DEFAULT", "image_size_cap")?.unwrap_or(1 << 40),
            show_image_direct_url: r.bool("DEFAULT", "show_image_direct_url")?,
            show_multiple_locations: r.bool("DEFAULT", "show_multiple_locations")?,
            public_endpoint: r
                .optional("DEFAULT", "public_endpoint")
                .filter(|s| !s.is_empty()),
            filesystem_store_datadir,
            https_ca_certificates_file: r.path("glance_store", "https_ca_certificates_file")?,
            https_insecure: r.bool("glance_store", "https_insecure")?,
            hashing_algorithm,
            auth_flavor,
            keystone,
            keystone_limits,
            policy,
            dashboard_url_hosts: r
                .string("dashboard", "image_url_allowed_hosts")?
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            import,
            require_image_format_match: r.bool("image_format", "require_image_format_match")?,
            gpt_safety_checks_nonfatal: r
                .list_or_empty("image_format", "gpt_safety_checks_nonfatal")?,
            vmdk_allowed_types: r.list_or_empty("image_format", "vmdk_allowed_types")?,
            warnings,
            data_api: read_data_api(&r)?,
            registry_host: r.string("DEFAULT", "registry_host")?,
            registry_port: read_port(&r, "registry_port", 9191)?,
            registry_client_timeout: r.u64("DEFAULT", "registry_client_timeout")?.unwrap_or(600),
            registry_client_protocol: read_registry_protocol(&r)?,
            registry_client_ca_file: r.path("DEFAULT", "registry_client_ca_file")?,
            registry_client_insecure: r.bool("DEFAULT", "registry_client_insecure")?,
            image_cache,
        })
    }

    /// The registry's address, as `host:port`.
    pub fn registry_address(&self) -> String {
        if self.registry_host.contains(':') {
            format!("[{}]:{}", self.registry_host, self.registry_port)
        } else {
            format!("{}:{}", self.registry_host, self.registry_port)
        }
    }

    /// The registry's base URL for data_api = registry:
    /// `registry_client_protocol://host:port`.
    pub fn registry_url(&self) -> String {
        format!(
            "{}://{}",
            self.registry_client_protocol,
            self.registry_address()
        )
    }

    /// The address to listen on, as `host:port`.
    pub fn bind_address(&self) -> String {
        if self.bind_host.contains(':') {
            format!("[{}]:{}", self.bind_host, self.bind_port)
        } else {
            format!("{}:{}", self.bind_host, self.bind_port)
        }
    }
}

fn read_data_api(r: &Reader<'_>) -> Result<DataApi, ConfigError> {
    match r.string("DEFAULT", "data_api")?.as_str() {
        "" | "database" | "glance.db.sqlalchemy.api" => Ok(DataApi::Database),
        "registry" | "glance.db.registry.api" => Ok(DataApi::Registry),
        other => Err(ConfigError(format!(
            "invalid value for [DEFAULT] data_api: '{other}' (expected database or registry)"
        ))),
    }
}

fn read_registry_protocol(r: &Reader<'_>) -> Result<String, ConfigError> {
    let protocol = r
        .string("DEFAULT", "registry_client_protocol")?
        .to_ascii_lowercase();
    match protocol.as_str() {
        "http" | "https" => Ok(protocol),
        other => Err(ConfigError(format!(
            "invalid value for [DEFAULT] registry_client_protocol: '{other}' (expected http or https)"
        ))),
    }
}

fn read_port(r: &Reader<'_>, name: &str, default: u64) -> Result<u16, ConfigError> {
    let port = r.u64("DEFAULT", name)?.unwrap_or(default);
    u16::try_from(port).map_err(|_| {
        ConfigError(format!(
            "invalid value for [DEFAULT] {name}: {port} is not a port number"
        ))
    })
}

fn read_keystone(r: &Reader<'_>) -> Result<KeystoneAuthtoken, ConfigError> {
    const S: &str = "keystone_authtoken";
    let auth_url = r.string(S, "auth_url")?.trim_end_matches('/').to_string();
    if auth_url.is_empty() {
        return Err(ConfigError(
            "[paste_deploy] flavor = keystone needs [keystone_authtoken] auth_url".into(),
        ));
    }
    check_web_url("[keystone_authtoken] auth_url", &auth_url)?;
    for key in ["username", "password", "project_name"] {
        if r.string(S, key)?.is_empty() {
            return Err(ConfigError(format!(
                "[keystone_authtoken] {key} is required with [paste_deploy] flavor = keystone"
            )));
        }
    }
    let www = r.string(S, "www_authenticate_uri")?;
    let non_empty = |v: String| Some(v).filter(|v| !v.is_empty());
    Ok(KeystoneAuthtoken {
        www_authenticate_uri: if www.is_empty() {
            auth_url.clone()
        } else {
            www
        },
        auth_url,
        username: r.string(S, "username")?,
        password: r.string(S, "password")?,
        project_name: r.string(S, "project_name")?,
        user_domain_name: r.string(S, "user_domain_name")?,
        project_domain_name: r.string(S, "project_domain_name")?,
        user_domain_id: non_empty(r.string(S, "user_domain_id")?),
        project_domain_id: non_empty(r.string(S, "project_domain_id")?),
        token_cache_time: r.u64(S, "token_cache_time")?.unwrap_or(300),
        http_connect_timeout: r.u64(S, "http_connect_timeout")?.unwrap_or(10).max(1),
        service_token_roles: r
            .string(S, "service_token_roles")?
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
        service_token_roles_required: r.bool(S, "service_token_roles_required")?,
        cafile: r.path(S, "cafile")?,
        insecure: r.bool(S, "insecure")?,
    })
}

fn read_keystone_limits(
    r: &Reader<'_>,
    authtoken: Option<&KeystoneAuthtoken>,
) -> Result<KeystoneLimits, ConfigError> {
    const S: &str = "oslo_limit";
    let non_empty = |v: String| Some(v).filter(|v| !v.is_empty());
    let endpoint_id = non_empty(r.string(S, "endpoint_id")?).ok_or_else(|| {
        ConfigError("use_keystone_limits = true needs [oslo_limit] endpoint_id".into())
    })?;
    let own_url = non_empty(r.string(S, "auth_url")?);
    // Keystone's address taken from [keystone_authtoken] comes with the
    // trust settings for it, unless [oslo_limit] sets its own.
    let inherited = own_url.is_none().then_some(authtoken).flatten();
    let auth_url = own_url
        .or_else(|| inherited.map(|k| k.auth_url.clone()))
        .ok_or_else(|| {
            ConfigError("use_keystone_limits = true needs [oslo_limit] auth_url".into())
        })?
        .trim_end_matches('/')
        .to_string();
    check_web_url("[oslo_limit] auth_url", &auth_url)?;
    let cafile = match r.path(S, "cafile")? {
        Some(file) => Some(file),
        None => inherited.and_then(|k| k.cafile.clone()),
    };
    let insecure = match r.ini.get(S, "insecure") {
        Some(_) => r.bool(S, "insecure")?,
        None => inherited.is_some_and(|k| k.insecure),
    };
    for key in ["username", "password"] {
        if r.string(S, key)?.is_empty() {
            return Err(ConfigError(format!(
                "use_keystone_limits = true needs [oslo_limit] {key}"
            )));
        }
    }
    let system_scope = non_empty(r.string(S, "system_scope")?);
    let project_name = non_empty(r.string(S, "project_name")?);
    if system_scope.is_none() && project_name.is_none() {
        return Err(ConfigError(
            "[oslo_limit] needs system_scope = all or a project_name".into(),
        ));
    }
    Ok(KeystoneLimits {
        endpoint_id,
        auth_url,
        username: r.string(S, "username")?,
        password: r.string(S, "password")?,
        user_domain_name: r.string(S, "user_domain_name")?,
        user_domain_id: non_empty(r.string(S, "user_domain_id")?),
        system_scope,
        project_name,
        project_domain_name: r.string(S, "project_domain_name")?,
        cafile,
        insecure,
    })
}

/// Refuses a URL that is neither http:// nor https://.
fn check_web_url(option: &str, url: &str) -> Result<(), ConfigError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "{option} '{url}' must be an http:// or https:// URL"
        )))
    }
}

fn read_policy(r: &Reader<'_>, beside: Option<&Path>) -> Result<PolicyConfig, ConfigError> {
    let locate = |name: &str| -> Option<PathBuf> {
        if name.is_empty() {
            return None;
        }
        let path = PathBuf::from(name);
        if path.is_absolute() {
            return Some(path);
        }
        match beside {
            Some(dir) if dir.join(&path).exists() => Some(dir.join(&path)),
            _ => Some(path),
        }
    };
    // Like oslo.policy: an explicit file must exist; the default name is
    // used only when it sits beside the configuration file.
    let policy_file = match r.ini.get("oslo_policy", "policy_file") {
        Some(name) => match locate(name) {
            Some(p) if p.exists() => Some(p),
            Some(p) => {
                return Err(ConfigError(format!(
                    "[oslo_policy] policy_file {} does not exist",
                    p.display()
                )))
            }
            None => None,
        },
        None => beside
            .map(|dir| dir.join(r.string("oslo_policy", "policy_file").unwrap_or_default()))
            .filter(|p| p.is_file()),
    };
    let property_protection_file = locate(&r.string("DEFAULT", "property_protection_file")?);
    if let Some(p) = &property_protection_file {
        if !p.exists() {
            return Err(ConfigError(format!(
                "[DEFAULT] property_protection_file {} does not exist",
                p.display()
            )));
        }
    }
    let format = r.string("DEFAULT", "property_protection_rule_format")?;
    if !["roles", "policies"].contains(&format.as_str()) {
        return Err(ConfigError(format!(
            "invalid value for [DEFAULT] property_protection_rule_format: '{format}' (expected roles or policies)"
        )));
    }
    Ok(PolicyConfig {
        policy_file,
        enforce_scope: r.bool("oslo_policy", "enforce_scope")?,
        enforce_new_defaults: r.bool("oslo_policy", "enforce_new_defaults")?,
        property_protection_file,
        property_protection_rule_format: format,
    })
}

fn read_image_cache(
    r: &Reader<'_>,
    flavor: Option<&str>,
) -> Result<Option<ImageCacheConfig>, ConfigError> {
    let dir = r.string("DEFAULT", "image_cache_dir")?;
    if dir.trim().is_empty() {
        return Ok(None);
    }
    let driver = r.string("DEFAULT", "image_cache_driver")?;
    if !["sqlite", "xattr", "centralized_db"].contains(&driver.as_str()) {
        return Err(ConfigError(format!(
            "invalid value for [DEFAULT] image_cache_driver: '{driver}' (sqlite, xattr or centralized_db)"
        )));
    }
    let number =
        |key: &str| -> Result<u64, ConfigError> { Ok(r.u64("DEFAULT", key)?.unwrap_or_default()) };
    Ok(Some(ImageCacheConfig {
        dir: PathBuf::from(dir.trim()),
        max_size: number("image_cache_max_size")?,
        stall_time_secs: number("image_cache_stall_time")?,
        prefetcher_interval_secs: number("cache_prefetcher_interval")?.max(1),
        serves_downloads: flavor
            .is_some_and(|f| f.ends_with("caching") || f.ends_with("cachemanagement")),
    }))
}

fn data_dir_of(ini: &IniFile) -> PathBuf {
    PathBuf::from(ini.get("DEFAULT", "data_dir").unwrap_or("data"))
}

/// `enabled_backends = fast:file,cheap:file` and the sections they name.
fn read_stores(ini: &IniFile, data_dir: &Path) -> Result<Vec<StoreConfig>, ConfigError> {
    let Some(raw) = ini.get("DEFAULT", "enabled_backends") else {
        return Ok(vec![]);
    };
    let mut stores: Vec<StoreConfig> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (id, kind) = item.split_once(':').ok_or_else(|| {
            ConfigError(format!(
                "invalid value for [DEFAULT] enabled_backends: '{item}' is not id:type"
            ))
        })?;
        let (id, kind) = (id.trim().to_string(), kind.trim().to_string());
        if kind != "file" && kind != "s3" {
            return Err(ConfigError(format!(
                "store '{id}': type '{kind}' is not supported (supported: file, s3)"
            )));
        }
        if stores.iter().any(|s| s.id == id) {
            return Err(ConfigError(format!("store '{id}' is enabled twice")));
        }
        let datadir = ini
            .get(&id, "filesystem_store_datadir")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("images").join(&id));
        let s3 = if kind == "s3" {
            Some(read_s3(ini, &id)?)
        } else {
            None
        };
        stores.push(StoreConfig {
            s3,
            description: ini.get(&id, "store_description").map(str::to_string),
            filesystem_store_datadir: datadir,
            kind,
            id,
        });
    }
    Ok(stores)
}

/// The `s3_store_*` options of the store section `[id]`.
pub(crate) fn read_s3(ini: &IniFile, id: &str) -> Result<S3StoreOptions, ConfigError> {
    let text = |key: &str| ini.get(id, key).unwrap_or("").trim().to_string();
    let required = |key: &str| {
        let value = text(key);
        if value.is_empty() {
            Err(ConfigError(format!(
                "store '{id}': [{id}] {key} is required"
            )))
        } else {
            Ok(value)
        }
    };
    let number = |key: &str, default: u64| -> Result<u64, ConfigError> {
        match ini.get(id, key).map(str::trim) {
            None | Some("") => Ok(default),
            Some(raw) => raw.parse().map_err(|_| {
                ConfigError(format!(
                    "invalid value for [{id}] {key}: '{raw}' is not a non-negative integer"
                ))
            }),
        }
    };
    let create_bucket_on_put = match text("s3_store_create_bucket_on_put")
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "false" | "no" | "off" | "0" => false,
        "true" | "yes" | "on" | "1" => true,
        raw => {
            return Err(ConfigError(format!(
                "invalid value for [{id}] s3_store_create_bucket_on_put: '{raw}' is not a boolean"
            )))
        }
    };
    let bucket_url_format = match text("s3_store_bucket_url_format").as_str() {
        "" => "auto".to_string(),
        f @ ("auto" | "path" | "virtual") => f.to_string(),
        raw => {
            return Err(ConfigError(format!(
            "invalid value for [{id}] s3_store_bucket_url_format: '{raw}' (auto, path or virtual)"
        )))
        }
    };
    const MB: u64 = 1024 * 1024;
    let chunk_mb = number("s3_store_large_object_chunk_size", 10)?;
    if chunk_mb < 5 {
        return Err(ConfigError(format!(
            "[{id}] s3_store_large_object_chunk_size must be at least 5 (MB)"
        )));
    }
    let thread_pools = number("s3_store_thread_pools", 10)?;
    if thread_pools == 0 {
        return Err(ConfigError(format!(
            "[{id}] s3_store_thread_pools must be a positive integer"
        )));
    }
    Ok(S3StoreOptions {
        host: required("s3_store_host")?,
        access_key: required("s3_store_access_key")?,
        secret_key: required("s3_store_secret_key")?,
        bucket: required("s3_store_bucket")?,
        create_bucket_on_put,
        region_name: text("s3_store_region_name"),
        bucket_url_format,
        large_object_size: number("s3_store_large_object_size", 100)? * MB,
        large_object_chunk_size: chunk_mb * MB,
        thread_pools: usize::try_from(thread_pools).unwrap_or(usize::MAX),
        cacert: Some(text("s3_store_cacert"))
            .filter(|f| !f.is_empty())
            .map(PathBuf::from),
    })
}

/// `10GB`, `512MB`, `100` (bytes): Glance's size notation for quotas.
pub fn parse_byte_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(digits);
    let n: u64 = n.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Typed reads with defaults from [`OPTIONS`].
struct Reader<'a> {
    ini: &'a IniFile,
}

impl Reader<'_> {
    fn spec(section: &str, key: &str) -> &'static OptionSpec {
        options::find(section, key)
            .unwrap_or_else(|| panic!("option [{section}] {key} is read but not declared"))
    }

    fn optional(&self, section: &str, key: &str) -> Option<String> {
        Self::spec(section, key);
        self.ini.get(section, key).map(str::to_string)
    }

    fn string(&self, section: &str, key: &str) -> Result<String, ConfigError> {
        let spec = Self::spec(section, key);
        Ok(self
            .ini
            .get(section, key)
            .map(str::to_string)
            .unwrap_or_else(|| spec.default.to_string()))
    }

    /// A file name; empty is none.
    fn path(&self, section: &str, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        let raw = self.string(section, key)?;
        let raw = raw.trim();
        Ok((!raw.is_empty()).then(|| PathBuf::from(raw)))
    }

    fn u64(&self, section: &str, key: &str) -> Result<Option<u64>, ConfigError> {
        let raw = self.string(section, key)?;
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|_| {
            ConfigError(format!(
                "invalid value for [{section}] {key}: '{raw}' is not a non-negative integer"
            ))
        })
    }

    fn i64(&self, section: &str, key: &str) -> Result<i64, ConfigError> {
        let raw = self.string(section, key)?;
        raw.parse().map_err(|_| {
            ConfigError(format!(
                "invalid value for [{section}] {key}: '{raw}' is not an integer"
            ))
        })
    }

    fn bool(&self, section: &str, key: &str) -> Result<bool, ConfigError> {
        let raw = self.string(section, key)?;
        match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(ConfigError(format!(
                "invalid value for [{section}] {key}: '{raw}' is not a boolean"
            ))),
        }
    }

    /// A comma-separated list that may be empty.
    fn list_or_empty(&self, section: &str, key: &str) -> Result<Vec<String>, ConfigError> {
        Ok(self
            .string(section, key)?
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect())
    }

    /// A comma-separated list, read from the first section that sets it.
    fn list_in(&self, sections: &[&str], key: &str) -> Result<Vec<String>, ConfigError> {
        let section = sections
            .iter()
            .find(|s| self.ini.get(s, key).is_some())
            .unwrap_or(&sections[0]);
        let raw = self.string(section, key)?;
        let items: Vec<String> = raw
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if items.is_empty() {
            return Err(ConfigError(format!(
                "[{section}] {key} must list at least one value"
            )));
        }
        Ok(items)
    }
}

/// A commented sample configuration with every option at its default.
pub fn sample() -> String {
    let mut out =
        String::from("# Glint configuration (oslo.config INI format, Glance's option names).\n");
    let mut current = "";
    for spec in OPTIONS {
        if spec.section != current {
            out.push_str(&format!("\n[{}]\n", spec.section));
            current = spec.section;
        }
        for line in spec.help.lines() {
            out.push_str(&format!("\n# {line}\n"));
        }
        out.push_str(&format!("#{} = {}\n", spec.name, spec.default));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_single_machine_set_up() {
        let c = Config::defaults();
        assert_eq!(c.bind_address(), "127.0.0.1:9292");
        assert_eq!(c.limit_param_default, 25);
        assert_eq!(c.api_limit_max, 1000);
        assert!(c.database_connection.starts_with("sqlite:///"));
        assert!(c.disk_formats.contains(&"qcow2".to_string()));
        assert!(c.container_formats.contains(&"bare".to_string()));
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn reads_glance_names_and_warns_about_unknown_ones() {
        let ini = IniFile::parse(
            "[DEFAULT]\nbind_port = 9393\nno_such_option = 1\n\
             [database]\nconnection = sqlite:////tmp/x.sqlite\n\
             [image_format]\ndisk_formats = raw, qcow2\n\
             [keystone_authtoken]\nauth_url = http://k\n",
        )
        .unwrap();
        let c = Config::from_ini(&ini).unwrap();
        assert_eq!(c.bind_port, 9393);
        assert_eq!(c.database_connection, "sqlite:////tmp/x.sqlite");
        assert_eq!(c.disk_formats, vec!["raw", "qcow2"]);
        assert_eq!(
            c.warnings,
            vec!["unknown option [DEFAULT] no_such_option is ignored"]
        );
    }

    #[test]
    fn bad_values_are_errors() {
        for text in [
            "[DEFAULT]\nbind_port = abc\n",
            "[DEFAULT]\nbind_port = 70000\n",
            "[DEFAULT]\nshow_image_direct_url = maybe\n",
            "[DEFAULT]\napi_limit_max = -1\n",
            "[paste_deploy]\nflavor = magic\n",
        ] {
            let ini = IniFile::parse(text).unwrap();
            assert!(Config::from_ini(&ini).is_err(), "{text}");
        }
    }

    #[test]
    fn the_image_cache_is_off_until_it_has_a_folder() {
        assert_eq!(Config::defaults().image_cache, None);
        let read = |text: &str| Config::from_ini(&IniFile::parse(text).unwrap());
        let cache = read("[DEFAULT]\nimage_cache_dir = /var/cache/glint\nimage_cache_max_size = 1000\n\
                          [paste_deploy]\nflavor = keystone+caching\n[keystone_authtoken]\n\
                          auth_url = http://k/v3\nusername = glint\npassword = p\nproject_name = service\n")
        .unwrap()
        .image_cache
        .unwrap();
        assert_eq!(cache.dir, Path::new("/var/cache/glint"));
        assert_eq!((cache.max_size, cache.stall_time_secs), (1000, 86400));
        assert_eq!(cache.prefetcher_interval_secs, 300);
        assert!(cache.serves_downloads);
        let managed_only = read("[DEFAULT]\nimage_cache_dir = /c\n").unwrap();
        assert!(!managed_only.image_cache.unwrap().serves_downloads);
        let noauth = read("[DEFAULT]\nimage_cache_dir = /c\n[paste_deploy]\nflavor = caching\n");
        assert!(noauth.unwrap().image_cache.unwrap().serves_downloads);
        assert!(read("[DEFAULT]\nimage_cache_dir = /c\nimage_cache_driver = memcache\n").is_err());
        let central =
            read("[DEFAULT]\nimage_cache_dir = /c\nimage_cache_driver = centralized_db\n");
        assert!(central.unwrap().warnings[0].contains("each node's cache index"));
    }

    #[test]
    fn s3_stores_read_glance_store_options() {
        let c = Config::from_ini(&IniFile::parse(
            "[DEFAULT]\nenabled_backends = objects:s3\n[glance_store]\ndefault_backend = objects\n\
             [objects]\ns3_store_host = http://127.0.0.1:9000\ns3_store_access_key = AK\n\
             s3_store_secret_key = SK\ns3_store_bucket = images\ns3_store_create_bucket_on_put = true\n\
             s3_store_large_object_chunk_size = 8\n",
        ).unwrap())
        .unwrap();
        let s3 = c.stores[0].s3.as_ref().unwrap();
        assert_eq!(s3.host, "http://127.0.0.1:9000");
        assert_eq!(
            (s3.bucket.as_str(), s3.create_bucket_on_put),
            ("images", true)
        );
        assert_eq!(s3.large_object_chunk_size, 8 << 20);
        assert_eq!(s3.large_object_size, 100 << 20);
        assert_eq!(
            (s3.thread_pools, s3.bucket_url_format.as_str()),
            (10, "auto")
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        for bad in [
            "[DEFAULT]\nenabled_backends = o:s3\n[glance_store]\ndefault_backend = o\n[o]\ns3_store_host = h\n",
            "[DEFAULT]\nenabled_backends = o:s3\n[glance_store]\ndefault_backend = o\n[o]\ns3_store_host = h\n\
             s3_store_access_key = a\ns3_store_secret_key = s\ns3_store_bucket = b\ns3_store_large_object_chunk_size = 4\n",
        ] {
            assert!(Config::from_ini(&IniFile::parse(bad).unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn tls_options_have_glance_names() {
        let c = Config::defaults();
        assert_eq!(
            (c.https_ca_certificates_file.clone(), c.https_insecure),
            (None, false)
        );
        let c = Config::from_ini(&IniFile::parse(
            "[DEFAULT]\nenabled_backends = objects:s3\nuse_keystone_limits = true\n\
             [glance_store]\ndefault_backend = objects\n\
             https_ca_certificates_file = /etc/ssl/locations.pem\nhttps_insecure = false\n\
             [objects]\ns3_store_host = https://s3.example:443\ns3_store_access_key = AK\n\
             s3_store_secret_key = SK\ns3_store_bucket = images\ns3_store_cacert = /etc/ssl/s3.pem\n\
             [paste_deploy]\nflavor = keystone\n\
             [keystone_authtoken]\nauth_url = https://keystone.example/v3\nusername = glance\n\
             password = p\nproject_name = service\ncafile = /etc/ssl/keystone.pem\n\
             [oslo_limit]\nendpoint_id = e\nusername = glance\npassword = p\nsystem_scope = all\n",
        ).unwrap())
        .unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(
            c.https_ca_certificates_file,
            Some(PathBuf::from("/etc/ssl/locations.pem"))
        );
        assert!(!c.https_insecure);
        let s3 = c.stores[0].s3.as_ref().unwrap();
        assert_eq!(s3.cacert, Some(PathBuf::from("/etc/ssl/s3.pem")));
        let k = c.keystone.as_ref().unwrap();
        assert_eq!(k.auth_url, "https://keystone.example/v3");
        assert_eq!(
            (k.cafile.clone(), k.insecure),
            (Some(PathBuf::from("/etc/ssl/keystone.pem")), false)
        );
        // [oslo_limit] uses Keystone's address from [keystone_authtoken],
        // and so its CA file too.
        let limits = c.keystone_limits.as_ref().unwrap();
        assert_eq!(limits.auth_url, "https://keystone.example/v3");
        assert_eq!(limits.cafile, k.cafile);
        let bad = "[paste_deploy]\nflavor = keystone\n[keystone_authtoken]\nauth_url = ftp://k\n\
                   username = u\npassword = p\nproject_name = s\n";
        assert!(Config::from_ini(&IniFile::parse(bad).unwrap()).is_err());
    }

    #[test]
    fn named_stores_and_quotas() {
        let ini = IniFile::parse(
            "[DEFAULT]\nenabled_backends = fast:file, cheap:file\nuser_storage_quota = 2GB\n\
             [glance_store]\ndefault_backend = cheap\n\
             [fast]\nfilesystem_store_datadir = /srv/fast\nstore_description = Fast disks\n",
        )
        .unwrap();
        let c = Config::from_ini(&ini).unwrap();
        assert_eq!(c.stores.len(), 2);
        assert_eq!(
            c.stores[0].filesystem_store_datadir,
            PathBuf::from("/srv/fast")
        );
        assert_eq!(c.stores[0].description.as_deref(), Some("Fast disks"));
        assert_eq!(
            c.stores[1].filesystem_store_datadir,
            PathBuf::from("data/images/cheap")
        );
        assert_eq!(c.default_store.as_deref(), Some("cheap"));
        assert_eq!(c.user_storage_quota, 2 << 30);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        for bad in [
            "[DEFAULT]\nenabled_backends = fast:file\n",
            "[DEFAULT]\nenabled_backends = fast:ceph\n[glance_store]\ndefault_backend = fast\n",
            "[DEFAULT]\nenabled_backends = fast\n",
            "[DEFAULT]\nuser_storage_quota = lots\n",
        ] {
            assert!(
                Config::from_ini(&IniFile::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(parse_byte_size("100"), Some(100));
        assert_eq!(parse_byte_size("1KB"), Some(1024));
    }

    #[test]
    fn data_api_and_the_registry_address() {
        let c = Config::defaults();
        assert_eq!(c.data_api, DataApi::Database);
        assert_eq!(c.registry_address(), "127.0.0.1:9191");
        for (text, want) in [
            ("data_api = registry", DataApi::Registry),
            ("data_api = glance.db.registry.api", DataApi::Registry),
            ("data_api = glance.db.sqlalchemy.api", DataApi::Database),
        ] {
            let ini = IniFile::parse(&format!("[DEFAULT]\n{text}\n")).unwrap();
            assert_eq!(Config::from_ini(&ini).unwrap().data_api, want, "{text}");
        }
        assert_eq!(c.registry_url(), "http://127.0.0.1:9191");
        let ini = IniFile::parse(
            "[DEFAULT]\nregistry_host = ::1\nregistry_port = 9393\nregistry_client_protocol = https\n\
             registry_client_ca_file = /etc/ssl/registry.pem\n",
        )
        .unwrap();
        let c = Config::from_ini(&ini).unwrap();
        assert_eq!(c.registry_address(), "[::1]:9393");
        assert_eq!(c.registry_url(), "https://[::1]:9393");
        assert_eq!(
            c.registry_client_ca_file,
            Some(PathBuf::from("/etc/ssl/registry.pem"))
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        for bad in [
            "data_api = simple",
            "registry_port = 70000",
            "registry_client_protocol = ftp",
        ] {
            let ini = IniFile::parse(&format!("[DEFAULT]\n{bad}\n")).unwrap();
            assert!(Config::from_ini(&ini).is_err(), "{bad}");
        }
    }

    #[test]
    fn sample_lists_every_option() {
        let s = sample();
        for spec in OPTIONS {
            assert!(s.contains(&format!("#{} = ", spec.name)));
        }
    }
}
