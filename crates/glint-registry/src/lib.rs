//! The registry: a service that owns the database, for deployments that
//! keep database credentials off the hosts serving the Image API.
//!
//! - [`server::app`] is `glint registry`: the registry v1 REST API over
//!   images ([`v1`]) and the repository RPC ([`rpc`]), behind the same
//!   authentication as `glint serve`.
//! - [`RemoteRepository`] is the other end: a [`glint_db::Repository`] whose
//!   every operation is one RPC command, so that `glint serve` with
//!   `data_api = registry` runs unchanged on top of it.
//!
//! The caller's identity travels with each call: [`caller::forward`] keeps
//! the identity headers of the request being served, the remote repository
//! sends them along, and the registry authenticates them as `glint serve`
//! would and enforces them ([`guard`]).

pub mod caller;
mod client;
pub mod guard;
pub mod rpc;
pub mod server;
pub mod v1;
mod wire;

pub use client::RemoteRepository;
pub use server::app;
pub mod testing;
