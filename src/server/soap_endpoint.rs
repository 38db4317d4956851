//! One SOAP exchange from bytes to bytes, the same for every service: identify the
//! caller, read the body and the envelope, run the contract's stages (`contracts`:
//! read the request, check its SOAPAction, authorise, answer, write), answer a fault
//! if any stage refused, and audit what the stages returned. Faults and the checks the
//! stages share are here.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use tokio::sync::OwnedSemaphorePermit;
use uuid::Uuid;

use super::auth::AuthError;
use super::body::AnswerBody;
use super::contracts::{Answered, Facts, SoapService};
use super::injected;
use super::login_limits;
use super::routes::{ConnectionInfo, Gateway, HttpResponse};
use super::signed_answers::{self, AnswerSigner};
use super::ws_security;
use crate::clock;
use crate::domain::{CbeNumber, Institution};
use crate::services::ServiceError;
use crate::services::access::Refusal;
use crate::services::faults::FaultSpec;
use crate::store::{AuditMark, AuditRecord};
use crate::wire::common::{
    CbssFault, FaultDetail, INVALID_STRUCTURE, Information, InformationCbss, InformationCustomer,
    InvalidField, RequestError, Severity,
};
use crate::wire::soap::{self, EnvelopeError, FaultCode, SoapVersion};
use crate::wire::ws_addressing::{self, Addressing, AddressingError, AddressingFault};
use crate::wire::ws_security::{Secured, SecurityError, SecurityFault};
use crate::wire::xml::XmlWriter;

/// What every stage knows of the exchange: which service, its ticket, when it
/// arrived, and the SOAP version its answer is written in (that of the envelope once
/// read).
pub struct Exchange {
    pub service: &'static SoapService,
    pub ticket: Uuid,
    started: Instant,
    pub received_ms: i64,
    /// The clock's setting when the request arrived: both timestamps follow it.
    clock: clock::Setting,
    pub version: SoapVersion,
    /// The request's WS-Addressing properties: the answer relates to them.
    addressing: Option<Addressing>,
    /// Signs the answer, with `--sign-answers`.
    signer: Option<Arc<AnswerSigner>>,
    /// The request's body, when the journal keeps bodies.
    request_body: Option<Bytes>,
}

impl Exchange {
    pub fn cbss(&self) -> InformationCbss {
        InformationCbss {
            ticket: self.ticket,
            received_ms: self.received_ms,
            replied_ms: self.clock.at(clock::unix_millis()),
        }
    }

    /// The envelope of `operation`'s answer, with its header (`reply_header`).
    pub fn envelope(&self, operation: &str, write_body: impl FnOnce(&mut XmlWriter)) -> String {
        let action = self.addressing.as_ref().map(|_| {
            ws_addressing::default_action(
                self.service.namespace,
                self.service.port_type,
                &format!("{operation}Response"),
            )
        });
        let blocks = self.reply_header(action.as_deref());
        soap::envelope_with_head(self.version, self.head(blocks.as_ref()), write_body)
    }

    /// What the answer's header says, if anything: WS-Addressing's reply, with
    /// `action` (a fault's when `None`), when the request had addressing headers; the
    /// template of the answer's signature, with `--sign-answers`.
    fn reply_header(&self, action: Option<&str>) -> Option<impl Fn(&mut XmlWriter) + '_> {
        if self.addressing.is_none() && self.signer.is_none() {
            return None;
        }
        let action = self
            .addressing
            .as_ref()
            .map(|a| action.unwrap_or(a.version.fault_action()).to_owned());
        let now_ms = self.clock.at(clock::unix_millis());
        Some(move |w: &mut XmlWriter| {
            let reply = self
                .addressing
                .as_ref()
                .zip(action.as_ref())
                .map(|(a, action)| ws_addressing::Reply {
                    version: a.version,
                    action,
                    message_id: format!("urn:uuid:{}", self.ticket),
                    relates_to: a.message_id.as_deref(),
                });
            match (&reply, &self.signer) {
                (Some(reply), Some(signer)) => {
                    reply.write_with_ids(w, crate::wire::ws_security::WSU_NS);
                    signer.write_header(w, now_ms, &reply.ids());
                }
                (Some(reply), None) => reply.write(w),
                (None, Some(signer)) => signer.write_header(w, now_ms, &[]),
                (None, None) => {}
            }
        })
    }

    fn head<'a>(&self, blocks: Option<&'a (impl Fn(&mut XmlWriter) + 'a)>) -> soap::Head<'a> {
        soap::Head {
            blocks: blocks.map(|b| b as &dyn Fn(&mut XmlWriter)),
            body_id: self.signer.as_ref().map(|_| signed_answers::BODY_ID),
        }
    }
}

