//! LivingWagesWithAmountService v1: what the PCSAs paid a person, by month or year.

use std::future::{Future, ready};
use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::clock;
use crate::domain::Service;
use crate::services::access::{self, Partner, Refusal};
use crate::services::{self, ServiceError};
use crate::wire::common::{InformationCbss, RequestError, RequestHead, Status};
use crate::wire::living_wages_with_amount_v1 as lwa;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesWithAmountService v1",
    banner: "WithAmount",
    path: lwa::PATH,
    namespace: lwa::INTF_NS,
    port_type: "LivingWagesWithAmountServicePortType",
    documents: &wsdl::WITH_AMOUNT_V1,
    fault_detail: Some(lwa::write_fault),
    operate: operate::<LivingWagesWithAmountV1>,
};

pub struct LivingWagesWithAmountV1;

impl Contract for LivingWagesWithAmountV1 {
    type Role = Partner;
    const ROLE: Partner = Partner(Service::LivingWagesWithAmount);
    type Request = lwa::Request;
    type Answer = (Status, lwa::Answer);

    fn read(payload: &Element<'_>) -> Result<lwa::Request, RequestError> {
        lwa::read_request(payload)
    }

    fn head(request: &lwa::Request) -> RequestHead<'_> {
        request.head()
    }

    fn answer<'a>(
        cx: &'a Cx<'a>,
        (): (),
        request: &'a Arc<lwa::Request>,
    ) -> impl Future<Output = Answering<Self::Answer>> + Send + 'a {
        let today = clock::brussels_day(cx.received_ms);
        ready(
            services::living_wages_with_amount::consult(
                cx.gw.store.as_ref(),
                cx.caller,
                request,
                today,
                cx.gw.definitive_after_months,
            )
            .map(Handled::answer),
        )
    }

    fn refused(
        _cx: &Cx<'_>,
        _request: &lwa::Request,
        refusal: Refusal,
    ) -> Result<Self::Answer, ServiceError> {
        Ok((
            access::consultation_status(refusal)?,
            lwa::Answer::default(),
        ))
    }

    fn write(
        w: &mut XmlWriter,
        request: &lwa::Request,
        cbss: &InformationCbss,
        (status, answer): &Self::Answer,
    ) {
        lwa::write_response(w, request, cbss, status, answer);
    }

    fn outcome((status, _): &Self::Answer) -> &'static str {
        status.code
    }

    const WITH_STATUS: Option<fn(Status) -> Self::Answer> =
        Some(|status| (status, lwa::Answer::default()));
}
