//! SOAP 1.1 and 1.2 envelopes: recognised by namespace URI, answered in the version the
//! client used, faults in that version's shape.

use thiserror::Error;

use super::xml::{self, Element, XmlError, XmlWriter};

pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoapVersion {
    Soap11,
    Soap12,
}

impl SoapVersion {
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => SOAP11_NS,
            SoapVersion::Soap12 => SOAP12_NS,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => "text/xml; charset=utf-8",
            SoapVersion::Soap12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// A guess from the request's content type, for answers given before the body is
    /// read (authentication, size): SOAP 1.2 says `application/soap+xml`.
    pub fn from_content_type(content_type: Option<&str>) -> SoapVersion {
        const SOAP12_TYPE: &str = "application/soap+xml";
        match content_type.and_then(|ct| ct.trim_start().get(..SOAP12_TYPE.len())) {
            Some(start) if start.eq_ignore_ascii_case(SOAP12_TYPE) => SoapVersion::Soap12,
            _ => SoapVersion::Soap11,
        }
    }
}

/// A request envelope reduced to what the services read: its version and the one
/// element of its body.
#[derive(Debug)]
pub struct Envelope<'a> {
    pub version: SoapVersion,
    pub payload: Element<'a>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("{0}")]
    Xml(#[from] XmlError),
    #[error("the root element {found} is not a SOAP 1.1 or 1.2 Envelope")]
    NotAnEnvelope { found: String },
    #[error("the Envelope has no Body")]
    NoBody,
    #[error("unexpected element {found} in the Envelope")]
    UnexpectedInEnvelope { found: String },
    #[error("text is not allowed directly inside the {0}")]
    TextInEnvelope(&'static str),
    #[error("the Body is empty: it must hold the operation's request element")]
    EmptyBody,
    #[error("the Body holds {0} elements: a document/literal request has exactly one")]
    SeveralBodyElements(usize),
    #[error("the header block {0} must be understood but is not supported")]
    MustUnderstand(String),
}

impl EnvelopeError {
    pub fn fault_code(&self) -> FaultCode {
        match self {
            EnvelopeError::NotAnEnvelope { .. } => FaultCode::VersionMismatch,
            EnvelopeError::MustUnderstand(_) => FaultCode::MustUnderstand,
            _ => FaultCode::Client,
        }
    }
}

/// Reads a request envelope. On error, also returns the version when it could be told
/// (so the fault is answered in it).
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope<'_>, (Option<SoapVersion>, EnvelopeError)> {
    parse_envelope_bounded(bytes, xml::MAX_ELEMENTS)
}

/// `parse_envelope` with another bound on the number of elements.
pub fn parse_envelope_bounded(
    bytes: &[u8],
    max_elements: usize,
) -> Result<Envelope<'_>, (Option<SoapVersion>, EnvelopeError)> {
    let root = xml::parse_bounded(bytes, max_elements).map_err(|e| (None, e.into()))?;
    let version = match root.ns.as_deref() {
        Some(SOAP11_NS) if root.local == "Envelope" => SoapVersion::Soap11,
        Some(SOAP12_NS) if root.local == "Envelope" => SoapVersion::Soap12,
        _ => {
            return Err((
                None,
                EnvelopeError::NotAnEnvelope {
                    found: root.expanded_name(),
                },
            ));
        }
    };
    let fail = |e| (Some(version), e);
    let ns = version.namespace();
    if !root.text.trim().is_empty() {
        return Err(fail(EnvelopeError::TextInEnvelope("Envelope")));
    }
    let mut header_seen = false;
    let mut body = None;
    for child in root.children {
        if child.is(ns, "Header") && !header_seen && body.is_none() {
            header_seen = true;
            check_headers(&child, version).map_err(fail)?;
        } else if child.is(ns, "Body") && body.is_none() {
            body = Some(child);
        } else {
            return Err(fail(EnvelopeError::UnexpectedInEnvelope {
                found: child.expanded_name(),
            }));
        }
    }
    let mut body = body.ok_or(fail(EnvelopeError::NoBody))?;
    if !body.text.trim().is_empty() {
        return Err(fail(EnvelopeError::TextInEnvelope("Body")));
    }
    match body.children.len() {
        0 => Err(fail(EnvelopeError::EmptyBody)),
        1 => Ok(Envelope {
            version,
            payload: body.children.remove(0),
        }),
        n => Err(fail(EnvelopeError::SeveralBodyElements(n))),
    }
}

