//! Timestamps as the Image API writes and reads them.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// The current time, truncated to microseconds: what every database engine
/// Glint supports can store without rounding.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `2016-06-29T16:13:07Z`: Glance's `isotime` form for API responses.
pub fn to_api(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses an ISO 8601 timestamp as clients send them in filters
/// (`2016-04-18T21:38:54Z`, with an offset, or without a zone meaning UTC).
pub fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_clients_send() {
        let want = parse_iso8601("2016-04-18T21:38:54Z").unwrap();
        assert_eq!(parse_iso8601("2016-04-18T21:38:54"), Some(want));
        assert_eq!(parse_iso8601("2016-04-18T23:38:54+02:00"), Some(want));
        assert_eq!(parse_iso8601("2016-04-18T21:38:54.000Z"), Some(want));
        assert!(parse_iso8601("2016-04-18").is_some());
        assert!(parse_iso8601("yesterday").is_none());
        assert_eq!(to_api(&want), "2016-04-18T21:38:54Z");
    }
}
