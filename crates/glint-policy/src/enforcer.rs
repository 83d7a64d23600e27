//! The enforcer: registered default rules, a policy file's overrides, the
//! scope check and the `default` fallback, as oslo.policy applies them.
//!
//! The rule used for a name is, in order of precedence: the policy file's
//! entry; a rule added with [`Enforcer::add_rules`] (Glance adds property
//! protection rules this way); the registered default, which, while
//! `enforce_new_defaults` is off and the file does not override it, is
//! `(new) or (deprecated)`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::credentials::{Credentials, Scope, Target};
use crate::defaults::{glance_rule_defaults, RuleDefault};
use crate::policy_file::{self, FileError, RuleText};
use crate::rule::{ParseError, Rule, RuleLookup};

/// The `[oslo_policy]` options that change decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcerOptions {
    /// Refuse a token whose scope is not among a registered rule's scope
    /// types. oslo.policy 6.0 removed the option and always checks; Glance
    /// requires oslo.policy >= 6.0, so only `true` is Glance's behaviour.
    pub enforce_scope: bool,
    /// Only the new defaults count. When `false`, a registered rule the
    /// policy file does not override also allows what its deprecated check
    /// string allowed. oslo.policy defaults to `true` (since 4.4), and
    /// Glance no longer overrides it.
    pub enforce_new_defaults: bool,
    /// The rule used for a name that has none (`policy_default_rule`).
    pub policy_default_rule: String,
}

impl Default for EnforcerOptions {
    fn default() -> Self {
        EnforcerOptions {
            enforce_scope: true,
            enforce_new_defaults: true,
            policy_default_rule: "default".to_owned(),
        }
    }
}

/// The outcome of [`Enforcer::enforce`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
}

/// What decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The rule of that name was evaluated.
    Rule,
    /// No rule has that name; this fallback rule (`policy_default_rule`)
    /// was evaluated instead.
    DefaultRule(String),
    /// Refused before evaluation: the token's scope is not one the rule
    /// accepts.
    Scope { token: Scope, accepted: Vec<Scope> },
    /// Refused: no rule of that name and no fallback rule.
    NoRule,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }
}

/// Something in a policy file that does not stop it from loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyWarning {
    /// The rule (or part of it) cannot be parsed; as in oslo.policy, the
    /// unparseable part refuses everything.
    Unparseable {
        name: String,
        line: Option<usize>,
        error: ParseError,
    },
    /// A `rule:` reference to a rule that does not exist (it evaluates the
    /// `default` rule instead, or refuses when there is none).
    UndefinedReference { name: String, reference: String },
    /// The rule can reach itself through `rule:` references; the repeated
    /// reference evaluates to false.
    CyclicReference { name: String },
    /// The name is not a registered rule; harmless when another rule or a
    /// property protection refers to it, a typo otherwise.
    Unregistered { name: String },
    /// The rule is deprecated for removal and no longer consulted.
    DeprecatedForRemoval { name: String },
    /// The entry repeats the default and can be removed.
    Redundant { name: String },
    /// The name appears more than once; the last entry counts.
    Duplicate { name: String, line: Option<usize> },
}

impl fmt::Display for PolicyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyWarning::Unparseable { name, line, error } => {
                if let Some(line) = line {
                    write!(f, "line {line}: ")?;
                }
                write!(f, "rule {name:?}: {error}; the unparseable part refuses everything")
            }
            PolicyWarning::UndefinedReference { name, reference } => write!(
                f,
                "rule {name:?} refers to undefined rule {reference:?} (the default rule applies there)"
            ),
            PolicyWarning::CyclicReference { name } => {
                write!(f, "rule {name:?} is part of a cycle of rule: references")
            }
            PolicyWarning::Unregistered { name } => {
                write!(f, "{name:?} is not a registered policy rule")
            }
            PolicyWarning::DeprecatedForRemoval { name } => write!(
                f,
                "rule {name:?} is deprecated for removal and its value may be ignored"
            ),
            PolicyWarning::Redundant { name } => write!(
                f,
                "rule {name:?} is the same as the default; it can be removed from the policy file"
            ),
            PolicyWarning::Duplicate { name, line } => match line {
                Some(line) => write!(f, "line {line}: rule {name:?} appears again; this entry wins"),
                None => write!(f, "rule {name:?} appears more than once; the last entry wins"),
            },
        }
    }
}

