//! Building the enabled stores from configuration.

use std::sync::Arc;

use glint_config::{Config, S3StoreOptions, StoreConfig};
use glint_domain::Result;
use glint_http_client::Trust;
use glint_store::{FilesystemStore, HttpStore, S3Settings, S3Store, Store, StoreInfo, Stores};

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
            .map(|s| {
                Ok(StoreInfo {
                    id: s.id.clone(),
                    description: s.description.clone(),
                    store: backend(s)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Stores::multiple(infos, config.default_store.as_deref().unwrap_or_default())?
    };
    // glance_store's http store: the CA file wins over https_insecure.
    let trust = Trust::ca_file_first(
        config.https_ca_certificates_file.clone(),
        config.https_insecure,
    );
    let stores = stores.with_http_store(HttpStore::new(&trust)?);
    for info in stores.all() {
        info.store.prepare().await?;
    }
    Ok(stores)
}

/// The backend one named store's section configures.
fn backend(config: &StoreConfig) -> Result<Arc<dyn Store>> {
    Ok(match &config.s3 {
        Some(s3) => Arc::new(S3Store::new(s3_settings(s3))?),
        None => Arc::new(FilesystemStore::new(&config.filesystem_store_datadir)),
    })
}

/// The S3 client settings an `s3_store_*` section gives.
pub(crate) fn s3_settings(s3: &S3StoreOptions) -> S3Settings {
    S3Settings {
        host: s3.host.clone(),
        access_key: s3.access_key.clone(),
        secret_key: s3.secret_key.clone(),
        bucket: s3.bucket.clone(),
        create_bucket_on_put: s3.create_bucket_on_put,
        region: s3.region_name.clone(),
        bucket_url_format: s3.bucket_url_format.clone(),
        large_object_size: s3.large_object_size,
        large_object_chunk_size: s3.large_object_chunk_size,
        thread_pools: s3.thread_pools,
        cacert: s3.cacert.clone(),
    }
}
