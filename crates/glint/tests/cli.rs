//! The binary as an operator meets it: configuration errors exit 2,
//! unknown options warn, `serve` answers on the configured port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn glint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_glint"))
}

fn write_config(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("glint.conf");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_values_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write_config(&dir, "[DEFAULT]\nbind_port = lots\n");
    let out = glint()
        .arg("serve")
        .arg("--config-file")
        .arg(&conf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bind_port") && stderr.contains("lots"),
        "{stderr}"
    );

    let out = glint()
        .args(["serve", "--config-file", "/nonexistent/glint.conf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sample_configuration_lists_glance_option_names() {
    let out = glint().args(["config", "sample"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "#bind_port = 9292",
        "[database]",
        "#limit_param_default = 25",
    ] {
        assert!(text.contains(name), "{name}");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn serve_migrates_a_fresh_data_dir_warns_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let conf = write_config(
        &dir,
        &format!(
            "[DEFAULT]\nbind_port = {port}\ndata_dir = {}\nsome_unknown_option = 1\n",
            data.display()
        ),
    );
    let mut child = glint()
        .arg("serve")
        .arg("--config-file")
        .arg(&conf)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = None;
    while Instant::now() < deadline {
        if let Some(r) = http_get(port, "/versions") {
            answer = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let list = http_get(port, "/v2/images");
    child.kill().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();

    let answer = answer.expect("server answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("v2.18"));
    assert!(list.unwrap().contains("\"images\":[]"));
    assert!(data.join("glint.sqlite").exists());
    assert!(data.join("images").is_dir());
    assert!(
        stderr.contains("unknown option [DEFAULT] some_unknown_option"),
        "{stderr}"
    );
}

/// The standard catalogs beside the repository (../shared/metadefs).
fn catalogs() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/metadefs")
}

/// A catalog document in a comparable form: no owner, defaults spelled
/// out, empty collections dropped.
fn normalized(mut doc: serde_json::Value) -> serde_json::Value {
    let map = doc.as_object_mut().unwrap();
    map.remove("owner");
    map.entry("protected").or_insert(false.into());
    map.entry("visibility").or_insert("private".into());
    map.retain(|_, v| !(v.is_null() || v == &serde_json::json!([]) || v == &serde_json::json!({})));
    doc
}

#[test]
fn metadef_catalogs_load_export_and_unload() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write_config(
        &dir,
        &format!("[DEFAULT]\ndata_dir = {}\n", dir.path().display()),
    );
    let run = |args: &[&str]| {
        let out = glint()
            .arg("--config-file")
            .arg(&conf)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let source = catalogs();
    let source = source.to_str().unwrap();
    assert!(run(&["db", "load-metadefs", source]).contains("33 namespace(s) loaded"));
    assert!(run(&["db", "load-metadefs", source]).contains("33 already present"));
    assert!(run(&["db", "load-metadefs", source, "--merge"]).contains("33 merged"));
    assert!(
        run(&["db", "load-metadefs", source, "--merge", "--overwrite"]).contains("33 replaced")
    );
    let refused = glint()
        .arg("--config-file")
        .arg(&conf)
        .args(["db", "load-metadefs", source, "--overwrite"])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "--overwrite needs --merge");

    let exported = dir.path().join("export");
    run(&["db", "export-metadefs", exported.to_str().unwrap()]);
    let mut written = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(&exported).unwrap() {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        written.insert(doc["namespace"].as_str().unwrap().to_string(), doc);
    }
    assert_eq!(written.len(), 33);
    for entry in std::fs::read_dir(catalogs()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let input: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = input["namespace"].as_str().unwrap().to_string();
        assert_eq!(
            normalized(written[&name].clone()),
            normalized(input),
            "{} does not round-trip",
            path.display()
        );
    }
    assert!(run(&["db", "unload-metadefs"]).contains("33 namespace(s) removed"));
}
