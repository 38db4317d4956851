//! The CBSS common types (CommonV3): customer and CBSS information blocks, status,
//! fault detail, and a reader for the unqualified, ordered children of a request.

use std::borrow::Cow;

use uuid::Uuid;

use super::xml::{Element, XmlWriter};
use crate::domain::{Period, date};

pub const COMMON_NS: &str = "http://kszbcss.fgov.be/types/common/v3";

/// Reason code of a message that is not valid against the contract.
pub const INVALID_STRUCTURE: &str = "MSG00004";
/// Reason code of an SSIN that has not the shape of one.
pub const INVALID_SSIN: &str = "MSG00011";

/// A field of a request that breaks the contract: where, what, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidField {
    /// The status or reason code to answer with (MSG00004, or MSG00011 for an SSIN).
    pub code: &'static str,
    /// Path of the element from the operation element, e.g. `criteria/period/beginDate`.
    pub path: String,
    pub value: Option<String>,
    pub reason: String,
}

impl InvalidField {
    pub fn new(path: impl Into<String>, value: Option<&str>, reason: impl Into<String>) -> Self {
        InvalidField {
            code: INVALID_STRUCTURE,
            path: path.into(),
            value: value.map(str::to_owned),
            reason: reason.into(),
        }
    }

    pub fn message(&self) -> String {
        format!("{}: {}", self.path, self.reason)
    }
}

/// Why a request's body element could not be read as one of a service's operations.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The element is in this service's namespace but names no operation.
    UnknownOperation(String),
    /// The element is not in this service's namespace.
    WrongNamespace {
        element: String,
    },
    Invalid(InvalidField),
    /// The body is not the one element the binding carries.
    Malformed(String),
}

/// The operation a request element names (its local name less `Request`), once it is
/// one of `operations` and in the service's namespace.
pub fn operation_of<'a>(
    el: &'a Element<'a>,
    namespace: &str,
    operations: &[&str],
) -> Result<&'a str, RequestError> {
    let name = el.local.strip_suffix("Request").unwrap_or("");
    if !operations.contains(&name) {
        return Err(RequestError::UnknownOperation(el.local.to_string()));
    }
    if el.ns.as_deref() != Some(namespace) {
        return Err(RequestError::WrongNamespace {
            element: el.expanded_name(),
        });
    }
    Ok(name)
}

/// A closed period (CommonV3's `PeriodType`) as the element `name`.
pub fn write_period(w: &mut XmlWriter, name: &str, p: &Period) {
    w.open(name)
        .leaf("beginDate", &p.begin().xsd())
        .leaf("endDate", &p.end().xsd())
        .close(name);
}

/// What the exchange needs of any request before its handler: the operation for the
/// audit trail and the SOAPAction check, the caller's identification and legal context
/// for the access rules, the informationCustomer a fault echoes, and the person asked
/// about.
pub struct RequestHead<'a> {
    pub operation: &'static str,
    /// The binding's SOAPAction is this followed by the operation; `None` for a
    /// binding whose clients send all kinds of SOAPAction, which is not checked.
    pub action_base: Option<&'static str>,
    pub customer: Option<&'a InformationCustomer>,
    pub legal_context: Option<&'a str>,
    pub ssin: Option<&'a str>,
}

impl RequestHead<'_> {
    /// The binding's SOAPAction; a client may also send none, or an empty one.
    pub fn action_matches(&self, action: &str) -> bool {
        match self.action_base {
            None => true,
            Some(base) => {
                action.is_empty()
                    || action
                        .strip_prefix(base)
                        .is_some_and(|op| op == self.operation)
            }
        }
    }
}

impl From<InvalidField> for RequestError {
    fn from(f: InvalidField) -> Self {
        RequestError::Invalid(f)
    }
}

/// Reads the children of a complex element in the order the contract gives them.
/// Children are unqualified (`elementFormDefault="unqualified"`): a namespaced child is
/// an error, as is a missing mandatory one, one out of order, or any extra.
pub struct Children<'a> {
    parent: &'a Element<'a>,
    /// Most paths are the contract's own names: kept without a copy.
    path: Cow<'static, str>,
    next: usize,
}

