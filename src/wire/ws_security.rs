//! The `wsse:Security` header block of OASIS Web Services Security 1.0/1.1 with the
//! X.509 Token Profile, read into what checking a signature needs: the timestamp, the
//! binary security tokens, and the signature's method, references and key reference.
//! The cryptography is not here (see `server::ws_security`); this module only reads,
//! and names what it refuses with the fault the specification defines for it.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

use super::xml::{Attribute, Element};

pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSU_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
pub const BASE64_BINARY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
/// A `wsse:KeyIdentifier` holding the SHA-1 digest of the certificate (WS-Security 1.1).
pub const THUMBPRINT_SHA1: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1";
/// A `wsse:KeyIdentifier` holding the certificate's subject key identifier.
pub const SUBJECT_KEY_IDENTIFIER: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier";

/// The faults of WS-Security 1.1 (section 12), each a QName in the wsse namespace but
/// `MessageExpired`, which the utility schema defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityFault {
    UnsupportedSecurityToken,
    UnsupportedAlgorithm,
    InvalidSecurity,
    InvalidSecurityToken,
    FailedAuthentication,
    FailedCheck,
    SecurityTokenUnavailable,
    MessageExpired,
}

impl SecurityFault {
    pub fn local_name(self) -> &'static str {
        match self {
            SecurityFault::UnsupportedSecurityToken => "UnsupportedSecurityToken",
            SecurityFault::UnsupportedAlgorithm => "UnsupportedAlgorithm",
            SecurityFault::InvalidSecurity => "InvalidSecurity",
            SecurityFault::InvalidSecurityToken => "InvalidSecurityToken",
            SecurityFault::FailedAuthentication => "FailedAuthentication",
            SecurityFault::FailedCheck => "FailedCheck",
            SecurityFault::SecurityTokenUnavailable => "SecurityTokenUnavailable",
            SecurityFault::MessageExpired => "MessageExpired",
        }
    }

    /// The prefix and namespace the fault's QName is written with.
    pub fn namespace(self) -> (&'static str, &'static str) {
        match self {
            SecurityFault::MessageExpired => ("wsu", WSU_NS),
            _ => ("wsse", WSSE_NS),
        }
    }

    /// `wsse:FailedCheck`: the QName as written in a fault and kept in the journal.
    pub fn qname(self) -> String {
        format!("{}:{}", self.namespace().0, self.local_name())
    }
}

/// A refusal of the security header: its fault and a reason a person can act on.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{reason}")]
pub struct SecurityError {
    pub fault: SecurityFault,
    pub reason: String,
}

impl SecurityError {
    pub fn new(fault: SecurityFault, reason: impl Into<String>) -> Self {
        SecurityError {
            fault,
            reason: reason.into(),
        }
    }
}

/// The `wsse:Security` header block addressed to the gateway, with what of the rest of
/// the envelope checking its signature needs.
#[derive(Debug)]
pub struct Secured<'a> {
    pub header: Element<'a>,
    /// Whether the client marked it `mustUnderstand`.
    pub must_understand: bool,
    /// The `wsu:Id` (or `Id`) of the SOAP Body, what a signature must cover.
    pub body_id: Option<String>,
    /// Every ID of the document and the element that bears it; refused when one is
    /// borne twice.
    pub ids: Result<HashMap<String, String>, SecurityError>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub id: Option<String>,
    /// Seconds since the epoch.
    pub created: i64,
    pub expires: Option<i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct BinaryToken {
    pub id: Option<String>,
    /// The X.509 certificate, DER.
    pub der: Vec<u8>,
}

