//! One SOAP exchange from bytes to bytes: authenticate, read the envelope, dispatch to
//! the operation's handler, write the answer, and audit it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use uuid::Uuid;

use super::auth::AuthError;
use super::routes::{ConnectionInfo, Gateway, HttpResponse};
use crate::clock;
use crate::domain::{CbeNumber, Institution};
use crate::services::effects::Effects;
use crate::services::{self, ServiceError};
use crate::store::AuditRecord;
use crate::wire::common::{
    CbssFault, ConsultationHead, FaultDetail, INVALID_STRUCTURE, Information, InformationCbss,
    InformationCustomer, InvalidField, RequestError, Severity, Status,
};
use crate::wire::living_wages_v2 as lw;
use crate::wire::living_wages_v3 as lw3;
use crate::wire::living_wages_with_amount_v1 as lwa;
use crate::wire::pcsa_decision_v1 as pd;
use crate::wire::soap::{self, FaultCode, SoapVersion};
use crate::wire::ssdn;
use crate::wire::subscription_v1 as ls;
use crate::wire::xml::{Element, XmlWriter};

/// The SOAP services this endpoint code serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    LivingWagesV2,
    LivingWagesV3,
    PcsaDecisionV1,
    /// The old-style connector (`sendXML`), for ManageAccess.
    Connector,
    SubscriptionV1,
    WithAmountV1,
}

/// What the audit trail learns as the exchange goes.
struct Exchange {
    endpoint: Endpoint,
    ticket: Uuid,
    started: Instant,
    received_ms: i64,
    /// The clock's setting when the request arrived: both timestamps follow it.
    clock: clock::Setting,
    version: SoapVersion,
    caller: Option<CbeNumber>,
    operation: Option<&'static str>,
    legal_context: Option<String>,
    ssin: Option<String>,
}

impl Exchange {
    /// What the audit trail keeps of a consultation of one person.
    fn consults(&mut self, operation: &'static str, legal_context: &str, ssin: &str) {
        self.operation = Some(operation);
        self.legal_context = Some(legal_context.to_owned());
        self.ssin = Some(ssin.to_owned());
    }

    fn cbss(&self) -> InformationCbss {
        InformationCbss {
            ticket: self.ticket,
            received_ms: self.received_ms,
            replied_ms: self.clock.at(clock::unix_millis()),
        }
    }
}

/// A fault to answer instead of a response.
struct Fault {
    code: FaultCode,
    http_status: Option<StatusCode>,
    reason_code: &'static str,
    message: String,
    information: Vec<Information>,
    /// The request's informationCustomer, echoed in faults raised once it was read.
    customer: Option<Box<InformationCustomer>>,
}

impl Fault {
    fn client(reason_code: &'static str, message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Client,
            http_status: None,
            reason_code,
            message: message.into(),
            information: Vec::new(),
            customer: None,
        }
    }

    /// An internal error: the client learns the code, not the cause (that is logged).
    fn server() -> Self {
        Fault {
            code: FaultCode::Server,
            http_status: None,
            reason_code: "MSG00003",
            message: "unexpected internal error; the ticket identifies it in the gateway's log"
                .into(),
            information: Vec::new(),
            customer: None,
        }
    }

    /// Echoes the request's informationCustomer in the fault.
    fn about(mut self, customer: &InformationCustomer) -> Self {
        self.customer = Some(Box::new(customer.clone()));
        self
    }

    fn invalid(field: InvalidField) -> Self {
        let message = field.message();
        let mut f = Fault::client(field.code, message);
        f.information
            .push(Information::new(&field.path, field.value.as_deref()));
        f
    }
}

fn respond(status: StatusCode, version: SoapVersion, body: String) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(version.content_type()),
    );
    r
}

