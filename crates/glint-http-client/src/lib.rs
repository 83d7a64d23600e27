//! The one way Glint's outbound clients (S3 store, HTTP store,
//! web-download and glance-download, Keystone, the registry) connect: a
//! hyper-util client whose connector speaks `http://` and `https://`.
//!
//! TLS is rustls with the `ring` provider, TLS 1.2 and 1.3, HTTP/1.1 only.
//! Whom a client trusts is its [`Trust`]:
//!
//! - [`Trust::System`]: the system's CA store, found as OpenSSL finds it
//!   (`SSL_CERT_FILE` and `SSL_CERT_DIR` first). It is read once per
//!   process, at the first TLS handshake that needs it, never at start-up:
//!   a server that talks only plain HTTP never reads it.
//! - [`Trust::CaFile`]: only the CAs of one PEM file (Glance's `cafile`,
//!   `https_ca_certificates_file`, `s3_store_cacert` options), read when the
//!   client is built, so that a wrong path fails at start-up.
//! - [`Trust::Insecure`]: no certificate verification (Glance's `insecure`
//!   options); the handshake's signatures are still checked.
//!
//! A certificate problem is an ordinary request error; [`describe`] turns it
//! into text such as `invalid peer certificate: UnknownIssuer`.

mod trust;

#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use hyper_rustls::HttpsConnectorBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The connector of every outbound client: plain TCP for `http://`, rustls
/// over it for `https://`.
pub type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A hyper-util client over [`Connector`], sending bodies of type `B`.
pub type Client<B> = hyper_util::client::legacy::Client<Connector, B>;

/// Which server certificates a client accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// Those issued by a CA of the system's store.
    #[default]
    System,
    /// Those issued by a CA of this PEM file (and no other).
    CaFile(PathBuf),
    /// Any: no verification.
    Insecure,
}

impl Trust {
    /// The trust Glance's pair of options gives, where the CA file wins
    /// over `insecure` (glance_store's `https_ca_certificates_file` and
    /// `https_insecure`).
    pub fn ca_file_first(ca_file: Option<PathBuf>, insecure: bool) -> Self {
        match (ca_file, insecure) {
            (Some(file), _) => Trust::CaFile(file),
            (None, true) => Trust::Insecure,
            (None, false) => Trust::System,
        }
    }

    /// The trust keystoneauth's pair of options gives, where `insecure`
    /// wins over the CA file (`[keystone_authtoken] cafile` and `insecure`).
    pub fn insecure_first(ca_file: Option<PathBuf>, insecure: bool) -> Self {
        match (ca_file, insecure) {
            (_, true) => Trust::Insecure,
            (Some(file), false) => Trust::CaFile(file),
            (None, false) => Trust::System,
        }
    }
}

/// A client could not be built: the CA file is missing, unreadable or
/// holds no usable certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(pub String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// A connector for `http://` and `https://` URLs that trusts `trust`.
/// TCP connects give up after `connect_timeout`; Nagle is off (requests
/// are small and latency matters more).
pub fn connector(trust: &Trust, connect_timeout: Duration) -> Result<Connector, TlsError> {
    let mut tcp = HttpConnector::new();
    // The TLS layer above takes https:// URLs; plain TCP must let them by.
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(connect_timeout));
    tcp.set_nodelay(true);
    Ok(HttpsConnectorBuilder::new()
        .with_tls_config(trust::client_config(trust)?)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp))
}

/// A client with hyper-util's default pool over [`connector`]. Callers that
/// tune the pool build their own from [`connector`].
pub fn client<B>(trust: &Trust, connect_timeout: Duration) -> Result<Client<B>, TlsError>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
{
    Ok(
        hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .build(connector(trust, connect_timeout)?),
    )
}

/// An error and its causes, as one line. hyper-util's own summary (`client
/// error (Connect)`) is left out when a cause says more, so a TLS failure
/// reads `invalid peer certificate: UnknownIssuer` and a refused connect
/// `tcp connect error: Connection refused (os error 111)`.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.len() > 1 && parts[0].starts_with("client error (") {
        parts.remove(0);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glance_and_keystoneauth_rank_their_options_differently() {
        let file = || Some(PathBuf::from("/etc/ca.pem"));
        assert_eq!(
            Trust::ca_file_first(file(), true),
            Trust::CaFile("/etc/ca.pem".into())
        );
        assert_eq!(Trust::ca_file_first(None, true), Trust::Insecure);
        assert_eq!(Trust::ca_file_first(None, false), Trust::System);
        assert_eq!(Trust::insecure_first(file(), true), Trust::Insecure);
        assert_eq!(
            Trust::insecure_first(file(), false),
            Trust::CaFile("/etc/ca.pem".into())
        );
        assert_eq!(Trust::insecure_first(None, false), Trust::System);
    }

    #[test]
    fn describe_keeps_the_causes_that_say_something() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::other(
            "invalid peer certificate: UnknownIssuer",
        ));
        assert_eq!(describe(&e), "invalid peer certificate: UnknownIssuer");
        let alone = std::io::Error::other("connection closed");
        assert_eq!(describe(&alone), "connection closed");
    }
}
