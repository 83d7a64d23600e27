//! Just enough of Python's `configparser` to read a property protection
//! file the way Glance does: `[section]` headers (the name is everything
//! between the first `[` and the last `]`), `key = value` or `key: value`
//! options with case-insensitive keys, full-line `#`/`;` comments, values
//! continued on more-indented lines (joined with newlines), a `[DEFAULT]`
//! section whose options every section inherits, and `%(name)s` / `%%`
//! interpolation. Duplicate sections or options are errors (configparser's
//! strict mode).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IniSection {
    pub name: String,
    pub line: usize,
    /// Lower-cased key → raw (uninterpolated) value.
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct IniFile {
    pub defaults: Vec<(String, String)>,
    pub sections: Vec<IniSection>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IniError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for IniError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Where the options being read go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Current {
    Nowhere,
    Defaults,
    Section(usize),
}

pub(crate) fn parse(text: &str) -> Result<IniFile, IniError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut file = IniFile::default();
    let mut current = Current::Nowhere;
    // The option whose value more-indented lines continue, and its indent.
    let mut continuing: Option<usize> = None;
    let mut option_indent = 0;
    let mut seen_defaults = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let stripped = line.trim();
        if stripped.starts_with('#') || stripped.starts_with(';') {
            continue;
        }
        let options = match current {
            Current::Nowhere => None,
            Current::Defaults => Some(&mut file.defaults),
            Current::Section(i) => file.sections.get_mut(i).map(|s| &mut s.options),
        };
        if stripped.is_empty() {
            // configparser keeps blank lines inside a value; trailing ones
            // are trimmed when the value is finished.
            if let (Some(options), Some(at)) = (options, continuing) {
                if let Some((_, value)) = options.get_mut(at) {
                    value.push('\n');
                }
            }
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let (Some(options), Some(at)) = (options, continuing) {
            if indent > option_indent {
                if let Some((_, value)) = options.get_mut(at) {
                    value.push('\n');
                    value.push_str(stripped);
                }
                continue;
            }
        }
        option_indent = indent;
        continuing = None;
        if let Some(name) = section_header(stripped) {
            if name == "DEFAULT" {
                if seen_defaults {
                    return Err(IniError {
                        line: line_no,
                        message: "section [DEFAULT] appears twice".to_owned(),
                    });
                }
                seen_defaults = true;
                current = Current::Defaults;
                continue;
            }
            if file.sections.iter().any(|s| s.name == name) {
                return Err(IniError {
                    line: line_no,
                    message: format!("section [{name}] appears twice"),
                });
            }
            file.sections.push(IniSection {
                name: name.to_owned(),
                line: line_no,
                options: Vec::new(),
            });
            current = Current::Section(file.sections.len() - 1);
            continue;
        }
        let options = match current {
            Current::Nowhere => {
                return Err(IniError {
                    line: line_no,
                    message: "an option before any [section] header".to_owned(),
                });
            }
            Current::Defaults => &mut file.defaults,
            Current::Section(i) => match file.sections.get_mut(i) {
                Some(s) => &mut s.options,
                None => &mut file.defaults,
            },
        };
        let Some(delimiter) = stripped.find(['=', ':']) else {
            return Err(IniError {
                line: line_no,
                message: format!("expected 'operation = value', found {stripped:?}"),
            });
        };
        let key = stripped[..delimiter].trim_end().to_lowercase();
        if key.is_empty() {
            return Err(IniError {
                line: line_no,
                message: "an option with no name".to_owned(),
            });
        }
        if options.iter().any(|(k, _)| *k == key) {
            return Err(IniError {
                line: line_no,
                message: format!("option {key:?} appears twice in the same section"),
            });
        }
        let value = stripped[delimiter + 1..].trim().to_owned();
        options.push((key, value));
        continuing = Some(options.len() - 1);
    }
    for (_, value) in file
        .defaults
        .iter_mut()
        .chain(file.sections.iter_mut().flat_map(|s| s.options.iter_mut()))
    {
        let trimmed = value.trim_end().len();
        value.truncate(trimmed);
    }
    Ok(file)
}