/// A fault to answer instead of a response.
pub struct Fault {
    code: FaultCode,
    http_status: Option<StatusCode>,
    reason_code: Cow<'static, str>,
    message: String,
    information: Vec<Information>,
    /// The request's informationCustomer, echoed in faults raised once it was read.
    customer: Option<Box<InformationCustomer>>,
    /// Seconds after which a refused request may be sent again (`Retry-After`).
    retry_after: Option<u64>,
}

impl Fault {
    pub fn client(reason_code: &'static str, message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Client,
            http_status: None,
            reason_code: Cow::Borrowed(reason_code),
            message: message.into(),
            information: Vec::new(),
            customer: None,
            retry_after: None,
        }
    }

    /// An internal error: the client learns the code, not the cause (that is logged).
    pub(super) fn server() -> Self {
        Fault {
            code: FaultCode::Server,
            http_status: None,
            reason_code: Cow::Borrowed("MSG00003"),
            message: "unexpected internal error; the ticket identifies it in the gateway's log"
                .into(),
            information: Vec::new(),
            customer: None,
            retry_after: None,
        }
    }

    /// The fault a rule asks for: MSG00003, a Server fault, unless it says otherwise.
    pub(super) fn injected(spec: &FaultSpec) -> Self {
        let reason = spec.reason.as_deref().unwrap_or("MSG00003");
        let server = match spec.code.as_deref() {
            Some(code) => code.eq_ignore_ascii_case("server"),
            None => reason == "MSG00003",
        };
        let base = Fault::server();
        Fault {
            code: if server {
                FaultCode::Server
            } else {
                FaultCode::Client
            },
            reason_code: Cow::Owned(reason.to_owned()),
            message: spec.message.clone().unwrap_or(if reason == "MSG00003" {
                base.message
            } else {
                format!("the request was refused ({reason})")
            }),
            ..Fault::server()
        }
    }

    /// Echoes the request's informationCustomer in the fault.
    pub fn about(mut self, customer: &InformationCustomer) -> Self {
        self.customer = Some(Box::new(customer.clone()));
        self
    }

    /// A WS-Security fault: raised before the service reads the request, so without
    /// the service's detail; the journal keeps its QName.
    fn security(e: SecurityError) -> Self {
        Fault {
            code: FaultCode::Security(e.fault),
            reason_code: Cow::Owned(e.fault.qname()),
            ..Fault::client("", e.reason)
        }
    }

    /// A WS-Addressing fault: about the header, so without the service's detail
    /// either; the journal keeps its QName.
    fn addressing(e: AddressingError) -> Self {
        Fault {
            code: FaultCode::Addressing(e.fault, e.version),
            reason_code: Cow::Owned(e.fault.qname(e.version)),
            ..Fault::client("", e.reason)
        }
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
    let mut r = Response::new(AnswerBody::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(version.content_type()),
    );
    r
}

