//! The repository conformance suite on SQLite: in memory, and on a file
//! (which exercises the separate reader and writer pools).

use glint_db::sqlite::SqliteRepository;

/// A file-backed repository that removes its folder when dropped.
pub struct OnFile {
    repo: SqliteRepository,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for OnFile {
    type Target = SqliteRepository;
    fn deref(&self) -> &SqliteRepository {
        &self.repo
    }
}

pub async fn on_file() -> OnFile {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = SqliteRepository::open(Some(&dir.path().join("glint.sqlite")))
        .await
        .expect("open sqlite file");
    OnFile { repo, _dir: dir }
}

mod in_memory {
    glint_db::repository_conformance!(Box::new(
        glint_db::sqlite::SqliteRepository::open(None)
            .await
            .expect("open in-memory sqlite")
    ));
}

mod file {
    glint_db::repository_conformance!(super::on_file().await);
}
