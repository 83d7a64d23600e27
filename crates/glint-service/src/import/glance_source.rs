//! glance-download's source: an image of the Image API of another region.
//! Its endpoint comes from the caller's service catalog (service type
//! `image`, the region and interface asked for) or, failing that, from
//! `[glance_download_opts] endpoints`. Its record (`GET /v2/images/{id}`)
//! must be active and gives the formats and the properties to copy; its
//! data (`GET /v2/images/{id}/file`) is fetched as web-download fetches,
//! through the import filter. Both go with the caller's token (and, in
//! noauth mode, its identity headers).

use std::collections::BTreeMap;

use bytes::BytesMut;
use futures_util::StreamExt;
use glint_config::{ImportConfig, UriFilter};
use glint_domain::image_rules::{is_base_attribute, is_reserved};
use glint_domain::{Error, Image, ImageUpdate, OnBehalf, RequestContext, Result, ServiceCatalog};
use glint_store::ByteStream;
use serde_json::Value;

use super::{uri_filter, web_source};

const AGENT: &str = "glint-glance-download";
/// The most an image record may weigh.
const MAX_RECORD_BYTES: usize = 1 << 20;

/// What a glance-download needs of the request that started it: where the
/// caller's cloud answers and the headers that carry its identity. It is
/// kept in memory only, never in the task, so a task taken over by another
/// worker cannot go on.
#[derive(Debug, Clone, Default)]
pub struct RemoteCaller {
    pub catalog: Option<ServiceCatalog>,
    pub on_behalf: OnBehalf,
}

impl RemoteCaller {
    pub fn of(ctx: &RequestContext) -> Self {
        RemoteCaller {
            catalog: ctx.service_catalog.clone(),
            on_behalf: ctx.on_behalf.clone(),
        }
    }
}

/// The remote image, as far as glance-download uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteImage {
    pub disk_format: String,
    pub container_format: String,
    pub size: u64,
    /// The properties `[glance_download_properties] extra_properties`
    /// selects.
    pub copied: BTreeMap<String, String>,
}

/// What copying a remote image's metadata replaced, to be put back when
/// the import fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedMetadata {
    disk_format: Option<String>,
    container_format: Option<String>,
    /// Each copied property's earlier value (`None`: it was not set).
    properties: BTreeMap<String, Option<String>>,
}

impl RemoteImage {
    /// The update giving `image` this image's formats and selected
    /// properties, and what it replaces.
    pub fn copy_onto(&self, image: &Image) -> (ImageUpdate, CopiedMetadata) {
        let replaced = CopiedMetadata {
            disk_format: image.disk_format.clone(),
            container_format: image.container_format.clone(),
            properties: self
                .copied
                .keys()
                .map(|k| (k.clone(), image.properties.get(k).cloned()))
                .collect(),
        };
        let mut next = image.clone();
        next.disk_format = Some(self.disk_format.clone());
        next.container_format = Some(self.container_format.clone());
        let mut update = ImageUpdate::base(next);
        update.from_state = Some(image.status);
        update.set_properties = self.copied.clone();
        (update, replaced)
    }
}

impl CopiedMetadata {
    /// Makes `update` put back what the copy replaced.
    pub fn restore(self, update: &mut ImageUpdate) {
        update.image.disk_format = self.disk_format;
        update.image.container_format = self.container_format;
        for (key, earlier) in self.properties {
            match earlier {
                Some(value) => {
                    update.set_properties.insert(key, value);
                }
                None => {
                    update.remove_properties.insert(key);
                }
            }
        }
    }
}

/// The Image API endpoint of `region` on `interface`, without a trailing
/// slash.
pub fn endpoint(
    caller: &RemoteCaller,
    config: &ImportConfig,
    region: &str,
    interface: &str,
) -> Result<String> {
    let from_catalog = caller
        .catalog
        .as_ref()
        .and_then(|c| c.url_for("image", region, interface));
    let configured = || {
        config
            .remote_endpoints
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(region))
            .map(|(_, url)| url.as_str())
    };
    from_catalog
        .or_else(configured)
        .map(|url| url.trim_end_matches('/').to_string())
        .ok_or_else(|| {
            Error::not_found(format!(
                "{interface} glance endpoint not found for region {region}"
            ))
        })
}

