//! Signed answers (`--sign-answers`): every SOAP answer, faults included, signed with
//! the server's certificate as the network's clients sign their requests (WS-Security
//! X.509 Token Profile: the certificate in a `wsse:BinarySecurityToken`, a
//! `wsu:Timestamp`, one signature over the Body and the timestamp, exclusive
//! canonicalization, RSA-SHA256 or ECDSA-SHA256 and SHA-256 digests), for clients whose
//! policy verifies the response (zeep's `BinarySignature`, WSS4J with a signed-response
//! policy). The envelope is written as a template (`write_header`, the Body's ID); the
//! XML-DSig work, digests and canonicalization, is `xml-sec`'s, and the private-key
//! arithmetic aws-lc's (an RSA-2048 signature took 4.7 ms in `xml-sec`'s pure Rust,
//! `benches/signatures.rs`).

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as native, EcdsaKeyPair, RsaKeyPair};
use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;
use xml_sec::xmldsig::{
    EcdsaP256SigningKey, RsaSigningKey, SignContext, SignatureAlgorithm, SigningKey,
    SigningKeyError, SigningPublicKeyInfo,
};

use crate::domain::date::utc_timestamp;
use crate::wire::ws_security::{BASE64_BINARY, DS_NS, WSSE_NS, WSU_NS, X509V3};
use crate::wire::xml::XmlWriter;

/// The Body's ID in a signed answer.
pub const BODY_ID: &str = "Body";
const TIMESTAMP_ID: &str = "Timestamp";
const TOKEN_ID: &str = "ServerCertificate";
/// How long a signed answer's timestamp lasts, as for a request's without `Expires`.
const LIFETIME_MS: i64 = 5 * 60 * 1000;
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

#[derive(Debug, Error)]
pub enum AnswerSignerError {
    #[error("--sign-answers: cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("--sign-answers: {path} holds no PEM certificate")]
    NoCertificate { path: String },
    #[error(
        "--sign-answers: {path} is not a PKCS#8 RSA or ECDSA P-256 private key (convert it with \
         `openssl pkcs8 -topk8 -nocrypt`)"
    )]
    Key { path: String },
    #[error("the answer could not be signed: {0}")]
    Sign(String),
}

/// `xml-sec`'s key, which tells the library the public key's parameters, and aws-lc's,
/// which signs.
enum Key {
    Rsa(RsaSigningKey, RsaKeyPair),
    EcdsaP256(EcdsaP256SigningKey, EcdsaKeyPair),
}

impl SigningKey for Key {
    fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        canonical_signed_info: &[u8],
    ) -> Result<Vec<u8>, SigningKeyError> {
        let rng = SystemRandom::new();
        match (self, algorithm) {
            (Key::Rsa(_, pair), SignatureAlgorithm::RsaSha256) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &native::RSA_PKCS1_SHA256,
                    &rng,
                    canonical_signed_info,
                    &mut signature,
                )
                .map_err(|_| SigningKeyError::SigningFailed)?;
                Ok(signature)
            }
            (Key::EcdsaP256(_, pair), SignatureAlgorithm::EcdsaSha256) => pair
                .sign(&rng, canonical_signed_info)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SigningKeyError::SigningFailed),
            _ => Err(SigningKeyError::UnsupportedAlgorithm {
                uri: algorithm.uri().to_owned(),
            }),
        }
    }

    fn public_key_info(&self) -> Result<SigningPublicKeyInfo, SigningKeyError> {
        match self {
            Key::Rsa(key, _) => key.public_key_info(),
            Key::EcdsaP256(key, _) => key.public_key_info(),
        }
    }
}

/// The server's certificate and key, ready to sign answers.
pub struct AnswerSigner {
    key: Key,
    /// The certificate, base64, as the token carries it.
    token: String,
}

impl std::fmt::Debug for AnswerSigner {
    // The key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerSigner")
            .field("method", &self.method())
            .finish_non_exhaustive()
    }
}

