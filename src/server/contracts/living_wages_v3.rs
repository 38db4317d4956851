//! LivingWagesService v3, the gateway's own contract: V2's consultations with a region
//! filter, and each right with the decisions behind it.

use super::{Answered, SoapService};
use crate::domain::Institution;
use crate::server::routes::Gateway;
use crate::server::soap_endpoint::{Exchange, Fault, consult, request_fault};
use crate::services::{self, ServiceError};
use crate::wire::living_wages_v3 as lw3;
use crate::wire::wsdl;
use crate::wire::xml::Element;

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesService v3",
    banner: "LivingWages V3",
    path: lw3::PATH,
    namespace: lw3::INTF_NS,
    documents: &wsdl::LIVING_WAGES_V3,
    fault_detail: Some(lw3::write_fault),
    operate: start,
};

awaiting!(start = operate);

/// The answer replays the person's forms, whose number only grows: it is computed
/// off the async workers, so that one long file cannot stall everyone's requests.
async fn operate(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answered, Fault> {
    let request = lw3::read_request(payload).map_err(|e| request_fault(e, &SERVICE))?;
    let at = gw.visibility(ex.received_ms);
    let (store, owned_caller, owned_request) = (gw.store.clone(), caller.clone(), request.clone());
    let answered = tokio::task::spawn_blocking(move || {
        services::living_wages_v3::consult(store.as_ref(), &owned_caller, &owned_request, at)
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(ticket = %ex.ticket, error = %e, "the LivingWages V3 answer failed");
        Err(ServiceError::Internal(
            "the LivingWages V3 answer stopped before it was computed",
        ))
    });
    consult(
        caller,
        &request,
        request.head(),
        action,
        ex,
        |_| answered,
        lw3::write_response,
    )
}
