//! Routing by path and method: the health check, WSDL/XSD documents, and SOAP endpoints.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};

use super::audit::AuditSink;
use super::auth::Authenticator;
use super::body::AnswerBody;
use super::injected;
use super::{Config, contracts, soap_endpoint};
use crate::clock::Clock;
use crate::domain::CertificateFingerprint;
use crate::services::faults::{self, Faults};
use crate::services::writer::RegisterWriter;
use crate::store::{AuditMark, AuditRecord, Store};
use crate::wire::soap::SoapVersion;
use crate::wire::wsdl;

/// What the TLS handshake told us about the peer.
pub struct ConnectionInfo {
    pub peer: SocketAddr,
    pub certificate: Option<CertificateFingerprint>,
    /// The bytes of request bodies this connection may still hold (its HTTP/2
    /// streams together), one permit a byte.
    pub bodies: Arc<tokio::sync::Semaphore>,
    /// How a request ends its connection (an injected reset or hold).
    pub cut: Arc<super::cut::CutSignal>,
}

pub struct Gateway {
    pub store: Arc<dyn Store>,
    pub auth: Authenticator,
    pub audit: AuditSink,
    pub body_limit: usize,
    /// Time a client has to send a request's body, as for its headers.
    pub body_timeout: std::time::Duration,
    pub public_url: Option<String>,
    pub clock: Arc<Clock>,
    pub propagation_delay_ms: i64,
    /// Payments of a statement this many months old are definitive.
    pub definitive_after_months: u32,
    /// Wakes the notification dispatcher, when one runs.
    pub notify: Option<crate::services::effects::Wake>,
    /// Makes every durable write of the register, off the async workers.
    pub writer: RegisterWriter,
    /// Where subscribers' receivers may be.
    pub receivers: Arc<crate::domain::Receivers>,
    /// The bytes of request bodies all connections together may still hold.
    pub body_memory: Arc<tokio::sync::Semaphore>,
    /// The fault rules a tester set.
    pub faults: Arc<Faults>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The latest exchanges' bodies, with `--journal-bodies`.
    pub bodies: Option<Arc<super::bodies::JournalBodies>>,
    /// Signs every SOAP answer, with `--sign-answers`.
    pub answer_signer: Option<Arc<super::signed_answers::AnswerSigner>>,
}

pub type HttpResponse = Response<AnswerBody>;

/// Paths that injected faults leave alone: what watches the gateway must not be
/// misled by what a tester asked of its services.
const OPERATIONAL: [&str; 2] = ["/health", "/ready"];

pub fn plain(status: StatusCode, text: &str) -> HttpResponse {
    let mut r = Response::new(AnswerBody::whole(format!("{text}\n")));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn xml_document(text: String) -> HttpResponse {
    let mut r = Response::new(AnswerBody::whole(text));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    r
}

fn method_not_allowed() -> HttpResponse {
    let mut r = plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "use POST for SOAP, GET ?wsdl for the contract",
    );
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
    r
}

impl Gateway {
    pub fn new(
        store: Arc<dyn Store>,
        config: &Config,
        audit: AuditSink,
        writer: RegisterWriter,
    ) -> Self {
        Gateway {
            writer,
            auth: Authenticator::new(store.clone(), config.auth),
            store,
            audit,
            body_limit: config.body_limit,
            body_timeout: config.header_timeout,
            public_url: config.public_url.clone(),
            clock: config.clock.clone(),
            propagation_delay_ms: i64::try_from(config.propagation_delay.as_millis())
                .unwrap_or(i64::MAX),
            notify: config.notify.clone(),
            definitive_after_months: config.definitive_after_months,
            receivers: Arc::new(config.receivers.clone()),
            body_memory: Arc::new(tokio::sync::Semaphore::new(
                config.body_memory.min(tokio::sync::Semaphore::MAX_PERMITS),
            )),
            faults: config.faults.clone(),
            metrics: config.metrics.clone(),
            bodies: config.bodies.clone(),
            answer_signer: config.answer_signer.clone(),
        }
    }

    /// What a consultation received at `now_ms` may see of the register.
    pub fn visibility(&self, now_ms: i64) -> crate::services::propagation::Visibility {
        crate::services::propagation::Visibility {
            delay_ms: self.propagation_delay_ms,
            now_ms,
        }
    }

