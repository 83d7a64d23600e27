//! Policy files (`[oslo_policy] policy_file`): a mapping of rule names to
//! check strings, in JSON or YAML.
//!
//! oslo.policy reads every policy file with a YAML parser (JSON is nearly a
//! subset of YAML), so the format is decided by content, not by file name:
//! text whose first character is `{` is read as JSON, anything else as YAML.
//!
//! The YAML reader takes what policy files contain and refuses the rest
//! with the line it is on: comments, `name: rule` lines whose name and rule
//! are plain, 'single-quoted' or "double-quoted" scalars, values continued
//! on more-indented lines (folded as YAML folds them: one line break becomes
//! a space, a blank line a newline), and a leading `---`. Nested mappings,
//! sequences, flow collections, block scalars (`|`, `>`), anchors and tags
//! are errors. As in YAML, an empty or `null`/`~` value is null, which
//! oslo.policy treats as the always-true rule; an unquoted boolean or number
//! is refused (oslo.policy would crash on it).

mod yaml;

use std::fmt;

/// One `name: rule` entry, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileEntry {
    pub name: String,
    /// Where the entry starts (YAML only).
    pub line: Option<usize>,
    pub rule: RuleText,
}

/// A rule as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleText {
    Text(String),
    /// JSON's legacy list-of-lists form.
    List(Vec<Vec<String>>),
}

/// Why a policy file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FileError {}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, FileError> {
    Err(FileError {
        line: Some(line),
        message: message.into(),
    })
}

/// Reads a policy file's text into its entries.
pub(crate) fn parse(text: &str) -> Result<Vec<FileEntry>, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        yaml::parse_yaml(text)
    }
}

fn parse_json(text: &str) -> Result<Vec<FileEntry>, FileError> {
    use serde_json::Value;
    let value: Value = serde_json::from_str(text).map_err(|e| FileError {
        line: Some(e.line()),
        message: format!("invalid JSON: {e}"),
    })?;
    let Value::Object(map) = value else {
        return Err(FileError {
            line: None,
            message: "a policy file must be a mapping of rule names to rules".to_owned(),
        });
    };
    let bad = |name: &str| FileError {
        line: None,
        message: format!(
            "rule {name:?} must be a string (or a list of lists of strings), not another JSON value"
        ),
    };
    let mut entries = Vec::with_capacity(map.len());
    for (name, value) in map {
        let rule = match value {
            Value::String(s) => RuleText::Text(s),
            Value::Null => RuleText::Text(String::new()),
            Value::Array(items) => {
                let mut alternatives = Vec::with_capacity(items.len());
                for item in items {
                    alternatives.push(match item {
                        Value::String(s) => vec![s],
                        Value::Array(checks) => checks
                            .into_iter()
                            .map(|c| match c {
                                Value::String(s) => Ok(s),
                                _ => Err(bad(&name)),
                            })
                            .collect::<Result<_, _>>()?,
                        _ => return Err(bad(&name)),
                    });
                }
                RuleText::List(alternatives)
            }
            _ => return Err(bad(&name)),
        };
        entries.push(FileEntry {
            name,
            line: None,
            rule,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests;
