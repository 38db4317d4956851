//! Development certificates: a CA, a server certificate for the local host names, and
//! one client certificate per institution, all made with rcgen. Never for production.
//! The CA and the server have ECDSA P-256 keys (the cheapest TLS handshakes); clients
//! RSA or ECDSA keys, as asked.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::CertificateDer;
use thiserror::Error;

use crate::domain::CertificateFingerprint;

#[derive(Debug, Error)]
pub enum CertError {
    #[error("cannot generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0:?} cannot be a file name (use letters, digits, '-' and '_')")]
    BadName(String),
}

/// A certificate with its private key.
pub struct Issued {
    pub certificate_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl Issued {
    pub fn fingerprint(&self) -> CertificateFingerprint {
        crate::tls::fingerprint(&self.der)
    }
}

pub struct DevelopmentPki {
    pub ca: Issued,
    pub server: Issued,
    /// (file stem, certificate) per client.
    pub clients: Vec<(String, Issued)>,
}

/// Where `DevelopmentPki::write` put each file.
#[derive(Clone, Debug)]
pub struct PkiFiles {
    pub ca: PathBuf,
    pub server_certificate: PathBuf,
    pub server_key: PathBuf,
    /// (file stem, certificate path, key path) per client.
    pub clients: Vec<(String, PathBuf, PathBuf)>,
}

/// A client certificate's key. The network's application certificates are RSA, and
/// several WS-Security stacks sign only with RSA; ECDSA keys are made in a
/// thousandth of the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA 2048 bits.
    Rsa,
    /// ECDSA P-256.
    Ecdsa,
}

impl KeyType {
    fn generate(self) -> Result<KeyPair, rcgen::Error> {
        match self {
            KeyType::Rsa => KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256),
            KeyType::Ecdsa => KeyPair::generate(),
        }
    }
}

fn issue(
    params: CertificateParams,
    issuer: &Issuer<'_, KeyPair>,
    key_type: KeyType,
) -> Result<Issued, CertError> {
    let key = key_type.generate()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok(Issued {
        certificate_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().clone(),
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl DevelopmentPki {
    /// `hosts`: DNS names or IP addresses of the server; `clients`: (file stem, common
    /// name) of each client certificate, whose keys are `client_keys`.
    pub fn generate(
        hosts: &[String],
        clients: &[(String, String)],
        client_keys: KeyType,
    ) -> Result<Self, CertError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "bcss-gateway development CA");
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "bcss-gateway (development only)");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = Issued {
            certificate_pem: ca_cert.pem(),
            key_pem: ca_key.serialize_pem(),
            der: ca_cert.der().clone(),
        };
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server_params = CertificateParams::new(hosts.to_vec())?;
        server_params.distinguished_name.push(
            DnType::CommonName,
            hosts.first().map_or("localhost", String::as_str),
        );
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server = issue(server_params, &issuer, KeyType::Ecdsa)?;

        let mut issued = Vec::new();
        for (stem, common_name) in clients {
            if !valid_name(stem) {
                return Err(CertError::BadName(stem.clone()));
            }
            let mut params = CertificateParams::new(Vec::<String>::new())?;
            params
                .distinguished_name
                .push(DnType::CommonName, common_name.as_str());
            params
                .distinguished_name
                .push(DnType::OrganizationName, "bcss-gateway (development only)");
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            params.use_authority_key_identifier_extension = true;
            issued.push((stem.clone(), issue(params, &issuer, client_keys)?));
        }
        Ok(DevelopmentPki {
            ca,
            server,
            clients: issued,
        })
    }

    /// Writes `ca.pem`, `server.pem`, `server.key` and `<client>.pem`/`<client>.key`
    /// into `dir` (created readable by its owner only); keys are readable by their
    /// owner only. The CA's key is not kept:
    /// nothing else can be signed with it.
    pub fn write(&self, dir: &Path) -> Result<PkiFiles, CertError> {
        crate::files::private_dir(dir).map_err(|source| CertError::Write {
            path: dir.to_owned(),
            source,
        })?;
        let ca = write_file(dir, "ca.pem", &self.ca.certificate_pem, false)?;
        let server_certificate =
            write_file(dir, "server.pem", &self.server.certificate_pem, false)?;
        let server_key = write_file(dir, "server.key", &self.server.key_pem, true)?;
        let mut clients = Vec::new();
        for (stem, c) in &self.clients {
            let cert = write_file(dir, &format!("{stem}.pem"), &c.certificate_pem, false)?;
            let key = write_file(dir, &format!("{stem}.key"), &c.key_pem, true)?;
            clients.push((stem.clone(), cert, key));
        }
        Ok(PkiFiles {
            ca,
            server_certificate,
            server_key,
            clients,
        })
    }
}

fn write_file(dir: &Path, name: &str, text: &str, secret: bool) -> Result<PathBuf, CertError> {
    let path = dir.join(name);
    crate::files::write(&path, text, secret).map_err(|source| CertError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
