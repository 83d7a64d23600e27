//! Glance's property protections (`property_protection_file` with
//! `property_protection_rule_format = roles | policies`): who may create,
//! read, update and delete image properties whose names match a section.
//!
//! What Glance does, and so what this does:
//!
//! - The file is INI. Each section name is a regular expression; each
//!   section must have all four of `create`, `read`, `update`, `delete`
//!   (directly or through `[DEFAULT]`), else the file is invalid.
//! - Sections are tried in file order and the first whose expression is
//!   *found anywhere* in the property name decides (Python `re.search`, so
//!   anchor with `^…$` to match whole names). A property that no section
//!   matches is refused for every operation.
//! - Before the file's sections comes a built-in `[os_glance.*]` section
//!   that allows everything; sections of the file whose names start with
//!   `os_glance` are dropped. (Being a search, it matches any name that
//!   merely contains `os_glance`.)
//! - `roles` format: a comma-separated list of roles; the caller needs one
//!   of them among its roles or its service roles (compared lower-cased).
//!   `@` allows everyone, `!` no one; `@` and `!` in the same list make the
//!   file invalid. An empty value allows no one.
//! - `policies` format: one policy rule name per operation (a comma makes
//!   the file invalid); Glance registers `SECTION:OP` = `rule:POLICY` and
//!   enforces it with an empty target, so a policy name that does not exist
//!   falls to the `default` rule, which allows everyone in Glance's
//!   defaults. `@` and `!` work as in the roles format.
//! - A section that is not a valid expression makes the file invalid.
//!
//! Glance reports every invalid file as `InvalidPropertyProtectionConfiguration`
//! and refuses to start.

use std::fmt;

use regex_lite::Regex;

use crate::credentials::{Credentials, Target};
use crate::enforcer::{Enforcer, PolicyError};
use crate::ini;
use crate::rule::Rule;

