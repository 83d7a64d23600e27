//! The repository conformance suite against the remote repository, through
//! a registry running in this process on a loopback port, backed by SQLite
//! in memory. Every call crosses the RPC over HTTP.

use std::sync::Arc;

use glint_db::sqlite::SqliteRepository;
use glint_registry::testing::RunningRegistry;

async fn registry() -> RunningRegistry {
    let repo = SqliteRepository::open(None)
        .await
        .expect("open in-memory sqlite");
    RunningRegistry::start(Arc::new(repo)).await
}

glint_db::repository_conformance!(registry().await);
