//! Glint's domain model: the image catalog's types, the rules that decide
//! who sees and changes what, and the one error type every layer shares.
//!
//! Nothing in this crate performs I/O; the repository, store, service and
//! HTTP crates build on it.

pub mod catalog;
pub mod context;
pub mod error;
pub mod image;
pub mod image_query;
pub mod image_rules;
pub mod member;
pub mod metadef;
pub mod task;
pub mod time;
pub mod usage;

pub use catalog::ServiceCatalog;
pub use context::{OnBehalf, RequestContext, ServiceIdentity};
pub use error::{Error, Result};
pub use image::{
    Image, ImageLocation, ImageStatus, ImageUpdate, LocationStatus, NewImage, Visibility,
};
pub use member::{ImageMember, MemberStatus};
pub use task::{Task, TaskQuery, TaskStatus, TaskUpdate};
pub use usage::OwnerUsage;
