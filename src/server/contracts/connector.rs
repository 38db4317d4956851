//! The old-style web service connector (`sendXML`), which carries ManageAccess: a
//! CPAS registers, unregisters and lists its inscriptions in the reference directory.
//! Its contract declares no fault detail: errors travel in the SSDNReply, and a fault
//! only says that the envelope itself was wrong.

use std::future::Future;
use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::domain::Pcsa;
use crate::services::access::{Cpas, Refusal};
use crate::services::manage_access::{self, Answer};
use crate::services::{self, ServiceError};
use crate::wire::common::{InformationCbss, RequestError, RequestHead};
use crate::wire::ssdn;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "the web service connector",
    banner: "ManageAccess",
    path: ssdn::PATH,
    namespace: ssdn::CONNECTOR_NS,
    port_type: "WebServiceConnector",
    documents: &wsdl::CONNECTOR,
    fault_detail: None,
    operate: operate::<Connector>,
};

pub struct Connector;

/// The SSDN request, as the text of `xmlString`.
pub struct XmlString(String);

impl Contract for Connector {
    // The SSDN request names its own sender, which the handler checks.
    type Role = Cpas;
    const ROLE: Cpas = Cpas;
    type Request = XmlString;
    type Answer = Answer;

    fn read(payload: &Element<'_>) -> Result<XmlString, RequestError> {
        ssdn::xml_string(payload)
            .map(|inner| XmlString(inner.to_owned()))
            .map_err(RequestError::Malformed)
    }

    /// Clients of the old connector send all kinds of SOAPAction (some the URL): the
    /// one operation is recognised by its payload, and the action is not checked.
    fn head(_request: &XmlString) -> RequestHead<'_> {
        RequestHead {
            operation: "sendXML",
            action_base: None,
            customer: None,
            legal_context: None,
            ssin: None,
        }
    }

    /// Inscriptions are written durably: on the register's writer.
    fn answer<'a>(
        cx: &'a Cx<'a>,
        pcsa: Pcsa,
        request: &'a Arc<XmlString>,
    ) -> impl Future<Output = Answering<Answer>> + Send + 'a {
        let (caller, request, ticket, received_ms, clock) = (
            cx.caller.clone(),
            request.clone(),
            cx.ticket.to_string(),
            cx.received_ms,
            cx.gw.clock.clone(),
        );
        async move {
            cx.gw
                .writer
                .run(move |store| {
                    services::manage_access::send_xml(
                        store,
                        &caller,
                        &pcsa,
                        &request.0,
                        ticket,
                        received_ms,
                        || clock.now_ms(),
                    )
                })
                .await
                .and_then(|answered| answered)
                .map(Handled::answer)
        }
    }

    fn refused(
        cx: &Cx<'_>,
        request: &XmlString,
        _refusal: Refusal,
    ) -> Result<Answer, ServiceError> {
        manage_access::refused(
            cx.caller,
            &request.0,
            cx.ticket.to_string(),
            cx.received_ms,
            || cx.gw.clock.now_ms(),
        )
    }

    fn write(w: &mut XmlWriter, _request: &XmlString, _cbss: &InformationCbss, answer: &Answer) {
        w.open_ns("wsc:xmlString", &[("wsc", ssdn::CONNECTOR_NS)])
            .text(&answer.reply)
            .close("wsc:xmlString");
    }

    fn outcome(answer: &Answer) -> &'static str {
        answer.outcome
    }

    fn subject<'r>(_request: &'r XmlString, answer: &'r Answer) -> Option<&'r str> {
        answer.ssin.as_deref()
    }
}
