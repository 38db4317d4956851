//! Who signed a request: the WS-Security X.509 signature (Token Profile 1.0/1.1) checked
//! over the bytes the client sent. XML-DSig itself (canonicalization, digests, the
//! signature value) is the `xml-sec` crate's; this module decides what a signed request
//! must show: a signature covering the Body and a timestamp that is still current by
//! the gateway's clock, made with the key of a certificate the message carries or
//! names among those registered whole (`named_certificate`).

use std::collections::HashMap;

use aws_lc_rs::signature::{self as native, ParsedPublicKey};
use rustls_pki_types::CertificateDer;
use xml_sec::xmldsig::{
    DsigError, DsigStatus, FailureReason, SignatureAlgorithm, VerificationKey, VerifyContext,
    VerifyingKey, X509DataInfo, x509_certificate_matches_selectors,
};

use crate::wire::ws_security::{KeyReference, SecurityError, SecurityFault, SecurityHeader};

/// How far a client's clock may run ahead of the gateway's (`wsu:Created` in the
/// future), and how long a timestamp without `wsu:Expires` stays current: five
/// minutes, as WCF's `MaxClockSkew` and WSS4J's time-to-live.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// The signature methods accepted: RSA and ECDSA with SHA-1 (what WS-Security 1.0
/// stacks still default to) and the SHA-2 family.
const METHODS: [SignatureAlgorithm; 8] = [
    SignatureAlgorithm::RsaSha1,
    SignatureAlgorithm::RsaSha256,
    SignatureAlgorithm::RsaSha384,
    SignatureAlgorithm::RsaSha512,
    SignatureAlgorithm::EcdsaSha1,
    SignatureAlgorithm::EcdsaSha256,
    SignatureAlgorithm::EcdsaSha384,
    SignatureAlgorithm::EcdsaSha512,
];

/// The transforms a reference may use: canonicalizations (XPath and XSLT would let a
/// message make the gateway run arbitrary work), and the enveloped-signature transform,
/// which node-soap's signer (xml-crypto) puts on every reference: it drops the
/// signature from what it covers, nothing when, as here, the signature is outside it.
const TRANSFORMS: [&str; 7] = [
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
];

/// A key reference as a person reads it in a fault.
fn describe_key(key: &KeyReference) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match key {
        KeyReference::IssuerSerial { issuer, serial } => {
            format!("the certificate of issuer {issuer:?} and serial number {serial}")
        }
        KeyReference::Thumbprint(t) => format!("the certificate of SHA-1 thumbprint {}", hex(t)),
        KeyReference::SubjectKeyIdentifier(s) => {
            format!("the certificate of subject key identifier {}", hex(s))
        }
        KeyReference::Token(id) => format!("the token #{id}"),
        KeyReference::Embedded(_) => "the embedded certificate".into(),
    }
}

/// Among the certificates registered whole (DER), the one a key reference names
/// without carrying it: by issuer and serial number or subject key identifier (as
/// `xml-sec` matches `ds:X509Data` selectors), or by the SHA-1 digest of its DER.
pub fn named_certificate(
    key: &KeyReference,
    registered: &[Vec<u8>],
) -> Result<Vec<u8>, SecurityError> {
    let selectors = |fill: &dyn Fn(&mut X509DataInfo)| {
        let mut info = X509DataInfo::default();
        fill(&mut info);
        info
    };
    let info = match key {
        KeyReference::IssuerSerial { issuer, serial } => Some(selectors(&|i| {
            i.issuer_serials.push((issuer.clone(), serial.clone()))
        })),
        KeyReference::SubjectKeyIdentifier(ski) => Some(selectors(&|i| i.skis.push(ski.clone()))),
        _ => None,
    };
    let provider = xml_sec::provider::default_provider();
    let found = registered.iter().find(|der| match (key, &info) {
        (KeyReference::Thumbprint(t), _) => {
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref()
                == t.as_slice()
        }
        (_, Some(info)) => x509_certificate_matches_selectors(info, der, provider).unwrap_or(false),
        _ => false,
    });
    found.cloned().ok_or_else(|| {
        refuse(
            SecurityFault::SecurityTokenUnavailable,
            format!(
                "no registered certificate is {}: send the certificate in a \
                 wsse:BinarySecurityToken, or register it as a file (a world file's \
                 certificateFiles) so that it can be named",
                describe_key(key).trim_start_matches("the certificate of ")
            ),
        )
    })
}

