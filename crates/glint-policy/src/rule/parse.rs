//! Tokenizer and parser for check strings.
//!
//! oslo.policy splits on whitespace, peels `(` off the front and `)` off the
//! back of each piece, and reduces the tokens with a shift-reduce parser;
//! the grammar it accepts is the usual one, which this recursive descent
//! follows:
//!
//! ```text
//! or_expr  = and_expr { "or" and_expr }
//! and_expr = not_expr { "and" not_expr }
//! not_expr = "not" not_expr | "(" or_expr ")" | check
//! ```

use super::{Node, Part, Rule, Subject, Template};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A whole piece in quotes; oslo.policy tokenizes it but no grammar
    /// rule accepts it.
    Quoted(String),
    Check(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for piece in text.split_whitespace() {
        let body = piece.trim_start_matches('(');
        tokens.extend(std::iter::repeat_n(Token::Open, piece.len() - body.len()));
        if body.is_empty() {
            continue;
        }
        let clean = body.trim_end_matches(')');
        let closing = body.len() - clean.len();
        if !clean.is_empty() {
            let token = match clean.to_ascii_lowercase().as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                // oslo.policy looks at the piece before removing `)`.
                _ if is_quoted(body) => Token::Quoted(body[1..body.len() - 1].to_owned()),
                _ => Token::Check(clean.to_owned()),
            };
            tokens.push(token);
        }
        tokens.extend(std::iter::repeat_n(Token::Close, closing));
    }
    tokens
}

fn is_quoted(s: &str) -> bool {
    s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
}

/// Parses a check string; problems oslo.policy would turn into "false" are
/// returned beside the rule, which then holds false in their place.
pub(super) fn parse_text(text: &str) -> (Rule, Vec<String>) {
    if text.is_empty() {
        return (Rule::always(), Vec::new());
    }
    let tokens = tokenize(text);
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
        problems: Vec::new(),
    };
    let root = match parser.or_expr() {
        Ok(node) if parser.pos == tokens.len() => node,
        Ok(_) => {
            return never(text, parser.unexpected());
        }
        Err(problem) => return never(text, problem),
    };
    (
        Rule {
            source: text.to_owned(),
            root,
        },
        parser.problems,
    )
}

fn never(text: &str, problem: String) -> (Rule, Vec<String>) {
    (
        Rule {
            source: text.to_owned(),
            root: Node::Never,
        },
        vec![problem],
    )
}

/// The legacy list syntax: an `or` of `and`s of single checks (no
/// operators inside a check). An empty list is always true; a list whose
/// alternatives are all empty is always false.
pub(super) fn parse_list(alternatives: &[Vec<String>]) -> (Rule, Vec<super::ParseError>) {
    let source = alternatives
        .iter()
        .filter(|alt| !alt.is_empty())
        .map(|alt| alt.join(" and "))
        .collect::<Vec<_>>();
    let source = if source.len() > 1 {
        source
            .iter()
            .map(|s| format!("({s})"))
            .collect::<Vec<_>>()
            .join(" or ")
    } else {
        source.concat()
    };
    if alternatives.is_empty() {
        return (Rule::always(), Vec::new());
    }
    let mut problems = Vec::new();
    let mut any = Vec::new();
    for alt in alternatives.iter().filter(|alt| !alt.is_empty()) {
        let mut all: Vec<Node> = alt
            .iter()
            .map(|check| parse_check(check, &mut problems))
            .collect();
        any.push(if all.len() == 1 {
            all.remove(0)
        } else {
            Node::And(all)
        });
    }
    let root = match any.len() {
        0 => Node::Never,
        1 => any.remove(0),
        _ => Node::Or(any),
    };
    let errors = problems
        .into_iter()
        .map(|problem| super::ParseError {
            text: source.clone(),
            problem,
        })
        .collect();
    (Rule { source, root }, errors)
}

