//! Import plugins (Glance's `[image_import_opts] image_import_plugins`)
//! that work on the staged file before it goes to the stores:
//! `image_decompression` (gzip, zip) and `image_conversion` (`qemu-img
//! convert` to `[image_conversion] output_format`). The third plugin,
//! `inject_image_metadata`, only sets properties and runs when the import
//! is accepted (see [`injected_properties`]).
//!
//! Each plugin can run twice on the same file (a resumed task does): a
//! decompressed file has no archive header, a converted one is already in
//! the output format.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use glint_config::ImportConfig;
use glint_domain::{Error, RequestContext, Result};
use serde_json::Value;

/// What the plugins changed about the image.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PluginChanges {
    pub disk_format: Option<String>,
    pub virtual_size: Option<i64>,
    /// Whether a plugin replaced the file's content.
    pub data_rewritten: bool,
}

/// The properties `inject_image_metadata` sets for this caller.
pub fn injected_properties(
    config: &ImportConfig,
    ctx: &RequestContext,
) -> BTreeMap<String, String> {
    let enabled = config.plugins.iter().any(|p| p == "inject_image_metadata");
    let exempt = config.inject_ignore_roles.iter().any(|r| ctx.has_role(r));
    if !enabled || exempt {
        return BTreeMap::new();
    }
    config.inject.iter().cloned().collect()
}

/// Runs the file plugins on the staged file at `staged`, whose image
/// declares `disk_format`.
pub async fn run(config: &ImportConfig, staged: &Path, disk_format: &str) -> Result<PluginChanges> {
    let plugins = config.plugins.clone();
    let output = config.conversion_format.clone();
    let staged = staged.to_path_buf();
    let disk_format = disk_format.to_string();
    tokio::task::spawn_blocking(move || {
        let mut changes = PluginChanges::default();
        for plugin in &plugins {
            match plugin.as_str() {
                "image_decompression" => changes.data_rewritten |= decompress(&staged)?,
                "image_conversion" => {
                    let converted = convert(&staged, &disk_format, &output)?;
                    changes = PluginChanges {
                        data_rewritten: changes.data_rewritten || converted.data_rewritten,
                        ..converted
                    };
                }
                _ => {}
            }
        }
        Ok(changes)
    })
    .await
    .map_err(|e| Error::internal(format!("import plugin failed: {e}")))?
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn run_tool(program: &str, args: &[&std::ffi::OsStr], output_to: Option<&Path>) -> Result<Vec<u8>> {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(path) = output_to {
        let file = std::fs::File::create(path)
            .map_err(|e| Error::internal(format!("cannot create {}: {e}", path.display())))?;
        command.stdout(file);
    }
    let out = command
        .output()
        .map_err(|e| Error::internal(format!("cannot run {program}: {e}")))?;
    if !out.status.success() {
        return Err(Error::invalid(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// Replaces a gzip or zip file by its content; answers whether it did.
fn decompress(staged: &Path) -> Result<bool> {
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(staged)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|e| Error::internal(format!("cannot read the staged data: {e}")))?;
    let out = sibling(staged, ".decompressed");
    let tool = match &magic[..n.min(4)] {
        [0x1f, 0x8b, ..] => run_tool("gzip", &["-dc".as_ref(), staged.as_os_str()], Some(&out)),
        [b'P', b'K', 3, 4] => run_tool("unzip", &["-p".as_ref(), staged.as_os_str()], Some(&out)),
        _ => return Ok(false),
    };
    if let Err(e) = tool {
        let _ = std::fs::remove_file(&out);
        return Err(Error::invalid(format!("Image decompression failed: {e}")));
    }
    std::fs::rename(&out, staged)
        .map_err(|e| Error::internal(format!("cannot replace the staged data: {e}")))?;
    Ok(true)
}

/// What `qemu-img info` says of a file.
fn inspect(path: &Path) -> Result<Value> {
    let out = run_tool(
        "qemu-img",
        &["info".as_ref(), "--output=json".as_ref(), path.as_os_str()],
        None,
    )?;
    serde_json::from_slice(&out)
        .map_err(|e| Error::internal(format!("qemu-img info answered no JSON: {e}")))
}

/// Converts the staged file to `output`, refusing content that is not
/// what the image declares or that points at other files.
fn convert(staged: &Path, declared: &str, output: &str) -> Result<PluginChanges> {
    let info = inspect(staged)?;
    let detected = info["format"].as_str().unwrap_or("raw").to_string();
    if info.get("backing-filename").is_some()
        || info["format-specific"]["data"]["data-file"].is_string()
    {
        return Err(Error::invalid(
            "Image conversion refused: the image refers to other files (backing or data file)",
        ));
    }
    let raw_like = ["raw", "iso", "ami", "ari", "aki"].contains(&declared);
    if detected != declared && !(raw_like && detected == "raw") {
        return Err(Error::invalid(format!(
            "Image conversion refused: the data is {detected}, but the image's disk_format is {declared}"
        )));
    }
    let rewrite = detected != output;
    if rewrite {
        let out = sibling(staged, ".converted");
        let converted = run_tool(
            "qemu-img",
            &[
                "convert".as_ref(),
                "-f".as_ref(),
                detected.as_ref(),
                "-O".as_ref(),
                output.as_ref(),
                staged.as_os_str(),
                out.as_os_str(),
            ],
            None,
        );
        if let Err(e) = converted {
            let _ = std::fs::remove_file(&out);
            return Err(Error::invalid(format!("Image conversion failed: {e}")));
        }
        std::fs::rename(&out, staged)
            .map_err(|e| Error::internal(format!("cannot replace the staged data: {e}")))?;
    }
    Ok(PluginChanges {
        disk_format: Some(output.to_string()),
        virtual_size: info["virtual-size"].as_i64(),
        data_rewritten: rewrite,
    })
}