    pub async fn handle(&self, req: Request<Incoming>, conn: &ConnectionInfo) -> HttpResponse {
        if req.method() != Method::HEAD {
            return self.route(req, conn).await;
        }
        // HEAD is GET without the body (RFC 9110, 9.3.2); over HTTP/2 a body would be
        // a protocol error, so it is left out here rather than by each protocol.
        let (mut parts, body) = req.into_parts();
        parts.method = Method::GET;
        let answer = self.route(Request::from_parts(parts, body), conn).await;
        let (mut parts, body) = answer.into_parts();
        if let Some(length) = hyper::body::Body::size_hint(&body).exact() {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, header::HeaderValue::from(length));
        }
        Response::from_parts(parts, AnswerBody::empty())
    }

    async fn route(&self, req: Request<Incoming>, conn: &ConnectionInfo) -> HttpResponse {
        let path = req.uri().path();
        let service = contracts::at(path);
        if let Some(service) = service
            && req.method() == Method::POST
        {
            // A SOAP exchange meets the fault rules once its request is read.
            return soap_endpoint::serve(self, service, req, conn).await;
        }
        if path == "/ready" && req.method() == Method::GET {
            return self.ready().await;
        }
        if OPERATIONAL.contains(&path) {
            return self.answer(&req, service);
        }
        let received_ms = self.clock.now_ms();
        let started = std::time::Instant::now();
        let injection = self.faults.pick(
            &faults::Request {
                service: service.map(|s| s.name),
                operation: None,
                institution: None,
                ssin: None,
                method: req.method().as_str(),
                path,
                carries_status: false,
                delivery: false,
            },
            received_ms,
        );
        let Some(injection) = injection else {
            return self.answer(&req, service);
        };
        if let Some(delay) = injection.delay {
            tokio::time::sleep(delay).await;
        }
        let (response, outcome) =
            injected::shape(self.answer(&req, service), &injection, self.faults.max_hold);
        self.metrics.injected(injection.rule);
        self.audit.record(AuditRecord {
            ticket: super::ticket::new_ticket(received_ms),
            received_at_ms: received_ms,
            latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            caller: None,
            operation: None,
            legal_context: None,
            ssin: None,
            outcome: outcome.unwrap_or("INJECTED").into(),
            http_status: injected::http_status(&response),
            service: service.map(|s| s.name.into()),
            mark: Some(AuditMark::Injected {
                rule: injection.rule,
                effect: injection.describe(),
            }),
        });
        response
    }

    /// `/ready`: the store answers and, when notifications are sent, the dispatcher
    /// runs (`/health` only says the process is alive).
    async fn ready(&self) -> HttpResponse {
        let store = self.store.clone();
        let read = tokio::task::spawn_blocking(move || store.fanned_out()).await;
        let store_ok = matches!(read, Ok(Ok(_)));
        let dispatcher_ok = self.notify.is_none() || self.metrics.dispatcher_runs();
        match (store_ok, dispatcher_ok) {
            (true, true) => plain(StatusCode::OK, "ready"),
            (false, _) => plain(StatusCode::SERVICE_UNAVAILABLE, "the store cannot be read"),
            (true, false) => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the notification dispatcher is not running",
            ),
        }
    }

    /// What is not a SOAP exchange: the contracts' documents and the health check.
    fn answer(
        &self,
        req: &Request<Incoming>,
        service: Option<&'static contracts::SoapService>,
    ) -> HttpResponse {
        let path = req.uri().path();
        match (service, req.method()) {
            (Some(service), &Method::GET) => self.contract_document(req, service.documents),
            (Some(_), _) => method_not_allowed(),
            (None, &Method::GET) if path == "/health" => plain(StatusCode::OK, "ok"),
            (None, _) => plain(StatusCode::NOT_FOUND, &format!("no service at {path}")),
        }
    }

    /// `?wsdl` (SOAP 1.1), `?wsdl12` (SOAP 1.2) or `?xsd=NAME`, with addresses pointing
    /// back at this server.
    fn contract_document(
        &self,
        req: &Request<Incoming>,
        contract: &wsdl::Contract,
    ) -> HttpResponse {
        let base = self.endpoint_url(req);
        let version = match req.uri().query() {
            Some(q) if q.eq_ignore_ascii_case("wsdl") => Some(SoapVersion::Soap11),
            Some(q) if q.eq_ignore_ascii_case("wsdl12") => Some(SoapVersion::Soap12),
            _ => None,
        };
        if let Some(version) = version {
            return match contract.wsdl(&base, version) {
                Some(doc) => xml_document(doc),
                None => plain(
                    StatusCode::NOT_FOUND,
                    "this service has no SOAP 1.2 binding; GET ?wsdl for its SOAP 1.1 one",
                ),
            };
        }
        match req.uri().query() {
            Some(q) => match q
                .strip_prefix("xsd=")
                .and_then(|name| contract.schema(name, &base))
            {
                Some(doc) => xml_document(doc),
                None => plain(
                    StatusCode::NOT_FOUND,
                    &format!("no document {q:?}; try ?wsdl (SOAP 1.1) or ?wsdl12 (SOAP 1.2)"),
                ),
            },
            None => plain(
                StatusCode::BAD_REQUEST,
                "GET ?wsdl for the contract; SOAP requests are POSTed",
            ),
        }
    }

    fn endpoint_url(&self, req: &Request<Incoming>) -> String {
        let path = req.uri().path();
        if let Some(base) = &self.public_url {
            return format!("{}{path}", base.trim_end_matches('/'));
        }
        // HTTP/2 carries the host in the URI's authority, HTTP/1.1 in the Host header.
        let host = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| {
                req.headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            })
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .unwrap_or_else(|| "localhost".to_owned());
        format!("https://{host}{path}")
    }
}
