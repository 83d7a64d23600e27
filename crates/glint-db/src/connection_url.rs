//! `[database] connection` URLs in the forms Glance configurations hold.

use std::path::PathBuf;

use glint_domain::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionUrl {
    /// `sqlite:////abs/path`, `sqlite:///relative/path`; `None` is in-memory.
    Sqlite(Option<PathBuf>),
    Postgres(String),
    Mysql(String),
}

impl ConnectionUrl {
    pub fn parse(url: &str) -> Result<Self> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| Error::invalid(format!("invalid database connection URL: {url}")))?;
        let engine = scheme.split('+').next().unwrap_or(scheme);
        match engine {
            "sqlite" => {
                // SQLAlchemy: `sqlite://` is in-memory; `sqlite:///x` is the
                // relative path x; `sqlite:////x` is the absolute path /x.
                let path = rest.strip_prefix('/').unwrap_or(rest);
                let path = path.split('?').next().unwrap_or(path);
                if path.is_empty() || path == ":memory:" {
                    Ok(ConnectionUrl::Sqlite(None))
                } else {
                    Ok(ConnectionUrl::Sqlite(Some(PathBuf::from(path))))
                }
            }
            "postgresql" | "postgres" => Ok(ConnectionUrl::Postgres(format!("postgres://{rest}"))),
            "mysql" | "mariadb" => Ok(ConnectionUrl::Mysql(format!("mysql://{rest}"))),
            _ => Err(Error::invalid(format!(
                "unsupported database engine '{scheme}' in connection URL"
            ))),
        }
    }

    pub fn engine(&self) -> &'static str {
        match self {
            ConnectionUrl::Sqlite(_) => "sqlite",
            ConnectionUrl::Postgres(_) => "postgresql",
            ConnectionUrl::Mysql(_) => "mysql",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_sqlite_forms() {
        assert_eq!(
            ConnectionUrl::parse("sqlite:////var/lib/glint/glint.sqlite").unwrap(),
            ConnectionUrl::Sqlite(Some("/var/lib/glint/glint.sqlite".into()))
        );
        assert_eq!(
            ConnectionUrl::parse("sqlite:///glint.sqlite").unwrap(),
            ConnectionUrl::Sqlite(Some("glint.sqlite".into()))
        );
        assert_eq!(
            ConnectionUrl::parse("sqlite://").unwrap(),
            ConnectionUrl::Sqlite(None)
        );
    }

    #[test]
    fn server_engines_and_errors() {
        assert_eq!(
            ConnectionUrl::parse("mysql+pymysql://root@127.0.0.1/glance")
                .unwrap()
                .engine(),
            "mysql"
        );
        assert_eq!(
            ConnectionUrl::parse("postgresql+psycopg2://u@h/db")
                .unwrap()
                .engine(),
            "postgresql"
        );
        assert!(ConnectionUrl::parse("oracle://x").is_err());
        assert!(ConnectionUrl::parse("nonsense").is_err());
    }
}