/// `[name]`: configparser matches `\[(?P<header>.+)\]` at the start of the
/// stripped line, so the name runs to the last `]`.
fn section_header(stripped: &str) -> Option<&str> {
    let inner = stripped.strip_prefix('[')?;
    let close = inner.rfind(']')?;
    let name = &inner[..close];
    (!name.is_empty()).then_some(name)
}

impl IniFile {
    /// The interpolated value of `key` in `section`, falling back to
    /// `[DEFAULT]`; `Ok(None)` when neither has it.
    pub(crate) fn get(&self, section: &IniSection, key: &str) -> Result<Option<String>, String> {
        match self.raw(section, key) {
            Some(raw) => self.interpolate(section, key, raw, 1).map(Some),
            None => Ok(None),
        }
    }

    fn raw<'a>(&'a self, section: &'a IniSection, key: &str) -> Option<&'a str> {
        section
            .options
            .iter()
            .chain(&self.defaults)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// configparser's `BasicInterpolation`.
    fn interpolate(
        &self,
        section: &IniSection,
        key: &str,
        raw: &str,
        depth: usize,
    ) -> Result<String, String> {
        const MAX_DEPTH: usize = 10;
        if depth > MAX_DEPTH {
            return Err(format!(
                "[{}] {key}: interpolation nested too deeply",
                section.name
            ));
        }
        let mut out = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix('%') {
                out.push('%');
                rest = tail;
                continue;
            }
            let reference = after
                .strip_prefix('(')
                .and_then(|a| a.split_once(')'))
                .and_then(|(name, tail)| tail.strip_prefix('s').map(|tail| (name, tail)));
            let Some((name, tail)) = reference else {
                return Err(format!(
                    "[{}] {key}: '%' must be followed by '%' or '(name)s'",
                    section.name
                ));
            };
            let name = name.to_lowercase();
            let Some(value) = self.raw(section, &name) else {
                return Err(format!(
                    "[{}] {key}: %({name})s refers to an option that does not exist",
                    section.name
                ));
            };
            out.push_str(&self.interpolate(section, &name, value, depth + 1)?);
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_options_comments_and_continuations() {
        let text = "# comment\n; other\n[DEFAULT]\ndelete = admin\n\n[^x_.*]\nCreate = admin,\n    member\nread: @\n\n[a]b]\nread=\n";
        let f = parse(text).unwrap();
        assert_eq!(f.defaults, vec![("delete".to_owned(), "admin".to_owned())]);
        assert_eq!(f.sections.len(), 2);
        let s = &f.sections[0];
        assert_eq!(s.name, "^x_.*");
        assert_eq!(
            f.get(s, "create").unwrap().as_deref(),
            Some("admin,\nmember")
        );
        assert_eq!(f.get(s, "read").unwrap().as_deref(), Some("@"));
        assert_eq!(f.get(s, "delete").unwrap().as_deref(), Some("admin"));
        assert_eq!(f.get(s, "update").unwrap(), None);
        assert_eq!(f.sections[1].name, "a]b");
        assert_eq!(f.get(&f.sections[1], "read").unwrap().as_deref(), Some(""));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("read = @\n").unwrap_err().line, 1);
        assert_eq!(parse("[a]\n[a]\n").unwrap_err().line, 2);
        assert_eq!(parse("[a]\nread = @\nREAD = !\n").unwrap_err().line, 3);
        assert_eq!(parse("[a]\njust words\n").unwrap_err().line, 2);
    }

    #[test]
    fn interpolation() {
        let f =
            parse("[DEFAULT]\nops = admin\n[a]\nread = %(ops)s,member\nupdate = 100%%\nbad = 5%\n")
                .unwrap();
        let s = &f.sections[0];
        assert_eq!(f.get(s, "read").unwrap().as_deref(), Some("admin,member"));
        assert_eq!(f.get(s, "update").unwrap().as_deref(), Some("100%"));
        assert!(f.get(s, "bad").is_err());
    }
}
