//! What every handler can reach.

use std::sync::Arc;

use glint_config::Config;
use glint_service::Services;

use crate::auth::Authenticator;

/// Cloned for every request (axum hands each handler its own copy), so
/// everything in it is shared, not copied.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub config: Arc<Config>,
    pub auth: Authenticator,
}

impl AppState {
    /// State for a server that trusts identity headers (noauth).
    pub fn new(services: Services) -> Self {
        Self::with_auth(services, Authenticator::Noauth)
    }

    pub fn with_auth(services: Services, auth: Authenticator) -> Self {
        AppState {
            config: services.config.clone(),
            services: Arc::new(services),
            auth,
        }
    }
}