fn record_url(endpoint: &str, image_id: &str) -> String {
    format!("{endpoint}/v2/images/{image_id}")
}

fn data_url(endpoint: &str, image_id: &str) -> String {
    format!("{}/file", record_url(endpoint, image_id))
}

/// Refuses an endpoint whose data URL the import filter refuses (Glance
/// filters the URL it downloads from, not the catalog).
pub fn check_filter(endpoint: &str, image_id: &str, filter: &UriFilter) -> Result<()> {
    let url = data_url(endpoint, image_id);
    uri_filter::check(&url, filter).map(|_| ()).map_err(|_| {
        Error::invalid(format!(
            "Processed URI for glance-download does not pass filtering: {url}"
        ))
    })
}

/// Reads the remote image's record; it must be active.
pub async fn image(
    endpoint: &str,
    image_id: &str,
    caller: &RemoteCaller,
    config: &ImportConfig,
) -> Result<RemoteImage> {
    let url = record_url(endpoint, image_id);
    let (mut body, _) =
        web_source::open_as(&url, &config.uri_filter, AGENT, &caller.on_behalf.headers).await?;
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::invalid(format!("Cannot read {url}: {e}")))?;
        if bytes.len() + chunk.len() > MAX_RECORD_BYTES {
            return Err(Error::invalid(format!("{url} answered a record too large")));
        }
        bytes.extend_from_slice(&chunk);
    }
    let record: Value = serde_json::from_slice(&bytes)
        .map_err(|_| Error::invalid(format!("{url} answered no image record")))?;
    read_record(&record, image_id, &config.download_properties)
}

/// What glance-download takes from a remote image record.
fn read_record(record: &Value, image_id: &str, prefixes: &[String]) -> Result<RemoteImage> {
    let text = |key: &str| record.get(key).and_then(Value::as_str);
    let status = text("status").unwrap_or("unknown");
    if status != "active" {
        return Err(Error::conflict(format!(
            "Source image status should be active instead of {status}"
        )));
    }
    let size = record.get("size").and_then(Value::as_u64).ok_or_else(|| {
        Error::invalid(format!(
            "Size attribute of remote image {image_id} could not be determined."
        ))
    })?;
    let format = |key: &str| {
        text(key)
            .map(str::to_string)
            .ok_or_else(|| Error::invalid(format!("Remote image {image_id} has no {key}")))
    };
    let copied = record
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| prefixes.iter().any(|p| key.starts_with(p.as_str())))
        // Only properties: never the image's own attributes, nor the
        // service's os_glance_* bookkeeping.
        .filter(|(key, _)| !is_base_attribute(key) && !is_reserved(key))
        .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_string())))
        .collect();
    Ok(RemoteImage {
        disk_format: format("disk_format")?,
        container_format: format("container_format")?,
        size,
        copied,
    })
}

