//! DICOM over TLS (PS3.15 B.1, BCP 195): the TLS port's server configuration.
//! TLS 1.2 and 1.3 with rustls' safe defaults (forward-secret AEAD suites only,
//! which DCMTK's non-downgrading BCP 195 profile also asks for).

use std::sync::Arc;

use noctis_core::config::DicomTlsConfig;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("dicom.tls.{field}: cannot read {path}: {source}")]
    Read { field: &'static str, path: String, source: std::io::Error },
    #[error("dicom.tls.{field}: {message}")]
    Pem { field: &'static str, message: String },
    #[error("dicom.tls: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("dicom.tls.client_ca: {0}")]
    ClientVerifier(#[from] rustls::server::VerifierBuilderError),
}

/// A setting's PEM: the text itself when it looks like PEM, else a file to read.
fn pem(field: &'static str, value: &str) -> Result<Vec<u8>, TlsSetupError> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value).map_err(|source| TlsSetupError::Read { field, path: value.to_owned(), source })
}

fn certificates(field: &'static str, value: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let bytes = pem(field, value)?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::Pem { field, message: e.to_string() })?;
    if certificates.is_empty() {
        return Err(TlsSetupError::Pem { field, message: "no CERTIFICATE block".into() });
    }
    Ok(certificates)
}

/// The TLS port's handshake, shared by its connections.
#[derive(Clone)]
pub struct Acceptor(pub TlsAcceptor);

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor").finish_non_exhaustive()
    }
}

/// The acceptor for the TLS port.
pub fn acceptor(config: &DicomTlsConfig) -> Result<Acceptor, TlsSetupError> {
    let chain = certificates("certificate", &config.certificate)?;
    let key = PrivateKeyDer::from_pem_slice(&pem("private_key", config.private_key.expose())?)
        .map_err(|e| TlsSetupError::Pem { field: "private_key", message: e.to_string() })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = match &config.client_ca {
        None => builder.with_no_client_auth(),
        Some(cas) => {
            let mut roots = RootCertStore::empty();
            for ca in certificates("client_ca", cas)? {
                roots.add(ca)?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build()?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let server = builder.with_single_cert(chain, key)?;
    Ok(Acceptor(TlsAcceptor::from(Arc::new(server))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(certificate: &str, private_key: &str) -> DicomTlsConfig {
        DicomTlsConfig {
            port: 2762,
            certificate: certificate.into(),
            private_key: noctis_core::config::Secret::new(private_key),
            client_ca: None,
        }
    }

    #[test]
    fn a_missing_file_names_the_setting_and_the_path() {
        let error = acceptor(&config("/nonexistent/cert.pem", "/nonexistent/key.pem")).err().map(|e| e.to_string());
        let error = error.unwrap_or_default();
        assert!(error.starts_with("dicom.tls.certificate: cannot read /nonexistent/cert.pem"), "{error}");
    }

    #[test]
    fn pem_text_without_a_certificate_is_refused_by_name() {
        let error = acceptor(&config("-----BEGIN NOTHING-----\n-----END NOTHING-----\n", "unused"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(error, "dicom.tls.certificate: no CERTIFICATE block");
    }
}