pub async fn serve(
    gw: &Gateway,
    endpoint: Endpoint,
    req: Request<Incoming>,
    conn: &ConnectionInfo,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let clock = gw.clock.setting();
    let received_ms = clock.at(clock::unix_millis());
    let mut ex = Exchange {
        endpoint,
        ticket: super::ticket::new_ticket(received_ms),
        started: Instant::now(),
        received_ms,
        clock,
        version: SoapVersion::from_content_type(content_type.as_deref()),
        caller: None,
        operation: None,
        legal_context: None,
        ssin: None,
    };
    let (response, outcome) = match exchange(gw, req, conn, content_type.as_deref(), &mut ex).await
    {
        Ok((body, status_code)) => (
            respond(StatusCode::OK, ex.version, body),
            Cow::Borrowed(status_code),
        ),
        Err(fault) => {
            let outcome = Cow::Borrowed(fault.reason_code);
            (fault_response(&ex, fault, gw.auth.modes().basic), outcome)
        }
    };
    gw.audit.record(AuditRecord {
        ticket: ex.ticket,
        received_at_ms: ex.received_ms,
        latency_us: u64::try_from(ex.started.elapsed().as_micros()).unwrap_or(u64::MAX),
        caller: ex.caller,
        operation: ex.operation.map(Cow::Borrowed),
        legal_context: ex.legal_context,
        ssin: ex.ssin,
        outcome,
        http_status: response.status().as_u16(),
    });
    response
}

fn fault_response(ex: &Exchange, fault: Fault, basic_accepted: bool) -> HttpResponse {
    let detail = CbssFault {
        information_customer: fault.customer.map(|c| *c),
        cbss: ex.cbss(),
        details: vec![FaultDetail {
            severity: Severity::Fatal,
            reason_code: fault.reason_code,
            diagnostic: fault.message.clone(),
            information: fault.information,
        }],
    };
    let write_detail = |w: &mut XmlWriter| match ex.endpoint {
        Endpoint::LivingWagesV2 => lw::write_fault(w, &detail),
        Endpoint::LivingWagesV3 => lw3::write_fault(w, &detail),
        Endpoint::PcsaDecisionV1 | Endpoint::Connector => pd::write_fault(w, &detail),
        Endpoint::SubscriptionV1 => detail.write(w, ls::FAULT_ELEMENT, ls::INTF_NS),
        Endpoint::WithAmountV1 => lwa::write_fault(w, &detail),
    };
    // The connector's contract declares no fault detail: its errors travel in the
    // SSDNReply, and a fault only says that the envelope itself was wrong.
    let detail_writer: Option<&dyn Fn(&mut XmlWriter)> = match ex.endpoint {
        Endpoint::Connector => None,
        _ => Some(&write_detail),
    };
    let body = soap::fault(ex.version, fault.code, &fault.message, detail_writer);
    let status = fault.http_status.unwrap_or_else(|| {
        StatusCode::from_u16(fault.code.http_status(ex.version))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    });
    let mut r = respond(status, ex.version, body);
    if status == StatusCode::UNAUTHORIZED && basic_accepted {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"bcss-gateway\", charset=\"UTF-8\""),
        );
    }
    r
}

/// The SOAPAction the client declared: the HTTP header in SOAP 1.1, the `action`
/// parameter of the content type in SOAP 1.2. Quotes are not part of it.
fn declared_action<'a>(
    version: SoapVersion,
    soap_action_header: Option<&'a str>,
    content_type: Option<&'a str>,
) -> Option<&'a str> {
    let raw = match version {
        SoapVersion::Soap11 => soap_action_header?,
        SoapVersion::Soap12 => content_type?
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("action"))
            .map(|(_, v)| v)?,
    };
    Some(raw.trim().trim_matches('"'))
}

