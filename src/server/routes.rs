//! Routing by path and method: the health check, WSDL/XSD documents, and SOAP endpoints.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};

use super::audit::AuditSink;
use super::auth::Authenticator;
use super::{Config, contracts, soap_endpoint};
use crate::clock::Clock;
use crate::domain::CertificateFingerprint;
use crate::services::writer::RegisterWriter;
use crate::store::Store;
use crate::wire::wsdl;

/// What the TLS handshake told us about the peer.
pub struct ConnectionInfo {
    pub peer: SocketAddr,
    pub certificate: Option<CertificateFingerprint>,
    /// The bytes of request bodies this connection may still hold (its HTTP/2
    /// streams together), one permit a byte.
    pub bodies: Arc<tokio::sync::Semaphore>,
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
}

pub type HttpResponse = Response<Full<Bytes>>;

pub fn plain(status: StatusCode, text: &str) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn xml_document(text: String) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(text)));
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
        Response::from_parts(parts, Full::new(Bytes::new()))
    }

    async fn route(&self, req: Request<Incoming>, conn: &ConnectionInfo) -> HttpResponse {
        let path = req.uri().path();
        if let Some(service) = contracts::at(path) {
            return match *req.method() {
                Method::POST => soap_endpoint::serve(self, service, req, conn).await,
                Method::GET => self.contract_document(&req, service.documents),
                _ => method_not_allowed(),
            };
        }
        match path {
            "/health" if req.method() == Method::GET => plain(StatusCode::OK, "ok"),
            _ => plain(StatusCode::NOT_FOUND, &format!("no service at {path}")),
        }
    }

    /// `?wsdl` or `?xsd=NAME`, with addresses pointing back at this server.
    fn contract_document(
        &self,
        req: &Request<Incoming>,
        contract: &wsdl::Contract,
    ) -> HttpResponse {
        let base = self.endpoint_url(req);
        match req.uri().query() {
            Some(q) if q.eq_ignore_ascii_case("wsdl") => xml_document(contract.wsdl(&base)),
            Some(q) => match q
                .strip_prefix("xsd=")
                .and_then(|name| contract.schema(name, &base))
            {
                Some(doc) => xml_document(doc),
                None => plain(
                    StatusCode::NOT_FOUND,
                    &format!("no document {q:?}; try ?wsdl"),
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
