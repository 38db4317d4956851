//! The SOAP services the gateway serves, one file each, and the table of them.
//!
//! A service is a `Contract`: how its request is read and what the exchange needs of
//! it (`RequestHead`: the operation, its SOAPAction, the caller's identification and
//! legal context), the role its callers must hold, its handler, how it answers a
//! refusal, and how its response is written. Its operations are described once, in its
//! wire module's `Operation`. `exchange` runs the stages every contract shares, in
//! order, so that no contract can skip or reorder one: read the request, check the
//! SOAPAction, authorise, answer, wake whom the effects concern, write. A row of
//! `SERVICES` says where a contract is served, its namespace and published documents,
//! and how its faults carry a detail; routes, the published WSDLs and the `serve`
//! banner all come from the table. Adding a service is one new file here and one row
//! below.

mod connector;
mod living_wages_v2;
mod living_wages_v3;
mod living_wages_with_amount_v1;
mod pcsa_decision_v1;
mod subscription_v1;
mod test_connection_v1;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use uuid::Uuid;

use super::routes::Gateway;
use super::soap_endpoint::{Exchange, Fault, check_action, request_fault, service_fault};
use crate::domain::Institution;
use crate::services::ServiceError;
use crate::services::access::{self, Refusal, Role};
use crate::services::effects::Effects;
use crate::services::faults::{self, Effect, Injection};
use crate::wire::common::{CbssFault, InformationCbss, RequestError, RequestHead, Status};
use crate::wire::wsdl;
use crate::wire::xml::{Element, XmlWriter};

/// What a handler has to work with once the caller is authorised.
pub struct Cx<'a> {
    pub gw: &'a Gateway,
    pub caller: &'a Arc<Institution>,
    pub ticket: Uuid,
    /// When the request arrived, by the gateway's clock.
    pub received_ms: i64,
}

/// A handler's answer, and what it changed that someone else acts on.
pub struct Handled<A> {
    pub answer: A,
    pub effects: Effects,
}

impl<A> Handled<A> {
    /// An answer that changed nothing anyone waits on.
    pub fn answer(answer: A) -> Self {
        Handled {
            answer,
            effects: Effects::NONE,
        }
    }
}

/// What a handler's future yields.
pub type Answering<A> = Result<Handled<A>, ServiceError>;

/// One SOAP service: everything `exchange` needs besides its row.
pub trait Contract: Sync + 'static {
    /// Who may call it; `access::authorize` proves it before `answer` runs.
    type Role: Role;
    const ROLE: Self::Role;
    type Request: Send + Sync + 'static;
    type Answer: Send + 'static;

    /// The body's payload element as this service's request.
    fn read(payload: &Element<'_>) -> Result<Self::Request, RequestError>;

    fn head(request: &Self::Request) -> RequestHead<'_>;

    /// Answers an authorised request; `proof` is what the role's proof found.
    fn answer<'a>(
        cx: &'a Cx<'a>,
        proof: <Self::Role as Role>::Proof,
        request: &'a Arc<Self::Request>,
    ) -> impl Future<Output = Answering<Self::Answer>> + Send + 'a;

    /// A refusal of the access rules in this contract's own wire form: a fault
    /// unless the contract says otherwise.
    fn refused(
        _cx: &Cx<'_>,
        _request: &Self::Request,
        refusal: Refusal,
    ) -> Result<Self::Answer, ServiceError> {
        Err(refusal.into())
    }

    fn write(
        w: &mut XmlWriter,
        request: &Self::Request,
        cbss: &InformationCbss,
        answer: &Self::Answer,
    );

    /// The outcome the audit trail keeps: a status or result code.
    fn outcome(answer: &Self::Answer) -> &'static str;

    /// An answer carrying only `status`, for a contract whose answers carry one (the
    /// consultations): what an injected fault forcing a status answers.
    const WITH_STATUS: Option<fn(Status) -> Self::Answer> = None;

    /// Its outcomes are registrations (`bcss_registrations_total`).
    const REGISTERS: bool = false;

    /// The person the exchange was about, for the audit trail.
    fn subject<'r>(request: &'r Self::Request, _answer: &'r Self::Answer) -> Option<&'r str> {
        Self::head(request).ssin
    }
}

