//! The repository conformance suite on SQLite: in memory, and on a file
//! (which exercises the separate reader and writer pools).

mod in_memory {
    glint_db::repository_conformance!(glint_db::sqlite::SqliteRepository::open(None)
        .await
        .map(std::sync::Arc::new)
        .expect("open in-memory sqlite"));
}

mod on_file {
    glint_db::repository_conformance!({
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("glint.sqlite");
        // Keep the folder for the test's lifetime.
        std::mem::forget(dir);
        std::sync::Arc::new(
            glint_db::sqlite::SqliteRepository::open(Some(&path))
                .await
                .expect("open sqlite file"),
        )
    });
}
