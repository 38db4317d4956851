//! LivingWagesWithAmountService v1: what the PCSAs paid a person, by month or year.

use super::{Answered, SoapService};
use crate::clock;
use crate::domain::Institution;
use crate::server::routes::Gateway;
use crate::server::soap_endpoint::{Exchange, Fault, consult, request_fault};
use crate::services;
use crate::wire::living_wages_with_amount_v1 as lwa;
use crate::wire::wsdl;
use crate::wire::xml::Element;

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesWithAmountService v1",
    banner: "WithAmount",
    path: lwa::PATH,
    namespace: lwa::INTF_NS,
    documents: &wsdl::WITH_AMOUNT_V1,
    fault_detail: Some(lwa::write_fault),
    operate: at_once!(operate),
};

fn operate(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answered, Fault> {
    let request = lwa::read_request(payload).map_err(|e| request_fault(e, &SERVICE))?;
    let today = clock::brussels_day(ex.received_ms);
    consult(
        caller,
        &request,
        request.head(),
        action,
        ex,
        |r| {
            services::living_wages_with_amount::consult(
                gw.store.as_ref(),
                caller,
                r,
                today,
                gw.definitive_after_months,
            )
        },
        lwa::write_response,
    )
}
