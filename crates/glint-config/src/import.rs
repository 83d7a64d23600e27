//! Interoperable import and tasks: which methods are on, where staged
//! data waits, which URLs web-download may fetch, how long tasks live.

use std::path::{Path, PathBuf};

use crate::{read_s3, ConfigError, Reader, S3StoreOptions};

/// The import plugins Glint implements (Glance's names).
pub const IMPORT_PLUGINS: [&str; 3] = [
    "image_decompression",
    "image_conversion",
    "inject_image_metadata",
];

/// The staging area's section (Glance's reserved store name).
const STAGING: &str = "os_glance_staging_store";

/// The import methods Glint implements, in Glance's order.
pub const IMPORT_METHODS: [&str; 4] = [
    "glance-direct",
    "web-download",
    "copy-image",
    "glance-download",
];

/// `[import_filtering_opts]`: what web-download may reach. A URL passes
/// when its scheme, host and port are each allowed: by the allow list when
/// that list is not empty, else by not being on the deny list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriFilter {
    pub allowed_schemes: Vec<String>,
    pub disallowed_schemes: Vec<String>,
    pub allowed_hosts: Vec<String>,
    pub disallowed_hosts: Vec<String>,
    pub allowed_ports: Vec<u16>,
    pub disallowed_ports: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportConfig {
    /// `[DEFAULT] enabled_import_methods`.
    pub methods: Vec<String>,
    /// `[os_glance_staging_store] filesystem_store_datadir`: where
    /// `PUT /v2/images/{id}/stage` keeps bytes until the import; with
    /// `staging_s3`, this node's folder for import plugins' local copies.
    pub staging_dir: PathBuf,
    /// `[os_glance_staging_store] s3_store_*`: staging in a bucket of its
    /// own instead of the folder (Glint's addition).
    pub staging_s3: Option<S3StoreOptions>,
    pub uri_filter: UriFilter,
    /// `[task] task_time_to_live`, in hours: how long a finished task is
    /// kept.
    pub task_time_to_live_hours: u64,
    /// `[task] task_heartbeat_timeout`, in seconds: a running task whose
    /// worker has not reported for this long is taken over by another
    /// worker (or by the same node after a restart); an upload or stage
    /// silent this long is undone.
    pub task_heartbeat_timeout_secs: u64,
    /// `[image_import_opts] image_import_plugins`, in the order they run.
    pub plugins: Vec<String>,
    /// `[image_conversion] output_format`.
    pub conversion_format: String,
    /// `[inject_metadata_properties] inject`: properties set on every
    /// image imported by a user without one of `inject_ignore_roles`.
    pub inject: Vec<(String, String)>,
    /// `[inject_metadata_properties] ignore_user_roles`.
    pub inject_ignore_roles: Vec<String>,
    /// `[glance_download_properties] extra_properties`: the remote image's
    /// properties glance-download copies, by name or name prefix.
    pub download_properties: Vec<String>,
    /// `[glance_download_opts] endpoints`: region → Image API endpoint, for
    /// callers whose catalog does not name one (Glint's own option).
    pub remote_endpoints: Vec<(String, String)>,
}

impl ImportConfig {
    pub fn method_enabled(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }
}