/// Where the signature's key is.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyReference {
    /// A `wsse:SecurityTokenReference/wsse:Reference` to a token of the message.
    Token(String),
    /// A certificate in the `ds:KeyInfo` itself (`ds:X509Data/ds:X509Certificate`).
    Embedded(Vec<u8>),
    /// A registered certificate the message does not carry, named by its issuer and
    /// serial number (`ds:X509IssuerSerial`).
    IssuerSerial { issuer: String, serial: String },
    /// ... by the SHA-1 digest of its DER (`wsse:KeyIdentifier`, ThumbprintSHA1).
    Thumbprint(Vec<u8>),
    /// ... by its subject key identifier (`wsse:KeyIdentifier`, X509SubjectKeyIdentifier).
    SubjectKeyIdentifier(Vec<u8>),
}

impl KeyReference {
    /// A registered certificate named without being carried: the gateway looks it up.
    pub fn is_named(&self) -> bool {
        matches!(
            self,
            KeyReference::IssuerSerial { .. }
                | KeyReference::Thumbprint(_)
                | KeyReference::SubjectKeyIdentifier(_)
        )
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Signature {
    pub method: String,
    /// The `URI` of each `ds:Reference` of `ds:SignedInfo`, in order.
    pub references: Vec<String>,
    pub key: KeyReference,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SecurityHeader {
    pub timestamp: Option<Timestamp>,
    pub tokens: Vec<BinaryToken>,
    pub signature: Option<Signature>,
}

/// The ID attributes an XML Signature reference may point to: `xml:id`, and `Id`,
/// `ID` or `id` in any namespace or none (`wsu:Id` among them). That is as many as
/// the signature library may take for IDs, or more: two elements it could confuse
/// are always seen as bearing one ID.
pub fn id_of<'e>(element: &'e Element) -> Option<&'e str> {
    element
        .attributes
        .iter()
        .find(|a| is_id(a))
        .map(|a| a.value.as_str())
}

fn is_id(a: &Attribute) -> bool {
    matches!(a.local.as_str(), "Id" | "ID" | "id")
}

/// Every ID of the document, refusing one that appears twice: with two elements of
/// the same ID, what the signature covers and what the gateway reads may differ (the
/// "signature wrapping" attack).
pub fn index_ids(root: &Element) -> Result<HashMap<String, String>, SecurityError> {
    let mut ids = HashMap::new();
    let mut stack = vec![root];
    while let Some(element) = stack.pop() {
        for a in element.attributes.iter().filter(|a| is_id(a)) {
            if let Some(first) = ids.insert(a.value.clone(), element.expanded_name()) {
                return Err(SecurityError::new(
                    SecurityFault::InvalidSecurity,
                    format!(
                        "the ID {:?} is borne by two elements ({first} and {}): a signed \
                         message's IDs must be unique",
                        a.value,
                        element.expanded_name()
                    ),
                ));
            }
        }
        stack.extend(element.children.iter());
    }
    Ok(ids)
}

/// Reads the header block. Elements it does not know are refused rather than ignored:
/// the client marked the block as one the gateway must understand in full.
pub fn read(header: &Element) -> Result<SecurityHeader, SecurityError> {
    let mut read = SecurityHeader::default();
    for child in &header.children {
        let ns = child.ns.as_deref();
        match (ns, child.local.as_ref()) {
            (Some(WSU_NS), "Timestamp") => {
                if read.timestamp.is_some() {
                    return Err(invalid("the wsse:Security header holds two wsu:Timestamp"));
                }
                read.timestamp = Some(timestamp(child)?);
            }
            (Some(WSSE_NS), "BinarySecurityToken") => read.tokens.push(token(child)?),
            (Some(DS_NS), "Signature") => {
                if read.signature.is_some() {
                    return Err(invalid(
                        "the wsse:Security header holds two ds:Signature; the gateway checks one",
                    ));
                }
                read.signature = Some(signature(child)?);
            }
            (Some(WSSE_NS), "UsernameToken") => {
                return Err(SecurityError::new(
                    SecurityFault::UnsupportedSecurityToken,
                    "wsse:UsernameToken is not accepted: identify with an X.509 signature, \
                     HTTP Basic or a client certificate",
                ));
            }
            _ => {
                return Err(SecurityError::new(
                    SecurityFault::UnsupportedSecurityToken,
                    format!(
                        "{} in the wsse:Security header is not supported (the gateway reads \
                         wsu:Timestamp, wsse:BinarySecurityToken and ds:Signature)",
                        child.expanded_name()
                    ),
                ));
            }
        }
    }
    Ok(read)
}

fn invalid(reason: impl Into<String>) -> SecurityError {
    SecurityError::new(SecurityFault::InvalidSecurity, reason)
}

fn timestamp(element: &Element) -> Result<Timestamp, SecurityError> {
    let instant = |name: &str| -> Result<Option<i64>, SecurityError> {
        let mut found = element.children.iter().filter(|c| c.is(WSU_NS, name));
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(invalid(format!("wsu:Timestamp holds two wsu:{name}")));
        }
        let text = first.text.trim();
        text.parse::<jiff::Timestamp>()
            .map(|t| Some(t.as_second()))
            .map_err(|_| {
                invalid(format!(
                    "wsu:Timestamp/wsu:{name} {text:?} is not an xsd:dateTime with a time zone \
                     (e.g. 2026-12-01T10:00:00Z)"
                ))
            })
    };
    let created = instant("Created")?.ok_or_else(|| {
        invalid("wsu:Timestamp has no wsu:Created: the gateway needs it to judge the message's age")
    })?;
    Ok(Timestamp {
        id: id_of(element).map(str::to_owned),
        created,
        expires: instant("Expires")?,
    })
}

