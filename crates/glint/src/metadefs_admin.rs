//! `glint db load-metadefs | export-metadefs | unload-metadefs`: the
//! metadata definitions catalog from and to files in the format
//! `glance-manage db load_metadefs` reads.

use std::path::Path;
use std::sync::Arc;

use glint_config::Config;
use glint_service::metadef_document;
use glint_service::metadefs::{LoadMode, Loaded, MetadefService};
use glint_service::Policy;

use crate::serve::StartError;

async fn service(config: &Config) -> Result<MetadefService, StartError> {
    let repo = glint_db::open(&config.database_connection)
        .await
        .map_err(|e| StartError::Other(format!("database: {e}")))?;
    Ok(MetadefService::new(
        repo,
        Arc::new(Policy::glance_defaults()),
    ))
}

/// Loads every `*.json` in `dir` (sorted by name); `mode` says what
/// happens to namespaces already in the catalog.
pub async fn load(config: &Config, dir: &Path, mode: LoadMode) -> Result<String, StartError> {
    let metadefs = service(config).await?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| StartError::Other(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut created, mut skipped, mut merged, mut replaced) = (0, 0, 0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| StartError::Other(format!("cannot read {}: {e}", file.display())))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| StartError::Other(format!("{}: not JSON: {e}", file.display())))?;
        match metadefs
            .load_document(&doc, mode)
            .await
            .map_err(|e| StartError::Other(format!("{}: {e}", file.display())))?
        {
            Loaded::Created(_) => created += 1,
            Loaded::Replaced(_) => replaced += 1,
            Loaded::Merged(_) => merged += 1,
            Loaded::Skipped(name) => {
                tracing::info!(namespace = %name, "skipped: it already exists in the database");
                skipped += 1
            }
        }
    }
    Ok(format!(
        "metadefs from {}: {created} namespace(s) loaded, {merged} merged, {replaced} replaced, {skipped} already present",
        dir.display()
    ))
}

/// Writes each namespace to `dir/NAMESPACE.json` (`:` becomes `_`).
pub async fn export(config: &Config, dir: &Path) -> Result<String, StartError> {
    let metadefs = service(config).await?;
    std::fs::create_dir_all(dir)
        .map_err(|e| StartError::Other(format!("cannot create {}: {e}", dir.display())))?;
    let all = metadefs
        .export_all()
        .await
        .map_err(|e| StartError::Other(format!("export: {e}")))?;
    for contents in &all {
        let name = contents.namespace.namespace.replace([':', '/'], "_");
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&metadef_document::document(contents))
            .map_err(|e| StartError::Other(e.to_string()))?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| StartError::Other(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(format!(
        "{} namespace(s) exported to {}",
        all.len(),
        dir.display()
    ))
}

/// Deletes every namespace.
pub async fn unload(config: &Config) -> Result<String, StartError> {
    let n = service(config)
        .await?
        .unload_all()
        .await
        .map_err(|e| StartError::Other(format!("unload: {e}")))?;
    Ok(format!("{n} namespace(s) removed"))
}