/// One exchange with `service`, in stages: identify the caller, read the body and the
/// envelope, run the service's operation (which reads, authorises, answers and
/// writes), answer a fault if any stage refused, and audit.
pub async fn serve(
    gw: &Gateway,
    service: &'static SoapService,
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
        service,
        ticket: super::ticket::new_ticket(received_ms),
        started: Instant::now(),
        received_ms,
        clock,
        version: SoapVersion::from_content_type(content_type.as_deref()),
        addressing: None,
        signer: gw.answer_signer.clone(),
        request_body: None,
    };
    let (caller, mut facts, answered) =
        exchange(gw, req, conn, content_type.as_deref(), &mut ex).await;
    let (body, mut outcome, fault) = match answered {
        Ok((body, status_code)) => (body, Cow::Borrowed(status_code), None),
        Err(fault) => (
            fault_body(&ex, &fault),
            fault.reason_code.clone(),
            Some(fault),
        ),
    };
    let (body, fault) = match signed(&mut ex, body).await {
        Ok(body) => (body, fault),
        Err(e) => {
            tracing::error!(ticket = %ex.ticket, error = %e, "answer left unsigned");
            let fault = Fault::server();
            outcome = fault.reason_code.clone();
            (fault_body(&ex, &fault), Some(fault))
        }
    };
    let mut response = match fault {
        None => respond(StatusCode::OK, ex.version, body),
        Some(fault) => fault_response(fault, ex.version, body, gw.auth.modes().basic),
    };
    if let Some(bodies) = &gw.bodies {
        let empty = Bytes::new();
        let answer = response.body().bytes().unwrap_or(&empty);
        bodies.keep(
            ex.ticket,
            ex.request_body.as_ref().unwrap_or(&empty),
            answer,
        );
    }
    let injection = facts.injected.take();
    if let Some(injection) = &injection {
        gw.metrics.injected(injection.rule);
        let (shaped, replaced) = injected::shape(response, injection, gw.faults.max_hold);
        response = shaped;
        if let Some(replaced) = replaced {
            outcome = Cow::Borrowed(replaced);
        }
    }
    let took = ex.started.elapsed();
    let http_status = injected::http_status(&response);
    gw.metrics.exchange(
        service.name,
        facts.operation,
        outcome.clone(),
        http_status,
        took,
    );
    gw.audit.record(AuditRecord {
        ticket: ex.ticket,
        received_at_ms: ex.received_ms,
        latency_us: u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        caller,
        operation: facts.operation.map(Cow::Borrowed),
        legal_context: facts.legal_context,
        ssin: facts.ssin,
        outcome,
        http_status,
        service: Some(Cow::Borrowed(service.name)),
        mark: injection.map(|i| AuditMark::Injected {
            rule: i.rule,
            effect: i.describe(),
        }),
    });
    response
}

/// The answer signed, with `--sign-answers`: off the async workers, since an RSA
/// signature takes a millisecond or more. An answer that cannot be signed is not sent:
/// the error is returned, and the exchange's signer dropped, so the Server fault that
/// replaces it is written unsigned.
async fn signed(
    ex: &mut Exchange,
    body: String,
) -> Result<String, signed_answers::AnswerSignerError> {
    let Some(signer) = ex.signer.clone() else {
        return Ok(body);
    };
    let result = tokio::task::spawn_blocking(move || signer.sign(&body))
        .await
        .unwrap_or_else(|e| Err(signed_answers::AnswerSignerError::Sign(e.to_string())));
    if result.is_err() {
        ex.signer = None;
    }
    result
}

fn fault_body(ex: &Exchange, fault: &Fault) -> String {
    let detail = CbssFault {
        information_customer: fault.customer.as_deref().cloned(),
        cbss: ex.cbss(),
        details: vec![FaultDetail {
            severity: Severity::Fatal,
            reason_code: fault.reason_code.clone(),
            diagnostic: fault.message.clone(),
            information: fault.information.clone(),
        }],
    };
    let write_detail = |w: &mut XmlWriter| {
        if let Some(write) = ex.service.fault_detail {
            write(w, &detail);
        }
    };
    let detail_writer: Option<&dyn Fn(&mut XmlWriter)> = ex
        .service
        .fault_detail
        .filter(|_| !fault.code.is_header_fault())
        .map(|_| &write_detail as &dyn Fn(&mut XmlWriter));
    let blocks = ex.reply_header(None);
    soap::fault(
        ex.version,
        fault.code,
        &fault.message,
        ex.head(blocks.as_ref()),
        detail_writer,
    )
}