/// Opens the remote image's data.
pub async fn data(
    endpoint: &str,
    image_id: &str,
    caller: &RemoteCaller,
    filter: &UriFilter,
) -> Result<ByteStream> {
    let url = data_url(endpoint, image_id);
    let (body, _) = web_source::open_as(&url, filter, AGENT, &caller.on_behalf.headers).await?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use glint_domain::catalog::CatalogEndpoint;
    use serde_json::json;

    use super::*;

    fn config(endpoints: &[(&str, &str)]) -> ImportConfig {
        let mut c = glint_config::Config::defaults().import;
        c.remote_endpoints = endpoints
            .iter()
            .map(|(r, u)| (r.to_string(), u.to_string()))
            .collect();
        c
    }

    fn caller(endpoints: &[(&str, &str, &str)]) -> RemoteCaller {
        RemoteCaller {
            catalog: Some(ServiceCatalog {
                endpoints: endpoints
                    .iter()
                    .map(|(region, interface, url)| CatalogEndpoint {
                        service_type: "image".into(),
                        region: region.to_string(),
                        interface: interface.to_string(),
                        url: url.to_string(),
                    })
                    .collect(),
            }),
            on_behalf: OnBehalf::default(),
        }
    }

    #[test]
    fn the_catalog_comes_first_then_the_configured_endpoints() {
        let who = caller(&[("RegionTwo", "public", "http://cat:9292/")]);
        let conf = config(&[("regiontwo", "http://conf:9292"), ("R3", "http://r3")]);
        assert_eq!(
            endpoint(&who, &conf, "RegionTwo", "public").unwrap(),
            "http://cat:9292"
        );
        // Not in the catalog for that interface: the configured one.
        assert_eq!(
            endpoint(&who, &conf, "RegionTwo", "internal").unwrap(),
            "http://conf:9292"
        );
        assert_eq!(
            endpoint(&RemoteCaller::default(), &conf, "r3", "public").unwrap(),
            "http://r3"
        );
        let err = endpoint(&who, &config(&[]), "R9", "admin").unwrap_err();
        assert_eq!(
            err.message(),
            "admin glance endpoint not found for region R9"
        );
    }

    #[test]
    fn the_filter_looks_at_the_data_url() {
        let filter = config(&[]).uri_filter;
        let id = "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11";
        assert!(check_filter("http://glance.two", id, &filter).is_ok());
        let err = check_filter("http://glance.two:9292", id, &filter).unwrap_err();
        assert_eq!(
            err.message(),
            format!("Processed URI for glance-download does not pass filtering: http://glance.two:9292/v2/images/{id}/file")
        );
    }

    #[test]
    fn records_give_formats_size_and_selected_properties() {
        let prefixes: Vec<String> = ["hw_", "trait:", "os_distro", "os_"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let record = json!({
            "id": "x", "status": "active", "size": 42, "disk_format": "qcow2",
            "container_format": "bare", "hw_disk_bus": "scsi", "trait:CUSTOM_X": "required",
            "os_distro": "debian", "os_hash_algo": "sha512", "os_hidden": false,
            "os_glance_import_task": "t", "os_type": "linux", "owner_specified.x": "no",
            "hw_numbers": 3
        });
        let remote = read_record(&record, "x", &prefixes).unwrap();
        assert_eq!(remote.disk_format, "qcow2");
        assert_eq!(remote.container_format, "bare");
        assert_eq!(remote.size, 42);
        let copied: Vec<&str> = remote.copied.keys().map(String::as_str).collect();
        assert_eq!(
            copied,
            ["hw_disk_bus", "os_distro", "os_type", "trait:CUSTOM_X"]
        );
    }

    #[test]
    fn copied_metadata_is_put_back_as_it_was() {
        let mut image = Image::from_new(
            "i".into(),
            glint_domain::NewImage {
                disk_format: Some("iso".into()),
                container_format: Some("ovf".into()),
                ..Default::default()
            },
            glint_domain::time::now(),
        );
        image.properties.insert("os_distro".into(), "arch".into());
        image.properties.insert("mine".into(), "kept".into());
        let remote = RemoteImage {
            disk_format: "qcow2".into(),
            container_format: "bare".into(),
            size: 1,
            copied: [("os_distro", "debian"), ("hw_disk_bus", "scsi")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let (update, replaced) = remote.copy_onto(&image);
        assert_eq!(update.image.disk_format.as_deref(), Some("qcow2"));
        assert_eq!(update.image.container_format.as_deref(), Some("bare"));
        assert_eq!(update.set_properties, remote.copied);
        let mut back = ImageUpdate::base(update.image.clone());
        replaced.restore(&mut back);
        assert_eq!(back.image.disk_format.as_deref(), Some("iso"));
        assert_eq!(back.image.container_format.as_deref(), Some("ovf"));
        assert_eq!(
            back.set_properties.get("os_distro").map(String::as_str),
            Some("arch")
        );
        assert!(back.remove_properties.contains("hw_disk_bus"));
        assert!(!back.remove_properties.contains("mine"));
    }

    #[test]
    fn records_that_cannot_be_imported() {
        let cases = [
            (
                json!({"status": "queued", "size": null}),
                "Source image status should be active instead of queued",
            ),
            (
                json!({"status": "active", "disk_format": "raw", "container_format": "bare"}),
                "Size attribute of remote image x could not be determined.",
            ),
            (
                json!({"status": "active", "size": 1, "container_format": "bare"}),
                "Remote image x has no disk_format",
            ),
        ];
        for (record, says) in cases {
            let err = read_record(&record, "x", &[]).unwrap_err();
            assert_eq!(err.message(), says, "{record}");
        }
    }
}
