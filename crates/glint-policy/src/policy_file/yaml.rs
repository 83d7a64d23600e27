//! The YAML subset policy files are written in: a flat mapping of names
//! to plain or quoted scalars, read line by line.

use super::{err, FileEntry, FileError, RuleText};

/// One line of a scalar being collected, for folding.
#[derive(Debug)]
enum Piece {
    Text(String),
    /// A line break escaped with `\` at the end of a double-quoted line.
    TightText(String),
    Blank,
}

#[derive(Debug)]
enum Value {
    /// `name:` with the value still to come on the next lines.
    Empty,
    Plain {
        pieces: Vec<Piece>,
        /// A comment line ended the scalar.
        closed: bool,
    },
    Quoted {
        double: bool,
        pieces: Vec<Piece>,
        open: bool,
    },
}

struct Pending {
    name: String,
    line: usize,
    indent: usize,
    value: Value,
}

pub(super) fn parse_yaml(text: &str) -> Result<Vec<FileEntry>, FileError> {
    let mut entries = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut map_indent: Option<usize> = None;
    let mut ended = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);

        if let Some(p) = pending.as_mut() {
            if let Value::Quoted {
                double,
                pieces,
                open: open @ true,
            } = &mut p.value
            {
                *open = continue_quoted(*double, pieces, line, line_no)?;
                continue;
            }
        }

        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = line[indent..].trim_end();
        if rest.is_empty() {
            if let Some(Pending {
                value:
                    Value::Plain {
                        pieces,
                        closed: false,
                    },
                ..
            }) = pending.as_mut()
            {
                pieces.push(Piece::Blank);
            }
            continue;
        }
        if rest.starts_with('#') {
            if let Some(Pending {
                value: Value::Plain { closed, .. },
                ..
            }) = pending.as_mut()
            {
                *closed = true;
            }
            continue;
        }
        if rest.starts_with('\t') {
            return err(line_no, "tabs cannot be used for indentation in YAML");
        }
        if ended {
            return err(line_no, "text after the end of the document ('...')");
        }
        if indent == 0 && (rest == "---" || rest.starts_with("--- ")) {
            if pending.is_some() || !entries.is_empty() {
                return err(
                    line_no,
                    "a policy file holds one YAML document, not several",
                );
            }
            if !rest[3..].trim_start().is_empty() && !rest[3..].trim_start().starts_with('#') {
                return err(line_no, "put the rules on the lines after '---'");
            }
            continue;
        }
        if indent == 0 && rest == "..." {
            ended = true;
            continue;
        }

        if let Some(p) = pending.as_mut() {
            if indent > p.indent {
                continue_value(p, rest, line_no)?;
                continue;
            }
        }

        match map_indent {
            None => map_indent = Some(indent),
            Some(expected) if expected != indent => {
                return err(
                    line_no,
                    format!(
                        "unexpected indentation (rule names are indented by {expected} spaces)"
                    ),
                );
            }
            Some(_) => {}
        }
        if let Some(p) = pending.take() {
            entries.push(finish(p)?);
        }
        let (name, value_text) = split_entry(rest, line_no)?;
        let value = if value_text.is_empty() || value_text.starts_with('#') {
            Value::Empty
        } else {
            start_value(value_text, line_no)?
        };
        pending = Some(Pending {
            name,
            line: line_no,
            indent,
            value,
        });
    }
    if let Some(p) = pending.take() {
        entries.push(finish(p)?);
    }
    Ok(entries)
}

/// Splits `name: value` (the name plain or quoted); the value is returned
/// untrimmed of comments.
fn split_entry(rest: &str, line_no: usize) -> Result<(String, &str), FileError> {
    if rest == "-" || rest.starts_with("- ") {
        return err(
            line_no,
            "a YAML sequence; a policy file is a mapping of rule names to rules",
        );
    }
    if rest.starts_with(['{', '[']) {
        return err(
            line_no,
            "a YAML flow collection; a policy file is a mapping of rule names to rules \
             (a file starting with '{' is read as JSON)",
        );
    }
    if let Some(quote @ ('"' | '\'')) = rest.chars().next() {
        let body = &rest[1..];
        let Some(close) = closing_quote(body, quote == '"') else {
            return err(line_no, "a rule name must be quoted on a single line");
        };
        let name = unquote(&body[..close], quote == '"', line_no)?;
        let after = body[close + 1..].trim_start();
        let Some(value) = after.strip_prefix(':') else {
            return err(
                line_no,
                format!("expected ':' after the rule name {name:?}"),
            );
        };
        if !(value.is_empty() || value.starts_with([' ', '\t'])) {
            return err(
                line_no,
                format!("expected a space after ':' for rule {name:?}"),
            );
        }
        return Ok((name, value.trim()));
    }
    if rest.starts_with(['!', '&', '*', '%', '@', '`', '|', '>', '?']) {
        return err(
            line_no,
            format!("a rule name starting with {:?} must be quoted", &rest[..1]),
        );
    }
    let colon = rest
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| rest[i + 1..].is_empty() || rest[i + 1..].starts_with([' ', '\t']));
    let Some(colon) = colon else {
        return err(line_no, "expected 'name: rule'");
    };
    let name = rest[..colon].trim_end();
    if name.contains(" #") {
        return err(line_no, "expected 'name: rule'");
    }
    Ok((name.to_owned(), rest[colon + 1..].trim()))
}

