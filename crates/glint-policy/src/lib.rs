//! Authorization as Glance does it: the oslo.policy rule language, the
//! rules Glance registers (its secure-RBAC defaults, with the deprecated
//! ones it still honours on request), policy-file overrides in YAML or JSON,
//! and property protections.
//!
//! - [`rule`]: parse a check string once ([`Rule::parse`]), evaluate it many
//!   times ([`Rule::evaluate`]).
//! - [`Enforcer`]: the rules by name; [`Enforcer::enforce`] makes a decision
//!   with the scope check and the `default` fallback oslo.policy applies.
//! - [`PropertyProtections`]: who may create, read, update or delete which
//!   image properties.
//!
//! The caller builds the [`Credentials`] from the request context and the
//! [`Target`] from the object acted on, as Glance does; see
//! [`image_target`] for the subtle part (`member_id`).
//!
//! No I/O beyond reading the files it is asked to read.

mod credentials;
mod defaults;
mod enforcer;
mod ini;
mod policy_file;
pub mod property_protection;
pub mod rule;

pub use credentials::{
    image_target, namespace_target, new_image_target, project_target, target, CredValue,
    Credentials, Scope, Target,
};
pub use defaults::{glance_rule_defaults, RuleDefault};
pub use enforcer::{Decision, Enforcer, EnforcerOptions, PolicyError, PolicyWarning, Reason};
pub use policy_file::FileError;
pub use property_protection::{
    Operation, PropertyProtectionError, PropertyProtections, RuleFormat,
};
pub use rule::{ParseError, Rule, RuleLookup};
