//! LivingWagesSubscriptionService v1: an institution subscribes to notifications,
//! replays, acknowledges, pulls and reads its delivery status.

use super::{Answered, SoapService};
use crate::domain::Institution;
use crate::server::routes::Gateway;
use crate::server::soap_endpoint::{Exchange, Fault, check_action, request_fault, service_fault};
use crate::services;
use crate::wire::common::CbssFault;
use crate::wire::soap;
use crate::wire::subscription_v1 as ls;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesSubscriptionService v1",
    banner: "Subscriptions",
    path: ls::PATH,
    namespace: ls::INTF_NS,
    documents: &wsdl::SUBSCRIPTION_V1,
    fault_detail: Some(write_fault),
    operate: start,
};

awaiting!(start = operate);

fn write_fault(w: &mut XmlWriter, detail: &CbssFault) {
    detail.write(w, ls::FAULT_ELEMENT, ls::INTF_NS);
}

async fn operate(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<Answered, Fault> {
    let request = ls::read_request(payload).map_err(|e| request_fault(e, &SERVICE))?;
    ex.operation = Some(request.operation.name());
    check_action(
        action,
        |a| request.operation.soap_action_matches(a),
        request.operation.name(),
    )
    .map_err(|f| f.about(&request.information_customer))?;
    // Subscriptions are written durably: on the register's writer.
    let (owned_caller, owned_request, received_ms) =
        (caller.clone(), request.clone(), ex.received_ms);
    let (status, answer, effects) = gw
        .writer
        .run(move |store| {
            services::subscriptions::handle(store, &owned_caller, &owned_request, received_ms)
        })
        .await
        .and_then(|handled| handled)
        .map_err(|e| service_fault(e, caller, ex).about(&request.information_customer))?;
    effects.wake(gw.notify.as_ref());
    let cbss = ex.cbss();
    let body = soap::envelope(ex.version, |w| {
        ls::write_response(w, &request, &cbss, &status, &answer)
    });
    Ok((body, status.code))
}
