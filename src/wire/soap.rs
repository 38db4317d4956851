//! SOAP 1.1 and 1.2 envelopes: recognised by namespace URI, answered in the version the
//! client used, faults in that version's shape.

use thiserror::Error;

use super::ws_addressing::{self, Addressing, AddressingError, AddressingFault, AddressingVersion};
use super::ws_security::{self, Secured, SecurityFault};
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
/// element of its body; the WS-Security header block, when there is one, with what
/// checking its signature needs; and the WS-Addressing properties, when it has some.
#[derive(Debug)]
pub struct Envelope<'a> {
    pub version: SoapVersion,
    pub payload: Element<'a>,
    pub security: Option<Box<Secured<'a>>>,
    pub addressing: Option<Addressing>,
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
    #[error("{0}")]
    Addressing(AddressingError),
}

impl EnvelopeError {
    pub fn fault_code(&self) -> FaultCode {
        match self {
            EnvelopeError::NotAnEnvelope { .. } => FaultCode::VersionMismatch,
            EnvelopeError::MustUnderstand(_) => FaultCode::MustUnderstand,
            EnvelopeError::Addressing(e) => FaultCode::Addressing(e.fault, e.version),
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
    // IDs are only looked at when a signature may refer to them.
    let ids = root
        .children
        .iter()
        .any(|c| c.is(ns, "Header") && c.children.iter().any(|b| is_security(b, version)))
        .then(|| ws_security::index_ids(&root));
    let mut header_seen = false;
    let mut security = None;
    let mut addressing = None;
    let mut body = None;
    for child in root.children {
        if child.is(ns, "Header") && !header_seen && body.is_none() {
            header_seen = true;
            (security, addressing) = check_headers(child, version).map_err(fail)?;
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
    let security = match (security, ids) {
        (Some((header, must_understand)), Some(ids)) => Some(Box::new(Secured {
            header,
            must_understand,
            body_id: ws_security::id_of(&body).map(str::to_owned),
            ids,
        })),
        _ => None,
    };
    match body.children.len() {
        0 => Err(fail(EnvelopeError::EmptyBody)),
        1 => Ok(Envelope {
            version,
            payload: body.children.remove(0),
            security,
            addressing,
        }),
        n => Err(fail(EnvelopeError::SeveralBodyElements(n))),
    }
}

/// A WS-Security block, with whether it must be understood.
type SecurityBlock<'a> = (Element<'a>, bool);

/// The header blocks the gateway processes, when addressed to it: WS-Security's,
/// returned with whether it must be understood for the caller to judge, and
/// WS-Addressing's, read into their properties. Any other block addressed to it that
/// must be understood is a fault; one addressed to another role is not the gateway's
/// to process (SOAP 1.2, part 1, 5.2.2), so it is left alone.
fn check_headers(
    header: Element<'_>,
    version: SoapVersion,
) -> Result<(Option<SecurityBlock<'_>>, Option<Addressing>), EnvelopeError> {
    let mut security = None;
    let mut addressing = ws_addressing::Reader::default();
    for block in header.children {
        // An xsd:boolean: surrounding whitespace collapses.
        let must = block
            .attribute(Some(version.namespace()), "mustUnderstand")
            .map(str::trim);
        let must = matches!(must, Some("1") | Some("true"));
        let ours = addressed_to_us(&block, version);
        let wsa = AddressingVersion::of(block.ns.as_deref()).filter(|_| ours);
        if is_security(&block, version) && security.is_none() {
            security = Some((block, must));
        } else if let Some(wsa) = wsa {
            addressing
                .block(&block, wsa)
                .map_err(EnvelopeError::Addressing)?;
        } else if must && ours {
            return Err(EnvelopeError::MustUnderstand(block.expanded_name()));
        }
    }
    Ok((security, addressing.finish()))
}

/// A `wsse:Security` block for the gateway.
fn is_security(block: &Element, version: SoapVersion) -> bool {
    block.is(ws_security::WSSE_NS, "Security") && addressed_to_us(block, version)
}

/// A block names no other actor (SOAP 1.1) or role (SOAP 1.2) than the next node or
/// the ultimate receiver.
fn addressed_to_us(block: &Element, version: SoapVersion) -> bool {
    const NEXT_11: &str = "http://schemas.xmlsoap.org/soap/actor/next";
    const NEXT_12: &str = "http://www.w3.org/2003/05/soap-envelope/role/next";
    const ULTIMATE_12: &str = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver";
    let target = match version {
        SoapVersion::Soap11 => block.attribute(Some(SOAP11_NS), "actor"),
        SoapVersion::Soap12 => block.attribute(Some(SOAP12_NS), "role"),
    };
    matches!(
        target.map(str::trim),
        None | Some("" | NEXT_11 | NEXT_12 | ULTIMATE_12)
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is at fault (SOAP 1.2: Sender).
    Client,
    /// The server is at fault (SOAP 1.2: Receiver).
    Server,
    VersionMismatch,
    MustUnderstand,
    /// A WS-Security fault: the sender's, under its own QName (SOAP 1.2: a subcode of
    /// Sender).
    Security(SecurityFault),
    /// A WS-Addressing fault, the sender's too, in the client's WS-Addressing.
    Addressing(AddressingFault, AddressingVersion),
}

/// The QNames a fault names below its code, and the namespace their prefix stands for.
struct Subcodes {
    prefix: &'static str,
    namespace: &'static str,
    first: String,
    second: Option<String>,
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
            (FaultCode::Security(_) | FaultCode::Addressing(..), SoapVersion::Soap11) => "Client",
            (FaultCode::Security(_) | FaultCode::Addressing(..), SoapVersion::Soap12) => "Sender",
        }
    }

    fn subcodes(self) -> Option<Subcodes> {
        match self {
            FaultCode::Security(fault) => {
                let (prefix, namespace) = fault.namespace();
                Some(Subcodes {
                    prefix,
                    namespace,
                    first: fault.qname(),
                    second: None,
                })
            }
            FaultCode::Addressing(fault, version) => {
                let (first, second) = fault.subcodes(version);
                Some(Subcodes {
                    prefix: "wsa",
                    namespace: version.namespace(),
                    first: format!("wsa:{first}"),
                    second: second.map(|s| format!("wsa:{s}")),
                })
            }
            _ => None,
        }
    }

    /// A fault about the header rather than the service's request: it carries no
    /// detail of the contract's.
    pub fn is_header_fault(self) -> bool {
        matches!(self, FaultCode::Security(_) | FaultCode::Addressing(..))
    }

    /// SOAP 1.1 over HTTP answers every fault with 500; SOAP 1.2 answers a sender's
    /// fault with 400.
    pub fn http_status(self, version: SoapVersion) -> u16 {
        match (self, version) {
            (
                FaultCode::Client | FaultCode::Security(_) | FaultCode::Addressing(..),
                SoapVersion::Soap12,
            ) => 400,
            _ => 500,
        }
    }
}

const PREFIX: &str = "soapenv";

/// What an answer's envelope carries besides its body: header blocks, and a `wsu:Id`
/// on the Body for a signature to cover.
#[derive(Clone, Copy, Default)]
pub struct Head<'a> {
    pub blocks: Option<&'a dyn Fn(&mut XmlWriter)>,
    pub body_id: Option<&'a str>,
}

/// Wraps an already written body payload in an envelope of `version`.
pub fn envelope(version: SoapVersion, write_body: impl FnOnce(&mut XmlWriter)) -> String {
    envelope_with_head(version, Head::default(), write_body)
}

/// `envelope`, with what `head` adds.
pub fn envelope_with_head(
    version: SoapVersion,
    head: Head<'_>,
    write_body: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::with_capacity(2048);
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open_ns("soapenv:Envelope", &[(PREFIX, version.namespace())]);
    if let Some(write_blocks) = head.blocks {
        w.open("soapenv:Header");
        write_blocks(&mut w);
        w.close("soapenv:Header");
    }
    match head.body_id {
        Some(id) => w.open_with(
            "soapenv:Body",
            &[("wsu", ws_security::WSU_NS)],
            &[("wsu:Id", id)],
        ),
        None => w.open("soapenv:Body"),
    };
    write_body(&mut w);
    w.close("soapenv:Body").close("soapenv:Envelope");
    w.finish()
}

/// A fault envelope, with what `head` adds; `write_detail` writes the contents of the
/// detail element, if any.
pub fn fault(
    version: SoapVersion,
    code: FaultCode,
    reason: &str,
    head: Head<'_>,
    write_detail: Option<&dyn Fn(&mut XmlWriter)>,
) -> String {
    envelope_with_head(version, head, |w| {
        let subcodes = code.subcodes();
        match &subcodes {
            Some(s) => w.open_ns("soapenv:Fault", &[(s.prefix, s.namespace)]),
            None => w.open("soapenv:Fault"),
        };
        let code_name = format!("{PREFIX}:{}", code.local_name(version));
        match version {
            SoapVersion::Soap11 => {
                let code_name = subcodes.as_ref().map_or(&code_name, |s| &s.first);
                w.leaf("faultcode", code_name).leaf("faultstring", reason);
                if let Some(detail) = write_detail {
                    w.open("detail");
                    detail(w);
                    w.close("detail");
                }
            }
            SoapVersion::Soap12 => {
                w.open("soapenv:Code").leaf("soapenv:Value", &code_name);
                if let Some(s) = &subcodes {
                    w.open("soapenv:Subcode").leaf("soapenv:Value", &s.first);
                    if let Some(second) = &s.second {
                        w.open("soapenv:Subcode")
                            .leaf("soapenv:Value", second)
                            .close("soapenv:Subcode");
                    }
                    w.close("soapenv:Subcode");
                }
                w.close("soapenv:Code");
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
            matches!(e, Ok(Envelope { version: SoapVersion::Soap11, ref payload, .. }) if payload.is("urn:a", "x"))
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
    fn the_ws_security_block_for_the_gateway_is_handed_over_with_the_ids() {
        let wsse = ws_security::WSSE_NS;
        let wsu = ws_security::WSU_NS;
        let doc = format!(
            r#"<e:Envelope xmlns:e="{SOAP11_NS}" xmlns:u="{wsu}"><e:Header><s:Security xmlns:s="{wsse}" e:mustUnderstand="1"><u:Timestamp u:Id="T"/></s:Security></e:Header><e:Body u:Id="B"><x/></e:Body></e:Envelope>"#
        );
        let envelope = parse_envelope(doc.as_bytes()).unwrap();
        let secured = envelope.security.unwrap();
        assert!(secured.must_understand);
        assert_eq!(secured.body_id.as_deref(), Some("B"));
        let ids = secured.ids.unwrap();
        assert_eq!(
            ids.get("T").map(String::as_str),
            Some(&*format!("{{{wsu}}}Timestamp"))
        );
        // Addressed to another actor, it is not the gateway's to process, nor to
        // understand: left alone.
        let other = doc.replace("e:mustUnderstand", "e:actor=\"urn:other\" e:mustUnderstand");
        assert!(parse_envelope(other.as_bytes()).unwrap().security.is_none());
        // Without a Security block, IDs are not even looked at.
        let plain = env(SOAP11_NS, "<x xmlns='urn:a'/>");
        assert!(parse_envelope(plain.as_bytes()).unwrap().security.is_none());
    }

    #[test]
    fn a_ws_security_fault_is_written_under_its_qname() {
        let fault = SecurityFault::MessageExpired;
        let soap11 = super::fault(
            SoapVersion::Soap11,
            FaultCode::Security(fault),
            "late",
            Head::default(),
            None,
        );
        let root = xml::parse(soap11.as_bytes()).unwrap();
        let written = &root.children[0].children[0];
        assert_eq!(written.children[0].text, "wsu:MessageExpired");
        assert!(soap11.contains(&format!("xmlns:wsu=\"{}\"", ws_security::WSU_NS)));
        let soap12 = super::fault(
            SoapVersion::Soap12,
            FaultCode::Security(fault),
            "late",
            Head::default(),
            None,
        );
        assert!(soap12.contains("<soapenv:Value>soapenv:Sender</soapenv:Value><soapenv:Subcode><soapenv:Value>wsu:MessageExpired</soapenv:Value></soapenv:Subcode>"), "{soap12}");
        assert_eq!(
            FaultCode::Security(fault).http_status(SoapVersion::Soap12),
            400
        );
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
    fn addressing_blocks_are_understood_and_read() {
        use super::ws_addressing::WSA_NS;
        let doc = format!(
            r#"<e:Envelope xmlns:e="{SOAP12_NS}" xmlns:a="{WSA_NS}"><e:Header><a:Action e:mustUnderstand="true">urn:x</a:Action><a:MessageID e:mustUnderstand="1">urn:uuid:1</a:MessageID></e:Header><e:Body><x/></e:Body></e:Envelope>"#
        );
        let addressing = parse_envelope(doc.as_bytes()).unwrap().addressing.unwrap();
        assert_eq!(addressing.action.as_deref(), Some("urn:x"));
        assert_eq!(addressing.message_id.as_deref(), Some("urn:uuid:1"));
        // Addressed to another role, a block is not the gateway's to process, nor
        // to understand, whatever it is.
        for block in ["a:Action", "t:Trace"] {
            let elsewhere = format!(
                r#"<e:Envelope xmlns:e="{SOAP12_NS}" xmlns:a="{WSA_NS}" xmlns:t="urn:t"><e:Header><{block} e:role="urn:other" e:mustUnderstand="1">urn:x</{block}></e:Header><e:Body><x/></e:Body></e:Envelope>"#
            );
            let read = parse_envelope(elsewhere.as_bytes()).unwrap();
            assert!(read.addressing.is_none(), "{block}");
        }
        let twice = doc.replace("</e:Header>", "<a:Action>urn:y</a:Action></e:Header>");
        let e = parse_envelope(twice.as_bytes()).err().map(|(_, e)| e);
        let Some(e @ EnvelopeError::Addressing(_)) = e else {
            panic!("{e:?}");
        };
        assert_eq!(
            e.fault_code(),
            FaultCode::Addressing(
                AddressingFault::InvalidAddressingHeader,
                AddressingVersion::W3c
            )
        );
    }

    #[test]
    fn an_addressing_fault_names_its_subcodes() {
        let code = FaultCode::Addressing(
            AddressingFault::OnlyAnonymousAddressSupported,
            AddressingVersion::W3c,
        );
        let header = |w: &mut XmlWriter| {
            w.leaf("h", "1");
        };
        let head = Head {
            blocks: Some(&header),
            body_id: Some("B"),
        };
        let soap12 = fault(SoapVersion::Soap12, code, "no", head, None);
        assert!(soap12.contains(&format!(
            "<soapenv:Header><h>1</h></soapenv:Header><soapenv:Body xmlns:wsu=\"{}\" wsu:Id=\"B\">",
            ws_security::WSU_NS
        )));
        assert!(soap12.contains("<soapenv:Subcode><soapenv:Value>wsa:InvalidAddressingHeader</soapenv:Value><soapenv:Subcode><soapenv:Value>wsa:OnlyAnonymousAddressSupported</soapenv:Value></soapenv:Subcode></soapenv:Subcode>"), "{soap12}");
        let soap11 = fault(SoapVersion::Soap11, code, "no", Head::default(), None);
        assert!(soap11.contains("<faultcode>wsa:InvalidAddressingHeader</faultcode>"));
        assert!(xml::parse(soap11.as_bytes()).is_ok() && xml::parse(soap12.as_bytes()).is_ok());
    }

    #[test]
    fn faults_follow_the_version() {
        let f11 = fault(
            SoapVersion::Soap11,
            FaultCode::Client,
            "bad <input>",
            Head::default(),
            None,
        );
        assert!(f11.contains(
            "<faultcode>soapenv:Client</faultcode><faultstring>bad &lt;input&gt;</faultstring>"
        ));
        let f12 = fault(
            SoapVersion::Soap12,
            FaultCode::Client,
            "bad",
            Head::default(),
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
