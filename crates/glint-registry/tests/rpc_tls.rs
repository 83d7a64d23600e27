//! `registry_client_protocol = https`: the remote repository reaches a
//! registry behind a TLS proxy, trusting the proxy's CA file, and a
//! certificate from another CA makes the registry unavailable, not a
//! panic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use glint_db::sqlite::SqliteRepository;
use glint_db::Repository;
use glint_domain::Error;
use glint_http_client::testing::{TestCa, TlsProxy};
use glint_http_client::Trust;
use glint_registry::testing::RunningRegistry;
use glint_registry::RemoteRepository;

#[tokio::test]
async fn the_registry_answers_over_https() {
    let db = Arc::new(SqliteRepository::open(None).await.unwrap());
    let registry = RunningRegistry::start(db).await;
    let plain: SocketAddr = registry
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let ca = TestCa::new("registry CA");
    let proxy = TlsProxy::start(ca.server_config(), plain).await;
    let dir = tempfile::tempdir().unwrap();
    let timeout = Duration::from_secs(5);

    let trusted = Trust::CaFile(ca.write_pem(dir.path()));
    let remote = RemoteRepository::new(&proxy.url(), timeout, &trusted).unwrap();
    let types = remote.metadef_resource_types().await.unwrap();
    assert_eq!(types, registry.metadef_resource_types().await.unwrap());

    let other = Trust::CaFile(TestCa::new("other CA").write_pem(dir.path()));
    let remote = RemoteRepository::new(&proxy.url(), timeout, &other).unwrap();
    let err = remote.metadef_resource_types().await.unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
}