fn fault_response(
    fault: Fault,
    version: SoapVersion,
    body: String,
    basic_accepted: bool,
) -> HttpResponse {
    let status = fault.http_status.unwrap_or_else(|| {
        StatusCode::from_u16(fault.code.http_status(version))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    });
    let mut r = respond(status, version, body);
    if let Some(seconds) = fault.retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
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

/// The stages up to the envelope: identify the caller, read the body, read the
/// envelope and its signature; then the contract's own (`contracts::exchange`).
/// Returns who called, what the audit trail keeps of the request, and the answer or
/// fault.
async fn exchange(
    gw: &Gateway,
    req: Request<Incoming>,
    conn: &ConnectionInfo,
    content_type: Option<&str>,
    ex: &mut Exchange,
) -> (Option<CbeNumber>, Facts, Result<Answered, Fault>) {
    // Without credentials, a signature in the body may still identify the caller.
    let transport = match authenticate(gw, &req, conn).await {
        Ok(caller) => Some(caller),
        Err(None) => None,
        Err(Some(fault)) => return (None, Facts::default(), Err(fault)),
    };
    let known = transport.as_ref().map(|c| c.cbe);
    // The body's share of memory is held until the exchange ends.
    let (body, soap_action, _held) = match read_body(gw, req, conn).await {
        Ok(read) => read,
        Err(fault) => return (known, Facts::default(), Err(fault)),
    };
    if gw.bodies.is_some() {
        ex.request_body = Some(body.clone());
    }
    let mut envelope = match soap::parse_envelope(&body) {
        Ok(envelope) => envelope,
        Err((version, e)) => {
            if let Some(v) = version {
                ex.version = v;
            }
            // A fault about the addressing headers is addressed as the answer would be.
            if let EnvelopeError::Addressing(e) = &e {
                ex.addressing = Some(Addressing {
                    version: e.version,
                    action: None,
                    message_id: e.message_id.clone(),
                });
            }
            return (known, Facts::default(), Err(envelope_fault(e)));
        }
    };
    ex.version = envelope.version;
    ex.addressing = envelope.addressing.take();
    let secured = envelope.security.take();
    let caller = match identify(gw, transport, secured, &body, ex).await {
        Ok(caller) => caller,
        Err(fault) => return (known, Facts::default(), Err(fault)),
    };
    let action = declared_action(ex.version, soap_action.as_deref(), content_type);
    let (facts, answered) = (ex.service.operate)(gw, &caller, &envelope.payload, action, ex).await;
    (Some(caller.cbe), facts, answered)
}

fn envelope_fault(e: EnvelopeError) -> Fault {
    match e {
        EnvelopeError::Addressing(e) => Fault::addressing(e),
        e => Fault {
            code: e.fault_code(),
            ..Fault::client(INVALID_STRUCTURE, e.to_string())
        },
    }
}

/// Signed messages up to this size are checked on the worker that read them.
const INLINE_CHECK_BYTES: usize = 16 << 10;

/// The caller, from what the transport proved (`transport`) and the message's
/// WS-Security header: a signature must name the same institution as the client
/// certificate or Basic credentials sent with it, and is required where the
/// deployment says so.
async fn identify(
    gw: &Gateway,
    transport: Option<Arc<Institution>>,
    secured: Option<Box<Secured<'_>>>,
    body: &Bytes,
    ex: &Exchange,
) -> Result<Arc<Institution>, Fault> {
    let modes = gw.auth.modes();
    let unsigned = |transport: Option<Arc<Institution>>| {
        if modes.require_signature {
            return Err(Fault::security(SecurityError::new(
                SecurityFault::InvalidSecurity,
                "this gateway requires every request to be signed (WS-Security X.509 \
                 signature in a wsse:Security header)",
            )));
        }
        transport.ok_or_else(|| refused_fault(AuthError::Missing))
    };
    let secured = match secured {
        Some(s) if modes.ws_security => s,
        Some(s) if s.must_understand => {
            let block = s.header.expanded_name();
            return Err(envelope_fault(EnvelopeError::MustUnderstand(block)));
        }
        _ => return unsigned(transport),
    };
    let mut header = crate::wire::ws_security::read(&secured.header).map_err(Fault::security)?;
    let Some(signature) = &mut header.signature else {
        return unsigned(transport);
    };
    // A certificate the message names without carrying it is one registered whole.
    if signature.key.is_named() {
        let registered = gw.store.registered_certificates().map_err(|e| {
            tracing::error!(error = %e, "store failure reading the registered certificates");
            Fault::server()
        })?;
        let der =
            ws_security::named_certificate(&signature.key, &registered).map_err(Fault::security)?;
        signature.key = crate::wire::ws_security::KeyReference::Embedded(der);
    }
    let Secured { body_id, ids, .. } = *secured;
    let parts = ws_security::Parts {
        body_id,
        ids: ids.map_err(Fault::security)?,
    };
    let message = body.clone();
    let now = ex.received_ms.div_euclid(1000);
    // A request's check takes a quarter of a millisecond, less than the TLS handshake
    // these workers also run, and handing it to another thread would cost a fifth
    // more; a large message goes to the blocking pool, where its canonicalization
    // cannot hold a worker back.
    let checked = if message.len() <= INLINE_CHECK_BYTES {
        ws_security::verify(&message, &header, &parts, now)
    } else {
        tokio::task::spawn_blocking(move || ws_security::verify(&message, &header, &parts, now))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "the signature check failed to run");
                Fault::server()
            })?
    };
    let certificate = checked.map_err(Fault::security)?;
    let fingerprint = crate::tls::fingerprint(&rustls_pki_types::CertificateDer::from(certificate));
    let signer = gw
        .auth
        .institution_by_certificate(&fingerprint)
        .map_err(|e| {
            tracing::error!(error = %e, "store failure during authentication");
            Fault::server()
        })?
        .ok_or_else(|| {
            Fault::security(SecurityError::new(
                SecurityFault::FailedAuthentication,
                format!("the signing certificate {fingerprint} belongs to no institution"),
            ))
        })?;
    match transport {
        Some(other) if other.cbe != signer.cbe => Err(Fault::security(SecurityError::new(
            SecurityFault::FailedAuthentication,
            format!(
                "the signature's certificate identifies institution {} but the client \
                 certificate or HTTP Basic names {}",
                signer.cbe, other.cbe
            ),
        ))),
        _ => Ok(signer),
    }
}