fn base64(text: &str, what: &str) -> Result<Vec<u8>, SecurityError> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).map_err(|e| {
        SecurityError::new(
            SecurityFault::InvalidSecurityToken,
            format!("{what} is not base64: {e}"),
        )
    })
}

fn token(element: &Element) -> Result<BinaryToken, SecurityError> {
    let value_type = element.attribute(None, "ValueType").unwrap_or_default();
    if value_type != X509V3 {
        return Err(SecurityError::new(
            SecurityFault::UnsupportedSecurityToken,
            format!(
                "wsse:BinarySecurityToken of ValueType {value_type:?}: the gateway accepts X.509 \
                 v3 certificates ({X509V3})"
            ),
        ));
    }
    if let Some(encoding) = element.attribute(None, "EncodingType")
        && encoding != BASE64_BINARY
    {
        return Err(SecurityError::new(
            SecurityFault::UnsupportedSecurityToken,
            format!("wsse:BinarySecurityToken of EncodingType {encoding:?}: only {BASE64_BINARY}"),
        ));
    }
    Ok(BinaryToken {
        id: id_of(element).map(str::to_owned),
        der: base64(&element.text, "the wsse:BinarySecurityToken")?,
    })
}

fn only_child<'e>(parent: &'e Element<'e>, ns: &str, local: &str) -> Option<&'e Element<'e>> {
    parent.children.iter().find(|c| c.is(ns, local))
}

fn signature(element: &Element) -> Result<Signature, SecurityError> {
    let signed_info = only_child(element, DS_NS, "SignedInfo")
        .ok_or_else(|| invalid("ds:Signature has no ds:SignedInfo"))?;
    let method = only_child(signed_info, DS_NS, "SignatureMethod")
        .and_then(|m| m.attribute(None, "Algorithm"))
        .ok_or_else(|| invalid("ds:SignedInfo has no ds:SignatureMethod Algorithm"))?
        .to_owned();
    let references = signed_info
        .children
        .iter()
        .filter(|c| c.is(DS_NS, "Reference"))
        .map(|r| r.attribute(None, "URI").unwrap_or_default().to_owned())
        .collect();
    let key_info = only_child(element, DS_NS, "KeyInfo").ok_or_else(|| {
        SecurityError::new(
            SecurityFault::SecurityTokenUnavailable,
            "ds:Signature has no ds:KeyInfo: the gateway cannot tell which certificate signed",
        )
    })?;
    Ok(Signature {
        method,
        references,
        key: key_reference(key_info)?,
    })
}