/// Deepest nesting of `(` and `not` accepted; deeper input is refused
/// rather than risking the stack.
const MAX_DEPTH: usize = 100;

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    depth: usize,
    /// Checks that parse but that oslo.policy would make false.
    problems: Vec<String>,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.pos)
    }

    fn unexpected(&self) -> String {
        match self.peek() {
            None => "unexpected end of rule".to_owned(),
            Some(Token::Close) => format!("unbalanced ')' (token {})", self.pos + 1),
            Some(Token::Quoted(s)) => {
                format!(
                    "a quoted string ({s:?}) is not a check; quote only the left side of KEY:VALUE"
                )
            }
            Some(Token::And | Token::Or) => {
                format!("operator in the wrong place (token {})", self.pos + 1)
            }
            Some(t) => format!("expected an operator before {t:?} (token {})", self.pos + 1),
        }
    }

    fn or_expr(&mut self) -> Result<Node, String> {
        let mut any = vec![self.and_expr()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            any.push(self.and_expr()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Node::Or(any)
        })
    }

    fn and_expr(&mut self) -> Result<Node, String> {
        let mut all = vec![self.not_expr()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            all.push(self.not_expr()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Node::And(all)
        })
    }

    fn not_expr(&mut self) -> Result<Node, String> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        self.depth += 1;
        let node = self.nested_or_check();
        self.depth -= 1;
        node
    }

    fn nested_or_check(&mut self) -> Result<Node, String> {
        match self.peek() {
            Some(Token::Not) => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.not_expr()?)))
            }
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or_expr()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(match self.peek() {
                        None => "missing ')'".to_owned(),
                        Some(_) => self.unexpected(),
                    });
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Check(text)) => {
                self.pos += 1;
                Ok(parse_check(text, &mut self.problems))
            }
            _ => Err(self.unexpected()),
        }
    }
}

/// One check (`role:admin`, `rule:x`, `'public':%(visibility)s`, `@`, `!`).
fn parse_check(text: &str, problems: &mut Vec<String>) -> Node {
    match text {
        "@" => return Node::Always,
        "!" => return Node::Never,
        _ => {}
    }
    let Some((kind, matched)) = text.split_once(':') else {
        problems.push(format!(
            "{text:?} is not a check (expected KIND:VALUE, `@` or `!`)"
        ));
        return Node::Never;
    };
    match kind {
        "rule" => Node::RuleRef(matched.to_owned()),
        "role" => Node::Role(template(matched, problems)),
        "http" | "https" => Node::Remote,
        _ => Node::Generic {
            subject: subject(kind),
            expected: template(matched, problems),
        },
    }
}

/// The left side of a generic check: a Python literal (what oslo.policy's
/// `ast.literal_eval` accepts, in the forms policies use) or a credential
/// key.
fn subject(kind: &str) -> Subject {
    if is_quoted(kind) {
        return Subject::Literal(unescape_python(&kind[1..kind.len() - 1]));
    }
    if matches!(kind, "True" | "False" | "None") {
        return Subject::Literal(kind.to_owned());
    }
    let digits = kind.strip_prefix('-').unwrap_or(kind);
    let is_int = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if is_int {
        let normalized = if digits == "0" { "0" } else { kind };
        return Subject::Literal(normalized.to_owned());
    }
    Subject::Credential(kind.to_owned())
}

fn unescape_python(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(c @ ('\\' | '\'' | '"')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The right side of a check, a Python `%` format applied to the target:
/// `%(name)s` substitutes, `%%` is a percent sign; anything else is an
/// error in oslo.policy at evaluation time, so the check is false.
fn template(text: &str, problems: &mut Vec<String>) -> Template {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        literal.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            literal.push('%');
            rest = tail;
            continue;
        }
        let attr = after
            .strip_prefix('(')
            .and_then(|a| a.split_once(')'))
            .and_then(|(name, tail)| tail.strip_prefix('s').map(|tail| (name, tail)));
        let Some((name, tail)) = attr else {
            problems.push(format!(
                "{text:?} is not a valid substitution (use %(name)s, or %% for a percent sign)"
            ));
            return Template::Invalid;
        };
        if !literal.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut literal)));
        }
        parts.push(Part::Attr(name.to_owned()));
        rest = tail;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Template::Parts(parts)
}
