//! The domain error: what went wrong, in the image service's words.
//!
//! Every layer (repository, store, services) returns this type; the HTTP
//! layer maps each variant to the status code Glance answers with, in one
//! place (`glint-api`'s `error` module). Messages are shown to API users, so
//! they name the offending value and say what would be accepted.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The thing does not exist, or the caller may not see it (→ 404).
    NotFound(String),
    /// The caller sees the thing but may not do this to it (→ 403).
    Forbidden(String),
    /// The request is well-formed but clashes with current state (→ 409).
    Conflict(String),
    /// The request itself is malformed or invalid (→ 400).
    InvalidInput(String),
    /// No valid identity (→ 401).
    Unauthorized(String),
    /// A quota or size limit would be exceeded (→ 413).
    LimitExceeded(String),
    /// The request body has a media type the operation does not accept (→ 415).
    UnsupportedMediaType(String),
    /// The requested byte range lies outside the image's data (→ 416).
    RangeNotSatisfiable(String),
    /// A backing service (database, store) failed (→ 500).
    Internal(String),
    /// A service this one depends on (the registry) cannot be reached; the
    /// operation was not carried out (→ 503).
    Unavailable(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Error::Forbidden(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Error::Conflict(msg.into())
    }
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }
    pub fn internal(msg: impl Into<String>) -> Self {
        Error::Internal(msg.into())
    }
    pub fn image_not_found(id: &str) -> Self {
        Error::NotFound(format!("No image found with ID {id}"))
    }
    /// A compare-and-swap on an image's status lost: it is no longer in
    /// `status`.
    pub fn image_left_status(id: &str, status: impl fmt::Display) -> Self {
        Error::Conflict(format!("Image {id} is no longer {status}"))
    }
    pub fn message(&self) -> &str {
        match self {
            Error::NotFound(m)
            | Error::Forbidden(m)
            | Error::Conflict(m)
            | Error::InvalidInput(m)
            | Error::Unauthorized(m)
            | Error::LimitExceeded(m)
            | Error::UnsupportedMediaType(m)
            | Error::RangeNotSatisfiable(m)
            | Error::Internal(m)
            | Error::Unavailable(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}