/// oslo.config list values may be written `[a, 'b']` as well as `a,b`.
fn list(raw: &str) -> Vec<String> {
    raw.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| {
            s.trim()
                .trim_matches(|c| c == '\'' || c == '"')
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn ports(r: &Reader<'_>, key: &str) -> Result<Vec<u16>, ConfigError> {
    list(&r.string("import_filtering_opts", key)?)
        .iter()
        .map(|p| {
            p.parse().map_err(|_| {
                ConfigError(format!(
                    "invalid value for [import_filtering_opts] {key}: '{p}' is not a port"
                ))
            })
        })
        .collect()
}

pub(crate) fn read(r: &Reader<'_>, data_dir: &Path) -> Result<ImportConfig, ConfigError> {
    let methods = list(&r.string("DEFAULT", "enabled_import_methods")?);
    if let Some(unknown) = methods
        .iter()
        .find(|m| !IMPORT_METHODS.contains(&m.as_str()))
    {
        return Err(ConfigError(format!(
            "invalid value for [DEFAULT] enabled_import_methods: '{unknown}' (known: {})",
            IMPORT_METHODS.join(", ")
        )));
    }
    let staging_dir = match r.optional(STAGING, "filesystem_store_datadir") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => data_dir.join("staging"),
    };
    let staging_s3 = match r.optional(STAGING, "s3_store_host") {
        Some(host) if !host.trim().is_empty() => Some(read_s3(r.ini, STAGING)?),
        _ => None,
    };
    let f = "import_filtering_opts";
    let lower = |key: &str| -> Result<Vec<String>, ConfigError> {
        Ok(list(&r.string(f, key)?)
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect())
    };
    let plugins = list(&r.string("image_import_opts", "image_import_plugins")?);
    if let Some(unknown) = plugins
        .iter()
        .find(|p| !IMPORT_PLUGINS.contains(&p.as_str()))
    {
        return Err(ConfigError(format!(
            "invalid value for [image_import_opts] image_import_plugins: '{unknown}' (known: {})",
            IMPORT_PLUGINS.join(", ")
        )));
    }
    let conversion_format = r.string("image_conversion", "output_format")?;
    if !["raw", "qcow2", "vmdk"].contains(&conversion_format.as_str()) {
        return Err(ConfigError(format!(
            "invalid value for [image_conversion] output_format: '{conversion_format}' (raw, qcow2 or vmdk)"
        )));
    }
    let mut inject = Vec::new();
    for pair in list(&r.string("inject_metadata_properties", "inject")?) {
        let (k, v) = pair.split_once(':').ok_or_else(|| {
            ConfigError(format!(
                "invalid value for [inject_metadata_properties] inject: '{pair}' is not key:value"
            ))
        })?;
        inject.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut remote_endpoints = Vec::new();
    for pair in list(&r.string("glance_download_opts", "endpoints")?) {
        let (region, url) = pair
            .split_once('=')
            .map(|(r, u)| (r.trim(), u.trim()))
            .filter(|(r, u)| !r.is_empty() && u.contains("://"))
            .ok_or_else(|| {
                ConfigError(format!(
                    "invalid value for [glance_download_opts] endpoints: '{pair}' is not REGION=URL"
                ))
            })?;
        remote_endpoints.push((region.to_string(), url.to_string()));
    }
    Ok(ImportConfig {
        download_properties: list(&r.string("glance_download_properties", "extra_properties")?),
        remote_endpoints,
        plugins,
        conversion_format,
        inject,
        inject_ignore_roles: list(&r.string("inject_metadata_properties", "ignore_user_roles")?),
        methods,
        staging_dir,
        staging_s3,
        uri_filter: UriFilter {
            allowed_schemes: lower("allowed_schemes")?,
            disallowed_schemes: lower("disallowed_schemes")?,
            allowed_hosts: lower("allowed_hosts")?,
            disallowed_hosts: lower("disallowed_hosts")?,
            allowed_ports: ports(r, "allowed_ports")?,
            disallowed_ports: ports(r, "disallowed_ports")?,
        },
        task_time_to_live_hours: r.u64("task", "task_time_to_live")?.unwrap_or(48),
        task_heartbeat_timeout_secs: r
            .u64("task", "task_heartbeat_timeout")?
            .unwrap_or(60)
            .max(1),
    })
}

#[cfg(test)]
mod tests {
    use crate::{Config, IniFile};

    #[test]
    fn defaults_enable_every_method_and_filter_to_http_ports() {
        let c = Config::defaults().import;
        assert_eq!(c.methods, ["glance-direct", "web-download", "copy-image"]);
        assert_eq!(c.uri_filter.allowed_schemes, ["http", "https"]);
        assert_eq!(c.uri_filter.allowed_ports, [80, 443]);
        assert!(c.staging_dir.ends_with("staging"));
        assert_eq!(c.staging_s3, None);
        assert_eq!(c.task_time_to_live_hours, 48);
    }

    #[test]
    fn staging_in_a_bucket_of_its_own() {
        let staging = "[os_glance_staging_store]\ns3_store_host = http://127.0.0.1:9000\n\
                       s3_store_access_key = AK\ns3_store_secret_key = SK\n\
                       s3_store_bucket = staging\nfilesystem_store_datadir = /var/tmp/work\n";
        let c = Config::from_ini(&IniFile::parse(staging).unwrap()).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let c = c.import;
        let s3 = c.staging_s3.unwrap();
        assert_eq!(
            (s3.host.as_str(), s3.bucket.as_str()),
            ("http://127.0.0.1:9000", "staging")
        );
        assert_eq!(c.staging_dir, std::path::Path::new("/var/tmp/work"));
        let typo = IniFile::parse("[os_glance_staging_store]\nfilesystem_store_datdir = /x\n");
        let warnings = Config::from_ini(&typo.unwrap()).unwrap().warnings;
        assert_eq!(
            warnings,
            ["unknown option [os_glance_staging_store] filesystem_store_datdir is ignored"]
        );
        let incomplete = "[os_glance_staging_store]\ns3_store_host = http://127.0.0.1:9000\n";
        assert!(Config::from_ini(&IniFile::parse(incomplete).unwrap()).is_err());
        let shared = format!(
            "[DEFAULT]\nenabled_backends = objects:s3\n[glance_store]\ndefault_backend = objects\n\
             [objects]\ns3_store_host = http://127.0.0.1:9000\ns3_store_access_key = AK\n\
             s3_store_secret_key = SK\ns3_store_bucket = staging\n{staging}"
        );
        let err = Config::from_ini(&IniFile::parse(&shared).unwrap()).unwrap_err();
        assert!(err.to_string().contains("bucket of its own"), "{err}");
    }

    #[test]
    fn lists_in_oslo_forms_and_bad_methods() {
        let ini = IniFile::parse(
            "[DEFAULT]\nenabled_import_methods = ['glance-direct', 'copy-image']\n\
             [import_filtering_opts]\nallowed_ports = []\ndisallowed_hosts = Example.com\n",
        )
        .unwrap();
        let c = Config::from_ini(&ini).unwrap().import;
        assert_eq!(c.methods, ["glance-direct", "copy-image"]);
        assert!(c.uri_filter.allowed_ports.is_empty());
        assert_eq!(c.uri_filter.disallowed_hosts, ["example.com"]);
        let bad = IniFile::parse("[DEFAULT]\nenabled_import_methods = glance-upload\n").unwrap();
        assert!(Config::from_ini(&bad).is_err());
    }

    #[test]
    fn glance_download_options() {
        let c = Config::defaults().import;
        assert!(!c.method_enabled("glance-download"));
        assert_eq!(
            c.download_properties,
            ["hw_", "trait:", "os_distro", "os_secure_boot", "os_type"]
        );
        assert!(c.remote_endpoints.is_empty());
        let ini = IniFile::parse(
            "[DEFAULT]\nenabled_import_methods = glance-direct,glance-download\n\
             [glance_download_properties]\nextra_properties = ['hw_', 'os_distro']\n\
             [glance_download_opts]\nendpoints = RegionTwo=http://two:9292, R3 = http://three/\n",
        )
        .unwrap();
        let c = Config::from_ini(&ini).unwrap().import;
        assert!(c.method_enabled("glance-download"));
        assert_eq!(c.download_properties, ["hw_", "os_distro"]);
        assert_eq!(
            c.remote_endpoints,
            [
                ("RegionTwo".to_string(), "http://two:9292".to_string()),
                ("R3".to_string(), "http://three/".to_string())
            ]
        );
        for bad in ["RegionTwo", "=http://x", "R=two:9292"] {
            let ini =
                IniFile::parse(&format!("[glance_download_opts]\nendpoints = {bad}\n")).unwrap();
            assert!(Config::from_ini(&ini).is_err(), "{bad}");
        }
    }
}