impl<'a> Children<'a> {
    pub fn of(
        parent: &'a Element<'a>,
        path: impl Into<Cow<'static, str>>,
    ) -> Result<Self, InvalidField> {
        let path = path.into();
        if !parent.text.trim().is_empty() {
            // The operation element's own path is empty: the field is then its name.
            let field = if path.is_empty() {
                parent.local.to_string()
            } else {
                path.into_owned()
            };
            return Err(InvalidField::new(
                field,
                Some(parent.text.trim()),
                "text is not allowed here, only elements",
            ));
        }
        Ok(Children {
            parent,
            path,
            next: 0,
        })
    }

    fn child_path(&self, local: &str) -> String {
        // Built for every field read, so without the formatting machinery.
        let mut path = String::with_capacity(self.path.len() + 1 + local.len());
        if !self.path.is_empty() {
            path.push_str(&self.path);
            path.push('/');
        }
        path.push_str(local);
        path
    }

    pub fn optional(&mut self, local: &str) -> Result<Option<&'a Element<'a>>, InvalidField> {
        let Some(child) = self.parent.children.get(self.next) else {
            return Ok(None);
        };
        if child.local == local {
            if let Some(ns) = &child.ns {
                return Err(InvalidField::new(
                    self.child_path(local),
                    None,
                    format!("must be unqualified (no namespace), found it in namespace {ns}"),
                ));
            }
            self.next += 1;
            return Ok(Some(child));
        }
        Ok(None)
    }

    pub fn required(&mut self, local: &str) -> Result<&'a Element<'a>, InvalidField> {
        match self.optional(local)? {
            Some(el) => Ok(el),
            None => Err(match self.parent.children.get(self.next) {
                Some(other) => InvalidField::new(
                    self.child_path(local),
                    None,
                    format!(
                        "mandatory element missing (found {} in its place)",
                        other.expanded_name()
                    ),
                ),
                None => {
                    InvalidField::new(self.child_path(local), None, "mandatory element missing")
                }
            }),
        }
    }

    /// Text of a mandatory leaf child, trimmed.
    pub fn required_text(&mut self, local: &str) -> Result<(&'a str, String), InvalidField> {
        let el = self.required(local)?;
        let path = self.child_path(local);
        Ok((leaf_text(el, &path)?, path))
    }

    pub fn optional_text(
        &mut self,
        local: &str,
    ) -> Result<Option<(&'a str, String)>, InvalidField> {
        match self.optional(local)? {
            Some(el) => {
                let path = self.child_path(local);
                Ok(Some((leaf_text(el, &path)?, path)))
            }
            None => Ok(None),
        }
    }

    /// Every child has been read: anything left is not in the contract.
    pub fn finish(self) -> Result<(), InvalidField> {
        match self.parent.children.get(self.next) {
            None => Ok(()),
            Some(extra) => Err(InvalidField::new(
                if self.path.is_empty() {
                    "/"
                } else {
                    self.path.as_ref()
                },
                Some(&extra.local),
                format!("unexpected element {} here", extra.expanded_name()),
            )),
        }
    }
}

fn leaf_text<'a>(el: &'a Element<'_>, path: &str) -> Result<&'a str, InvalidField> {
    if let Some(child) = el.children.first() {
        return Err(InvalidField::new(
            path,
            None,
            format!(
                "a simple value is expected, found element {}",
                child.expanded_name()
            ),
        ));
    }
    Ok(el.text.trim())
}

