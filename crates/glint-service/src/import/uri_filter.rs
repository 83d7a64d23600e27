//! Which URLs web-download may fetch: Glance's `[import_filtering_opts]`.
//! Each of scheme, host and port passes when it is on its allow list, or,
//! when that list is empty, when it is not on its deny list.

use glint_config::UriFilter;
use glint_domain::{Error, Result};

/// A URL web-download may fetch, split into what the filter looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUri {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    /// Path and query, `/` at least.
    pub path_and_query: String,
}

fn passes<T: PartialEq>(value: &T, allowed: &[T], disallowed: &[T]) -> bool {
    if allowed.is_empty() {
        !disallowed.contains(value)
    } else {
        allowed.contains(value)
    }
}

fn refused(uri: &str, why: &str) -> Error {
    Error::invalid(format!(
        "URI for web-download does not pass filtering: {uri} ({why})"
    ))
}

/// Parses `uri` and checks it against `filter`.
pub fn check(uri: &str, filter: &UriFilter) -> Result<CheckedUri> {
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| Error::invalid(format!("'{uri}' is not a URI")))?;
    let scheme = scheme.to_ascii_lowercase();
    if !passes(&scheme, &filter.allowed_schemes, &filter.disallowed_schemes) {
        return Err(refused(uri, &format!("scheme {scheme} is not allowed")));
    }
    let (authority, path_and_query) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path_and_query = path_and_query.split('#').next().unwrap_or("/");
    let path_and_query = if path_and_query.starts_with('/') {
        path_and_query.to_string()
    } else {
        format!("/{path_and_query}")
    };
    if authority.contains('@') {
        return Err(refused(uri, "credentials in the URI are not accepted"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            if let Ok(port) = port.parse::<u16>() {
                (host, Some(port))
            } else if port.is_empty() {
                (host, None)
            } else {
                return Err(refused(uri, "the port is not a number"));
            }
        }
        _ => (authority, None),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if host.is_empty() {
        return Err(refused(uri, "no host"));
    }
    let port = match (port, scheme.as_str()) {
        (Some(p), _) => p,
        (None, "http") => 80,
        (None, "https") => 443,
        (None, "ftp") => 21,
        (None, _) => return Err(refused(uri, "no port")),
    };
    if !passes(&host, &filter.allowed_hosts, &filter.disallowed_hosts) {
        return Err(refused(uri, &format!("host {host} is not allowed")));
    }
    if !passes(&port, &filter.allowed_ports, &filter.disallowed_ports) {
        return Err(refused(uri, &format!("port {port} is not allowed")));
    }
    Ok(CheckedUri {
        scheme,
        host,
        port,
        path_and_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> UriFilter {
        UriFilter {
            allowed_schemes: vec!["http".into(), "https".into()],
            disallowed_schemes: vec![],
            allowed_hosts: vec![],
            disallowed_hosts: vec!["169.254.169.254".into()],
            allowed_ports: vec![80, 443],
            disallowed_ports: vec![],
        }
    }

    #[test]
    fn default_filter_takes_http_on_standard_ports() {
        let u = check("http://Images.Example.com/cirros.img?x=1#frag", &filter()).unwrap();
        assert_eq!(u.host, "images.example.com");
        assert_eq!(u.port, 80);
        assert_eq!(u.path_and_query, "/cirros.img?x=1");
        assert_eq!(check("https://example.com", &filter()).unwrap().port, 443);
    }

    #[test]
    fn refusals_name_the_reason() {
        let f = filter();
        for (uri, why) in [
            ("file:///etc/passwd", "scheme file"),
            ("ftp://example.com/x", "scheme ftp"),
            ("http://example.com:8080/x", "port 8080"),
            ("http://169.254.169.254/latest", "host 169.254.169.254"),
            ("http://user:pw@example.com/x", "credentials"),
        ] {
            let e = check(uri, &f).unwrap_err();
            assert!(matches!(e, Error::InvalidInput(_)), "{uri}");
            assert!(e.message().contains(why), "{uri}: {e}");
        }
        assert!(check("not a uri", &f).is_err());
    }

    #[test]
    fn empty_allow_lists_fall_back_to_deny_lists() {
        let f = UriFilter {
            allowed_schemes: vec![],
            disallowed_schemes: vec!["ftp".into()],
            allowed_hosts: vec!["127.0.0.1".into()],
            disallowed_hosts: vec![],
            allowed_ports: vec![],
            disallowed_ports: vec![22],
        };
        assert_eq!(check("http://127.0.0.1:9999/a", &f).unwrap().port, 9999);
        assert!(check("http://127.0.0.1:22/a", &f).is_err());
        assert!(check("http://10.0.0.1/a", &f).is_err());
        assert!(check("ftp://127.0.0.1/a", &f).is_err());
        assert_eq!(
            check(
                "http://[::1]:8000/a",
                &UriFilter {
                    allowed_hosts: vec!["::1".into()],
                    ..f
                }
            )
            .unwrap()
            .host,
            "::1"
        );
    }
}
