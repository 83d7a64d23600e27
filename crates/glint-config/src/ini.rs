//! The INI dialect oslo.config reads: `[section]` headers, `key = value`
//! (or `key: value`), `#`/`;` comments, indented continuation lines, and
//! repeated keys (last one wins).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IniFile {
    /// section → key → value; `DEFAULT` holds keys before any header.
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl IniFile {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ini = IniFile::default();
        let mut section = "DEFAULT".to_string();
        let mut last_key: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                if let Some(key) = &last_key {
                    let entry = ini.sections.entry(section.clone()).or_default();
                    if let Some(v) = entry.get_mut(key) {
                        if !v.is_empty() {
                            v.push('\n');
                        }
                        v.push_str(trimmed);
                        continue;
                    }
                }
                return Err(format!("line {}: unexpected indented line", n + 1));
            }
            if let Some(name) = trimmed.strip_prefix('[') {
                let name = name
                    .strip_suffix(']')
                    .ok_or_else(|| format!("line {}: unterminated section header", n + 1))?;
                section = name.trim().to_string();
                ini.sections.entry(section.clone()).or_default();
                last_key = None;
                continue;
            }
            let split = trimmed
                .find(['=', ':'])
                .ok_or_else(|| format!("line {}: expected 'key = value'", n + 1))?;
            let key = trimmed[..split].trim().to_string();
            let value = trimmed[split + 1..].trim().to_string();
            if key.is_empty() {
                return Err(format!("line {}: empty option name", n + 1));
            }
            ini.sections
                .entry(section.clone())
                .or_default()
                .insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(ini)
    }

    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.sections.get(section)?.get(key).map(String::as_str)
    }

    /// Every (section, key) set in the file.
    pub fn keys(&self) -> Vec<(String, String)> {
        self.sections
            .iter()
            .flat_map(|(s, kv)| kv.keys().map(move |k| (s.clone(), k.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_oslo_style() {
        let ini = IniFile::parse(
            "top = 1\n# comment\n[DEFAULT]\nbind_host=0.0.0.0\n; other\n\
             [glance_store]\nstores: file,\n  http\nx = a\nx = b\n",
        )
        .unwrap();
        assert_eq!(ini.get("DEFAULT", "top"), Some("1"));
        assert_eq!(ini.get("DEFAULT", "bind_host"), Some("0.0.0.0"));
        assert_eq!(ini.get("glance_store", "stores"), Some("file,\nhttp"));
        assert_eq!(ini.get("glance_store", "x"), Some("b"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(IniFile::parse("[broken\n").is_err());
        assert!(IniFile::parse("no equals sign\n").is_err());
    }
}
