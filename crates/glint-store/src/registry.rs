//! The enabled stores, by id: Glance's `enabled_backends` and
//! `default_backend`, or one unnamed file store when those are not set.

use std::sync::Arc;

use glint_domain::{Error, ImageLocation, Result};

use crate::{HttpStore, Store};

/// One enabled store as `/v2/info/stores` describes it.
#[derive(Clone)]
pub struct StoreInfo {
    pub id: String,
    pub description: Option<String>,
    pub store: Arc<dyn Store>,
}

#[derive(Clone)]
pub struct Stores {
    stores: Vec<StoreInfo>,
    default: usize,
    /// Whether the operator configured several named stores.
    multi: bool,
    /// Reads `http://` and `https://` locations (added with the locations
    /// API).
    http: StoreInfo,
    http_store: Arc<HttpStore>,
}

fn http_info(store: Arc<HttpStore>) -> StoreInfo {
    StoreInfo {
        id: "http".into(),
        description: None,
        store,
    }
}

impl Stores {
    /// One store, Glance's single-store mode.
    pub fn single(store: Arc<dyn Store>) -> Self {
        let http = Arc::new(HttpStore::default());
        Stores {
            stores: vec![StoreInfo {
                id: "file".into(),
                description: None,
                store,
            }],
            default: 0,
            multi: false,
            http: http_info(http.clone()),
            http_store: http,
        }
    }

    /// Named stores (`enabled_backends`), the default among them.
    pub fn multiple(stores: Vec<StoreInfo>, default: &str) -> Result<Self> {
        let default = stores
            .iter()
            .position(|s| s.id == default)
            .ok_or_else(|| Error::invalid(format!("default_backend '{default}' is not enabled")))?;
        let http = Arc::new(HttpStore::default());
        Ok(Stores {
            stores,
            default,
            multi: true,
            http: http_info(http.clone()),
            http_store: http,
        })
    }

    /// The same stores, with `store` reading http and https locations
    /// (instead of one that verifies https with the system's CAs).
    pub fn with_http_store(mut self, store: HttpStore) -> Self {
        let store = Arc::new(store);
        self.http = http_info(store.clone());
        self.http_store = store;
        self
    }

    /// The store that reads http and https locations.
    pub fn http_store(&self) -> &HttpStore {
        &self.http_store
    }

    pub fn is_multi(&self) -> bool {
        self.multi
    }

    pub fn all(&self) -> &[StoreInfo] {
        &self.stores
    }

    pub fn default_store(&self) -> &StoreInfo {
        &self.stores[self.default]
    }

    /// The store named `id`, or the default for `None`.
    pub fn pick(&self, id: Option<&str>) -> Result<&StoreInfo> {
        match id {
            None => Ok(self.default_store()),
            Some(id) => self
                .stores
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| Error::invalid(format!("Store for identifier {id} not found"))),
        }
    }

    /// The store holding `location`: the one its metadata names, else the
    /// default.
    pub fn for_location(&self, location: &ImageLocation) -> &StoreInfo {
        if crate::is_http_location(&location.url) {
            return &self.http;
        }
        location
            .store()
            .and_then(|id| self.stores.iter().find(|s| s.id == id))
            .unwrap_or_else(|| self.default_store())
    }
}
