//! A caller's service catalog: where each OpenStack service answers, by
//! region and interface. Glint reads it from the caller's Keystone token
//! (the v3 form) or, in noauth mode, from the `X-Service-Catalog` header
//! (keystonemiddleware writes the v2 form there); both forms are accepted
//! from either source.

use serde_json::Value;

/// One endpoint of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEndpoint {
    /// The service type (`image`, `compute`, …).
    pub service_type: String,
    pub region: String,
    /// `public`, `internal` or `admin`.
    pub interface: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceCatalog {
    pub endpoints: Vec<CatalogEndpoint>,
}

/// The interfaces of a v2 catalog entry, by the key that names each URL.
const V2_URL_KEYS: [(&str, &str); 3] = [
    ("publicURL", "public"),
    ("internalURL", "internal"),
    ("adminURL", "admin"),
];

impl ServiceCatalog {
    /// Reads a catalog: a list of services (or an object holding it under
    /// `catalog` or `serviceCatalog`), each with a `type` and `endpoints`,
    /// the endpoints either v3 (`interface`, `url`, `region` or
    /// `region_id`) or v2 (`region`, `publicURL`, `internalURL`,
    /// `adminURL`). Entries missing what they need are skipped.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let services = match value {
            Value::Array(services) => services,
            Value::Object(o) => o
                .get("catalog")
                .or_else(|| o.get("serviceCatalog"))
                .and_then(Value::as_array)
                .ok_or("a service catalog is a list of services")?,
            _ => return Err("a service catalog is a list of services".into()),
        };
        let mut endpoints = Vec::new();
        for service in services {
            let Some(service_type) = service.get("type").and_then(Value::as_str) else {
                continue;
            };
            let listed = service.get("endpoints").and_then(Value::as_array);
            for endpoint in listed.into_iter().flatten() {
                let text = |key: &str| endpoint.get(key).and_then(Value::as_str);
                let region = text("region").or_else(|| text("region_id")).unwrap_or("");
                let mut add = |interface: &str, url: &str| {
                    endpoints.push(CatalogEndpoint {
                        service_type: service_type.to_string(),
                        region: region.to_string(),
                        interface: interface.to_string(),
                        url: url.to_string(),
                    })
                };
                if let (Some(interface), Some(url)) = (text("interface"), text("url")) {
                    add(interface, url);
                    continue;
                }
                for (key, interface) in V2_URL_KEYS {
                    if let Some(url) = text(key) {
                        add(interface, url);
                    }
                }
            }
        }
        Ok(ServiceCatalog { endpoints })
    }

    /// The URL of `service_type` in `region` (compared without case, as
    /// Glance does) on `interface`.
    pub fn url_for(&self, service_type: &str, region: &str, interface: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| {
                e.service_type == service_type
                    && e.region.eq_ignore_ascii_case(region)
                    && e.interface == interface
            })
            .map(|e| e.url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn v3_catalog_from_a_token() {
        let catalog = ServiceCatalog::from_json(&json!([
            {"type": "identity", "endpoints": [
                {"interface": "public", "region": "RegionOne", "url": "http://k:5000/v3"}]},
            {"type": "image", "name": "glance", "endpoints": [
                {"interface": "public", "region_id": "RegionOne", "url": "http://one:9292"},
                {"interface": "internal", "region": "RegionTwo", "region_id": "RegionTwo",
                 "url": "http://two-internal:9292"},
                {"interface": "public", "region": "RegionTwo", "url": "http://two:9292"}]}
        ]))
        .unwrap();
        assert_eq!(
            catalog.url_for("image", "regiontwo", "public"),
            Some("http://two:9292")
        );
        assert_eq!(
            catalog.url_for("image", "RegionTwo", "internal"),
            Some("http://two-internal:9292")
        );
        assert_eq!(
            catalog.url_for("image", "RegionOne", "public"),
            Some("http://one:9292")
        );
        assert_eq!(catalog.url_for("image", "RegionOne", "admin"), None);
        assert_eq!(catalog.url_for("image", "RegionThree", "public"), None);
        assert_eq!(catalog.url_for("compute", "RegionOne", "public"), None);
    }

    #[test]
    fn v2_catalog_from_keystonemiddleware() {
        let catalog = ServiceCatalog::from_json(&json!([
            {"type": "image", "name": "glance", "endpoints": [
                {"region": "RegionTwo", "publicURL": "http://two:9292",
                 "internalURL": "http://two-i:9292"}]}
        ]))
        .unwrap();
        assert_eq!(
            catalog.url_for("image", "RegionTwo", "public"),
            Some("http://two:9292")
        );
        assert_eq!(
            catalog.url_for("image", "RegionTwo", "internal"),
            Some("http://two-i:9292")
        );
        assert_eq!(catalog.url_for("image", "RegionTwo", "admin"), None);
    }

    #[test]
    fn wrapped_lists_and_junk() {
        let wrapped = json!({"serviceCatalog": [{"type": "image", "endpoints": [
            {"region": "R", "publicURL": "http://r"}]}]});
        assert_eq!(
            ServiceCatalog::from_json(&wrapped)
                .unwrap()
                .url_for("image", "R", "public"),
            Some("http://r")
        );
        // Services or endpoints without what they need are skipped.
        let partial = json!([{"endpoints": []}, {"type": "image"},
            {"type": "image", "endpoints": [{"interface": "public"}, 7]}]);
        assert!(ServiceCatalog::from_json(&partial)
            .unwrap()
            .endpoints
            .is_empty());
        for bad in [json!("x"), json!(3), json!({"other": []})] {
            assert!(ServiceCatalog::from_json(&bad).is_err(), "{bad}");
        }
    }
}
