//! TestConnectionService v1 on the wire: one operation, `sendTestMessage`, the echo an
//! institution calls first when it connects. It answers the message it was sent, with
//! a ticket and the institution the gateway identified, under the same identity
//! rules as every service (`customerIdentification` must name the caller).

use super::common::{
    CbssFault, Children, InformationCbss, InformationCustomer, InvalidField, RequestHead, Status,
    operation_of,
};
use super::xml::XmlWriter;
use crate::domain::Institution;

pub use super::common::RequestError;

pub const INTF_NS: &str = "urn:bcss-gateway:intf:TestConnectionService:v1";
pub const PATH: &str = "/SOA4520/TestConnectionService/v1";
pub const FAULT_ELEMENT: &str = "testConnectionFault";
const OPERATION: &str = "sendTestMessage";
/// The longest message echoed, in characters (the schema's `maxLength`).
pub const MAX_MESSAGE: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub information_customer: InformationCustomer,
    pub message: String,
}

impl Request {
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead {
            operation: OPERATION,
            action_base: Some("urn:bcss-gateway:TestConnectionService/"),
            customer: Some(&self.information_customer),
            legal_context: None,
            ssin: None,
        }
    }
}

pub fn read_request(el: &super::xml::Element) -> Result<Request, RequestError> {
    operation_of(el, INTF_NS, &[OPERATION])?;
    let mut c = Children::of(el, "")?;
    let information_customer =
        InformationCustomer::read(c.required("informationCustomer")?, "informationCustomer")?;
    c.optional("informationCBSS")?;
    // The message is echoed as sent: its whitespace is part of it.
    let message = c.required("message")?;
    if !message.children.is_empty() {
        return Err(
            InvalidField::new("message", None, "a message is text, without elements").into(),
        );
    }
    let text = message.text.to_string();
    c.finish()?;
    if text.chars().count() > MAX_MESSAGE {
        return Err(InvalidField::new(
            "message",
            None,
            format!("at most {MAX_MESSAGE} characters"),
        )
        .into());
    }
    Ok(Request {
        information_customer,
        message: text,
    })
}

pub fn write_response(
    w: &mut XmlWriter,
    request: &Request,
    cbss: &InformationCbss,
    caller: &Institution,
    status: &Status,
) {
    let name = format!("tc:{OPERATION}Response");
    w.open_ns(&name, &[("tc", INTF_NS)]);
    request.information_customer.write(w);
    cbss.write(w);
    w.leaf("message", &request.message);
    w.open("caller")
        .leaf("cbeNumber", caller.cbe.as_str())
        .leaf("name", &caller.name)
        .close("caller");
    status.write(w);
    w.close(&name);
}

pub fn write_fault(w: &mut XmlWriter, fault: &CbssFault) {
    fault.write(w, FAULT_ELEMENT, INTF_NS);
}
