//! The old-style web service connector (`sendXML`), which carries ManageAccess: a
//! CPAS registers, unregisters and lists its inscriptions in the reference directory.
//! Its contract declares no fault detail: errors travel in the SSDNReply, and a fault
//! only says that the envelope itself was wrong.

use super::{Answered, SoapService};
use crate::domain::Institution;
use crate::server::routes::Gateway;
use crate::server::soap_endpoint::{Exchange, Fault, service_fault};
use crate::services;
use crate::wire::common::INVALID_STRUCTURE;
use crate::wire::soap;
use crate::wire::ssdn;
use crate::wire::wsdl;
use crate::wire::xml::Element;

pub const SERVICE: SoapService = SoapService {
    name: "the web service connector",
    banner: "ManageAccess",
    path: ssdn::PATH,
    namespace: ssdn::CONNECTOR_NS,
    documents: &wsdl::CONNECTOR,
    fault_detail: None,
    operate: start,
};

awaiting!(start = operate);

/// Clients of the old connector send all kinds of SOAPAction (some the URL): the one
/// operation is recognised by its payload, and the action is not checked.
async fn operate(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    _action: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answered, Fault> {
    let inner = ssdn::xml_string(payload).map_err(|m| Fault::client(INVALID_STRUCTURE, m))?;
    ex.operation = Some("sendXML");
    // Inscriptions are written durably: on the register's writer.
    let (owned_caller, inner, ticket, received_ms, clock) = (
        caller.clone(),
        inner.to_owned(),
        ex.ticket.to_string(),
        ex.received_ms,
        gw.clock.clone(),
    );
    let answer = gw
        .writer
        .run(move |store| {
            services::manage_access::send_xml(
                store,
                &owned_caller,
                &inner,
                ticket,
                received_ms,
                || clock.now_ms(),
            )
        })
        .await
        .and_then(|answered| answered)
        .map_err(|e| service_fault(e, caller, ex))?;
    ex.ssin = answer.ssin;
    let body = soap::envelope(ex.version, |w| {
        w.open_ns("wsc:xmlString", &[("wsc", ssdn::CONNECTOR_NS)])
            .text(&answer.reply)
            .close("wsc:xmlString");
    });
    Ok((body, answer.outcome))
}
