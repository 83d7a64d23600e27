//! S3 location URIs as glance_store writes them:
//! `s3://ACCESS:SECRET@HOST[:PORT]/BUCKET/IMAGE-ID` (`s3+https://` when the
//! endpoint is HTTPS).
//!
//! glance_store puts the credentials in the URI and reads them back from
//! it. Glint writes the same form, so that a Glance sharing the database
//! can read what Glint stored; Glint itself reads only the bucket and the
//! key from a location and always uses the endpoint and credentials of the
//! store's configuration (so rotated credentials keep working).

use glint_domain::{Error, Result};

const SCHEMES: [&str; 3] = ["s3://", "s3+http://", "s3+https://"];

/// The object a location names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

/// The location of `key` in `bucket` on the endpoint `host` (no scheme).
pub fn format(
    https: bool,
    access: &str,
    secret: &str,
    host: &str,
    bucket: &str,
    key: &str,
) -> String {
    let scheme = if https { "s3+https" } else { "s3" };
    format!("{scheme}://{access}:{secret}@{host}/{bucket}/{key}")
}

pub fn parse(location: &str) -> Result<S3Location> {
    let bad = || Error::invalid(format!("not an S3 location: {}", redact(location)));
    let rest = SCHEMES
        .iter()
        .find_map(|s| location.strip_prefix(s))
        .ok_or_else(bad)?;
    if rest.contains("://") {
        return Err(bad());
    }
    // Secret keys may hold `/`: the credentials end at the last `@`.
    let path = match rest.rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    let mut parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let key = parts.pop().filter(|k| !k.is_empty()).ok_or_else(bad)?;
    let bucket = parts.pop().filter(|b| !b.is_empty()).ok_or_else(bad)?;
    if parts.is_empty() {
        return Err(bad());
    }
    Ok(S3Location {
        bucket: bucket.to_string(),
        key: key.to_string(),
    })
}

/// `location` with its credentials hidden, for messages and logs.
pub fn redact(location: &str) -> String {
    match (location.find("://"), location.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            format!("{}***@{}", &location[..s + 3], &location[at + 1..])
        }
        _ => location.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_glance_store_uris() {
        let uri = format(false, "AK", "se/cr+et", "127.0.0.1:9000", "images", "abc");
        assert_eq!(uri, "s3://AK:se/cr+et@127.0.0.1:9000/images/abc");
        let loc = parse(&uri).unwrap();
        assert_eq!((loc.bucket.as_str(), loc.key.as_str()), ("images", "abc"));
        assert_eq!(
            parse("s3+https://s3.amazonaws.com/b/k").unwrap(),
            S3Location {
                bucket: "b".into(),
                key: "k".into()
            }
        );
        assert!(parse("s3://a:b@https://s3.amazonaws.com/b/k").is_err());
        assert!(parse("s3://a:b@host/k").is_err());
        assert!(parse("file:///x").is_err());
        assert_eq!(redact(&uri), "s3://***@127.0.0.1:9000/images/abc");
    }
}
