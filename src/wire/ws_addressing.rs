//! WS-Addressing headers as SOAP stacks add them: W3C WS-Addressing 1.0 (the 2005/08
//! namespace, JAX-WS's `AddressingFeature`, WCF, CXF) and the 2004/08 member
//! submission older stacks still send. The request's message addressing properties
//! are read here; the gateway answers on the HTTP response only (anonymous replies),
//! with `RelatesTo` naming the request's `MessageID`. Faults follow the W3C SOAP
//! binding: a subcode of Sender in SOAP 1.2, the subcode as `faultcode` in SOAP 1.1.

use thiserror::Error;

use super::xml::{Element, XmlWriter};

pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
pub const WSA_2004_NS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";

/// Which WS-Addressing the client speaks; the answer speaks the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressingVersion {
    W3c,
    Submission,
}

impl AddressingVersion {
    pub fn of(namespace: Option<&str>) -> Option<AddressingVersion> {
        match namespace? {
            WSA_NS => Some(AddressingVersion::W3c),
            WSA_2004_NS => Some(AddressingVersion::Submission),
            _ => None,
        }
    }

    pub fn namespace(self) -> &'static str {
        match self {
            AddressingVersion::W3c => WSA_NS,
            AddressingVersion::Submission => WSA_2004_NS,
        }
    }

    /// The address that means "on the back channel": the HTTP response.
    fn anonymous(self) -> &'static str {
        match self {
            AddressingVersion::W3c => "http://www.w3.org/2005/08/addressing/anonymous",
            AddressingVersion::Submission => {
                "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
            }
        }
    }

    /// The address that means "send nothing" (W3C only).
    fn none(self) -> Option<&'static str> {
        match self {
            AddressingVersion::W3c => Some("http://www.w3.org/2005/08/addressing/none"),
            AddressingVersion::Submission => None,
        }
    }

    /// The action of a fault that no operation declares.
    pub fn fault_action(self) -> &'static str {
        match self {
            AddressingVersion::W3c => "http://www.w3.org/2005/08/addressing/fault",
            AddressingVersion::Submission => {
                "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
            }
        }
    }
}

/// The faults of the W3C SOAP binding the gateway answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressingFault {
    /// A property borne twice, or an element where an address or a URI belongs.
    InvalidAddressingHeader,
    /// A `ReplyTo` or `FaultTo` elsewhere than the HTTP response (a subcode of
    /// InvalidAddressingHeader).
    OnlyAnonymousAddressSupported,
    /// Addressing headers without `Action`.
    MessageAddressingHeaderRequired,
    /// An `Action` that is not the operation of the body.
    ActionNotSupported,
}

impl AddressingFault {
    /// The fault's name in `version`: the 2004/08 submission names two of them
    /// otherwise, and has no subcode for anonymous replies.
    fn local_name(self, version: AddressingVersion) -> &'static str {
        match (self, version) {
            (AddressingFault::InvalidAddressingHeader, AddressingVersion::W3c) => {
                "InvalidAddressingHeader"
            }
            (
                AddressingFault::InvalidAddressingHeader
                | AddressingFault::OnlyAnonymousAddressSupported,
                AddressingVersion::Submission,
            ) => "InvalidMessageInformationHeader",
            (AddressingFault::OnlyAnonymousAddressSupported, AddressingVersion::W3c) => {
                "OnlyAnonymousAddressSupported"
            }
            (AddressingFault::MessageAddressingHeaderRequired, AddressingVersion::W3c) => {
                "MessageAddressingHeaderRequired"
            }
            (AddressingFault::MessageAddressingHeaderRequired, AddressingVersion::Submission) => {
                "MessageInformationHeaderRequired"
            }
            (AddressingFault::ActionNotSupported, _) => "ActionNotSupported",
        }
    }

    /// The fault's subcodes in `version`, most general first: W3C's
    /// `wsa:InvalidAddressingHeader` then `wsa:OnlyAnonymousAddressSupported`, or one
    /// alone.
    pub fn subcodes(self, version: AddressingVersion) -> (&'static str, Option<&'static str>) {
        match (self, version) {
            (AddressingFault::OnlyAnonymousAddressSupported, AddressingVersion::W3c) => (
                AddressingFault::InvalidAddressingHeader.local_name(version),
                Some(self.local_name(version)),
            ),
            _ => (self.local_name(version), None),
        }
    }

    /// `wsa:ActionNotSupported`: as the journal keeps it.
    pub fn qname(self, version: AddressingVersion) -> String {
        format!("wsa:{}", self.local_name(version))
    }
}

