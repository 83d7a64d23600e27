//! `glint serve`: open the database and store, bind, serve until a signal.

use std::sync::Arc;

use glint_api::auth::Authenticator;
use glint_api::AppState;
use glint_config::Config;
use glint_service::{Policy, Services};

pub enum StartError {
    /// The operator must fix the configuration (exit 2).
    Config(String),
    Other(String),
}

pub async fn run(config: Config) -> Result<(), StartError> {
    let config = Arc::new(config);
    let auth = match &config.keystone {
        Some(settings) => {
            tracing::info!(auth_url = %settings.auth_url, "validating tokens with Keystone");
            let keystone = glint_keystone::Keystone::new(settings.clone())
                .map_err(|e| StartError::Config(e.to_string()))?;
            Authenticator::Keystone(Arc::new(keystone))
        }
        None => Authenticator::Noauth,
    };
    let repo = crate::registry::open_repository(&config).await?;
    let stores = glint_service::stores::open(&config)
        .await
        .map_err(|e| StartError::Other(format!("image store: {e}")))?;
    let (policy, warnings) = Policy::from_config(&config.policy).map_err(StartError::Config)?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    if let Some(file) = &config.policy.policy_file {
        tracing::info!(policy_file = %file.display(), "policy overrides loaded");
    }
    let limits = config
        .keystone_limits
        .as_ref()
        .map(crate::keystone_limits::source)
        .transpose()
        .map_err(|e| StartError::Config(e.to_string()))?;
    let services = Services::with_limits(config.clone(), repo, stores, Arc::new(policy), limits)
        .map_err(|e| StartError::Other(format!("services: {e}")))?;
    services
        .images
        .recover()
        .await
        .map_err(|e| StartError::Other(format!("recovery: {e}")))?;
    services
        .imports
        .prepare()
        .await
        .map_err(|e| StartError::Other(format!("import recovery: {e}")))?;
    services.spawn_sweeper();
    services.spawn_cache_prefetcher();
    if config.delayed_delete && config.scrubber_interval > 0 {
        spawn_scrubber(services.images.clone(), config.scrubber_interval);
    }
    // The dashboard (`/api/glance`, `/dashboard`) in front of the Image API.
    let app = glint_dashboard::app(AppState::with_auth(services, auth));
    // With data_api = registry, the caller's identity goes along with each
    // registry call.
    let app = if config.data_api == glint_config::DataApi::Registry {
        app.layer(axum::middleware::from_fn(glint_registry::caller::forward))
    } else {
        app
    };

    let address = config.bind_address();
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| StartError::Other(format!("cannot listen on {address}: {e}")))?;
    tracing::info!(%address, database = %config.database_connection, "glint serving the Image API v2");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| StartError::Other(format!("server error: {e}")))
}

/// The in-process scrubber: removes delayed-delete bytes every `interval`
/// seconds.
fn spawn_scrubber(images: glint_service::ImageService, interval: u64) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(std::time::Duration::from_secs(interval));
        loop {
            ticker.tick().await;
            if let Err(e) = images.scrub(false).await {
                tracing::warn!(error = %e, "scrubber pass failed");
            }
        }
    });
}

/// `glint scrub`: one scrubber pass, then exit.
pub async fn scrub(mut config: Config) -> Result<usize, StartError> {
    // The image cache belongs to the running `glint serve`: a scrubber
    // beside it must not open (and tidy) the same folder.
    config.image_cache = None;
    let config = Arc::new(config);
    let repo = crate::registry::open_repository(&config).await?;
    let stores = glint_service::stores::open(&config)
        .await
        .map_err(|e| StartError::Other(format!("image store: {e}")))?;
    let services = Services::new(config, repo, stores, Arc::new(Policy::glance_defaults()))
        .map_err(|e| StartError::Other(format!("services: {e}")))?;
    services
        .images
        .scrub(false)
        .await
        .map_err(|e| StartError::Other(format!("scrub: {e}")))
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