/// Why rules could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The policy file could not be read.
    Read { path: PathBuf, error: String },
    /// The policy file is not a mapping of names to rules.
    File {
        path: Option<PathBuf>,
        error: FileError,
    },
    /// A rule given in code does not parse.
    InvalidRule { name: String, error: ParseError },
    /// Two registered defaults have the same name.
    DuplicateDefault(String),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Read { path, error } => {
                write!(f, "cannot read policy file {}: {error}", path.display())
            }
            PolicyError::File {
                path: Some(p),
                error,
            } => {
                write!(f, "policy file {}: {error}", p.display())
            }
            PolicyError::File { path: None, error } => write!(f, "policy file: {error}"),
            PolicyError::InvalidRule { name, error } => write!(f, "rule {name:?}: {error}"),
            PolicyError::DuplicateDefault(name) => {
                write!(f, "policy rule {name:?} is registered twice")
            }
        }
    }
}

impl std::error::Error for PolicyError {}

struct Registered {
    default: RuleDefault,
    rule: Rule,
    deprecated: Option<Rule>,
}

/// Rules by name, ready to enforce.
pub struct Enforcer {
    options: EnforcerOptions,
    registered: BTreeMap<String, Registered>,
    added_rules: BTreeMap<String, Rule>,
    file_rules: BTreeMap<String, Rule>,
    /// What each name means now, derived from the three above.
    rules: BTreeMap<String, Rule>,
}

impl Enforcer {
    /// Glance's registered rules with oslo.policy's default options.
    pub fn glance_defaults() -> Self {
        Self::glance_with_options(EnforcerOptions::default())
    }

    /// Glance's registered rules with the given options.
    pub fn glance_with_options(options: EnforcerOptions) -> Self {
        // Glance's defaults are fixed text, checked by a unit test.
        Self::new(glance_rule_defaults(), options).expect("Glance's default rules parse")
    }

    /// An enforcer for any set of registered rules.
    pub fn new(defaults: Vec<RuleDefault>, options: EnforcerOptions) -> Result<Self, PolicyError> {
        let mut registered = BTreeMap::new();
        for default in defaults {
            let strict = |text: &str| {
                Rule::parse(text).map_err(|error| PolicyError::InvalidRule {
                    name: default.name.clone(),
                    error,
                })
            };
            let rule = strict(&default.check_str)?;
            let deprecated = default
                .deprecated_check_str
                .as_deref()
                .map(strict)
                .transpose()?;
            let name = default.name.clone();
            let entry = Registered {
                default,
                rule,
                deprecated,
            };
            if registered.insert(name.clone(), entry).is_some() {
                return Err(PolicyError::DuplicateDefault(name));
            }
        }
        let mut enforcer = Enforcer {
            options,
            registered,
            added_rules: BTreeMap::new(),
            file_rules: BTreeMap::new(),
            rules: BTreeMap::new(),
        };
        enforcer.rebuild();
        Ok(enforcer)
    }

    pub fn options(&self) -> &EnforcerOptions {
        &self.options
    }