/// What the audit trail learns of an exchange from its request and answer.
#[derive(Default)]
pub struct Facts {
    pub operation: Option<&'static str>,
    pub legal_context: Option<String>,
    pub ssin: Option<String>,
    /// The fault rule that fired for the exchange, if one did.
    pub injected: Option<Injection>,
}

/// The response body and the outcome the audit keeps.
pub type Answered = (String, &'static str);

/// The stages of `exchange`, as a future the row can name.
pub type Stages<'a> = Pin<Box<dyn Future<Output = (Facts, Result<Answered, Fault>)> + Send + 'a>>;

/// Runs the stages of one contract on the envelope's payload.
pub type Operate = for<'a> fn(
    &'a Gateway,
    &'a Arc<Institution>,
    &'a Element<'a>,
    Option<&'a str>,
    &'a Exchange,
) -> Stages<'a>;

/// `exchange` for the contract `C`, as a row's `operate`.
pub fn operate<'a, C: Contract>(
    gw: &'a Gateway,
    caller: &'a Arc<Institution>,
    payload: &'a Element<'a>,
    action: Option<&'a str>,
    ex: &'a Exchange,
) -> Stages<'a> {
    Box::pin(exchange::<C>(gw, caller, payload, action, ex))
}

/// The stages after the envelope, the same for every contract, in order: read the
/// request, meet the fault rules, check its SOAPAction, authorise the caller, answer
/// (or answer the refusal), wake whom the effects concern, write the response. The
/// audit facts come back with the result; a fault raised once the request was read
/// echoes its informationCustomer.
async fn exchange<C: Contract>(
    gw: &Gateway,
    caller: &Arc<Institution>,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &Exchange,
) -> (Facts, Result<Answered, Fault>) {
    let request = match C::read(payload) {
        Ok(request) => Arc::new(request),
        Err(e) => return (Facts::default(), Err(request_fault(e, ex.service))),
    };
    let head = C::head(&request);
    let injection = gw.faults.pick(
        &faults::Request {
            service: Some(ex.service.name),
            operation: Some(head.operation),
            institution: Some(caller.cbe),
            ssin: head.ssin,
            method: "POST",
            path: ex.service.path,
            carries_status: C::WITH_STATUS.is_some(),
            delivery: false,
        },
        ex.received_ms,
    );
    let mut facts = Facts {
        operation: Some(head.operation),
        legal_context: head.legal_context.map(str::to_owned),
        ssin: head.ssin.map(str::to_owned),
        injected: None,
    };
    let answered = async {
        if let Some(injection) = &injection {
            if let Some(delay) = injection.delay {
                tokio::time::sleep(delay).await;
            }
            if injection.replaces_answer() {
                return injected::<C>(injection, &request, head.ssin, ex);
            }
        }
        check_action(action, |a| head.action_matches(a), head.operation, ex)?;
        let cx = Cx {
            gw,
            caller,
            ticket: ex.ticket,
            received_ms: ex.received_ms,
        };
        let authorised = access::authorize(
            gw.store.as_ref(),
            caller,
            C::ROLE,
            head.customer.map(|c| &c.identification),
            head.legal_context,
        );
        let handled = match authorised {
            Ok(proof) => C::answer(&cx, proof, &request).await,
            Err(ServiceError::Refused(refusal)) => {
                C::refused(&cx, &request, refusal).map(Handled::answer)
            }
            Err(e) => Err(e),
        }
        .map_err(|e| service_fault(e, caller, ex))?;
        handled.effects.wake(gw.notify.as_ref());
        let cbss = ex.cbss();
        let body = ex.envelope(head.operation, |w| {
            C::write(w, &request, &cbss, &handled.answer)
        });
        facts.ssin = C::subject(&request, &handled.answer).map(str::to_owned);
        if C::REGISTERS {
            gw.metrics.registration(C::outcome(&handled.answer));
        }
        Ok((body, C::outcome(&handled.answer)))
    }
    .await;
    let answered = answered.map_err(|f: Fault| match head.customer {
        Some(customer) => f.about(customer),
        None => f,
    });
    facts.injected = injection;
    (facts, answered)
}