/// Starts a value: from the text after `name:`, or from the first
/// more-indented line after an empty `name:`.
fn start_value(text: &str, line_no: usize) -> Result<Value, FileError> {
    if let Some(quote @ ('"' | '\'')) = text.chars().next() {
        let double = quote == '"';
        let mut pieces = Vec::new();
        let open = continue_quoted_from(double, &mut pieces, &text[1..], true, line_no)?;
        return Ok(Value::Quoted {
            double,
            pieces,
            open,
        });
    }
    if text == "-" || text.starts_with("- ") {
        return err(line_no, "a rule must be a string, not a YAML sequence");
    }
    if text.starts_with(['[', '{']) {
        return err(
            line_no,
            "a rule must be a string, not a YAML flow collection (quote it)",
        );
    }
    if text.starts_with(['|', '>']) {
        return err(
            line_no,
            "block scalars ('|', '>') are not supported; write the rule as a plain or quoted string",
        );
    }
    if text.starts_with(['!', '&', '*', '%', '@', '`']) || text == "?" || text.starts_with("? ") {
        return err(
            line_no,
            format!(
                "a rule starting with {:?} must be quoted (for example \"{}\")",
                &text[..1],
                text.trim()
            ),
        );
    }
    let mut pieces = Vec::new();
    let closed = push_plain(&mut pieces, text, line_no)?;
    Ok(Value::Plain { pieces, closed })
}

/// Adds one line of a plain scalar; returns whether a comment ended it.
fn push_plain(pieces: &mut Vec<Piece>, text: &str, line_no: usize) -> Result<bool, FileError> {
    let comment = text.find(" #").or_else(|| text.find("\t#"));
    let content = comment.map_or(text, |at| &text[..at]).trim();
    if content.ends_with(':') || content.contains(": ") || content.contains(":\t") {
        return err(
            line_no,
            "a rule must be a string, not a nested YAML mapping (quote the rule if it holds ': ')",
        );
    }
    if content.starts_with("- ") {
        return err(line_no, "a rule must be a string, not a YAML sequence");
    }
    pieces.push(Piece::Text(content.to_owned()));
    Ok(comment.is_some())
}

fn continue_value(p: &mut Pending, rest: &str, line_no: usize) -> Result<(), FileError> {
    match &mut p.value {
        Value::Empty => {
            p.value = start_value(rest, line_no)?;
            Ok(())
        }
        Value::Plain { closed: true, .. } => err(
            line_no,
            format!("rule {:?} continues after a comment", p.name),
        ),
        Value::Plain { pieces, closed } => {
            *closed = push_plain(pieces, rest, line_no)?;
            Ok(())
        }
        Value::Quoted { .. } => err(
            line_no,
            format!("unexpected text after the quoted rule {:?}", p.name),
        ),
    }
}

