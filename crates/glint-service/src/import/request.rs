//! The body of `POST /v2/images/{id}/import`, checked.

use glint_domain::{Error, Result};
use serde_json::{Map, Value};

/// How the bytes reach the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportMethod {
    /// From the staging area, filled by `PUT /v2/images/{id}/stage`.
    GlanceDirect,
    /// From a URL.
    WebDownload { uri: String },
    /// From the image's own data, into more stores.
    CopyImage,
    /// From an image of the Image API of another region (found in the
    /// caller's service catalog), with its formats and some properties.
    GlanceDownload {
        /// The remote image's id (`glance_image_id`).
        image_id: String,
        /// `glance_region`.
        region: String,
        /// `glance_service_interface`: public unless asked.
        interface: String,
    },
}

impl ImportMethod {
    pub fn name(&self) -> &'static str {
        match self {
            ImportMethod::GlanceDirect => "glance-direct",
            ImportMethod::WebDownload { .. } => "web-download",
            ImportMethod::CopyImage => "copy-image",
            ImportMethod::GlanceDownload { .. } => "glance-download",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub method: ImportMethod,
    /// Stores named in the body (or by the `X-Image-Meta-Store` header).
    pub stores: Option<Vec<String>>,
    pub all_stores: bool,
    /// Glance's default: true.
    pub all_stores_must_succeed: bool,
}

impl ImportRequest {
    /// A web-download of `uri` into the default store (the tasks API's
    /// `import` task).
    pub fn web_download(uri: &str) -> Self {
        ImportRequest {
            method: ImportMethod::WebDownload {
                uri: uri.to_string(),
            },
            stores: None,
            all_stores: false,
            all_stores_must_succeed: true,
        }
    }
}

fn flag(body: &Map<String, Value>, key: &str, default: bool) -> Result<bool> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::invalid(format!(
            "'{key}' must be a boolean, not {other}"
        ))),
    }
}

/// glance-download's fields, checked as Glance checks them.
fn glance_download(method: &Map<String, Value>) -> Result<ImportMethod> {
    let field = |key: &str| -> Result<Option<String>> {
        match method.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::invalid(format!(
                "'{key}' must be a string, not {other}"
            ))),
        }
    };
    let needed = |key: &str| -> Result<String> {
        field(key)?.ok_or_else(|| {
            Error::invalid(format!(
                "'{key}' needs to be set for glance-download import method"
            ))
        })
    };
    let region = needed("glance_region")?;
    let image_id = needed("glance_image_id")?;
    if uuid::Uuid::parse_str(&image_id).is_err() {
        return Err(Error::invalid(format!(
            "Remote image id does not look like a UUID: {image_id}"
        )));
    }
    Ok(ImportMethod::GlanceDownload {
        image_id,
        region,
        interface: field("glance_service_interface")?.unwrap_or_else(|| "public".into()),
    })
}

