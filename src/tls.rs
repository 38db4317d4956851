//! TLS material for the listener and the notification pusher alike: rustls with the
//! aws-lc-rs provider, certificates and keys from PEM files, the client-certificate
//! verifier when mutual TLS is accepted, and certificate fingerprints.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::domain::CertificateFingerprint;

#[derive(Debug, Error)]
pub enum TlsError {
    #[error("cannot read certificates from {path}: {reason}")]
    Certificates { path: PathBuf, reason: String },
    #[error("{path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("cannot read the private key from {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("TLS configuration refused: {0}")]
    Config(#[from] rustls::Error),
    #[error("client CA {path} cannot be used: {reason}")]
    ClientCa { path: PathBuf, reason: String },
}

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Certificates {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Key {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Where the server's identity and the trusted client CA live.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub certificate_chain: PathBuf,
    pub private_key: PathBuf,
    /// CA whose certificates identify institutions; `None` = no mutual TLS.
    pub client_ca: Option<PathBuf>,
}

/// Builds the server configuration. With a client CA, a client certificate is asked
/// for; it is mandatory when `require_client_certificate` (no other way to log in).
pub fn server_config(
    files: &TlsFiles,
    require_client_certificate: bool,
) -> Result<ServerConfig, TlsError> {
    let provider = provider();
    let chain = load_certificates(&files.certificate_chain)?;
    let key = load_key(&files.private_key)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let mut config = match &files.client_ca {
        Some(ca_path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in load_certificates(ca_path)? {
                roots.add(cert).map_err(|e| TlsError::ClientCa {
                    path: ca_path.clone(),
                    reason: e.to_string(),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if require_client_certificate {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            let verifier = verifier.build().map_err(|e| TlsError::ClientCa {
                path: ca_path.clone(),
                reason: e.to_string(),
            })?;
            builder
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)?
        }
        None => builder.with_no_client_auth().with_single_cert(chain, key)?,
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

pub fn fingerprint(cert: &CertificateDer<'_>) -> CertificateFingerprint {
    CertificateFingerprint::from_bytes(Sha256::digest(cert.as_ref()).into())
}
