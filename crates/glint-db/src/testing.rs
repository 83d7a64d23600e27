//! Throw-away databases on the local PostgreSQL and MySQL/MariaDB servers,
//! for tests: each is created empty under a fresh name and dropped when its
//! guard goes away. When a server is not reachable the constructors print
//! why and return `None`, and the test skips.
//!
//! The servers are `$GLINT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and
//! `$GLINT_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/mysql`),
//! in sqlx's URL form, naming an existing database to connect to.

use std::ops::Deref;
use std::sync::Arc;

use sqlx::{Connection, Executor};

use crate::mysql::MysqlRepository;
use crate::postgres::PostgresRepository;
use crate::Repository;

/// A server engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Mysql,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL/MariaDB",
        }
    }

    /// The server's URL (sqlx form), from the environment or the default.
    pub fn server_url(self) -> String {
        let (var, default) = match self {
            Engine::Postgres => (
                "GLINT_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            Engine::Mysql => ("GLINT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql"),
        };
        std::env::var(var).unwrap_or_else(|_| default.to_string())
    }
}

/// An empty database, dropped (with every connection to it) on drop.
pub struct TempDatabase {
    engine: Engine,
    server_url: String,
    name: String,
}

impl TempDatabase {
    /// Creates a fresh database, or prints why not and returns `None` when
    /// the server cannot be reached.
    pub async fn create(engine: Engine) -> Option<TempDatabase> {
        let server_url = engine.server_url();
        let name = format!(
            "glint_test_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        );
        let created = run_admin(engine, &server_url, &format!("CREATE DATABASE {name}")).await;
        if let Err(e) = created {
            eprintln!(
                "SKIPPED: {} is not reachable at {server_url} ({e}); \
                 the test did not run against it",
                engine.name()
            );
            return None;
        }
        Some(TempDatabase {
            engine,
            server_url,
            name,
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database's URL in sqlx's form.
    pub fn url(&self) -> String {
        let base = self
            .server_url
            .split('?')
            .next()
            .unwrap_or(&self.server_url);
        let server = match base.rfind('/') {
            Some(i) if i > base.find("://").map_or(0, |s| s + 2) => &base[..i],
            _ => base,
        };
        format!("{server}/{}", self.name)
    }

    /// The database's URL as a Glance configuration spells it
    /// (`postgresql://…`, `mysql+pymysql://…`).
    pub fn glance_url(&self) -> String {
        let url = self.url();
        match self.engine {
            Engine::Postgres => url.replacen("postgres://", "postgresql://", 1),
            Engine::Mysql => url.replacen("mysql://", "mysql+pymysql://", 1),
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let sql = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Engine::Mysql => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        let (engine, url) = (self.engine, self.server_url.clone());
        // Drop may run inside a runtime, which cannot block on another
        // future; a thread with its own runtime can.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(run_admin(engine, &url, &sql))
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

async fn run_admin(engine: Engine, url: &str, sql: &str) -> Result<(), String> {
    let timeout = std::time::Duration::from_secs(10);
    let work = async {
        match engine {
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                conn.execute(sql).await?;
                conn.close().await
            }
            Engine::Mysql => {
                let mut conn = sqlx::MySqlConnection::connect(url).await?;
                conn.execute(sql).await?;
                conn.close().await
            }
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {timeout:?}")),
    }
}

/// A migrated repository on its own throw-away database.
pub struct TempRepository {
    repo: Arc<dyn Repository>,
    // Declared after `repo`, so dropped after it.
    db: TempDatabase,
}

impl TempRepository {
    /// A repository on a fresh database, or `None` (with a printed reason)
    /// when the engine's server is not reachable.
    pub async fn create(engine: Engine) -> Option<TempRepository> {
        let db = TempDatabase::create(engine).await?;
        let repo: Arc<dyn Repository> = match engine {
            Engine::Postgres => Arc::new(
                PostgresRepository::open(&db.url())
                    .await
                    .expect("open PostgreSQL repository"),
            ),
            Engine::Mysql => Arc::new(
                MysqlRepository::open(&db.url())
                    .await
                    .expect("open MySQL repository"),
            ),
        };
        Some(TempRepository { repo, db })
    }

    pub fn database(&self) -> &TempDatabase {
        &self.db
    }
}

impl Deref for TempRepository {
    type Target = dyn Repository;
    fn deref(&self) -> &(dyn Repository + 'static) {
        &*self.repo
    }
}
