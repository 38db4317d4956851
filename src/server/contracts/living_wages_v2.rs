//! LivingWagesService v2, the network's public contract: five consultations of one
//! person's periods of right.

use std::future::{Future, ready};
use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::domain::Service;
use crate::services::access::{self, Partner, Refusal};
use crate::services::{self, ServiceError};
use crate::wire::common::{InformationCbss, RequestError, RequestHead, Status};
use crate::wire::living_wages_v2 as lw;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesService v2",
    banner: "LivingWages V2",
    path: lw::PATH,
    namespace: lw::INTF_NS,
    port_type: "LivingWagesPortType",
    documents: &wsdl::LIVING_WAGES_V2,
    fault_detail: Some(lw::write_fault),
    operate: operate::<LivingWagesV2>,
};

pub struct LivingWagesV2;

impl Contract for LivingWagesV2 {
    type Role = Partner;
    const ROLE: Partner = Partner(Service::LivingWages);
    type Request = lw::Request;
    type Answer = (Status, lw::Answer);

    fn read(payload: &Element<'_>) -> Result<lw::Request, RequestError> {
        lw::read_request(payload)
    }

    fn head(request: &lw::Request) -> RequestHead<'_> {
        request.head()
    }

    fn answer<'a>(
        cx: &'a Cx<'a>,
        (): (),
        request: &'a Arc<lw::Request>,
    ) -> impl Future<Output = Answering<Self::Answer>> + Send + 'a {
        let at = cx.gw.visibility(cx.received_ms);
        ready(
            services::living_wages_v2::consult(cx.gw.store.as_ref(), cx.caller, request, at)
                .map(Handled::answer),
        )
    }

    fn refused(
        _cx: &Cx<'_>,
        _request: &lw::Request,
        refusal: Refusal,
    ) -> Result<Self::Answer, ServiceError> {
        Ok((access::consultation_status(refusal)?, lw::Answer::Nothing))
    }

    fn write(
        w: &mut XmlWriter,
        request: &lw::Request,
        cbss: &InformationCbss,
        (status, answer): &Self::Answer,
    ) {
        lw::write_response(w, request, cbss, status, answer);
    }

    fn outcome((status, _): &Self::Answer) -> &'static str {
        status.code
    }

    const WITH_STATUS: Option<fn(Status) -> Self::Answer> =
        Some(|status| (status, lw::Answer::Nothing));
}
