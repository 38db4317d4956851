//! PcsaDecisionService v1: a CPAS registers its decisions (forms B, C, D) and its
//! monthly statements of payments.

use super::{Answered, SoapService};
use crate::domain::Institution;
use crate::server::routes::Gateway;
use crate::server::soap_endpoint::{Exchange, Fault, check_action, request_fault, service_fault};
use crate::services;
use crate::services::ServiceError;
use crate::services::access::Role;
use crate::services::effects::Effects;
use crate::wire::pcsa_decision_v1 as pd;
use crate::wire::soap;
use crate::wire::wsdl;
use crate::wire::xml::Element;

pub const SERVICE: SoapService = SoapService {
    name: "PcsaDecisionService v1",
    banner: "PcsaDecision",
    path: pd::PATH,
    namespace: pd::INTF_NS,
    documents: &wsdl::PCSA_DECISION_V1,
    fault_detail: Some(pd::write_fault),
    operate: start,
};

awaiting!(start = operate);

async fn operate(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answered, Fault> {
    let request = pd::read_request(payload).map_err(|e| request_fault(e, &SERVICE))?;
    ex.operation = Some(request.operation.name());
    ex.ssin.clone_from(&request.ssin);
    check_action(
        action,
        |a| request.operation.soap_action_matches(a),
        request.operation.name(),
    )
    .map_err(|f| f.about(&request.information_customer))?;
    let store = gw.store.as_ref();
    // Only a CPAS, and only for itself.
    let authorised = services::access::authorize(
        store,
        caller,
        Role::Cpas,
        Some(&request.information_customer.identification),
        None,
    )
    .and_then(|pcsa| pcsa.ok_or(ServiceError::Internal("a CPAS without its PCSA")));
    let sent = match authorised {
        Err(e) => Err(e),
        Ok(pcsa) => match &request.submission {
            pd::Submission::Form(form) => {
                services::pcsa_decision::send_form(&gw.writer, &pcsa, form, ex.received_ms).await
            }
            pd::Submission::Payments(statement) => {
                services::pcsa_decision::send_payments(store, &gw.writer, &pcsa, statement)
                    .await
                    .map(|(status, result)| (status, result, Effects::NONE))
            }
        },
    };
    let (status, result, effects) =
        sent.map_err(|e| service_fault(e, caller, ex).about(&request.information_customer))?;
    effects.wake(gw.notify.as_ref());
    let cbss = ex.cbss();
    let body = soap::envelope(ex.version, |w| {
        pd::write_response(w, &request, &cbss, &status, Some(&result))
    });
    // The audit keeps what the register did with the form.
    Ok((body, result.outcome()))
}
