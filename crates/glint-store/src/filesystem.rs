//! The filesystem store: `[glance_store] filesystem_store_datadir`.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use glint_domain::{Error, Result};
use tokio::io::{AsyncRead, AsyncWriteExt};

use crate::{ByteReader, Store, StoredObject};

pub struct FilesystemStore {
    datadir: PathBuf,
}

impl FilesystemStore {
    pub fn new(datadir: impl Into<PathBuf>) -> Self {
        FilesystemStore {
            datadir: datadir.into(),
        }
    }

    pub fn datadir(&self) -> &Path {
        &self.datadir
    }

    /// The file a `file://` location names, refusing paths outside the store.
    fn path_of(&self, location: &str) -> Result<PathBuf> {
        let path = PathBuf::from(
            location
                .strip_prefix("file://")
                .ok_or_else(|| Error::invalid(format!("not a file location: {location}")))?,
        );
        if !path.starts_with(&self.datadir) || path.components().any(|c| c.as_os_str() == "..") {
            return Err(Error::forbidden(format!(
                "location {location} is outside the store"
            )));
        }
        Ok(path)
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::internal(format!("{what} {}: {e}", path.display()))
}

#[async_trait]
impl Store for FilesystemStore {
    fn kind(&self) -> &'static str {
        "file"
    }

    async fn prepare(&self) -> Result<()> {
        tokio::fs::create_dir_all(&self.datadir)
            .await
            .map_err(|e| io_error("cannot create", &self.datadir, e))
    }

    async fn add(
        &self,
        image_id: &str,
        data: &mut (dyn AsyncRead + Send + Unpin),
    ) -> Result<StoredObject> {
        if image_id.contains(['/', '\\']) || image_id.starts_with('.') {
            return Err(Error::invalid(format!("invalid image id {image_id}")));
        }
        let final_path = self.datadir.join(image_id);
        let partial = self.datadir.join(format!(".{image_id}.partial"));
        let result = async {
            let mut file = tokio::fs::File::create(&partial)
                .await
                .map_err(|e| io_error("cannot create", &partial, e))?;
            let size = tokio::io::copy(data, &mut file)
                .await
                .map_err(|e| io_error("cannot write", &partial, e))?;
            file.flush()
                .await
                .map_err(|e| io_error("cannot write", &partial, e))?;
            file.sync_all()
                .await
                .map_err(|e| io_error("cannot sync", &partial, e))?;
            tokio::fs::rename(&partial, &final_path)
                .await
                .map_err(|e| io_error("cannot rename", &partial, e))?;
            Ok(size)
        }
        .await;
        match result {
            Ok(size) => Ok(StoredObject {
                location: format!("file://{}", final_path.display()),
                size,
            }),
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Err(e)
            }
        }
    }

    async fn get(&self, location: &str) -> Result<ByteReader> {
        let path = self.path_of(location)?;
        match tokio::fs::File::open(&path).await {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::not_found(format!(
                "Image data not found at {location}"
            ))),
            Err(e) => Err(io_error("cannot open", &path, e)),
        }
    }

    async fn delete(&self, location: &str) -> Result<()> {
        let path = self.path_of(location)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("cannot delete", &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn add_get_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = FilesystemStore::new(dir.path().join("images"));
        store.prepare().await.unwrap();
        let mut data: &[u8] = b"hello image";
        let obj = store.add("abc", &mut data).await.unwrap();
        assert_eq!(obj.size, 11);
        let mut out = Vec::new();
        store
            .get(&obj.location)
            .await
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, b"hello image");
        store.delete(&obj.location).await.unwrap();
        store.delete(&obj.location).await.unwrap();
        assert!(matches!(
            store.get(&obj.location).await,
            Err(Error::NotFound(_))
        ));
        assert!(store.get("file:///etc/passwd").await.is_err());
        assert_eq!(std::fs::read_dir(store.datadir()).unwrap().count(), 0);
    }
}