    /// Reads the policy file at `path` (JSON or YAML, by content), replacing
    /// the rules of any file loaded before.
    pub fn load_policy_file(&mut self, path: &Path) -> Result<Vec<PolicyWarning>, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Read {
            path: path.to_owned(),
            error: e.to_string(),
        })?;
        self.load_policy_str(&text).map_err(|e| match e {
            PolicyError::File { path: None, error } => PolicyError::File {
                path: Some(path.to_owned()),
                error,
            },
            other => other,
        })
    }

    /// Applies a policy file's text (JSON or YAML, by content), replacing
    /// the rules of any file loaded before. Rules that cannot be parsed are
    /// loaded as refusing (oslo.policy's behaviour) and reported among the
    /// warnings.
    pub fn load_policy_str(&mut self, text: &str) -> Result<Vec<PolicyWarning>, PolicyError> {
        let entries =
            policy_file::parse(text).map_err(|error| PolicyError::File { path: None, error })?;
        let mut warnings = Vec::new();
        let mut file_rules = BTreeMap::new();
        for entry in entries {
            let (rule, errors) = match &entry.rule {
                RuleText::Text(text) => Rule::parse_lenient(text),
                RuleText::List(alternatives) => Rule::from_list(alternatives),
            };
            warnings.extend(errors.into_iter().map(|error| PolicyWarning::Unparseable {
                name: entry.name.clone(),
                line: entry.line,
                error,
            }));
            match self.registered.get(&entry.name) {
                Some(reg) if reg.default.deprecated_for_removal => {
                    warnings.push(PolicyWarning::DeprecatedForRemoval {
                        name: entry.name.clone(),
                    });
                }
                Some(reg) if reg.default.check_str == rule.as_str() => {
                    warnings.push(PolicyWarning::Redundant {
                        name: entry.name.clone(),
                    });
                }
                Some(_) => {}
                None => warnings.push(PolicyWarning::Unregistered {
                    name: entry.name.clone(),
                }),
            }
            if file_rules.insert(entry.name.clone(), rule).is_some() {
                warnings.push(PolicyWarning::Duplicate {
                    name: entry.name,
                    line: entry.line,
                });
            }
        }
        self.file_rules = file_rules;
        self.rebuild();
        warnings.extend(self.check_rules());
        Ok(warnings)
    }

    /// Adds rules that are neither registered nor in the policy file (the
    /// policy file still wins for the same name). Unlike a policy file, an
    /// unparseable rule is an error.
    pub fn add_rules<I, N, T>(&mut self, rules: I) -> Result<(), PolicyError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: Into<String>,
        T: AsRef<str>,
    {
        let mut parsed = Vec::new();
        for (name, text) in rules {
            let name = name.into();
            match Rule::parse(text.as_ref()) {
                Ok(rule) => parsed.push((name, rule)),
                Err(error) => return Err(PolicyError::InvalidRule { name, error }),
            }
        }
        self.added_rules.extend(parsed);
        self.rebuild();
        Ok(())
    }

    /// Decides the rule `name` for `creds` on `target`.
    ///
    /// For a registered rule with scope types (and `enforce_scope` on), a
    /// token of another scope is refused first: a system- or domain-scoped
    /// token on Glance's project rules. A name with no rule is decided by
    /// the `default` rule, without a scope check, as oslo.policy's
    /// `enforce` does (Glance itself refuses to check unregistered names).
    pub fn enforce(&self, name: &str, creds: &Credentials, target: &Target) -> Decision {
        if let Some(rule) = self.rules.get(name) {
            if let Some(reg) = self.registered.get(name) {
                let accepted = &reg.default.scope_types;
                let token = creds.token_scope();
                if self.options.enforce_scope && !accepted.is_empty() && !accepted.contains(&token)
                {
                    return Decision {
                        allowed: false,
                        reason: Reason::Scope {
                            token,
                            accepted: accepted.clone(),
                        },
                    };
                }
            }
            return Decision {
                allowed: rule.evaluate(creds, target, self),
                reason: Reason::Rule,
            };
        }
        let fallback = &self.options.policy_default_rule;
        match self.rules.get(fallback) {
            Some(rule) => Decision {
                allowed: rule.evaluate(creds, target, self),
                reason: Reason::DefaultRule(fallback.clone()),
            },
            None => Decision {
                allowed: false,
                reason: Reason::NoRule,
            },
        }
    }

    /// Evaluates an ad-hoc check string against these rules (no scope
    /// check).
    pub fn check_str(
        &self,
        text: &str,
        creds: &Credentials,
        target: &Target,
    ) -> Result<bool, ParseError> {
        Ok(Rule::parse(text)?.evaluate(creds, target, self))
    }

    /// Evaluates a parsed rule against these rules (no scope check).
    pub fn check(&self, rule: &Rule, creds: &Credentials, target: &Target) -> bool {
        rule.evaluate(creds, target, self)
    }

    /// The rule currently used for `name`, if there is one.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.get(name)
    }

    /// Whether `name` is a registered rule (Glance refuses to enforce names
    /// that are not).
    pub fn is_registered(&self, name: &str) -> bool {
        self.registered.contains_key(name)
    }

    /// The registered default for `name`.
    pub fn registered(&self, name: &str) -> Option<&RuleDefault> {
        self.registered.get(name).map(|r| &r.default)
    }

    /// All registered defaults, by name.
    pub fn registered_rules(&self) -> impl Iterator<Item = &RuleDefault> {
        self.registered.values().map(|r| &r.default)
    }

    /// References to undefined rules and reference cycles among the current
    /// rules (oslo.policy logs these when it loads rules).
    pub fn check_rules(&self) -> Vec<PolicyWarning> {
        let mut warnings = Vec::new();
        for (name, rule) in &self.rules {
            for reference in rule.references() {
                if !self.rules.contains_key(reference) {
                    warnings.push(PolicyWarning::UndefinedReference {
                        name: name.clone(),
                        reference: reference.to_owned(),
                    });
                }
            }
        }
        warnings.extend(
            self.rules_on_cycles()
                .into_iter()
                .map(|name| PolicyWarning::CyclicReference { name }),
        );
        warnings
    }

    /// Names of rules that can reach themselves through `rule:` references
    /// (Tarjan's strongly connected components, iteratively, so that a
    /// policy file cannot exhaust the stack).
    fn rules_on_cycles(&self) -> Vec<String> {
        let names: Vec<&str> = self.rules.keys().map(String::as_str).collect();
        let index_of: BTreeMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let edges: Vec<Vec<usize>> = self
            .rules
            .values()
            .map(|rule| {
                rule.references()
                    .into_iter()
                    .filter_map(|r| index_of.get(r).copied())
                    .collect()
            })
            .collect();

        const UNSEEN: usize = usize::MAX;
        let n = names.len();
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut next_index = 0;
        let mut cyclic = vec![false; n];
        for root in 0..n {
            if index[root] != UNSEEN {
                continue;
            }
            // (node, position in its edge list)
            let mut work = vec![(root, 0)];
            index[root] = next_index;
            low[root] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (node, ref mut pos)) = work.last_mut() {
                if let Some(&next) = edges[node].get(*pos) {
                    *pos += 1;
                    if index[next] == UNSEEN {
                        index[next] = next_index;
                        low[next] = next_index;
                        next_index += 1;
                        stack.push(next);
                        on_stack[next] = true;
                        work.push((next, 0));
                    } else if on_stack[next] {
                        low[node] = low[node].min(index[next]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[node]);
                }
                if low[node] == index[node] {
                    let mut component = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        component.push(member);
                        if member == node {
                            break;
                        }
                    }
                    let self_loop = edges[node].contains(&node);
                    if component.len() > 1 || self_loop {
                        for member in component {
                            cyclic[member] = true;
                        }
                    }
                }
            }
        }
        names
            .iter()
            .zip(cyclic)
            .filter(|(_, c)| *c)
            .map(|(n, _)| (*n).to_owned())
            .collect()
    }

    fn rebuild(&mut self) {
        let mut rules = BTreeMap::new();
        for (name, reg) in &self.registered {
            let rule = match &reg.deprecated {
                Some(old)
                    if !self.options.enforce_new_defaults
                        && old.as_str() != reg.rule.as_str()
                        && !self.file_rules.contains_key(name) =>
                {
                    Rule::any_of(vec![reg.rule.clone(), old.clone()])
                }
                _ => reg.rule.clone(),
            };
            rules.insert(name.clone(), rule);
        }
        rules.extend(self.added_rules.iter().map(|(k, v)| (k.clone(), v.clone())));
        rules.extend(self.file_rules.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.rules = rules;
    }
}

/// `rule:NAME` inside the enforcer: a name with no rule evaluates the
/// `default` rule, as oslo.policy's rule store does. (So with Glance's
/// empty `default`, a reference to a misspelt rule allows everyone.)
impl RuleLookup for Enforcer {
    fn lookup(&self, name: &str) -> Option<(&str, &Rule)> {
        if let Some((k, v)) = self.rules.get_key_value(name) {
            return Some((k.as_str(), v));
        }
        self.rules
            .get_key_value(&self.options.policy_default_rule)
            .map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests;