impl ImportRequest {
    /// Reads the JSON body; `store_header` is `X-Image-Meta-Store`.
    pub fn parse(body: &Value, store_header: Option<&str>) -> Result<Self> {
        let body = body
            .as_object()
            .ok_or_else(|| Error::invalid("Import request body must be a JSON object"))?;
        let method = body
            .get("method")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::invalid("Import request requires a 'method' field."))?;
        let name = method
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("Import request requires a 'name' field."))?;
        let method = match name {
            "glance-direct" => ImportMethod::GlanceDirect,
            "web-download" => ImportMethod::WebDownload {
                uri: method
                    .get("uri")
                    .and_then(Value::as_str)
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| {
                        Error::invalid("Import method web-download requires a 'uri' field.")
                    })?
                    .to_string(),
            },
            "copy-image" => ImportMethod::CopyImage,
            "glance-download" => glance_download(method)?,
            other => {
                return Err(Error::invalid(format!(
                    "Import method {other} is not valid."
                )))
            }
        };
        let all_stores = flag(body, "all_stores", false)?;
        let stores = match body.get("stores") {
            None | Some(Value::Null) => store_header.map(|s| vec![s.to_string()]),
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|s| {
                        s.as_str().map(str::to_string).ok_or_else(|| {
                            Error::invalid("'stores' must be a list of store identifiers")
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            Some(_) => {
                return Err(Error::invalid(
                    "'stores' must be a list of store identifiers",
                ))
            }
        };
        if all_stores && body.get("stores").is_some_and(|s| !s.is_null()) {
            return Err(Error::invalid(
                "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
            ));
        }
        Ok(ImportRequest {
            method,
            stores,
            all_stores,
            all_stores_must_succeed: flag(body, "all_stores_must_succeed", true)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn methods_and_options() {
        let r = ImportRequest::parse(
            &json!({"method": {"name": "web-download", "uri": "http://x/y"}, "stores": ["a", "b"], "all_stores_must_succeed": false}),
            None,
        )
        .unwrap();
        assert_eq!(
            r.method,
            ImportMethod::WebDownload {
                uri: "http://x/y".into()
            }
        );
        assert_eq!(r.stores, Some(vec!["a".into(), "b".into()]));
        assert!(!r.all_stores_must_succeed);
        let r = ImportRequest::parse(&json!({"method": {"name": "glance-direct"}}), Some("fast"))
            .unwrap();
        assert_eq!(r.stores, Some(vec!["fast".into()]));
        assert!(r.all_stores_must_succeed);
    }

    #[test]
    fn glance_download_fields() {
        let id = "3b5f5a63-4c4e-4b5f-9d3a-0c2b7f1d9e11";
        let r = ImportRequest::parse(
            &json!({"method": {"name": "glance-download", "glance_image_id": id,
                               "glance_region": "RegionTwo"}}),
            None,
        )
        .unwrap();
        assert_eq!(
            r.method,
            ImportMethod::GlanceDownload {
                image_id: id.into(),
                region: "RegionTwo".into(),
                interface: "public".into()
            }
        );
        assert_eq!(r.method.name(), "glance-download");
        let r = ImportRequest::parse(
            &json!({"method": {"name": "glance-download", "glance_image_id": id,
                               "glance_region": "R", "glance_service_interface": "internal"},
                    "stores": ["a"]}),
            None,
        )
        .unwrap();
        assert!(matches!(
            r.method,
            ImportMethod::GlanceDownload { ref interface, .. } if interface == "internal"
        ));
        assert_eq!(r.stores, Some(vec!["a".into()]));
        for (body, says) in [
            (
                json!({"glance_image_id": id}),
                "'glance_region' needs to be set",
            ),
            (
                json!({"glance_region": "R"}),
                "'glance_image_id' needs to be set",
            ),
            (
                json!({"glance_region": "R", "glance_image_id": "not-a-uuid"}),
                "does not look like a UUID: not-a-uuid",
            ),
            (
                json!({"glance_region": 2, "glance_image_id": id}),
                "'glance_region' must be a string",
            ),
        ] {
            let mut method = body.as_object().unwrap().clone();
            method.insert("name".into(), json!("glance-download"));
            match ImportRequest::parse(&json!({ "method": method }), None) {
                Err(Error::InvalidInput(m)) => assert!(m.contains(says), "{m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_bodies_are_invalid() {
        for body in [
            json!({}),
            json!({"method": {}}),
            json!({"method": {"name": "glance-download-from-the-moon"}}),
            json!({"method": {"name": "web-download"}}),
            json!({"method": {"name": "copy-image"}, "all_stores": true, "stores": ["a"]}),
            json!({"method": {"name": "copy-image"}, "stores": "a"}),
            json!({"method": {"name": "copy-image"}, "all_stores": "yes"}),
        ] {
            assert!(
                matches!(
                    ImportRequest::parse(&body, None),
                    Err(Error::InvalidInput(_))
                ),
                "{body}"
            );
        }
    }
}
