//! LivingWagesService v2, the network's public contract: five consultations of one
//! person's periods of right.

use super::{Answered, SoapService};
use crate::domain::Institution;
use crate::server::routes::Gateway;
use crate::server::soap_endpoint::{Exchange, Fault, consult, request_fault};
use crate::services;
use crate::wire::living_wages_v2 as lw;
use crate::wire::wsdl;
use crate::wire::xml::Element;

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesService v2",
    banner: "LivingWages V2",
    path: lw::PATH,
    namespace: lw::INTF_NS,
    documents: &wsdl::LIVING_WAGES_V2,
    fault_detail: Some(lw::write_fault),
    operate: at_once!(operate),
};

fn operate(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answered, Fault> {
    let request = lw::read_request(payload).map_err(|e| request_fault(e, &SERVICE))?;
    let at = gw.visibility(ex.received_ms);
    consult(
        caller,
        &request,
        request.head(),
        action,
        ex,
        |r| services::living_wages_v2::consult(gw.store.as_ref(), caller, r, at),
        lw::write_response,
    )
}