async fn exchange(
    gw: &Gateway,
    req: Request<Incoming>,
    conn: &ConnectionInfo,
    content_type: Option<&str>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let caller = authenticate(gw, &req, conn).await?;
    ex.caller = Some(caller.cbe);

    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || Fault {
        http_status: Some(StatusCode::PAYLOAD_TOO_LARGE),
        ..Fault::client(
            INVALID_STRUCTURE,
            format!("the request body exceeds {} bytes", gw.body_limit),
        )
    };
    if declared_length.is_some_and(|n| n > gw.body_limit as u64) {
        return Err(too_large());
    }
    // The body consumes the request: keep the one header read after it.
    let soap_action = req
        .headers()
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let collect = Limited::new(req.into_body(), gw.body_limit).collect();
    let body = match tokio::time::timeout(gw.body_timeout, collect).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(e)) => {
            return Err(Fault {
                http_status: Some(StatusCode::BAD_REQUEST),
                ..Fault::client(
                    INVALID_STRUCTURE,
                    format!("the request body could not be read: {e}"),
                )
            });
        }
        Err(_) => {
            return Err(Fault {
                http_status: Some(StatusCode::REQUEST_TIMEOUT),
                ..Fault::client(INVALID_STRUCTURE, "the request body did not arrive in time")
            });
        }
    };

    let envelope = soap::parse_envelope(&body).map_err(|(version, e)| {
        if let Some(v) = version {
            ex.version = v;
        }
        Fault {
            code: e.fault_code(),
            ..Fault::client(INVALID_STRUCTURE, e.to_string())
        }
    })?;
    ex.version = envelope.version;

    let action = declared_action(ex.version, soap_action.as_deref(), content_type);
    match ex.endpoint {
        Endpoint::LivingWagesV2 => living_wages_v2(gw, &caller, &envelope.payload, action, ex),
        Endpoint::LivingWagesV3 => living_wages_v3(gw, &caller, &envelope.payload, action, ex),
        Endpoint::PcsaDecisionV1 => {
            pcsa_decision_v1(gw, &caller, &envelope.payload, action, ex).await
        }
        // Clients of the old connector send all kinds of SOAPAction (some the URL):
        // the one operation is recognised by its payload.
        Endpoint::Connector => connector(gw, &caller, &envelope.payload, ex).await,
        Endpoint::SubscriptionV1 => {
            subscription_v1(gw, &caller, &envelope.payload, action, ex).await
        }
        Endpoint::WithAmountV1 => with_amount_v1(gw, &caller, &envelope.payload, action, ex),
    }
}

/// The fault for a body element that is not one of `service`'s requests.
fn request_fault(e: RequestError, service: &str, namespace: &str) -> Fault {
    match e {
        RequestError::UnknownOperation(name) => unknown_operation(&name, service),
        RequestError::WrongNamespace { element } => wrong_namespace(&element, namespace),
        RequestError::Invalid(field) => Fault::invalid(field),
    }
}

fn unknown_operation(name: &str, service: &str) -> Fault {
    Fault::client(
        INVALID_STRUCTURE,
        format!("{name} is not an operation of {service}"),
    )
}

fn wrong_namespace(element: &str, namespace: &str) -> Fault {
    Fault::client(
        INVALID_STRUCTURE,
        format!("{element} is not in the namespace {namespace} of this endpoint"),
    )
}

/// A declared SOAPAction must name the operation of the body.
fn check_action(
    action: Option<&str>,
    matches: impl Fn(&str) -> bool,
    operation: &str,
) -> Result<(), Fault> {
    match action {
        Some(action) if !matches(action) => Err(Fault::client(
            INVALID_STRUCTURE,
            format!("SOAPAction {action:?} does not match the operation {operation} of the body"),
        )),
        _ => Ok(()),
    }
}

/// A handler's error as the fault the network answers with.
fn service_fault(e: ServiceError, caller: &Institution, ex: &Exchange) -> Fault {
    match e {
        ServiceError::CredentialsMismatch { declared } => {
            let mut f = Fault::client(
                "MSG00014",
                format!(
                    "customerIdentification {declared} does not match the authenticated institution {}",
                    caller.cbe
                ),
            );
            f.information.push(Information::new(
                "informationCustomer/customerIdentification",
                Some(&declared),
            ));
            f
        }
        ServiceError::NotAPcsa { .. } | ServiceError::NotGranted { .. } => {
            Fault::client("MSG00013", e.to_string())
        }
        ServiceError::Store(_) | ServiceError::Internal(_) => {
            tracing::error!(ticket = %ex.ticket, error = %e, "failure while serving a request");
            Fault::server()
        }
    }
}

/// Audits a consultation of one person, checks its SOAPAction, answers it with
/// `answer` and writes the response with `write`; a fault echoes the request's
/// informationCustomer.
fn consult<R, A>(
    caller: &Institution,
    request: &R,
    head: ConsultationHead<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
    answer: impl FnOnce(&R) -> Result<(Status, A), ServiceError>,
    write: impl Fn(&mut XmlWriter, &R, &InformationCbss, &Status, &A),
) -> Result<(String, &'static str), Fault> {
    ex.consults(head.operation, head.legal_context, head.ssin);
    check_action(action, |a| head.action_matches(a), head.operation)
        .map_err(|f| f.about(head.customer))?;
    let (status, data) =
        answer(request).map_err(|e| service_fault(e, caller, ex).about(head.customer))?;
    let cbss = ex.cbss();
    let body = soap::envelope(ex.version, |w| write(w, request, &cbss, &status, &data));
    Ok((body, status.code))
}

