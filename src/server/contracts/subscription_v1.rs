//! LivingWagesSubscriptionService v1: an institution subscribes to notifications,
//! replays, acknowledges, pulls and reads its delivery status.

use std::future::Future;
use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::domain::Service;
use crate::services;
use crate::services::access::Partner;
use crate::wire::common::{CbssFault, InformationCbss, RequestError, RequestHead, Status};
use crate::wire::subscription_v1 as ls;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "LivingWagesSubscriptionService v1",
    banner: "Subscriptions",
    path: ls::PATH,
    namespace: ls::INTF_NS,
    port_type: "LivingWagesSubscriptionServicePortType",
    documents: &wsdl::SUBSCRIPTION_V1,
    fault_detail: Some(write_fault),
    operate: operate::<SubscriptionV1>,
};

fn write_fault(w: &mut XmlWriter, detail: &CbssFault) {
    detail.write(w, ls::FAULT_ELEMENT, ls::INTF_NS);
}

pub struct SubscriptionV1;

impl Contract for SubscriptionV1 {
    type Role = Partner;
    const ROLE: Partner = Partner(Service::LivingWagesNotifications);
    type Request = ls::Request;
    type Answer = (Status, ls::Answer);

    fn read(payload: &Element<'_>) -> Result<ls::Request, RequestError> {
        ls::read_request(payload)
    }

    fn head(request: &ls::Request) -> RequestHead<'_> {
        request.head()
    }

    /// Subscriptions are written durably: on the register's writer.
    fn answer<'a>(
        cx: &'a Cx<'a>,
        (): (),
        request: &'a Arc<ls::Request>,
    ) -> impl Future<Output = Answering<Self::Answer>> + Send + 'a {
        let (caller, request, received_ms) = (cx.caller.clone(), request.clone(), cx.received_ms);
        let receivers = cx.gw.receivers.clone();
        async move {
            let (status, answer, effects) = cx
                .gw
                .writer
                .run(move |store| {
                    services::subscriptions::handle(
                        store,
                        &caller,
                        &request,
                        &receivers,
                        received_ms,
                    )
                })
                .await
                .and_then(|handled| handled)?;
            Ok(Handled {
                answer: (status, answer),
                effects,
            })
        }
    }

    fn write(
        w: &mut XmlWriter,
        request: &ls::Request,
        cbss: &InformationCbss,
        (status, answer): &Self::Answer,
    ) {
        ls::write_response(w, request, cbss, status, answer);
    }

    fn outcome((status, _): &Self::Answer) -> &'static str {
        status.code
    }
}