/// How much of a body over the limit is still read, and dropped, before the 413 is
/// sent: a client that sends its whole body before it reads (python `requests`
/// without `Expect: 100-continue`) would otherwise meet a closed connection instead of
/// the answer. Beyond it, the connection is closed.
const DRAIN_LIMIT: u64 = 64 << 20;

/// Memory permits held for a body read, one a byte: the connection's and everyone's.
type Held = Vec<OwnedSemaphorePermit>;

/// Reads the body within its size, memory and time limits; returns it with the
/// SOAPAction header (the body consumes the request) and the memory it holds. At most
/// `body_limit` bytes are kept, and only while the connection's share and the
/// gateway's total allow: beyond, the body is read through and dropped, and the
/// answer is 503 (a connection or a crowd of slow senders cannot make the gateway
/// allocate what it does not have).
async fn read_body(
    gw: &Gateway,
    req: Request<Incoming>,
    conn: &ConnectionInfo,
) -> Result<(Bytes, Option<String>, Held), Fault> {
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
    if declared_length.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large());
    }
    let soap_action = req
        .headers()
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limit = gw.body_limit as u64;
    let mut over = declared_length.is_some_and(|n| n > limit);
    let mut crowded = false;
    let mut held: Held = Vec::new();
    let mut body = req.into_body();
    let read = async {
        // The frames as they came: a body in one frame (the usual case) is not copied.
        let mut kept: Vec<Bytes> = Vec::new();
        let mut seen = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue;
            };
            seen += data.len() as u64;
            over |= seen > limit;
            if seen > DRAIN_LIMIT {
                break;
            }
            if over || crowded {
                continue;
            }
            match reserve(gw, conn, data.len() + FRAME_OVERHEAD) {
                Some(permits) => {
                    held.extend(permits);
                    kept.push(data);
                }
                None => {
                    crowded = true;
                    kept.clear();
                    held.clear();
                }
            }
        }
        Ok::<_, hyper::Error>(match kept.len() {
            1 => kept.pop().unwrap_or_default(),
            _ => Bytes::from(kept.concat()),
        })
    };
    let read = tokio::time::timeout(gw.body_timeout, read).await;
    let crowded_out = || Fault {
        code: FaultCode::Server,
        http_status: Some(StatusCode::SERVICE_UNAVAILABLE),
        retry_after: Some(1),
        ..Fault::client(
            "MSG00003",
            "the gateway holds as many request bodies as it may at once: send the request again in a moment",
        )
    };
    match read {
        Ok(Ok(_)) if over => Err(too_large()),
        Ok(Ok(_)) if crowded => Err(crowded_out()),
        Ok(Ok(bytes)) => Ok((bytes, soap_action, held)),
        Ok(Err(_)) if over => Err(too_large()),
        Ok(Err(e)) => Err(Fault {
            http_status: Some(StatusCode::BAD_REQUEST),
            ..Fault::client(
                INVALID_STRUCTURE,
                format!("the request body could not be read: {e}"),
            )
        }),
        Err(_) if over => Err(too_large()),
        Err(_) => Err(Fault {
            http_status: Some(StatusCode::REQUEST_TIMEOUT),
            ..Fault::client(INVALID_STRUCTURE, "the request body did not arrive in time")
        }),
    }
}

/// What keeping one frame costs beside its bytes (its handle and its two permits), so
/// that a body sent a byte a frame is counted for the memory it really takes.
const FRAME_OVERHEAD: usize = 128;

