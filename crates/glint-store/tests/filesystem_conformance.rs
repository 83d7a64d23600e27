//! The store conformance suite on the filesystem store, in a temporary
//! folder.

use async_trait::async_trait;
use glint_store::conformance::StoreUnderTest;
use glint_store::{FilesystemStore, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: FilesystemStore,
}

#[async_trait]
impl StoreUnderTest for Fixture {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn contents(&self) -> Vec<String> {
        std::fs::read_dir(self.store.datadir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path().join("images"));
    store.prepare().await.unwrap();
    Fixture { _dir: dir, store }
}

glint_store::store_conformance!(fixture().await);
