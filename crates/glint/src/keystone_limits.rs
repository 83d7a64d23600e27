//! Plugs Keystone's limits API into the services' unified-limits seam.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use glint_config::KeystoneLimits;
use glint_domain::{Error, Result};
use glint_http_client::{TlsError, Trust};
use glint_keystone::http::HttpClient;
use glint_keystone::limits::UnifiedLimits;
use glint_keystone::session::{Credentials, Domain, Scope, Session};
use glint_keystone::AuthFailure;
use glint_service::LimitSource;

struct KeystoneLimitSource(UnifiedLimits);

#[async_trait]
impl LimitSource for KeystoneLimitSource {
    async fn limits(&self, project: &str, resources: &[&str]) -> Result<BTreeMap<String, i64>> {
        self.0
            .limits(project, resources)
            .await
            .map_err(|e| match e {
                AuthFailure::Unavailable(why) => {
                    Error::internal(format!("cannot read unified limits from Keystone: {why}"))
                }
                AuthFailure::Unauthorized => {
                    Error::internal("Keystone refused to show unified limits")
                }
            })
    }
}

/// The limit source `[oslo_limit]` describes. Errors: its `cafile` cannot
/// be read or holds no certificate.
pub fn source(settings: &KeystoneLimits) -> std::result::Result<Arc<dyn LimitSource>, TlsError> {
    let user_domain = match &settings.user_domain_id {
        Some(id) => Domain::Id(id.clone()),
        None => Domain::Name(settings.user_domain_name.clone()),
    };
    let scope = match (&settings.system_scope, &settings.project_name) {
        (Some(_), _) | (None, None) => Scope::System,
        (None, Some(name)) => Scope::Project {
            name: name.clone(),
            domain: Domain::Name(settings.project_domain_name.clone()),
        },
    };
    // keystoneauth's rule, as for [keystone_authtoken]: insecure first.
    let trust = Trust::insecure_first(settings.cafile.clone(), settings.insecure);
    let http = HttpClient::new(Duration::from_secs(10), &trust)
        .map_err(|e| TlsError(format!("[oslo_limit] cafile: {e}")))?;
    let session = Session::new(
        http,
        Credentials {
            auth_url: settings.auth_url.clone(),
            username: settings.username.clone(),
            password: settings.password.clone(),
            user_domain,
            scope,
        },
    );
    Ok(Arc::new(KeystoneLimitSource(UnifiedLimits::new(
        session,
        settings.endpoint_id.clone(),
    ))))
}