fn key_reference(key_info: &Element) -> Result<KeyReference, SecurityError> {
    let unavailable =
        |reason: String| SecurityError::new(SecurityFault::SecurityTokenUnavailable, reason);
    if let Some(str_) = only_child(key_info, WSSE_NS, "SecurityTokenReference") {
        if let Some(reference) = only_child(str_, WSSE_NS, "Reference") {
            let uri = reference.attribute(None, "URI").unwrap_or_default();
            let Some(id) = uri.strip_prefix('#') else {
                return Err(unavailable(format!(
                    "wsse:Reference URI {uri:?} does not name a token of the message (#id)"
                )));
            };
            return Ok(KeyReference::Token(id.to_owned()));
        }
        if let Some(embedded) = embedded(str_)? {
            return Ok(embedded);
        }
        if let Some(named) = issuer_serial(str_)? {
            return Ok(named);
        }
        if let Some(identifier) = only_child(str_, WSSE_NS, "KeyIdentifier") {
            let kind = identifier.attribute(None, "ValueType").unwrap_or_default();
            let make: Option<fn(Vec<u8>) -> KeyReference> = match kind {
                THUMBPRINT_SHA1 => Some(KeyReference::Thumbprint),
                SUBJECT_KEY_IDENTIFIER => Some(KeyReference::SubjectKeyIdentifier),
                _ => None,
            };
            if let Some(make) = make {
                let encoding = identifier.attribute(None, "EncodingType");
                if encoding.is_some_and(|e| e != BASE64_BINARY) {
                    return Err(unavailable(format!(
                        "wsse:KeyIdentifier of EncodingType {encoding:?}: only {BASE64_BINARY}"
                    )));
                }
                return Ok(make(base64(&identifier.text, "the wsse:KeyIdentifier")?));
            }
        }
        let what = str_
            .children
            .first()
            .map(|c| {
                let kind = c.attribute(None, "ValueType").unwrap_or_default();
                format!("{} {kind}", c.expanded_name())
            })
            .unwrap_or_else(|| "an empty reference".into());
        return Err(unavailable(format!(
            "the wsse:SecurityTokenReference holds {what}: send the certificate in a \
             wsse:BinarySecurityToken and reference it (wsse:Reference URI=\"#id\"), embed it \
             in ds:X509Data, or name a registered one by ds:X509IssuerSerial or a \
             wsse:KeyIdentifier (ThumbprintSHA1, X509SubjectKeyIdentifier)"
        )));
    }
    if let Some(embedded) = embedded(key_info)? {
        return Ok(embedded);
    }
    if let Some(named) = issuer_serial(key_info)? {
        return Ok(named);
    }
    Err(unavailable(
        "ds:KeyInfo names no certificate the gateway can read: use a wsse:SecurityTokenReference \
         to a wsse:BinarySecurityToken, or ds:X509Data/ds:X509Certificate"
            .into(),
    ))
}

/// A certificate named in `parent`'s `ds:X509Data/ds:X509IssuerSerial`, if it names one.
fn issuer_serial(parent: &Element) -> Result<Option<KeyReference>, SecurityError> {
    let Some(named) = only_child(parent, DS_NS, "X509Data")
        .and_then(|data| only_child(data, DS_NS, "X509IssuerSerial"))
    else {
        return Ok(None);
    };
    let text = |local: &str| {
        only_child(named, DS_NS, local)
            .map(|e| e.text.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                SecurityError::new(
                    SecurityFault::InvalidSecurityToken,
                    format!("ds:X509IssuerSerial has no ds:{local}"),
                )
            })
    };
    Ok(Some(KeyReference::IssuerSerial {
        issuer: text("X509IssuerName")?,
        serial: text("X509SerialNumber")?,
    }))
}

