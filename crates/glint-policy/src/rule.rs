//! oslo.policy check strings: parsed once into a tree, evaluated many times.
//!
//! The language, as oslo.policy implements it:
//!
//! - `@` is always true, `!` always false; the empty string is always true;
//! - `A and B`, `A or B`, `not A`, parentheses; `not` binds tighter than
//!   `and`, which binds tighter than `or`; keywords are case-insensitive;
//! - `rule:NAME` evaluates another rule (see [`RuleLookup`] for what happens
//!   when there is none);
//! - `role:NAME` is true when the caller has that role (case-insensitive);
//! - `http:URL` / `https:URL` ask a remote server in oslo.policy; Glint never
//!   makes that call, so they are always false;
//! - anything else is `KEY:MATCH`: MATCH, after `%(attr)s` substitution from
//!   the target, must equal the caller's credential KEY (any element of a
//!   list such as `roles`; `True`/`False` for booleans), or, when KEY is a
//!   literal (`'public'`, `True`, `42`), the literal itself. A `%(attr)s`
//!   the target lacks makes the check false.
//!
//! Tokens are separated by whitespace, so a check cannot contain spaces.
//! oslo.policy turns a rule it cannot parse into "always false" and a single
//! check without a `:` into a false check; [`Rule::parse`] reports both as
//! errors, [`Rule::parse_lenient`] behaves like oslo and hands back the
//! problems as warnings.

mod parse;

use std::fmt;

use crate::credentials::{CredValue, Credentials, Target};

/// A parsed check string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    source: String,
    root: Node,
}

/// A check string that cannot be parsed, or a part of it oslo would
/// silently turn into a false check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The whole check string.
    pub text: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot parse rule {:?}: {}", self.text, self.problem)
    }
}

impl std::error::Error for ParseError {}

/// Resolves `rule:NAME` references during evaluation.
pub trait RuleLookup {
    /// The rule to evaluate for `rule:NAME`, with the name it is known by
    /// (which differs when a fallback rule stands in), or `None` when the
    /// reference is dangling, which makes the check false.
    fn lookup(&self, name: &str) -> Option<(&str, &Rule)>;
}

/// A set of rules with no fallback: unknown references are false.
impl RuleLookup for std::collections::BTreeMap<String, Rule> {
    fn lookup(&self, name: &str) -> Option<(&str, &Rule)> {
        self.get_key_value(name).map(|(k, v)| (k.as_str(), v))
    }
}

/// No rules at all: every `rule:` reference is false.
pub struct NoRules;

impl RuleLookup for NoRules {
    fn lookup(&self, _name: &str) -> Option<(&str, &Rule)> {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Always,
    Never,
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    RuleRef(String),
    Role(Template),
    Generic {
        subject: Subject,
        expected: Template,
    },
    Remote,
}

/// The left side of a generic check.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    /// A Python literal (`'public'`, `True`, `7`), as its `str()`.
    Literal(String),
    /// A credential key.
    Credential(String),
}

/// The right side of a check: text with `%(attr)s` substitutions.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Template {
    Parts(Vec<Part>),
    /// Not a valid Python format string; the check is false.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Attr(String),
}

impl Rule {
    /// Parses a check string, rejecting anything oslo.policy would treat
    /// as (partly) false because it could not understand it.
    pub fn parse(text: &str) -> Result<Rule, ParseError> {
        let (rule, problems) = parse::parse_text(text);
        match problems.into_iter().next() {
            None => Ok(rule),
            Some(problem) => Err(ParseError {
                text: text.to_owned(),
                problem,
            }),
        }
    }

    /// Parses a check string as oslo.policy does: a rule that cannot be
    /// parsed is always false, a check without `:` is false; the problems
    /// found are returned beside the rule.
    pub fn parse_lenient(text: &str) -> (Rule, Vec<ParseError>) {
        let (rule, problems) = parse::parse_text(text);
        let errors = problems
            .into_iter()
            .map(|problem| ParseError {
                text: text.to_owned(),
                problem,
            })
            .collect();
        (rule, errors)
    }