fn living_wages_v2(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let request = lw::read_request(payload)
        .map_err(|e| request_fault(e, "LivingWagesService v2", lw::INTF_NS))?;
    let at = gw.visibility(ex.received_ms);
    consult(
        caller,
        &request,
        request.head(),
        action,
        ex,
        |r| services::living_wages_v2::consult(gw.store.as_ref(), caller, r, at),
        lw::write_response,
    )
}

fn living_wages_v3(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let request = lw3::read_request(payload)
        .map_err(|e| request_fault(e, "LivingWagesService v3", lw3::INTF_NS))?;
    let at = gw.visibility(ex.received_ms);
    consult(
        caller,
        &request,
        request.head(),
        action,
        ex,
        |r| services::living_wages_v3::consult(gw.store.as_ref(), caller, r, at),
        lw3::write_response,
    )
}

fn with_amount_v1(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let request = lwa::read_request(payload)
        .map_err(|e| request_fault(e, "LivingWagesWithAmountService v1", lwa::INTF_NS))?;
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

async fn pcsa_decision_v1(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let request = pd::read_request(payload)
        .map_err(|e| request_fault(e, "PcsaDecisionService v1", pd::INTF_NS))?;
    ex.operation = Some(request.operation.name());
    ex.ssin.clone_from(&request.ssin);
    check_action(
        action,
        |a| request.operation.soap_action_matches(a),
        request.operation.name(),
    )
    .map_err(|f| f.about(&request.information_customer))?;
    let store = gw.store.as_ref();
    let sent = match services::access::check_identification(
        caller,
        &request.information_customer.identification,
    ) {
        Err(e) => Err(e),
        Ok(()) => match &request.submission {
            pd::Submission::Form(form) => {
                services::pcsa_decision::send_form(store, &gw.writer, caller, form, ex.received_ms)
                    .await
            }
            pd::Submission::Payments(statement) => {
                services::pcsa_decision::send_payments(store, &gw.writer, caller, statement)
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

async fn subscription_v1(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    action: Option<&str>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let request = ls::read_request(payload)
        .map_err(|e| request_fault(e, "LivingWagesSubscriptionService v1", ls::INTF_NS))?;
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

async fn connector(
    gw: &Gateway,
    caller: &Institution,
    payload: &Element<'_>,
    ex: &mut Exchange,
) -> Result<(String, &'static str), Fault> {
    let inner = ssdn::xml_string(payload).map_err(|m| Fault::client(INVALID_STRUCTURE, m))?;
    ex.operation = Some("sendXML");
    // Inscriptions are written durably: on the register's writer.
    let (owned_caller, inner, ticket, received_ms, clock) = (
        caller.clone(),
        inner.to_owned(),
        ex.ticket.to_string(),
        ex.received_ms,
        gw.clock.clone(),
    );
    let answer = gw
        .writer
        .run(move |store| {
            services::manage_access::send_xml(
                store,
                &owned_caller,
                &inner,
                ticket,
                received_ms,
                || clock.now_ms(),
            )
        })
        .await
        .and_then(|answered| answered)
        .map_err(|e| service_fault(e, caller, ex))?;
    ex.ssin = answer.ssin;
    let body = soap::envelope(ex.version, |w| {
        w.open_ns("wsc:xmlString", &[("wsc", ssdn::CONNECTOR_NS)])
            .text(&answer.reply)
            .close("wsc:xmlString");
    });
    Ok((body, answer.outcome))
}

async fn authenticate(
    gw: &Gateway,
    req: &Request<Incoming>,
    conn: &ConnectionInfo,
) -> Result<Arc<Institution>, Fault> {
    gw.auth
        .authenticate(req.headers(), conn.certificate.as_ref())
        .await
        .map_err(|e| match e {
            AuthError::Store(err) => {
                tracing::error!(error = %err, "store failure during authentication");
                Fault::server()
            }
            refused => {
                tracing::info!(peer = %conn.peer, reason = %refused, "authentication refused");
                Fault {
                    http_status: Some(StatusCode::UNAUTHORIZED),
                    ..Fault::client("MSG00015", refused.to_string())
                }
            }
        })
}