/// A certificate in `parent`'s `ds:X509Data/ds:X509Certificate`, if it holds one.
fn embedded(parent: &Element) -> Result<Option<KeyReference>, SecurityError> {
    let Some(cert) = only_child(parent, DS_NS, "X509Data")
        .and_then(|data| only_child(data, DS_NS, "X509Certificate"))
    else {
        return Ok(None);
    };
    Ok(Some(KeyReference::Embedded(base64(
        &cert.text,
        "ds:X509Certificate",
    )?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::xml;

    fn header(inner: &str) -> String {
        format!(
            r#"<wsse:Security xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}" xmlns:ds="{DS_NS}">{inner}</wsse:Security>"#
        )
    }

    #[test]
    fn a_timestamp_a_token_and_a_signature_are_read() {
        let doc = header(&format!(
            r##"<wsu:Timestamp wsu:Id="TS-1"><wsu:Created>2026-12-01T10:00:00.250Z</wsu:Created><wsu:Expires>2026-12-01T10:05:00+01:00</wsu:Expires></wsu:Timestamp>
            <wsse:BinarySecurityToken ValueType="{X509V3}" EncodingType="{BASE64_BINARY}" wsu:Id="X1">AQID
            BA==</wsse:BinarySecurityToken>
            <ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="urn:m"/><ds:Reference URI="#B"/><ds:Reference URI="#TS-1"/></ds:SignedInfo>
            <ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#X1"/></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>"##
        ));
        let root = xml::parse(doc.as_bytes()).unwrap();
        let read = read(&root).unwrap();
        let ts = read.timestamp.unwrap();
        assert_eq!(ts.id.as_deref(), Some("TS-1"));
        assert_eq!(ts.created, 1_796_119_200);
        assert_eq!(ts.expires, Some(1_796_119_200 - 3600 + 300));
        assert_eq!(
            read.tokens,
            vec![BinaryToken {
                id: Some("X1".into()),
                der: vec![1, 2, 3, 4]
            }]
        );
        let sig = read.signature.unwrap();
        assert_eq!(sig.references, ["#B", "#TS-1"]);
        assert_eq!(sig.key, KeyReference::Token("X1".into()));
    }

    #[test]
    fn an_embedded_certificate_is_read_directly_or_inside_a_token_reference() {
        for key_info in [
            "<ds:X509Data><ds:X509Certificate>AQID</ds:X509Certificate></ds:X509Data>",
            "<wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial/><ds:X509Certificate>AQID</ds:X509Certificate></ds:X509Data></wsse:SecurityTokenReference>",
        ] {
            let doc = header(&format!(
                r#"<ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="urn:m"/></ds:SignedInfo><ds:KeyInfo>{key_info}</ds:KeyInfo></ds:Signature>"#
            ));
            let root = xml::parse(doc.as_bytes()).unwrap();
            let key = read(&root).unwrap().signature.unwrap().key;
            assert_eq!(key, KeyReference::Embedded(vec![1, 2, 3]), "{key_info}");
        }
    }

    #[test]
    fn a_registered_certificate_may_be_named_instead_of_sent() {
        for (key_info, expected) in [
            (
                "<wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName> CN=CA, O=Test </ds:X509IssuerName><ds:X509SerialNumber>12345</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference>".to_owned(),
                KeyReference::IssuerSerial {
                    issuer: "CN=CA, O=Test".into(),
                    serial: "12345".into(),
                },
            ),
            (
                "<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=CA</ds:X509IssuerName><ds:X509SerialNumber>7</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>".to_owned(),
                KeyReference::IssuerSerial {
                    issuer: "CN=CA".into(),
                    serial: "7".into(),
                },
            ),
            (
                format!(r#"<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType="{BASE64_BINARY}" ValueType="{THUMBPRINT_SHA1}">AQID</wsse:KeyIdentifier></wsse:SecurityTokenReference>"#),
                KeyReference::Thumbprint(vec![1, 2, 3]),
            ),
            (
                format!(r#"<wsse:SecurityTokenReference><wsse:KeyIdentifier ValueType="{SUBJECT_KEY_IDENTIFIER}">BAU=</wsse:KeyIdentifier></wsse:SecurityTokenReference>"#),
                KeyReference::SubjectKeyIdentifier(vec![4, 5]),
            ),
        ] {
            let doc = header(&format!(
                r#"<ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="urn:m"/></ds:SignedInfo><ds:KeyInfo>{key_info}</ds:KeyInfo></ds:Signature>"#
            ));
            let root = xml::parse(doc.as_bytes()).unwrap();
            let key = read(&root).unwrap().signature.unwrap().key;
            assert_eq!(key, expected, "{key_info}");
        }
    }

    #[test]
    fn refusals_name_the_fault_and_the_element() {
        let cases = [
            (
                "<wsse:UsernameToken/>".to_owned(),
                SecurityFault::UnsupportedSecurityToken,
                "UsernameToken",
            ),
            (
                r#"<wsse:BinarySecurityToken ValueType="urn:kerberos">AA==</wsse:BinarySecurityToken>"#.to_owned(),
                SecurityFault::UnsupportedSecurityToken,
                "urn:kerberos",
            ),
            (
                format!(r#"<wsse:BinarySecurityToken ValueType="{X509V3}">not base64!</wsse:BinarySecurityToken>"#),
                SecurityFault::InvalidSecurityToken,
                "base64",
            ),
            (
                "<wsu:Timestamp><wsu:Created>yesterday</wsu:Created></wsu:Timestamp>".to_owned(),
                SecurityFault::InvalidSecurity,
                "yesterday",
            ),
            (
                "<wsu:Timestamp><wsu:Expires>2026-12-01T10:00:00Z</wsu:Expires></wsu:Timestamp>".to_owned(),
                SecurityFault::InvalidSecurity,
                "no wsu:Created",
            ),
            (
                r#"<ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="urn:m"/></ds:SignedInfo><ds:KeyInfo><wsse:SecurityTokenReference><wsse:KeyIdentifier ValueType="urn:thumb">AA==</wsse:KeyIdentifier></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>"#.to_owned(),
                SecurityFault::SecurityTokenUnavailable,
                "KeyIdentifier urn:thumb",
            ),
            (
                r#"<ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="urn:m"/></ds:SignedInfo><ds:KeyInfo><wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=x</ds:X509IssuerName></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>"#.to_owned(),
                SecurityFault::InvalidSecurityToken,
                "no ds:X509SerialNumber",
            ),
            (
                "<other xmlns='urn:x'/>".to_owned(),
                SecurityFault::UnsupportedSecurityToken,
                "{urn:x}other",
            ),
        ];
        for (inner, fault, names) in cases {
            let doc = header(&inner);
            let root = xml::parse(doc.as_bytes()).unwrap();
            let err = read(&root).unwrap_err();
            assert_eq!(err.fault, fault, "{inner}");
            assert!(err.reason.contains(names), "{inner}: {}", err.reason);
        }
    }

    #[test]
    fn an_id_borne_twice_is_refused() {
        for second in [
            r#"xml:id="x""#,
            r#"o:Id="x" xmlns:o="urn:other""#,
            r#"ID="x""#,
        ] {
            let doc = format!(
                r#"<e xmlns:wsu="{WSU_NS}"><a wsu:Id="x"/><b><c Id="y"/><d {second}/></b></e>"#
            );
            let root = xml::parse(doc.as_bytes()).unwrap();
            let err = index_ids(&root).unwrap_err();
            assert_eq!(err.fault, SecurityFault::InvalidSecurity, "{second}");
            assert!(err.reason.contains("\"x\""), "{}", err.reason);
        }
        let doc = format!(r#"<e xmlns:wsu="{WSU_NS}"><a wsu:Id="x"/><c Id="y"/></e>"#);
        let ids = index_ids(&xml::parse(doc.as_bytes()).unwrap()).unwrap();
        assert_eq!(ids.get("y").map(String::as_str), Some("c"));
    }
}