/// A refusal of the addressing headers, with a reason a person can act on, and the
/// request's `MessageID` when it was read before, for the fault to relate to.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{reason}")]
pub struct AddressingError {
    pub fault: AddressingFault,
    pub version: AddressingVersion,
    pub reason: String,
    pub message_id: Option<String>,
}

/// The request's message addressing properties the gateway acts on. `To`, `From` and
/// reference parameters are understood and not checked: a proxy or a public address
/// may stand between the client and the gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addressing {
    pub version: AddressingVersion,
    pub action: Option<String>,
    pub message_id: Option<String>,
}

/// What the answer's header says: the action of the answer (or of a fault) and the
/// request it relates to.
pub struct Reply<'a> {
    pub version: AddressingVersion,
    pub action: &'a str,
    pub message_id: String,
    pub relates_to: Option<&'a str>,
}

impl Reply<'_> {
    /// The IDs `write_with_ids` gives the blocks, for a signature to cover them.
    pub fn ids(&self) -> Vec<&'static str> {
        let mut ids = vec!["wsa-Action", "wsa-MessageID"];
        if self.relates_to.is_some() {
            ids.push("wsa-RelatesTo");
        }
        ids
    }

    /// The header blocks, inside an open `soapenv:Header`.
    pub fn write(&self, w: &mut XmlWriter) {
        self.write_blocks(w, None);
    }

    /// `write`, each block with a `wsu:Id` (`ids`), in the namespace `wsu`.
    pub fn write_with_ids(&self, w: &mut XmlWriter, wsu: &str) {
        self.write_blocks(w, Some(wsu));
    }

    fn write_blocks(&self, w: &mut XmlWriter, wsu: Option<&str>) {
        let wsa = self.version.namespace();
        let mut block = |name: &str, id: &str, text: &str| {
            match wsu {
                Some(wsu) => w.open_with(name, &[("wsa", wsa), ("wsu", wsu)], &[("wsu:Id", id)]),
                None => w.open_ns(name, &[("wsa", wsa)]),
            };
            w.text(text).close(name);
        };
        block("wsa:Action", "wsa-Action", self.action);
        block("wsa:MessageID", "wsa-MessageID", &self.message_id);
        if let Some(relates_to) = self.relates_to {
            block("wsa:RelatesTo", "wsa-RelatesTo", relates_to);
        }
    }
}

/// Collects the addressing header blocks of one request, in order.
#[derive(Default)]
pub struct Reader {
    read: Option<Addressing>,
    seen: Vec<&'static str>,
}

