//! A registry running in this process on a free loopback port, for tests:
//! the remote repository talks to it over real HTTP. The server stops when
//! the guard goes away.

use std::sync::Arc;
use std::time::Duration;

use glint_api::auth::Authenticator;
use glint_db::Repository;
use glint_http_client::Trust;
use glint_service::Policy;

use crate::server::{app, RegistryState};
use crate::RemoteRepository;

pub struct RunningRegistry {
    remote: RemoteRepository,
    base_url: String,
    server: tokio::task::JoinHandle<()>,
}

/// A registry's state over `repo`: noauth, Glance's default policy, lists
/// of 25 by default and 1000 at most.
pub fn noauth_state(repo: Arc<dyn Repository>) -> RegistryState {
    RegistryState {
        repo,
        auth: Authenticator::Noauth,
        policy: Arc::new(Policy::glance_defaults()),
        limit_default: 25,
        limit_max: 1000,
    }
}

impl RunningRegistry {
    /// Serves `repo` (see [`noauth_state`]).
    pub async fn start(repo: Arc<dyn Repository>) -> RunningRegistry {
        let state = noauth_state(repo);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app(state)).await;
        });
        RunningRegistry {
            remote: RemoteRepository::new(&base_url, Duration::from_secs(30), &Trust::System)
                .expect("a client that trusts the system store"),
            base_url,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The remote repository speaking to this registry.
    pub fn remote(&self) -> &RemoteRepository {
        &self.remote
    }
}

impl std::ops::Deref for RunningRegistry {
    type Target = RemoteRepository;
    fn deref(&self) -> &RemoteRepository {
        &self.remote
    }
}

impl Drop for RunningRegistry {
    fn drop(&mut self) {
        self.server.abort();
    }
}
