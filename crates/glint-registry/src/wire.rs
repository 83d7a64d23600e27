//! The RPC's framing, shared by both ends: a request is a list of
//! `{"command": NAME, "kwargs": {...}}`, an answer the list of their
//! results; a command that failed answers `{"_error": {"cls": KIND, "val":
//! MESSAGE}}` (as Glance's registry did) and ends the batch.

use glint_domain::Error;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The path the RPC is served on.
pub const RPC_PATH: &str = "/rpc";

#[derive(Debug, Serialize, Deserialize)]
pub struct Command {
    pub command: String,
    #[serde(default)]
    pub kwargs: Map<String, Value>,
}

/// The error kinds that cross the wire, one per domain error.
const KINDS: &[&str] = &[
    "NotFound",
    "Forbidden",
    "Conflict",
    "Invalid",
    "Unauthorized",
    "LimitExceeded",
    "UnsupportedMediaType",
    "RangeNotSatisfiable",
    "Internal",
    "Unavailable",
];

fn kind(e: &Error) -> &'static str {
    KINDS[match e {
        Error::NotFound(_) => 0,
        Error::Forbidden(_) => 1,
        Error::Conflict(_) => 2,
        Error::InvalidInput(_) => 3,
        Error::Unauthorized(_) => 4,
        Error::LimitExceeded(_) => 5,
        Error::UnsupportedMediaType(_) => 6,
        Error::RangeNotSatisfiable(_) => 7,
        Error::Internal(_) => 8,
        Error::Unavailable(_) => 9,
    }]
}

/// A failed command's answer.
pub fn encode_error(e: &Error) -> Value {
    json!({"_error": {"cls": kind(e), "val": e.message()}})
}

/// The error an answer carries, if it is one.
pub fn decode_error(answer: &Value) -> Option<Error> {
    let err = answer.as_object()?.get("_error")?;
    let message = err
        .get("val")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some(match err.get("cls").and_then(Value::as_str).unwrap_or("") {
        "NotFound" => Error::NotFound(message),
        "Forbidden" => Error::Forbidden(message),
        "Conflict" => Error::Conflict(message),
        "Invalid" => Error::InvalidInput(message),
        "Unauthorized" => Error::Unauthorized(message),
        "LimitExceeded" => Error::LimitExceeded(message),
        "UnsupportedMediaType" => Error::UnsupportedMediaType(message),
        "RangeNotSatisfiable" => Error::RangeNotSatisfiable(message),
        "Unavailable" => Error::Unavailable(message),
        _ => Error::Internal(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_round_trips() {
        let errors = [
            Error::NotFound("a".into()),
            Error::Forbidden("b".into()),
            Error::Conflict("c".into()),
            Error::InvalidInput("d".into()),
            Error::Unauthorized("e".into()),
            Error::LimitExceeded("f".into()),
            Error::UnsupportedMediaType("g".into()),
            Error::RangeNotSatisfiable("h".into()),
            Error::Internal("i".into()),
            Error::Unavailable("j".into()),
        ];
        for e in errors {
            assert_eq!(decode_error(&encode_error(&e)), Some(e));
        }
        assert_eq!(decode_error(&json!({"id": "x"})), None);
    }
}
