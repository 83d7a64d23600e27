//! The repository conformance suite on MySQL/MariaDB (127.0.0.1:3306 unless
//! $GLINT_TEST_MYSQL_URL says otherwise), each test in a database of its
//! own; skipped, with a printed reason, when the server is absent.

use glint_db::testing::{Engine, TempRepository};

glint_db::repository_conformance!(match TempRepository::create(Engine::Mysql).await {
    Some(repo) => repo,
    None => return,
});