impl Reader {
    /// Takes one header block of a WS-Addressing namespace (`version`).
    pub fn block(
        &mut self,
        block: &Element<'_>,
        version: AddressingVersion,
    ) -> Result<(), AddressingError> {
        let read = self.read.get_or_insert(Addressing {
            version,
            action: None,
            message_id: None,
        });
        // The message ID is copied only into an error: a header of many blocks costs
        // no copy of it each.
        let refuse = |read: &Addressing, fault, reason: String| AddressingError {
            fault,
            version,
            reason,
            message_id: read.message_id.clone(),
        };
        if read.version != version {
            return Err(refuse(
                read,
                AddressingFault::InvalidAddressingHeader,
                format!(
                    "the header mixes WS-Addressing {} and {}: use one",
                    read.version.namespace(),
                    version.namespace()
                ),
            ));
        }
        let name: &'static str = match block.local.as_ref() {
            "Action" => "Action",
            "MessageID" => "MessageID",
            "To" => "To",
            "ReplyTo" => "ReplyTo",
            "FaultTo" => "FaultTo",
            "From" => "From",
            // RelatesTo, reference parameters: understood, nothing to act on.
            _ => return Ok(()),
        };
        if self.seen.contains(&name) {
            return Err(refuse(
                read,
                AddressingFault::InvalidAddressingHeader,
                format!("wsa:{name} appears twice in the header: a message has one"),
            ));
        }
        self.seen.push(name);
        match name {
            "Action" => match uri(block, name) {
                Ok(action) => read.action = Some(action),
                Err((fault, reason)) => return Err(refuse(read, fault, reason)),
            },
            "MessageID" => match uri(block, name) {
                Ok(id) => read.message_id = Some(id),
                Err((fault, reason)) => return Err(refuse(read, fault, reason)),
            },
            "ReplyTo" | "FaultTo" => {
                let address = block
                    .children
                    .iter()
                    .find(|c| c.is(version.namespace(), "Address"))
                    .map(|a| a.text.trim())
                    .ok_or_else(|| {
                        refuse(
                            read,
                            AddressingFault::InvalidAddressingHeader,
                            format!("wsa:{name} has no wsa:Address"),
                        )
                    })?;
                let back_channel = address == version.anonymous()
                    || (name == "FaultTo" && Some(address) == version.none());
                if !back_channel {
                    return Err(refuse(
                        read,
                        AddressingFault::OnlyAnonymousAddressSupported,
                        format!(
                            "wsa:{name} is {address:?}: the gateway answers on the HTTP response \
                             only, so it must be {}",
                            version.anonymous()
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn finish(self) -> Option<Addressing> {
        self.read
    }
}

/// The text of a property that is a URI: non-empty, no element inside.
fn uri(block: &Element<'_>, name: &str) -> Result<String, (AddressingFault, String)> {
    let text = block.text.trim();
    if text.is_empty() || !block.children.is_empty() {
        return Err((
            AddressingFault::InvalidAddressingHeader,
            format!("wsa:{name} must hold a URI as text"),
        ));
    }
    Ok(text.to_owned())
}

/// The action WS-Addressing's metadata gives a message the WSDL declares no action
/// for: `[target namespace][delimiter][port type][delimiter][message name]`, with `:`
/// as the delimiter in a URN and `/` otherwise.
pub fn default_action(target_namespace: &str, port_type: &str, message: &str) -> String {
    let delimiter = if target_namespace.starts_with("urn:") {
        ':'
    } else {
        '/'
    };
    let base = target_namespace
        .strip_suffix(delimiter)
        .unwrap_or(target_namespace);
    format!("{base}{delimiter}{port_type}{delimiter}{message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::xml;

    fn read_blocks(blocks: &str) -> Result<Option<Addressing>, AddressingError> {
        let text = format!("<h xmlns:a='{WSA_NS}' xmlns:s='{WSA_2004_NS}'>{blocks}</h>");
        let header = xml::parse(text.as_bytes()).unwrap_or_default();
        let mut reader = Reader::default();
        for block in &header.children {
            if let Some(version) = AddressingVersion::of(block.ns.as_deref()) {
                reader.block(block, version)?;
            }
        }
        Ok(reader.finish())
    }

    #[test]
    fn the_properties_are_read_and_anonymous_replies_accepted() {
        let read = read_blocks(
            "<a:Action> urn:x/op </a:Action><a:MessageID>urn:uuid:1</a:MessageID>\
             <a:To>https://elsewhere/</a:To>\
             <a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>\
             <a:FaultTo><a:Address>http://www.w3.org/2005/08/addressing/none</a:Address></a:FaultTo>\
             <a:RelatesTo>urn:uuid:0</a:RelatesTo>",
        );
        assert_eq!(
            read,
            Ok(Some(Addressing {
                version: AddressingVersion::W3c,
                action: Some("urn:x/op".into()),
                message_id: Some("urn:uuid:1".into()),
            }))
        );
        let submission = read_blocks(
            "<s:Action>urn:x</s:Action><s:ReplyTo><s:Address>\
             http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</s:Address></s:ReplyTo>",
        );
        assert!(
            submission.is_ok_and(|a| a.is_some_and(|a| a.version == AddressingVersion::Submission))
        );
    }

    #[test]
    fn what_the_gateway_cannot_honour_is_refused_by_name() {
        for (blocks, fault, says) in [
            (
                "<a:Action>urn:x</a:Action><a:Action>urn:y</a:Action>",
                AddressingFault::InvalidAddressingHeader,
                "wsa:Action appears twice",
            ),
            (
                "<a:Action>urn:x</a:Action><s:MessageID>urn:uuid:1</s:MessageID>",
                AddressingFault::InvalidAddressingHeader,
                "mixes",
            ),
            (
                "<a:ReplyTo><a:Address>https://client.example/replies</a:Address></a:ReplyTo>",
                AddressingFault::OnlyAnonymousAddressSupported,
                "https://client.example/replies",
            ),
            (
                "<a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/none</a:Address></a:ReplyTo>",
                AddressingFault::OnlyAnonymousAddressSupported,
                "wsa:ReplyTo",
            ),
            (
                "<a:ReplyTo/>",
                AddressingFault::InvalidAddressingHeader,
                "no wsa:Address",
            ),
            (
                "<a:Action/>",
                AddressingFault::InvalidAddressingHeader,
                "must hold a URI",
            ),
            (
                "<a:MessageID><x/></a:MessageID>",
                AddressingFault::InvalidAddressingHeader,
                "must hold a URI",
            ),
        ] {
            match read_blocks(blocks) {
                Err(e) => {
                    assert_eq!(e.fault, fault, "{blocks}");
                    assert!(e.reason.contains(says), "{blocks}: {}", e.reason);
                }
                Ok(read) => panic!("{blocks}: accepted as {read:?}"),
            }
        }
    }

    #[test]
    fn the_submission_names_its_faults_its_own_way() {
        use AddressingVersion::{Submission, W3c};
        assert_eq!(
            AddressingFault::OnlyAnonymousAddressSupported.subcodes(Submission),
            ("InvalidMessageInformationHeader", None)
        );
        assert_eq!(
            AddressingFault::MessageAddressingHeaderRequired.qname(Submission),
            "wsa:MessageInformationHeaderRequired"
        );
        assert_eq!(
            AddressingFault::OnlyAnonymousAddressSupported.subcodes(W3c),
            (
                "InvalidAddressingHeader",
                Some("OnlyAnonymousAddressSupported")
            )
        );
        assert_eq!(
            AddressingFault::ActionNotSupported.qname(Submission),
            "wsa:ActionNotSupported"
        );
    }

    #[test]
    fn the_default_action_follows_the_metadata_pattern() {
        assert_eq!(
            default_action(
                "http://kszbcss.fgov.be/intf/LivingWagesService/v2",
                "LivingWagesPortType",
                "getLivingWagesResponse"
            ),
            "http://kszbcss.fgov.be/intf/LivingWagesService/v2/LivingWagesPortType/getLivingWagesResponse"
        );
        assert_eq!(
            default_action("urn:a:b", "P", "opRequest"),
            "urn:a:b:P:opRequest"
        );
        assert_eq!(default_action("http://x/", "P", "m"), "http://x/P/m");
    }

    #[test]
    fn the_reply_relates_to_the_request() {
        let mut w = XmlWriter::with_capacity(256);
        Reply {
            version: AddressingVersion::W3c,
            action: "urn:x/opResponse",
            message_id: "urn:uuid:2".into(),
            relates_to: Some("urn:uuid:1 & co"),
        }
        .write(&mut w);
        let text = w.finish();
        assert!(text.contains(">urn:x/opResponse</wsa:Action>"), "{text}");
        assert!(
            text.contains(">urn:uuid:1 &amp; co</wsa:RelatesTo>"),
            "{text}"
        );
        assert_eq!(text.matches(&format!("xmlns:wsa=\"{WSA_NS}\"")).count(), 3);
    }
}