/// Index of the quote closing a scalar within `s`.
fn closing_quote(s: &str, double: bool) -> Option<usize> {
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (double, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => return Some(i),
            (false, '\'') => {
                if chars.peek().map(|&(_, n)| n) == Some('\'') {
                    chars.next();
                } else {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Adds a line inside an open quoted scalar; returns whether it is still
/// open.
fn continue_quoted(
    double: bool,
    pieces: &mut Vec<Piece>,
    line: &str,
    line_no: usize,
) -> Result<bool, FileError> {
    continue_quoted_from(double, pieces, line, false, line_no)
}

fn continue_quoted_from(
    double: bool,
    pieces: &mut Vec<Piece>,
    text: &str,
    first: bool,
    line_no: usize,
) -> Result<bool, FileError> {
    let (body, open) = match closing_quote(text, double) {
        Some(close) => {
            let after = text[close + 1..].trim();
            if !(after.is_empty()
                || (after.starts_with('#') && text[close + 1..].starts_with([' ', '\t'])))
            {
                return err(line_no, "unexpected text after a quoted rule");
            }
            (&text[..close], false)
        }
        None => (text, true),
    };
    // Leading white space of continuation lines and trailing white space
    // before a line break are not part of the value.
    let mut body = if first { body } else { body.trim_start() };
    if open {
        body = body.trim_end();
    }
    if !first && body.is_empty() && open {
        pieces.push(Piece::Blank);
        return Ok(true);
    }
    let escaped_break = open && double && ends_with_odd_backslashes(body);
    let body = if escaped_break {
        &body[..body.len() - 1]
    } else {
        body
    };
    let value = unquote(body, double, line_no)?;
    pieces.push(if escaped_break {
        Piece::TightText(value)
    } else {
        Piece::Text(value)
    });
    Ok(open)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    let n = s.len() - s.trim_end_matches('\\').len();
    n % 2 == 1
}

/// The content of a quoted scalar: `''` in single quotes, backslash
/// escapes in double quotes.
fn unquote(s: &str, double: bool, line_no: usize) -> Result<String, FileError> {
    if !double {
        return Ok(s.replace("''", "'"));
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next() {
            Some('0') => '\0',
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('t' | '\t') => '\t',
            Some('n') => '\n',
            Some('v') => '\u{b}',
            Some('f') => '\u{c}',
            Some('r') => '\r',
            Some('e') => '\u{1b}',
            Some(' ') => ' ',
            Some('"') => '"',
            Some('/') => '/',
            Some('\\') => '\\',
            Some('N') => '\u{85}',
            Some('_') => '\u{a0}',
            Some(kind @ ('x' | 'u' | 'U')) => {
                let len = match kind {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(len).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == len);
                match code.and_then(char::from_u32) {
                    Some(c) => c,
                    None => return err(line_no, format!("invalid escape \\{kind}{hex}")),
                }
            }
            Some(other) => return err(line_no, format!("invalid escape \\{other}")),
            None => return err(line_no, "a quoted rule ends with a lone backslash"),
        };
        out.push(escaped);
    }
    Ok(out)
}

/// Joins the lines of a multi-line scalar as YAML folds them.
fn fold(pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut blanks = 0;
    let mut tight = false;
    let mut started = false;
    for piece in pieces {
        match piece {
            Piece::Blank => blanks += 1,
            Piece::Text(t) | Piece::TightText(t) => {
                if started {
                    if blanks > 0 {
                        out.extend(std::iter::repeat_n('\n', blanks));
                    } else if !tight {
                        out.push(' ');
                    }
                }
                out.push_str(t);
                blanks = 0;
                started = true;
                tight = matches!(piece, Piece::TightText(_));
            }
        }
    }
    out
}

fn finish(p: Pending) -> Result<FileEntry, FileError> {
    let text = match p.value {
        Value::Empty => String::new(),
        Value::Quoted { open: true, .. } => {
            return err(
                p.line,
                format!("the quoted rule {:?} is never closed", p.name),
            );
        }
        Value::Quoted { pieces, .. } => fold(&pieces),
        Value::Plain { pieces, .. } => {
            let text = fold(&pieces);
            resolve_plain(&text, &p.name, p.line)?
        }
    };
    Ok(FileEntry {
        name: p.name,
        line: Some(p.line),
        rule: RuleText::Text(text),
    })
}

/// What YAML makes of an unquoted value: null becomes the empty rule,
/// booleans and numbers are refused.
fn resolve_plain(text: &str, name: &str, line: usize) -> Result<String, FileError> {
    if matches!(text, "~" | "null" | "Null" | "NULL") {
        return Ok(String::new());
    }
    let is_bool = matches!(
        text.to_ascii_lowercase().as_str(),
        "yes" | "no" | "true" | "false" | "on" | "off"
    ) && (text.chars().all(|c| c.is_ascii_lowercase())
        || text.chars().all(|c| c.is_ascii_uppercase())
        || text[1..].chars().all(|c| c.is_ascii_lowercase()));
    if is_bool {
        return err(
            line,
            format!("rule {name:?} is the YAML boolean {text}, not a rule; quote it"),
        );
    }
    if looks_numeric(text) {
        return err(
            line,
            format!("rule {name:?} is the YAML number {text}, not a rule; quote it"),
        );
    }
    Ok(text.to_owned())
}

fn looks_numeric(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut digits = 0;
    let mut dots = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            '_' => {}
            '.' => dots += 1,
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}