/// What the envelope told of the signed parts: the Body's ID and every ID's element.
pub struct Parts {
    pub body_id: Option<String>,
    pub ids: HashMap<String, String>,
}

fn refuse(fault: SecurityFault, reason: impl Into<String>) -> SecurityError {
    SecurityError::new(fault, reason)
}

/// Checks the signature of `message` (the request's bytes) and returns the signing
/// certificate (DER). `now` is the gateway's clock, in seconds.
pub fn verify(
    message: &[u8],
    header: &SecurityHeader,
    parts: &Parts,
    now: i64,
) -> Result<Vec<u8>, SecurityError> {
    let Some(signature) = &header.signature else {
        return Err(refuse(
            SecurityFault::InvalidSecurity,
            "the wsse:Security header holds no ds:Signature",
        ));
    };
    let Some(timestamp) = &header.timestamp else {
        return Err(refuse(
            SecurityFault::InvalidSecurity,
            "a signed message needs a wsu:Timestamp in its wsse:Security header, covered by \
             the signature",
        ));
    };
    current(timestamp.created, timestamp.expires, now)?;

    // What the signature covers: IDs of this message, the Body and the timestamp among them.
    let mut covered = Vec::with_capacity(signature.references.len());
    for uri in &signature.references {
        let Some(id) = uri.strip_prefix('#').filter(|id| !id.is_empty()) else {
            return Err(refuse(
                SecurityFault::InvalidSecurity,
                format!(
                    "ds:Reference URI={uri:?}: the gateway checks references to elements of the \
                     message by ID (URI=\"#id\")"
                ),
            ));
        };
        if !parts.ids.contains_key(id) {
            return Err(refuse(
                SecurityFault::FailedCheck,
                format!("ds:Reference URI=\"#{id}\" points to no element of the message"),
            ));
        }
        covered.push(id);
    }
    let Some(body_id) = &parts.body_id else {
        return Err(refuse(
            SecurityFault::InvalidSecurity,
            "the soap:Body has no wsu:Id, so the signature cannot cover it",
        ));
    };
    if !covered.contains(&body_id.as_str()) {
        return Err(refuse(
            SecurityFault::InvalidSecurity,
            format!(
                "the signature does not cover the soap:Body (wsu:Id {body_id:?}); it covers {}",
                describe(&covered, &parts.ids)
            ),
        ));
    }
    if !timestamp
        .id
        .as_deref()
        .is_some_and(|id| covered.contains(&id))
    {
        return Err(refuse(
            SecurityFault::InvalidSecurity,
            "the signature does not cover the wsu:Timestamp (give it a wsu:Id and reference it)",
        ));
    }

    // The key: the certificate the message carries.
    let der = match &signature.key {
        KeyReference::Token(id) => header
            .tokens
            .iter()
            .find(|t| t.id.as_deref() == Some(id))
            .map(|t| t.der.clone())
            .ok_or_else(|| {
                refuse(
                    SecurityFault::SecurityTokenUnavailable,
                    format!(
                        "the signature's key reference #{id} names no wsse:BinarySecurityToken \
                         of the message"
                    ),
                )
            })?,
        KeyReference::Embedded(der) => der.clone(),
        named => {
            return Err(refuse(
                SecurityFault::SecurityTokenUnavailable,
                format!(
                    "{} was not looked up among the registered certificates",
                    describe_key(named)
                ),
            ));
        }
    };
    let algorithm = SignatureAlgorithm::from_uri(&signature.method)
        .filter(|a| METHODS.contains(a))
        .ok_or_else(|| {
            refuse(
                SecurityFault::UnsupportedAlgorithm,
                format!(
                    "ds:SignatureMethod {} is not accepted (RSA or ECDSA with SHA-1, SHA-256, \
                     SHA-384 or SHA-512)",
                    signature.method
                ),
            )
        })?;
    let certificate = CertificateDer::from(der.as_slice());
    let parsed = webpki::EndEntityCert::try_from(&certificate).map_err(|e| {
        refuse(
            SecurityFault::InvalidSecurityToken,
            format!(
                "the signing certificate is not an X.509 certificate the gateway can read: {e}"
            ),
        )
    })?;
    let spki = parsed.subject_public_key_info().as_ref().to_vec();
    let native = NativeKey::new(algorithm, &spki);
    let fallback;
    let key: &dyn VerifyingKey = match &native {
        Some(key) => key,
        None => {
            fallback = VerificationKey {
                algorithm,
                public_key_bytes: spki,
                certificate_der: Some(der.clone()),
                name: None,
            };
            &fallback
        }
    };

    let mut policy = xml_sec::policy::VerificationPolicy::default();
    policy
        .key_trust
        .allowed_legacy_signature_algorithms
        .extend([SignatureAlgorithm::RsaSha1, SignatureAlgorithm::EcdsaSha1]);
    let message = message.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(message);
    let text = std::str::from_utf8(message).map_err(|_| {
        refuse(
            SecurityFault::InvalidSecurity,
            "the message is not UTF-8 encoded text",
        )
    })?;
    let result = VerifyContext::new()
        .policy(policy)
        .key(key)
        .allowed_transforms(TRANSFORMS)
        .verify(text)
        .map_err(|e| {
            refuse(
                SecurityFault::FailedCheck,
                format!("the signature cannot be checked: {e}"),
            )
        })?;
    let uri = |index: usize| {
        signature
            .references
            .get(index)
            .map_or("?", String::as_str)
            .to_owned()
    };
    match result.status {
        DsigStatus::Valid => {}
        DsigStatus::Invalid(reason) => {
            return Err(match reason {
                FailureReason::ReferenceDigestMismatch { ref_index } => {
                    let uri = uri(ref_index);
                    let element = uri
                        .strip_prefix('#')
                        .and_then(|id| parts.ids.get(id))
                        .map_or("element", String::as_str);
                    refuse(
                        SecurityFault::FailedCheck,
                        format!(
                            "the digest of ds:Reference URI=\"{uri}\" does not match: the \
                             {element} is not what was signed"
                        ),
                    )
                }
                FailureReason::ReferencePolicyViolation { ref_index } => refuse(
                    SecurityFault::UnsupportedAlgorithm,
                    format!(
                        "ds:Reference URI=\"{}\" uses a transform the gateway does not apply \
                         (it applies canonicalizations and enveloped-signature only)",
                        uri(ref_index)
                    ),
                ),
                FailureReason::ReferenceProcessingFailure { ref_index }
                | FailureReason::ReferenceUnavailable { ref_index } => refuse(
                    SecurityFault::FailedCheck,
                    format!(
                        "ds:Reference URI=\"{}\" could not be processed",
                        uri(ref_index)
                    ),
                ),
                FailureReason::SignatureMismatch => refuse(
                    SecurityFault::FailedCheck,
                    "the ds:SignatureValue does not match ds:SignedInfo with the key of the \
                     message's certificate: it was made with another key, or SignedInfo changed",
                ),
                other => refuse(SecurityFault::FailedCheck, format!("{other:?}")),
            });
        }
        _ => {
            return Err(refuse(
                SecurityFault::FailedCheck,
                "the signature was not checked",
            ));
        }
    }
    if let Some(r) = result
        .signed_info_references
        .iter()
        .find(|r| r.status != DsigStatus::Valid)
    {
        return Err(refuse(
            SecurityFault::FailedCheck,
            format!("ds:Reference URI=\"{}\" does not verify", r.uri),
        ));
    }
    Ok(der)
}