/// The answer of an injected fault that replaces the operation's: a forced status in
/// an otherwise normal response, or a fault. An effect on the HTTP exchange itself (an
/// HTTP error, a reset, a hold) replaces whatever this returns (`injected::shape`).
fn injected<C: Contract>(
    injection: &Injection,
    request: &C::Request,
    ssin: Option<&str>,
    ex: &Exchange,
) -> Result<Answered, Fault> {
    match (&injection.effect, injection.status, C::WITH_STATUS) {
        (Some(Effect::Fault(spec)), _, _) => Err(Fault::injected(spec)),
        (Some(Effect::Status(_)), Some(code), Some(with_status)) => {
            let status = crate::services::status::forced(code, ssin).ok_or_else(Fault::server)?;
            let answer = with_status(status);
            let cbss = ex.cbss();
            let operation = C::head(request).operation;
            let body = ex.envelope(operation, |w| C::write(w, request, &cbss, &answer));
            Ok((body, C::outcome(&answer)))
        }
        _ => Err(Fault::server()),
    }
}

pub struct SoapService {
    /// As named in faults: "LivingWagesService v2".
    pub name: &'static str,
    /// As listed by `serve` when it starts.
    pub banner: &'static str,
    pub path: &'static str,
    /// The WSDL's target namespace.
    pub namespace: &'static str,
    /// The WSDL's port type: with the namespace, it names the actions WS-Addressing
    /// gives the operations' messages (`{op}Request`, `{op}Response`).
    pub port_type: &'static str,
    /// The WSDL and schemas served at `path?wsdl` and `?xsd=NAME`.
    pub documents: &'static wsdl::Contract,
    /// Writes a fault's detail in the contract's own element; `None` for a contract
    /// that declares none (its faults then carry only a reason).
    pub fault_detail: Option<fn(&mut XmlWriter, &CbssFault)>,
    /// `operate::<TheContract>`.
    pub operate: Operate,
}

/// Every SOAP service, in the order `serve` lists them.
pub static SERVICES: [&SoapService; 7] = [
    &living_wages_v2::SERVICE,
    &living_wages_v3::SERVICE,
    &living_wages_with_amount_v1::SERVICE,
    &pcsa_decision_v1::SERVICE,
    &connector::SERVICE,
    &subscription_v1::SERVICE,
    &test_connection_v1::SERVICE,
];

/// The service served at `path`, if any.
pub fn at(path: &str) -> Option<&'static SoapService> {
    SERVICES.iter().copied().find(|s| s.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::soap::SoapVersion;
    use crate::wire::xml;

    const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";

    /// A row's namespace and port type are its WSDL's, and every operation's messages
    /// are named `{op}Request` and `{op}Response` (by the WSDL 1.1 default where the
    /// WSDL names none): WS-Addressing's actions are made from them.
    #[test]
    fn each_row_names_its_wsdl_port_type_and_messages() {
        for service in SERVICES {
            let text = service
                .documents
                .wsdl("https://gw.example/x", SoapVersion::Soap11)
                .unwrap_or_default();
            let wsdl = xml::parse(text.as_bytes()).unwrap_or_default();
            assert_eq!(
                wsdl.attribute(None, "targetNamespace"),
                Some(service.namespace),
                "{}",
                service.name
            );
            let port_types: Vec<_> = wsdl
                .children
                .iter()
                .filter(|c| c.is(WSDL_NS, "portType"))
                .collect();
            assert_eq!(port_types.len(), 1, "{}", service.name);
            let port_type = port_types[0];
            assert_eq!(
                port_type.attribute(None, "name"),
                Some(service.port_type),
                "{}",
                service.name
            );
            let operations = port_type
                .children
                .iter()
                .filter(|c| c.is(WSDL_NS, "operation"));
            let mut count = 0;
            for operation in operations {
                count += 1;
                let name = operation.attribute(None, "name").unwrap_or_default();
                for (message, suffix) in [("input", "Request"), ("output", "Response")] {
                    let declared = operation
                        .children
                        .iter()
                        .find(|c| c.is(WSDL_NS, message))
                        .map(|m| m.attribute(None, "name"));
                    let expected = format!("{name}{suffix}");
                    assert_eq!(
                        declared.map(|n| n.unwrap_or(&expected)),
                        Some(expected.as_str()),
                        "{}: {name}",
                        service.name
                    );
                }
            }
            assert!(count > 0, "{}", service.name);
        }
    }
}