/// The operations a section governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];

    /// The option name in the file (`create`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }

    fn index(self) -> usize {
        match self {
            Operation::Create => 0,
            Operation::Read => 1,
            Operation::Update => 2,
            Operation::Delete => 3,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `property_protection_rule_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleFormat {
    #[default]
    Roles,
    Policies,
}

impl RuleFormat {
    /// Reads the option value (case-insensitive, as Glance lower-cases it).
    pub fn parse(value: &str) -> Option<RuleFormat> {
        match value.to_ascii_lowercase().as_str() {
            "roles" => Some(RuleFormat::Roles),
            "policies" => Some(RuleFormat::Policies),
            _ => None,
        }
    }
}

/// Why a property protection file is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyProtectionError {
    /// Not readable as an INI file.
    Syntax { line: usize, message: String },
    /// A section lacks an operation.
    MissingOperation {
        section: String,
        operation: Operation,
    },
    /// A section name is not a valid regular expression.
    InvalidExpression { section: String, error: String },
    /// `@` and `!` in one roles list.
    EveryoneAndNoOne {
        section: String,
        operation: Operation,
    },
    /// More than one policy for an operation.
    SeveralPolicies {
        section: String,
        operation: Operation,
    },
    /// A `%` in a value that is not valid interpolation.
    Interpolation(String),
}

impl fmt::Display for PropertyProtectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PropertyProtectionError::*;
        match self {
            Syntax { line, message } => {
                write!(f, "property protection file, line {line}: {message}")
            }
            MissingOperation { section, operation } => {
                write!(
                    f,
                    "property protection section [{section}] has no '{operation}' operation"
                )
            }
            InvalidExpression { section, error } => write!(
                f,
                "property protection section [{section}] is not a valid regular expression: {error}"
            ),
            EveryoneAndNoOne { section, operation } => write!(
                f,
                "property protection [{section}] {operation}: '@' and '!' are mutually exclusive"
            ),
            SeveralPolicies { section, operation } => write!(
                f,
                "property protection [{section}] {operation}: only one policy is allowed per \
                 operation; combine policies in the policy file"
            ),
            Interpolation(message) => write!(f, "property protection file: {message}"),
        }
    }
}

impl std::error::Error for PropertyProtectionError {}

#[derive(Debug, Clone)]
enum Permission {
    Everyone,
    NoOne,
    /// Lower-cased role names; empty allows no one.
    Roles(Vec<String>),
    Policy {
        name: String,
        /// `rule:NAME`, evaluated when the enforcer has no `SECTION:OP` rule.
        rule: Rule,
    },
}

#[derive(Debug, Clone)]
struct Section {
    name: String,
    expression: Regex,
    permissions: [Permission; 4],
}

/// A loaded property protection file.
#[derive(Debug, Clone)]
pub struct PropertyProtections {
    format: RuleFormat,
    sections: Vec<Section>,
}

/// Glance's built-in first section.
const OS_GLANCE_SECTION: &str = "os_glance.*";

impl PropertyProtections {
    /// Reads a property protection file.
    pub fn parse(text: &str, format: RuleFormat) -> Result<Self, PropertyProtectionError> {
        let file = ini::parse(text).map_err(|e| PropertyProtectionError::Syntax {
            line: e.line,
            message: e.message,
        })?;
        let mut sections = vec![Section {
            name: OS_GLANCE_SECTION.to_owned(),
            expression: compile(OS_GLANCE_SECTION)?,
            permissions: std::array::from_fn(|_| Permission::Everyone),
        }];
        for section in file
            .sections
            .iter()
            .filter(|s| !s.name.starts_with("os_glance"))
        {
            let expression = compile(&section.name)?;
            let mut permissions: [Permission; 4] = std::array::from_fn(|_| Permission::NoOne);
            for operation in Operation::ALL {
                let value = file
                    .get(section, operation.as_str())
                    .map_err(PropertyProtectionError::Interpolation)?
                    .ok_or_else(|| PropertyProtectionError::MissingOperation {
                        section: section.name.clone(),
                        operation,
                    })?;
                permissions[operation.index()] =
                    permission(&section.name, operation, &value, format)?;
            }
            sections.push(Section {
                name: section.name.clone(),
                expression,
                permissions,
            });
        }
        Ok(PropertyProtections { format, sections })
    }

    /// Reads the file at `path`; Glance refuses to start when it is missing.
    pub fn load(
        path: &std::path::Path,
        format: RuleFormat,
    ) -> Result<Self, PropertyProtectionError> {
        let text = std::fs::read_to_string(path).map_err(|e| PropertyProtectionError::Syntax {
            line: 0,
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        Self::parse(&text, format)
    }

    pub fn format(&self) -> RuleFormat {
        self.format
    }

    /// Section names in the order they are tried, the built-in
    /// `os_glance.*` first.
    pub fn sections(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.name.as_str())
    }

    /// Operations left empty in the file, which no one may perform (Glance
    /// logs a warning for each).
    pub fn unassigned_operations(&self) -> Vec<(&str, Operation)> {
        let mut out = Vec::new();
        for section in &self.sections {
            for operation in Operation::ALL {
                if matches!(&section.permissions[operation.index()], Permission::Roles(r) if r.is_empty())
                {
                    out.push((section.name.as_str(), operation));
                }
            }
        }
        out
    }

    /// The rules Glance adds to its enforcer in `policies` format:
    /// `SECTION:OP` → `rule:POLICY`. Register them with
    /// [`Enforcer::add_rules`] (or [`PropertyProtections::register`]) so a
    /// policy file can override them by name, as in Glance.
    pub fn policy_rules(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for section in &self.sections {
            for operation in Operation::ALL {
                if let Permission::Policy { name, .. } = &section.permissions[operation.index()] {
                    out.push((
                        format!("{}:{operation}", section.name),
                        format!("rule:{name}"),
                    ));
                }
            }
        }
        out
    }

    /// Adds [`PropertyProtections::policy_rules`] to `enforcer`.
    pub fn register(&self, enforcer: &mut Enforcer) -> Result<(), PolicyError> {
        enforcer.add_rules(self.policy_rules())
    }

    /// Whether `creds` may perform `operation` on the property `name`.
    pub fn allowed(
        &self,
        name: &str,
        operation: Operation,
        creds: &Credentials,
        enforcer: &Enforcer,
    ) -> bool {
        let Some(section) = self.sections.iter().find(|s| s.expression.is_match(name)) else {
            return false;
        };
        match &section.permissions[operation.index()] {
            Permission::Everyone => true,
            Permission::NoOne => false,
            Permission::Roles(allowed) => creds
                .roles
                .iter()
                .chain(&creds.service_roles)
                .any(|role| allowed.contains(&role.to_lowercase())),
            Permission::Policy { rule, .. } => {
                let registered = format!("{}:{operation}", section.name);
                let empty = Target::new();
                if enforcer.rule(&registered).is_some() {
                    enforcer.enforce(&registered, creds, &empty).allowed
                } else {
                    enforcer.check(rule, creds, &empty)
                }
            }
        }
    }
}

fn compile(expression: &str) -> Result<Regex, PropertyProtectionError> {
    Regex::new(expression).map_err(|e| PropertyProtectionError::InvalidExpression {
        section: expression.to_owned(),
        error: e.to_string(),
    })
}

fn permission(
    section: &str,
    operation: Operation,
    value: &str,
    format: RuleFormat,
) -> Result<Permission, PropertyProtectionError> {
    if value.is_empty() {
        return Ok(Permission::Roles(Vec::new()));
    }
    match format {
        RuleFormat::Policies => {
            if value.contains(',') {
                return Err(PropertyProtectionError::SeveralPolicies {
                    section: section.to_owned(),
                    operation,
                });
            }
            Ok(match value {
                "@" => Permission::Everyone,
                "!" => Permission::NoOne,
                name => {
                    // Same construction as Glance's `rule:%s`; a name with
                    // spaces does not parse and, as in oslo, refuses.
                    let (rule, _) = Rule::parse_lenient(&format!("rule:{name}"));
                    Permission::Policy {
                        name: name.to_owned(),
                        rule,
                    }
                }
            })
        }
        RuleFormat::Roles => {
            let roles: Vec<&str> = value.split(',').map(str::trim).collect();
            let everyone = roles.contains(&"@");
            let no_one = roles.contains(&"!");
            if everyone && no_one {
                return Err(PropertyProtectionError::EveryoneAndNoOne {
                    section: section.to_owned(),
                    operation,
                });
            }
            Ok(if no_one {
                Permission::NoOne
            } else if everyone {
                Permission::Everyone
            } else {
                Permission::Roles(roles.iter().map(|r| r.to_lowercase()).collect())
            })
        }
    }
}

#[cfg(test)]
mod tests;