/// The signing key, verified by aws-lc (the TLS stack's library) for the methods and
/// curves it has; the others fall back to `xml-sec`'s own arithmetic. XML-DSig's
/// ECDSA signature value is `r || s`, aws-lc's "fixed" encoding.
struct NativeKey {
    algorithm: SignatureAlgorithm,
    key: ParsedPublicKey,
}

impl NativeKey {
    fn new(algorithm: SignatureAlgorithm, spki: &[u8]) -> Option<NativeKey> {
        let rsa: Option<&'static native::RsaParameters> = match algorithm {
            SignatureAlgorithm::RsaSha1 => {
                Some(&native::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY)
            }
            SignatureAlgorithm::RsaSha256 => Some(&native::RSA_PKCS1_2048_8192_SHA256),
            SignatureAlgorithm::RsaSha384 => Some(&native::RSA_PKCS1_2048_8192_SHA384),
            SignatureAlgorithm::RsaSha512 => Some(&native::RSA_PKCS1_2048_8192_SHA512),
            _ => None,
        };
        if let Some(parameters) = rsa {
            return ParsedPublicKey::new(parameters, spki)
                .ok()
                .map(|key| NativeKey { algorithm, key });
        }
        let curves: &[&'static native::EcdsaVerificationAlgorithm] = match algorithm {
            SignatureAlgorithm::EcdsaSha1 => &[&native::ECDSA_P521_SHA1_FIXED],
            SignatureAlgorithm::EcdsaSha256 => &[
                &native::ECDSA_P256_SHA256_FIXED,
                &native::ECDSA_P521_SHA256_FIXED,
            ],
            SignatureAlgorithm::EcdsaSha384 => &[
                &native::ECDSA_P384_SHA384_FIXED,
                &native::ECDSA_P521_SHA384_FIXED,
            ],
            SignatureAlgorithm::EcdsaSha512 => &[&native::ECDSA_P521_SHA512_FIXED],
            _ => &[],
        };
        // The curve is the key's: the one whose parser accepts it.
        curves.iter().find_map(|curve| {
            ParsedPublicKey::new(*curve, spki)
                .ok()
                .map(|key| NativeKey { algorithm, key })
        })
    }
}

