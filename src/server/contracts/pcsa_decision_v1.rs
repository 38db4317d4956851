//! PcsaDecisionService v1: a CPAS registers its decisions (forms B, C, D) and its
//! monthly statements of payments.

use std::sync::Arc;

use super::{Answering, Contract, Cx, Handled, SoapService, operate};
use crate::domain::Pcsa;
use crate::services;
use crate::services::access::Cpas;
use crate::services::effects::Effects;
use crate::wire::common::{InformationCbss, RequestError, RequestHead, Status};
use crate::wire::pcsa_decision_v1 as pd;
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

pub const SERVICE: SoapService = SoapService {
    name: "PcsaDecisionService v1",
    banner: "PcsaDecision",
    path: pd::PATH,
    namespace: pd::INTF_NS,
    port_type: "PcsaDecisionPortType",
    documents: &wsdl::PCSA_DECISION_V1,
    fault_detail: Some(pd::write_fault),
    operate: operate::<PcsaDecisionV1>,
};

pub struct PcsaDecisionV1;

impl Contract for PcsaDecisionV1 {
    // Only a CPAS, and only for itself.
    type Role = Cpas;
    const ROLE: Cpas = Cpas;
    type Request = pd::Request;
    type Answer = (Status, pd::FormResult);

    fn read(payload: &Element<'_>) -> Result<pd::Request, RequestError> {
        pd::read_request(payload)
    }

    fn head(request: &pd::Request) -> RequestHead<'_> {
        request.head()
    }

    async fn answer<'a>(
        cx: &'a Cx<'a>,
        pcsa: Pcsa,
        request: &'a Arc<pd::Request>,
    ) -> Answering<Self::Answer> {
        let (status, result, effects) = match &request.submission {
            pd::Submission::Form(form) => {
                services::pcsa_decision::send_form(&cx.gw.writer, &pcsa, form, cx.received_ms)
                    .await?
            }
            pd::Submission::Payments(statement) => {
                let store = cx.gw.store.as_ref();
                let (status, result) =
                    services::pcsa_decision::send_payments(store, &cx.gw.writer, &pcsa, statement)
                        .await?;
                (status, result, Effects::NONE)
            }
        };
        Ok(Handled {
            answer: (status, result),
            effects,
        })
    }

    fn write(
        w: &mut XmlWriter,
        request: &pd::Request,
        cbss: &InformationCbss,
        (status, result): &Self::Answer,
    ) {
        pd::write_response(w, request, cbss, status, Some(result));
    }

    /// The audit keeps what the register did with the form.
    fn outcome((_, result): &Self::Answer) -> &'static str {
        result.outcome()
    }

    const REGISTERS: bool = true;
}
