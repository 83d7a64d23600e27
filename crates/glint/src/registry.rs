//! `glint registry`: the service that owns the database, serving the
//! registry v1 REST API and the repository RPC on registry_host:registry_port
//! (default 127.0.0.1:9191), with `glint serve`'s authentication.

use std::sync::Arc;
use std::time::Duration;

use glint_api::auth::Authenticator;
use glint_config::Config;
use glint_db::Repository;
use glint_domain::Error;
use glint_http_client::Trust;
use glint_registry::server::RegistryState;
use glint_service::Policy;

use crate::serve::StartError;

pub async fn run(config: Config) -> Result<(), StartError> {
    let auth = match &config.keystone {
        Some(settings) => {
            let keystone = glint_keystone::Keystone::new(settings.clone())
                .map_err(|e| StartError::Config(e.to_string()))?;
            Authenticator::Keystone(Arc::new(keystone))
        }
        None => Authenticator::Noauth,
    };
    let repo = glint_db::open(&config.database_connection)
        .await
        .map_err(|e| match e {
            Error::InvalidInput(m) => StartError::Config(m),
            other => StartError::Other(format!("database: {other}")),
        })?;
    let (policy, warnings) = Policy::from_config(&config.policy).map_err(StartError::Config)?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let state = RegistryState {
        repo,
        auth,
        policy: Arc::new(policy),
        limit_default: config.limit_param_default,
        limit_max: config.api_limit_max,
    };
    let address = config.registry_address();
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| StartError::Other(format!("cannot listen on {address}: {e}")))?;
    tracing::info!(%address, database = %config.database_connection, "glint serving the registry");
    axum::serve(listener, glint_registry::app(state))
        .with_graceful_shutdown(crate::serve::shutdown_signal())
        .await
        .map_err(|e| StartError::Other(format!("server error: {e}")))
}

/// The repository `glint serve` uses: the database itself, or the registry
/// when `data_api = registry`.
pub async fn open_repository(config: &Config) -> Result<Arc<dyn Repository>, StartError> {
    if config.data_api == glint_config::DataApi::Registry {
        let url = config.registry_url();
        tracing::info!(registry = %url, "records kept by the registry");
        let timeout = Duration::from_secs(config.registry_client_timeout.max(1));
        // Glance's registry client: insecure first, then the CA file.
        let trust = Trust::insecure_first(
            config.registry_client_ca_file.clone(),
            config.registry_client_insecure,
        );
        let mut remote = glint_registry::RemoteRepository::new(&url, timeout, &trust)
            .map_err(|e| StartError::Config(format!("registry_client_ca_file: {e}")))?;
        if let Some(settings) = &config.keystone {
            let keystone = glint_keystone::Keystone::new(settings.clone())
                .map_err(|e| StartError::Config(e.to_string()))?;
            remote = remote.with_keystone(Arc::new(keystone));
        }
        return Ok(Arc::new(remote));
    }
    glint_db::open(&config.database_connection)
        .await
        .map_err(|e| match e {
            Error::InvalidInput(m) => StartError::Config(m),
            other => StartError::Other(format!("database: {other}")),
        })
}