/// No header block is processed, so one that must be understood is a fault.
fn check_headers(header: &Element, version: SoapVersion) -> Result<(), EnvelopeError> {
    for block in &header.children {
        // An xsd:boolean: surrounding whitespace collapses.
        let must = block
            .attribute(Some(version.namespace()), "mustUnderstand")
            .map(str::trim);
        if matches!(must, Some("1") | Some("true")) {
            return Err(EnvelopeError::MustUnderstand(block.expanded_name()));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is at fault (SOAP 1.2: Sender).
    Client,
    /// The server is at fault (SOAP 1.2: Receiver).
    Server,
    VersionMismatch,
    MustUnderstand,
}

impl FaultCode {
    fn local_name(self, version: SoapVersion) -> &'static str {
        match (self, version) {
            (FaultCode::Client, SoapVersion::Soap11) => "Client",
            (FaultCode::Client, SoapVersion::Soap12) => "Sender",
            (FaultCode::Server, SoapVersion::Soap11) => "Server",
            (FaultCode::Server, SoapVersion::Soap12) => "Receiver",
            (FaultCode::VersionMismatch, _) => "VersionMismatch",
            (FaultCode::MustUnderstand, _) => "MustUnderstand",
        }
    }

    /// SOAP 1.1 over HTTP answers every fault with 500; SOAP 1.2 answers a sender's
    /// fault with 400.
    pub fn http_status(self, version: SoapVersion) -> u16 {
        match (self, version) {
            (FaultCode::Client, SoapVersion::Soap12) => 400,
            _ => 500,
        }
    }
}

const PREFIX: &str = "soapenv";

/// Wraps an already written body payload in an envelope of `version`.
pub fn envelope(version: SoapVersion, write_body: impl FnOnce(&mut XmlWriter)) -> String {
    let mut w = XmlWriter::with_capacity(2048);
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open_ns("soapenv:Envelope", &[(PREFIX, version.namespace())]);
    w.open("soapenv:Body");
    write_body(&mut w);
    w.close("soapenv:Body").close("soapenv:Envelope");
    w.finish()
}

/// A fault envelope; `write_detail` writes the contents of the detail element, if any.
pub fn fault(
    version: SoapVersion,
    code: FaultCode,
    reason: &str,
    write_detail: Option<&dyn Fn(&mut XmlWriter)>,
) -> String {
    envelope(version, |w| {
        w.open("soapenv:Fault");
        let code_name = format!("{PREFIX}:{}", code.local_name(version));
        match version {
            SoapVersion::Soap11 => {
                w.leaf("faultcode", &code_name).leaf("faultstring", reason);
                if let Some(detail) = write_detail {
                    w.open("detail");
                    detail(w);
                    w.close("detail");
                }
            }
            SoapVersion::Soap12 => {
                w.open("soapenv:Code")
                    .leaf("soapenv:Value", &code_name)
                    .close("soapenv:Code");
                w.open("soapenv:Reason")
                    .raw("<soapenv:Text xml:lang=\"en\">")
                    .text(reason)
                    .raw("</soapenv:Text>")
                    .close("soapenv:Reason");
                if let Some(detail) = write_detail {
                    w.open("soapenv:Detail");
                    detail(w);
                    w.close("soapenv:Detail");
                }
            }
        }
        w.close("soapenv:Fault");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(ns: &str, body: &str) -> String {
        format!(r#"<e:Envelope xmlns:e="{ns}"><e:Header/><e:Body>{body}</e:Body></e:Envelope>"#)
    }

    #[test]
    fn the_content_type_tells_the_version_before_the_envelope_is_read() {
        for (content_type, version) in [
            (
                Some("application/soap+xml; charset=utf-8"),
                SoapVersion::Soap12,
            ),
            (Some("  Application/SOAP+XML"), SoapVersion::Soap12),
            (Some("text/xml; charset=utf-8"), SoapVersion::Soap11),
            (Some("application/soap"), SoapVersion::Soap11),
            (Some("é"), SoapVersion::Soap11),
            (None, SoapVersion::Soap11),
        ] {
            assert_eq!(
                SoapVersion::from_content_type(content_type),
                version,
                "{content_type:?}"
            );
        }
    }

    #[test]
    fn both_versions_are_recognised_by_namespace() {
        let doc = env(SOAP11_NS, "<x xmlns='urn:a'/>");
        let e = parse_envelope(doc.as_bytes());
        assert!(
            matches!(e, Ok(Envelope { version: SoapVersion::Soap11, ref payload }) if payload.is("urn:a", "x"))
        );
        let doc = env(SOAP12_NS, "<x xmlns='urn:a'/>");
        let e = parse_envelope(doc.as_bytes());
        assert!(matches!(
            e,
            Ok(Envelope {
                version: SoapVersion::Soap12,
                ..
            })
        ));
    }

    #[test]
    fn envelope_errors_are_specific() {
        let err = |s: String| parse_envelope(s.as_bytes()).err().map(|(_, e)| e);
        assert!(matches!(
            err(env("urn:other", "<x/>")),
            Some(EnvelopeError::NotAnEnvelope { .. })
        ));
        assert_eq!(err(env(SOAP11_NS, "")), Some(EnvelopeError::EmptyBody));
        assert_eq!(
            err(env(SOAP11_NS, "<x/><y/>")),
            Some(EnvelopeError::SeveralBodyElements(2))
        );
        assert_eq!(
            err(format!(r#"<e:Envelope xmlns:e="{SOAP11_NS}"/>"#)),
            Some(EnvelopeError::NoBody)
        );
        let must = format!(
            r#"<e:Envelope xmlns:e="{SOAP11_NS}"><e:Header><s:Security xmlns:s="urn:s" e:mustUnderstand="1"/></e:Header><e:Body><x/></e:Body></e:Envelope>"#
        );
        assert_eq!(
            err(must),
            Some(EnvelopeError::MustUnderstand("{urn:s}Security".into()))
        );
    }

    #[test]
    fn faults_follow_the_version() {
        let f11 = fault(SoapVersion::Soap11, FaultCode::Client, "bad <input>", None);
        assert!(f11.contains(
            "<faultcode>soapenv:Client</faultcode><faultstring>bad &lt;input&gt;</faultstring>"
        ));
        let f12 = fault(
            SoapVersion::Soap12,
            FaultCode::Client,
            "bad",
            Some(&|w: &mut XmlWriter| {
                w.leaf("d", "1");
            }),
        );
        assert!(f12.contains("<soapenv:Value>soapenv:Sender</soapenv:Value>"));
        assert!(f12.contains("<soapenv:Detail><d>1</d></soapenv:Detail>"));
        assert_eq!(FaultCode::Client.http_status(SoapVersion::Soap12), 400);
        assert_eq!(FaultCode::Client.http_status(SoapVersion::Soap11), 500);
    }
}
