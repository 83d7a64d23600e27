//! Request bodies: the JSON object a write needs.

use serde_json::{Map, Value};

use crate::error::{DashError, DashResult};

/// The body as a JSON object; an empty body is 400 `request requires JSON
/// body`, as Horizon answers.
pub fn json_object(body: &[u8]) -> DashResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DashError::bad_request("request requires JSON body"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) if !map.is_empty() => Ok(map),
        Ok(Value::Object(_)) => Err(DashError::bad_request("request requires JSON body")),
        Ok(_) => Err(DashError::bad_request("request body must be a JSON object")),
        Err(e) => Err(DashError::bad_request(format!(
            "malformed JSON request: {e}"
        ))),
    }
}
