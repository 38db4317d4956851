//! LivingWagesService v3, the gateway's own contract: V2's consultations with a region
//! filter, and each right with the decisions behind it.

use std::future::Future;
use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::domain::Service;
use crate::services::access::{self, Partner, Refusal};
use crate::services::{self, ServiceError};
use crate::wire::common::{InformationCbss, RequestError, RequestHead, Status};
use crate::wire::living_wages_v3 as lw3;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesService v3",
    banner: "LivingWages V3",
    path: lw3::PATH,
    namespace: lw3::INTF_NS,
    port_type: "LivingWagesServicePortType",
    documents: &wsdl::LIVING_WAGES_V3,
    fault_detail: Some(lw3::write_fault),
    operate: operate::<LivingWagesV3>,
};

pub struct LivingWagesV3;

impl Contract for LivingWagesV3 {
    // V2's deliberation covers V3.
    type Role = Partner;
    const ROLE: Partner = Partner(Service::LivingWages);
    type Request = lw3::Request;
    type Answer = (Status, lw3::Answer);

    fn read(payload: &Element<'_>) -> Result<lw3::Request, RequestError> {
        lw3::read_request(payload)
    }

    fn head(request: &lw3::Request) -> RequestHead<'_> {
        request.head()
    }

    /// The answer replays the person's forms, whose number only grows: it is computed
    /// off the async workers, so that one long file cannot stall everyone's requests.
    fn answer<'a>(
        cx: &'a Cx<'a>,
        (): (),
        request: &'a Arc<lw3::Request>,
    ) -> impl Future<Output = Answering<Self::Answer>> + Send + 'a {
        let at = cx.gw.visibility(cx.received_ms);
        let (store, caller, request) = (cx.gw.store.clone(), cx.caller.clone(), request.clone());
        let ticket = cx.ticket;
        async move {
            tokio::task::spawn_blocking(move || {
                services::living_wages_v3::consult(store.as_ref(), &caller, &request, at)
            })
            .await
            .unwrap_or_else(|e| {
                tracing::error!(%ticket, error = %e, "the LivingWages V3 answer failed");
                Err(ServiceError::Internal(
                    "the LivingWages V3 answer stopped before it was computed",
                ))
            })
            .map(Handled::answer)
        }
    }

    fn refused(
        _cx: &Cx<'_>,
        _request: &lw3::Request,
        refusal: Refusal,
    ) -> Result<Self::Answer, ServiceError> {
        Ok((access::consultation_status(refusal)?, lw3::Answer::Nothing))
    }

    fn write(
        w: &mut XmlWriter,
        request: &lw3::Request,
        cbss: &InformationCbss,
        (status, answer): &Self::Answer,
    ) {
        lw3::write_response(w, request, cbss, status, answer);
    }

    fn outcome((status, _): &Self::Answer) -> &'static str {
        status.code
    }

    const WITH_STATUS: Option<fn(Status) -> Self::Answer> =
        Some(|status| (status, lw3::Answer::Nothing));
}
