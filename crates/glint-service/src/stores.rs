//! Building the enabled stores from configuration.

use std::sync::Arc;

use glint_config::Config;
use glint_domain::Result;
use glint_store::{FilesystemStore, Store, StoreInfo, Stores};

/// The stores the configuration enables (`enabled_backends`, else the one
/// file store), each prepared for use.
pub async fn open(config: &Config) -> Result<Stores> {
    let stores = if config.stores.is_empty() {
        Stores::single(Arc::new(FilesystemStore::new(
            &config.filesystem_store_datadir,
        )))
    } else {
        let infos = config
            .stores
            .iter()
            .map(|s| StoreInfo {
                id: s.id.clone(),
                description: s.description.clone(),
                store: Arc::new(FilesystemStore::new(&s.filesystem_store_datadir))
                    as Arc<dyn Store>,
            })
            .collect();
        Stores::multiple(infos, config.default_store.as_deref().unwrap_or_default())?
    };
    for info in stores.all() {
        info.store.prepare().await?;
    }
    Ok(stores)
}