/// Memory for `len` more bytes of a body: the connection's share and the gateway's,
/// `None` when either is spent.
fn reserve(gw: &Gateway, conn: &ConnectionInfo, len: usize) -> Option<[OwnedSemaphorePermit; 2]> {
    let len = u32::try_from(len).ok()?;
    let own = conn.bodies.clone().try_acquire_many_owned(len).ok()?;
    let all = gw.body_memory.clone().try_acquire_many_owned(len).ok()?;
    Some([own, all])
}

/// The fault for a body element that is not one of `service`'s requests.
pub fn request_fault(e: RequestError, service: &SoapService) -> Fault {
    match e {
        RequestError::UnknownOperation(name) => unknown_operation(&name, service.name),
        RequestError::WrongNamespace { element } => wrong_namespace(&element, service.namespace),
        RequestError::Invalid(field) => Fault::invalid(field),
        RequestError::Malformed(message) => Fault::client(INVALID_STRUCTURE, message),
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

/// A declared SOAPAction must name the operation of the body; so must WS-Addressing's
/// `Action`, which a message with addressing headers has to carry: the operation's
/// SOAPAction (what JAX-WS, WCF and zeep send when the WSDL declares no other), or the
/// action of its input by the metadata's default pattern.
pub fn check_action(
    action: Option<&str>,
    matches: impl Fn(&str) -> bool,
    operation: &str,
    ex: &Exchange,
) -> Result<(), Fault> {
    if let Some(action) = action.filter(|a| !matches(a)) {
        return Err(Fault::client(
            INVALID_STRUCTURE,
            format!("SOAPAction {action:?} does not match the operation {operation} of the body"),
        ));
    }
    let Some(addressing) = &ex.addressing else {
        return Ok(());
    };
    let refuse = |fault, reason: String| {
        Fault::addressing(AddressingError {
            fault,
            version: addressing.version,
            reason,
            message_id: addressing.message_id.clone(),
        })
    };
    let Some(action) = addressing.action.as_deref() else {
        return Err(refuse(
            AddressingFault::MessageAddressingHeaderRequired,
            "the message has WS-Addressing headers but no wsa:Action".into(),
        ));
    };
    let input = ws_addressing::default_action(
        ex.service.namespace,
        ex.service.port_type,
        &format!("{operation}Request"),
    );
    if (action.is_empty() || !matches(action)) && action != input {
        return Err(refuse(
            AddressingFault::ActionNotSupported,
            format!(
                "wsa:Action {action:?} is not the operation {operation} of the body: \
                 send its SOAPAction or {input}"
            ),
        ));
    }
    Ok(())
}

/// A handler's error as the fault the network answers with.
pub(super) fn service_fault(e: ServiceError, caller: &Institution, ex: &Exchange) -> Fault {
    match e {
        // The access rules' refusals as the network answers them in a fault; a
        // consultation's legal context is answered with its status before this.
        ServiceError::Refused(Refusal::NotTheCaller { declared }) => {
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
        ServiceError::Refused(refusal) => Fault::client("MSG00013", refusal.to_string()),
        ServiceError::Store(_) | ServiceError::Internal(_) => {
            tracing::error!(ticket = %ex.ticket, error = %e, "failure while serving a request");
            Fault::server()
        }
    }
}

/// The caller the transport names (client certificate, Basic). `Err(None)`: no
/// credentials at all where a signature may still identify the caller.
async fn authenticate(
    gw: &Gateway,
    req: &Request<Incoming>,
    conn: &ConnectionInfo,
) -> Result<Arc<Institution>, Option<Fault>> {
    gw.auth
        .authenticate(req.headers(), conn.certificate.as_ref(), conn.peer.ip())
        .await
        .map_err(|e| match e {
            AuthError::Missing if gw.auth.modes().ws_security => None,
            AuthError::Store(err) => {
                tracing::error!(error = %err, "store failure during authentication");
                Some(Fault::server())
            }
            AuthError::Throttled(throttled) => {
                tracing::warn!(peer = %conn.peer, reason = %throttled, "login refused without verification");
                Some(Fault {
                    http_status: Some(StatusCode::TOO_MANY_REQUESTS),
                    retry_after: Some(login_limits::retry_seconds(throttled.retry_after)),
                    ..Fault::client("MSG00015", throttled.to_string())
                })
            }
            refused => {
                tracing::info!(peer = %conn.peer, reason = %refused, "authentication refused");
                Some(refused_fault(refused))
            }
        })
}

fn refused_fault(refused: AuthError) -> Fault {
    Fault {
        http_status: Some(StatusCode::UNAUTHORIZED),
        ..Fault::client("MSG00015", refused.to_string())
    }
}