    /// The legacy list form (`[["role:a", "role:b"], ["role:c"]]`, an `or`
    /// of `and`s of single checks) that JSON policy files may still use.
    pub fn from_list(alternatives: &[Vec<String>]) -> (Rule, Vec<ParseError>) {
        parse::parse_list(alternatives)
    }

    /// The rule that always allows (`""` / `@`).
    pub fn always() -> Rule {
        Rule {
            source: String::new(),
            root: Node::Always,
        }
    }

    /// The rule that never allows (`!`).
    pub fn never() -> Rule {
        Rule {
            source: "!".to_owned(),
            root: Node::Never,
        }
    }

    /// `(a) or (b) or …`, as oslo.policy builds for a rule whose default
    /// changed while old defaults are still honoured.
    pub fn any_of(rules: Vec<Rule>) -> Rule {
        let source = rules
            .iter()
            .map(|r| format!("({})", r.source))
            .collect::<Vec<_>>()
            .join(" or ");
        Rule {
            source,
            root: Node::Or(rules.into_iter().map(|r| r.root).collect()),
        }
    }

    /// The check string this rule was parsed from.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Names of the rules this one refers to with `rule:NAME`.
    pub fn references(&self) -> Vec<&str> {
        let mut out = Vec::new();
        collect_references(&self.root, &mut out);
        out
    }

    /// Evaluates the rule for a caller and a target.
    pub fn evaluate(&self, creds: &Credentials, target: &Target, rules: &dyn RuleLookup) -> bool {
        let mut visiting = Vec::new();
        eval(&self.root, creds, target, rules, &mut visiting)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn collect_references<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    match node {
        Node::RuleRef(name) => out.push(name),
        Node::Not(inner) => collect_references(inner, out),
        Node::And(nodes) | Node::Or(nodes) => {
            for n in nodes {
                collect_references(n, out);
            }
        }
        _ => {}
    }
}

/// How many `rule:` references may be followed in a chain; a longer chain
/// evaluates to false (oslo.policy would hit Python's recursion limit).
const MAX_RULE_DEPTH: usize = 64;

/// `visiting` holds the rules being evaluated above this point; meeting one
/// again is a reference cycle, which evaluates to false instead of looping.
fn eval<'r>(
    node: &'r Node,
    creds: &Credentials,
    target: &Target,
    rules: &'r dyn RuleLookup,
    visiting: &mut Vec<&'r str>,
) -> bool {
    match node {
        Node::Always => true,
        Node::Never | Node::Remote => false,
        Node::Not(inner) => !eval(inner, creds, target, rules, visiting),
        Node::And(nodes) => nodes
            .iter()
            .all(|n| eval(n, creds, target, rules, visiting)),
        Node::Or(nodes) => nodes
            .iter()
            .any(|n| eval(n, creds, target, rules, visiting)),
        Node::RuleRef(name) => {
            let Some((resolved, rule)) = rules.lookup(name) else {
                return false;
            };
            if visiting.contains(&resolved) || visiting.len() >= MAX_RULE_DEPTH {
                return false;
            }
            visiting.push(resolved);
            let result = eval(&rule.root, creds, target, rules, visiting);
            visiting.pop();
            result
        }
        Node::Role(template) => match template.render(target) {
            Some(role) => creds.roles.iter().any(|r| r.eq_ignore_ascii_case(&role)),
            None => false,
        },
        Node::Generic { subject, expected } => {
            let Some(expected) = expected.render(target) else {
                return false;
            };
            match subject {
                Subject::Literal(value) => *value == expected,
                Subject::Credential(key) => match creds.value(key) {
                    Some(CredValue::Str(s)) => s == expected,
                    Some(CredValue::Bool(b)) => python_bool(b) == expected,
                    Some(CredValue::List(items)) => items.contains(&expected),
                    None => false,
                },
            }
        }
    }
}

fn python_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

impl Template {
    /// Substitutes the target's values; `None` when one is missing or the
    /// template is malformed.
    fn render(&self, target: &Target) -> Option<String> {
        let Template::Parts(parts) = self else {
            return None;
        };
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Attr(name) => out.push_str(target.get(name)?),
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests;
