//! The repository: Glint's one door to the database.
//!
//! [`Repository`] carries the registry driver's operations (`image_create`,
//! `image_get_all`, `image_update` with its compare-and-swap, members,
//! tags, …). Each backend implements it and passes the same conformance
//! suite ([`conformance`]); services hold an `Arc<dyn Repository>` and never
//! see SQL.

pub mod conformance;
mod connection_url;
pub mod glance_schema;
// postgres and mysql compile the same files from src/server/, each with
// its own engine types (see postgres.rs).
#[allow(clippy::duplicate_mod)]
pub mod mysql;
#[allow(clippy::duplicate_mod)]
pub mod postgres;
mod repository;
pub mod sqlite;
pub mod testing;

use std::sync::Arc;

pub use connection_url::ConnectionUrl;
pub use glint_domain::metadef::NamespaceQuery;
pub use repository::Repository;

use glint_domain::Result;

pub(crate) use sqlite::db_error;

/// Opens the database named by a Glance-style `[database] connection` URL
/// and brings its schema up to date.
pub async fn open(connection: &str) -> Result<Arc<dyn Repository>> {
    match ConnectionUrl::parse(connection)? {
        ConnectionUrl::Sqlite(path) => {
            let repo = sqlite::SqliteRepository::open(path.as_deref()).await?;
            Ok(Arc::new(repo))
        }
        ConnectionUrl::Postgres(url) => {
            let repo = postgres::PostgresRepository::open(&url).await?;
            Ok(Arc::new(repo))
        }
        ConnectionUrl::Mysql(url) => {
            let repo = mysql::MysqlRepository::open(&url).await?;
            Ok(Arc::new(repo))
        }
    }
}
