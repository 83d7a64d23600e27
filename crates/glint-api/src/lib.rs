//! The Image API v2 over HTTP.
//!
//! [`router::app`] lists every route; each resource has one module under
//! [`v2`] with one function per operation. Handlers parse, call one service
//! function and shape the response; errors become Glance's status codes in
//! [`error`].

#![recursion_limit = "256"]

pub mod auth;
pub mod error;
pub mod identity;
pub mod links;
pub mod media_type;
pub mod request_id;
pub mod router;
pub mod state;
pub mod v2;
pub mod versions;

pub use router::app;
pub use state::AppState;