/// How the customer identifies itself in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerIdentification {
    /// `cbeNumber`: ten digits, as written.
    Cbe(String),
    Sector {
        sector: u16,
        institution: u16,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InformationCustomer {
    pub ticket: Option<String>,
    pub timestamp_sent: Option<String>,
    pub identification: CustomerIdentification,
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn small_number(text: &str, path: &str) -> Result<u16, InvalidField> {
    match text.parse::<u16>() {
        Ok(n) if n <= 999 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(InvalidField::new(
            path,
            Some(text),
            "must be a number from 0 to 999",
        )),
    }
}

impl InformationCustomer {
    pub fn read(el: &Element, path: &'static str) -> Result<Self, InvalidField> {
        let mut c = Children::of(el, path)?;
        let ticket = match c.optional_text("ticket")? {
            // TicketType: a UUID, or any text of at most 32 characters on one line.
            Some((t, p)) => {
                if !(is_uuid(t) || (t.chars().count() <= 32 && !t.contains(['\n', '\r']))) {
                    return Err(InvalidField::new(
                        p,
                        Some(t),
                        "must be a UUID or at most 32 characters",
                    ));
                }
                Some(t.to_owned())
            }
            None => None,
        };
        let timestamp_sent = match c.optional_text("timestampSent")? {
            Some((t, p)) => {
                if !date::is_xsd_date_time(t) {
                    return Err(InvalidField::new(
                        p,
                        Some(t),
                        "must be an xsd:dateTime, e.g. 2024-05-01T10:00:00+02:00",
                    ));
                }
                Some(t.to_owned())
            }
            None => None,
        };
        let id_el = c.required("customerIdentification")?;
        let id_path = c.child_path("customerIdentification");
        c.finish()?;
        let mut id = Children::of(id_el, id_path)?;
        let identification = if let Some((cbe, p)) = id.optional_text("cbeNumber")? {
            if cbe.len() != 10 || !cbe.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidField::new(p, Some(cbe), "must be 10 digits"));
            }
            CustomerIdentification::Cbe(cbe.to_owned())
        } else if let Some((sector, p)) = id.optional_text("sector")? {
            let sector = small_number(sector, &p)?;
            let (inst, p) = id.required_text("institution")?;
            let institution = small_number(inst, &p)?;
            CustomerIdentification::Sector {
                sector,
                institution,
            }
        } else {
            return Err(InvalidField::new(
                id.path,
                None,
                "must hold cbeNumber, or sector and institution",
            ));
        };
        id.finish()?;
        Ok(InformationCustomer {
            ticket,
            timestamp_sent,
            identification,
        })
    }

    pub fn write(&self, w: &mut XmlWriter) {
        w.open("informationCustomer")
            .leaf_opt("ticket", self.ticket.as_deref())
            .leaf_opt("timestampSent", self.timestamp_sent.as_deref())
            .open("customerIdentification");
        match &self.identification {
            CustomerIdentification::Cbe(cbe) => {
                w.leaf("cbeNumber", cbe);
            }
            CustomerIdentification::Sector {
                sector,
                institution,
            } => {
                w.leaf("sector", &sector.to_string())
                    .leaf("institution", &institution.to_string());
            }
        }
        w.close("customerIdentification")
            .close("informationCustomer");
    }
}

/// `legalContext`: at most 64 characters (an empty one is valid, and granted to nobody).
pub fn read_legal_context(text: &str, path: &str) -> Result<String, InvalidField> {
    if text.chars().count() > 64 {
        return Err(InvalidField::new(
            path,
            Some(text),
            "must be at most 64 characters",
        ));
    }
    Ok(text.to_owned())
}

/// The CBSS's own block of every answer: a fresh ticket and when it received and
/// replied (Unix milliseconds, written as UTC timestamps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InformationCbss {
    pub ticket: Uuid,
    pub received_ms: i64,
    pub replied_ms: i64,
}

