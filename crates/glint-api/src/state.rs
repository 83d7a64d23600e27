//! What every handler can reach.

use std::sync::Arc;

use glint_config::Config;
use glint_service::Services;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState {
            config: services.config.clone(),
            services,
        }
    }
}
