//! Institutions that call the network, and what the deliberations allow them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::CbeNumber;

/// A service of the network, as a deliberation names it (not a contract version:
/// LivingWages V2 and V3 are one service).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Service {
    LivingWages,
    /// Being pushed (or pulling) create / modify / cancel events.
    LivingWagesNotifications,
    /// The amounts the PCSAs paid.
    LivingWagesWithAmount,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::LivingWages => "LivingWages",
            Service::LivingWagesNotifications => "LivingWagesNotifications",
            Service::LivingWagesWithAmount => "LivingWagesWithAmount",
        }
    }
}

/// Permission of the Information Security Committee: this service, under these legal
/// contexts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub service: Service,
    pub legal_contexts: Vec<String>,
}

/// The old-style identification of an institution: a sector and an institution number
/// within it, each 0..=999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SectorInstitution {
    pub sector: u16,
    pub institution: u16,
}

/// SHA-256 of a client certificate's DER encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateFingerprint([u8; 32]);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("a certificate fingerprint is 64 hexadecimal digits (SHA-256), got {0:?}")]
pub struct FingerprintError(String);

impl CertificateFingerprint {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CertificateFingerprint(bytes)
    }

    /// The fingerprint of a certificate: SHA-256 of its DER.
    pub fn of_der(der: &[u8]) -> Self {
        use sha2::Digest;
        CertificateFingerprint(sha2::Sha256::digest(der).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl FromStr for CertificateFingerprint {
    type Err = FingerprintError;

    /// Accepts lower or upper case, with or without colons between bytes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: Vec<u8> = s.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 {
            return Err(FingerprintError(s.to_owned()));
        }
        let mut out = [0u8; 32];
        for (i, pair) in digits.chunks(2).enumerate() {
            let text = std::str::from_utf8(pair).map_err(|_| FingerprintError(s.to_owned()))?;
            out[i] = u8::from_str_radix(text, 16).map_err(|_| FingerprintError(s.to_owned()))?;
        }
        Ok(CertificateFingerprint(out))
    }
}

impl fmt::Display for CertificateFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for CertificateFingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for CertificateFingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An organisation that calls the network (a partner institution or a CPAS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    pub cbe: CbeNumber,
    pub name: String,
    #[serde(default)]
    pub sector: Option<SectorInstitution>,
    /// Argon2id hash (PHC string) of the HTTP Basic password; `None` = no Basic login.
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub certificates: Vec<CertificateFingerprint>,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

impl Institution {
    /// The user name of HTTP Basic on the network: `E` followed by the CBE number.
    pub fn user_name(&self) -> String {
        format!("E{}", self.cbe.as_str())
    }

    /// Whether a deliberation lets this institution use `service` under `legal_context`.
    /// Some deliberation grants it `service`, under whatever legal context (what
    /// notifications need: they are not asked for under one).
    pub fn is_granted(&self, service: Service) -> bool {
        self.grants.iter().any(|g| g.service == service)
    }

    pub fn may_consult(&self, service: Service, legal_context: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.service == service && g.legal_contexts.iter().any(|c| c == legal_context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_round_trips_through_hex_with_or_without_colons() {
        let fp = CertificateFingerprint::from_bytes([0xab; 32]);
        assert_eq!(fp.to_hex().len(), 64);
        assert_eq!(fp.to_hex().parse::<CertificateFingerprint>(), Ok(fp));
        let colons = fp
            .to_hex()
            .to_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(colons.parse::<CertificateFingerprint>(), Ok(fp));
        assert!("abc".parse::<CertificateFingerprint>().is_err());
        assert!("zz".repeat(32).parse::<CertificateFingerprint>().is_err());
    }

    #[test]
    fn consultation_needs_the_service_and_the_legal_context() {
        let cbe = CbeNumber::parse("0206737484").unwrap_or_else(|e| panic!("{e}"));
        let inst = Institution {
            cbe,
            name: "x".into(),
            sector: None,
            password_hash: None,
            certificates: vec![],
            grants: vec![Grant {
                service: Service::LivingWages,
                legal_contexts: vec!["A:B".into()],
            }],
        };
        assert!(inst.may_consult(Service::LivingWages, "A:B"));
        assert!(!inst.may_consult(Service::LivingWages, "A:C"));
        assert_eq!(inst.user_name(), "E0206737484");
    }
}