impl AnswerSigner {
    /// Reads the server's certificate chain (its first certificate signs) and key.
    pub fn load(certificate: &Path, key: &Path) -> Result<AnswerSigner, AnswerSignerError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| AnswerSignerError::Read {
                path: path.display().to_string(),
                source,
            })
        };
        let (certificate_pem, key_pem) = (read(certificate)?, read(key)?);
        let der = CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| AnswerSignerError::NoCertificate {
                path: certificate.display().to_string(),
            })?;
        let bad_key = || AnswerSignerError::Key {
            path: key.display().to_string(),
        };
        let pkcs8 = match PrivateKeyDer::from_pem_slice(key_pem.as_bytes()) {
            Ok(PrivateKeyDer::Pkcs8(der)) => der,
            _ => return Err(bad_key()),
        };
        let der_key = pkcs8.secret_pkcs8_der();
        let rsa = RsaSigningKey::from_pkcs8_der(der_key)
            .ok()
            .zip(RsaKeyPair::from_pkcs8(der_key).ok());
        let key = match rsa {
            Some((key, pair)) => Key::Rsa(key, pair),
            None => EcdsaP256SigningKey::from_pkcs8_der(der_key)
                .ok()
                .zip(
                    EcdsaKeyPair::from_pkcs8(&native::ECDSA_P256_SHA256_FIXED_SIGNING, der_key)
                        .ok(),
                )
                .map(|(key, pair)| Key::EcdsaP256(key, pair))
                .ok_or_else(bad_key)?,
        };
        Ok(AnswerSigner {
            key,
            token: base64::engine::general_purpose::STANDARD.encode(der.as_ref()),
        })
    }

    fn method(&self) -> &'static str {
        match self.key {
            Key::Rsa(..) => RSA_SHA256,
            Key::EcdsaP256(..) => ECDSA_SHA256,
        }
    }

    /// The `wsse:Security` block of a signed answer made at `now_ms`, inside an open
    /// `soapenv:Header`: the signature's digests and value left empty, for `sign`. It
    /// covers the timestamp, the Body and the header blocks of IDs `also` (the
    /// answer's WS-Addressing headers, which WCF's policies want signed).
    pub fn write_header(&self, w: &mut XmlWriter, now_ms: i64, also: &[&str]) {
        w.open_with(
            "wsse:Security",
            &[("wsse", WSSE_NS), ("wsu", WSU_NS)],
            &[("soapenv:mustUnderstand", "1")],
        );
        w.open_with("wsu:Timestamp", &[], &[("wsu:Id", TIMESTAMP_ID)])
            .leaf("wsu:Created", &utc_timestamp(now_ms))
            .leaf("wsu:Expires", &utc_timestamp(now_ms + LIFETIME_MS))
            .close("wsu:Timestamp");
        w.open_with(
            "wsse:BinarySecurityToken",
            &[],
            &[
                ("EncodingType", BASE64_BINARY),
                ("ValueType", X509V3),
                ("wsu:Id", TOKEN_ID),
            ],
        )
        .text(&self.token)
        .close("wsse:BinarySecurityToken");
        w.open_ns("ds:Signature", &[("ds", DS_NS)])
            .open("ds:SignedInfo");
        w.empty_with("ds:CanonicalizationMethod", &[], &[("Algorithm", EXC_C14N)])
            .empty_with("ds:SignatureMethod", &[], &[("Algorithm", self.method())]);
        for id in [TIMESTAMP_ID, BODY_ID].iter().chain(also) {
            w.open_with("ds:Reference", &[], &[("URI", &format!("#{id}"))])
                .open("ds:Transforms")
                .empty_with("ds:Transform", &[], &[("Algorithm", EXC_C14N)])
                .close("ds:Transforms")
                .empty_with("ds:DigestMethod", &[], &[("Algorithm", SHA256)])
                .raw("<ds:DigestValue></ds:DigestValue>")
                .close("ds:Reference");
        }
        w.close("ds:SignedInfo")
            .raw("<ds:SignatureValue></ds:SignatureValue>")
            .open("ds:KeyInfo")
            .open("wsse:SecurityTokenReference")
            .empty_with(
                "wsse:Reference",
                &[],
                &[("URI", &format!("#{TOKEN_ID}")), ("ValueType", X509V3)],
            )
            .close("wsse:SecurityTokenReference")
            .close("ds:KeyInfo")
            .close("ds:Signature")
            .close("wsse:Security");
    }

    /// Fills the template's digests and signature value.
    pub fn sign(&self, template: &str) -> Result<String, AnswerSignerError> {
        SignContext::new(&self.key)
            .sign_template(template)
            .map_err(|e| AnswerSignerError::Sign(e.to_string()))
    }
}