impl VerifyingKey for NativeKey {
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        signed_data: &[u8],
        signature_value: &[u8],
    ) -> Result<bool, DsigError> {
        Ok(
            algorithm == self.algorithm
                && self.key.verify_sig(signed_data, signature_value).is_ok(),
        )
    }
}

/// A timestamp is current when it was not created in the future (beyond the skew)
/// and has not expired (without `Expires`, five minutes after `Created`).
fn current(created: i64, expires: Option<i64>, now: i64) -> Result<(), SecurityError> {
    let at =
        |s: i64| jiff::Timestamp::from_second(s).map_or_else(|_| s.to_string(), |t| t.to_string());
    if created > now + CLOCK_SKEW_SECONDS {
        return Err(refuse(
            SecurityFault::InvalidSecurity,
            format!(
                "wsu:Created {} is more than {CLOCK_SKEW_SECONDS} s ahead of the gateway's clock \
                 ({})",
                at(created),
                at(now)
            ),
        ));
    }
    let expires = match expires {
        Some(e) if e < created => {
            return Err(refuse(
                SecurityFault::InvalidSecurity,
                format!(
                    "wsu:Expires {} is before wsu:Created {}",
                    at(e),
                    at(created)
                ),
            ));
        }
        Some(e) => e,
        None => created + CLOCK_SKEW_SECONDS,
    };
    if expires <= now {
        return Err(refuse(
            SecurityFault::MessageExpired,
            format!(
                "the message expired at {} by the gateway's clock ({})",
                at(expires),
                at(now)
            ),
        ));
    }
    Ok(())
}

/// `#a (Timestamp), #b (BinarySecurityToken)`: the references and what they name.
fn describe(covered: &[&str], ids: &HashMap<String, String>) -> String {
    if covered.is_empty() {
        return "nothing".into();
    }
    covered
        .iter()
        .map(|id| {
            let element = ids.get(*id).map_or("?", String::as_str);
            let local = element.rsplit('}').next().unwrap_or(element);
            format!("#{id} ({local})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_judged_by_the_gateways_clock() {
        let now = 1_000_000;
        assert!(current(now - 10, Some(now + 10), now).is_ok());
        assert!(current(now + CLOCK_SKEW_SECONDS, Some(now + 400), now).is_ok());
        let ahead = current(now + CLOCK_SKEW_SECONDS + 1, Some(now + 900), now).unwrap_err();
        assert_eq!(ahead.fault, SecurityFault::InvalidSecurity);
        let expired = current(now - 100, Some(now), now).unwrap_err();
        assert_eq!(expired.fault, SecurityFault::MessageExpired);
        assert!(expired.reason.contains("expired at"), "{}", expired.reason);
        // Without Expires, five minutes.
        assert!(current(now - CLOCK_SKEW_SECONDS + 1, None, now).is_ok());
        assert_eq!(
            current(now - CLOCK_SKEW_SECONDS, None, now)
                .unwrap_err()
                .fault,
            SecurityFault::MessageExpired
        );
        assert_eq!(
            current(now, Some(now - 1), now).unwrap_err().fault,
            SecurityFault::InvalidSecurity
        );
    }
}