impl InformationCbss {
    pub fn write(&self, w: &mut XmlWriter) {
        let mut ticket = Uuid::encode_buffer();
        w.open("informationCBSS")
            .leaf(
                "ticketCBSS",
                self.ticket.hyphenated().encode_lower(&mut ticket),
            )
            .leaf("timestampReceive", &date::utc_timestamp(self.received_ms))
            .leaf("timestampReply", &date::utc_timestamp(self.replied_ms))
            .close("informationCBSS");
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Information {
    pub field_name: String,
    pub field_value: Option<String>,
}

impl Information {
    pub fn new(name: &str, value: Option<&str>) -> Self {
        Information {
            // The contract caps fieldName at 64 characters and fieldValue at 256.
            field_name: name.chars().take(64).collect(),
            field_value: value.map(|v| v.chars().take(256).collect()),
        }
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("information")
            .leaf("fieldName", &self.field_name)
            .leaf_opt("fieldValue", self.field_value.as_deref())
            .close("information");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusValue {
    DataFound,
    NoDataFound,
    NoResult,
}

impl StatusValue {
    pub fn wire_name(self) -> &'static str {
        match self {
            StatusValue::DataFound => "DATA_FOUND",
            StatusValue::NoDataFound => "NO_DATA_FOUND",
            StatusValue::NoResult => "NO_RESULT",
        }
    }
}

/// The business outcome of a consultation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub value: StatusValue,
    pub code: &'static str,
    pub description: String,
    pub information: Vec<Information>,
}

impl Status {
    pub fn new(value: StatusValue, code: &'static str, description: impl Into<String>) -> Self {
        Status {
            value,
            code,
            description: description.into(),
            information: Vec::new(),
        }
    }

    pub fn with(mut self, info: Information) -> Self {
        self.information.push(info);
        self
    }

    pub fn write(&self, w: &mut XmlWriter) {
        w.open("status")
            .leaf("value", self.value.wire_name())
            .leaf("code", self.code)
            .leaf("description", &self.description);
        for info in self.information.iter().take(15) {
            info.write(w);
        }
        w.close("status");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Information,
    Warning,
    Fatal,
}

/// One `detail` of a CBSS fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultDetail {
    pub severity: Severity,
    pub reason_code: std::borrow::Cow<'static, str>,
    pub diagnostic: String,
    pub information: Vec<Information>,
}

/// The author of every fault this gateway raises.
pub const AUTHOR_CODE: &str = "CBSS";

/// `CBSSFaultType`, written as the service's fault element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CbssFault {
    pub information_customer: Option<InformationCustomer>,
    pub cbss: InformationCbss,
    pub details: Vec<FaultDetail>,
}

impl CbssFault {
    /// Writes `<p:element xmlns:p="namespace">…</p:element>`.
    pub fn write(&self, w: &mut XmlWriter, element: &str, namespace: &str) {
        let name = format!("cbss:{element}");
        w.open_ns(&name, &[("cbss", namespace)]);
        if let Some(ic) = &self.information_customer {
            ic.write(w);
        }
        self.cbss.write(w);
        for d in self.details.iter().take(30) {
            let severity = match d.severity {
                Severity::Information => "INFORMATION",
                Severity::Warning => "WARNING",
                Severity::Fatal => "FATAL",
            };
            let diagnostic: String = d.diagnostic.chars().take(256).collect();
            w.open("detail")
                .leaf("severity", severity)
                .leaf("reasonCode", &d.reason_code)
                .leaf("diagnostic", &diagnostic)
                .leaf("authorCode", AUTHOR_CODE);
            for info in d.information.iter().take(15) {
                info.write(w);
            }
            w.close("detail");
        }
        w.close(&name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::xml::parse;

    fn read(xml: &str) -> Result<InformationCustomer, InvalidField> {
        let el = parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        InformationCustomer::read(&el, "informationCustomer")
    }

    #[test]
    fn customer_identification_is_a_cbe_number_or_a_sector_and_institution() {
        let ic = read(
            "<i><ticket>t-1</ticket><customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification></i>",
        );
        assert_eq!(
            ic.map(|i| i.identification),
            Ok(CustomerIdentification::Cbe("0206737484".into()))
        );
        let ic = read(
            "<i><customerIdentification><sector>17</sector><institution>1</institution></customerIdentification></i>",
        );
        assert_eq!(
            ic.map(|i| i.identification),
            Ok(CustomerIdentification::Sector {
                sector: 17,
                institution: 1
            })
        );
    }

    #[test]
    fn contract_violations_name_the_field() {
        let e = read(
            "<i><customerIdentification><cbeNumber>12</cbeNumber></customerIdentification></i>",
        );
        assert_eq!(
            e.map_err(|e| e.path),
            Err("informationCustomer/customerIdentification/cbeNumber".into())
        );
        let e = read(
            "<i><ticket>0123456789012345678901234567890123</ticket><customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification></i>",
        );
        assert_eq!(
            e.map_err(|e| e.path),
            Err("informationCustomer/ticket".into())
        );
        let e = read(
            "<i><timestampSent>yesterday</timestampSent><customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification></i>",
        );
        assert_eq!(
            e.map_err(|e| e.path),
            Err("informationCustomer/timestampSent".into())
        );
        let e = read("<i/>");
        assert_eq!(
            e.map_err(|e| e.reason),
            Err("mandatory element missing".into())
        );
        let e = read(
            "<i><customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification><x/></i>",
        );
        assert_eq!(
            e.map_err(|e| (e.path, e.value)),
            Err(("informationCustomer".into(), Some("x".into())))
        );
        let e = read(
            "<i xmlns='urn:q'><customerIdentification><cbeNumber>0206737484</cbeNumber></customerIdentification></i>",
        );
        assert!(
            e.map_err(|e| e.reason)
                .err()
                .is_some_and(|r| r.contains("unqualified"))
        );
    }
}
