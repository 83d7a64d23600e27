//! The rustls side: one client configuration per [`Trust`], each with the
//! certificate verifier that trust calls for.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::{TlsError, Trust};

/// rustls' `ring` provider, made once.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

pub(crate) fn client_config(trust: &Trust) -> Result<ClientConfig, TlsError> {
    let verifier: Arc<dyn ServerCertVerifier> = match trust {
        Trust::System => Arc::new(Verifier {
            provider: provider(),
            check: Check::SystemStore,
        }),
        Trust::CaFile(path) => ca_file_verifier(path)?,
        Trust::Insecure => Arc::new(Verifier {
            provider: provider(),
            check: Check::Nothing,
        }),
    };
    Ok(ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError(format!("TLS set-up: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// A verifier trusting exactly the CAs of the PEM file at `path`.
fn ca_file_verifier(path: &Path) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError(format!("CA file {shown}: {}", pem_error(e))))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("CA file {shown}: {}", pem_error(e))))?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| TlsError(format!("CA file {shown}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(TlsError(format!(
            "CA file {shown} holds no PEM certificate"
        )));
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| TlsError(format!("CA file {shown}: {e}")))?;
    Ok(verifier)
}

fn pem_error(e: rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => io.to_string(),
        other => format!("not PEM ({other:?})"),
    }
}

/// The verifier of the system's CA store, or why there is none. Built at
/// the first handshake that asks, then kept for the life of the process.
fn system_verifier() -> Result<Arc<WebPkiServerVerifier>, String> {
    static SYSTEM: OnceLock<Result<Arc<WebPkiServerVerifier>, String>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!(error = %e, "reading the system CA store");
            }
            let mut roots = RootCertStore::empty();
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, ignored, "system CA store loaded");
            if roots.is_empty() {
                return Err("no CA certificate found in the system store \
                     (install ca-certificates, or set SSL_CERT_FILE or SSL_CERT_DIR)"
                    .to_string());
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| format!("system CA store: {e}"))
        })
        .clone()
}

/// What a [`Verifier`] checks of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// That a CA of the system's store, read on first use, issued it.
    SystemStore,
    /// Nothing: the handshake's signatures are still checked, so the peer
    /// holds the key of the certificate it showed.
    Nothing,
}

#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    check: Check,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.check {
            Check::SystemStore => system_verifier()
                .map_err(rustls::Error::General)?
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
            Check::Nothing => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
