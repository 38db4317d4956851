//! TLS material for the listener and the notification pusher alike: rustls with the
//! aws-lc-rs provider, certificates and keys from PEM files, the client-certificate
//! verifier when mutual TLS is accepted (a chain to a trusted CA, or a certificate
//! pinned by its registration), and certificate fingerprints.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
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

/// Whether a client certificate is registered to an institution: such a certificate
/// is trusted for itself (pinned), whoever signed it.
pub type Pinned = Arc<dyn Fn(&CertificateFingerprint) -> bool + Send + Sync>;

/// Whom the server trusts for client certificates beyond `TlsFiles::client_ca`: more
/// CAs (an institution's own), and certificates pinned by their fingerprint.
#[derive(Clone, Default)]
pub struct ClientTrust {
    pub extra_cas: Vec<PathBuf>,
    pub pinned: Option<Pinned>,
}

/// Builds the server configuration. When client certificates are trusted (a CA or
/// pinned ones), one is asked for; it is mandatory when `require_client_certificate`
/// (no other way to log in).
pub fn server_config(
    files: &TlsFiles,
    require_client_certificate: bool,
    trust: &ClientTrust,
) -> Result<ServerConfig, TlsError> {
    let provider = provider();
    let chain = load_certificates(&files.certificate_chain)?;
    let key = load_key(&files.private_key)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let ca_paths: Vec<&PathBuf> = files.client_ca.iter().chain(&trust.extra_cas).collect();
    let mut roots = rustls::RootCertStore::empty();
    for ca_path in &ca_paths {
        for cert in load_certificates(ca_path)? {
            roots.add(cert).map_err(|e| TlsError::ClientCa {
                path: (*ca_path).clone(),
                reason: e.to_string(),
            })?;
        }
    }
    let chains = if roots.is_empty() {
        None
    } else {
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::ClientCa {
                    path: ca_paths.first().map(|p| (*p).clone()).unwrap_or_default(),
                    reason: e.to_string(),
                })?;
        Some(verifier)
    };
    let mut config = if chains.is_none() && trust.pinned.is_none() {
        builder.with_no_client_auth().with_single_cert(chain, key)?
    } else {
        let verifier = ClientVerifier {
            chains,
            pinned: trust.pinned.clone(),
            mandatory: require_client_certificate,
            provider,
        };
        builder
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(chain, key)?
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts a client certificate that chains to a trusted CA (rustls's own WebPKI
/// verifier decides) or that is pinned; the handshake signature is always checked
/// with the certificate's key, by rustls.
struct ClientVerifier {
    chains: Option<Arc<dyn ClientCertVerifier>>,
    pinned: Option<Pinned>,
    mandatory: bool,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl std::fmt::Debug for ClientVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientVerifier")
            .field("chains", &self.chains.is_some())
            .field("pinned", &self.pinned.is_some())
            .field("mandatory", &self.mandatory)
            .finish()
    }
}

impl ClientCertVerifier for ClientVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // With pinned certificates, hints would keep clients from offering theirs.
        match (&self.chains, &self.pinned) {
            (Some(chains), None) => chains.root_hint_subjects(),
            _ => &[],
        }
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let chained = match &self.chains {
            Some(chains) => chains.verify_client_cert(end_entity, intermediates, now),
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        match (chained, &self.pinned) {
            (Ok(verified), _) => Ok(verified),
            (Err(_), Some(pinned)) if pinned(&fingerprint(end_entity)) => {
                Ok(ClientCertVerified::assertion())
            }
            (Err(e), _) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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

pub fn fingerprint(cert: &CertificateDer<'_>) -> CertificateFingerprint {
    CertificateFingerprint::of_der(cert.as_ref())
}
