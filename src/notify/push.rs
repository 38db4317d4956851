//! The HTTPS client that pushes a batch to a receiver: the receiver's certificate is
//! verified against the configured CA, the gateway presents its own certificate when
//! one is configured (mutual TLS), each attempt ends in one `AttemptOutcome`, and a
//! receiver's connection is kept alive for its next batch. A receiver is reached only
//! at an address `Receivers` allows, checked on each connection (a name is resolved
//! and the allowed address itself connected to). What an attempt records of a failed
//! connection does not tell why (refused, reset, no TLS there): a subscriber reads it,
//! and could otherwise map which ports of which hosts are open. The log says why.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::net::{TcpStream, lookup_host};
use tokio_rustls::TlsConnector;

use crate::domain::{AttemptOutcome, CbeNumber, Notification, PushEndpoint, Receivers};
use crate::tls::{self, TlsError};
use crate::wire::living_wages_notification_v1 as contract;

/// The client side of notification pushes.
#[derive(Clone, Debug)]
pub struct PushTls {
    /// The CA receivers' certificates must chain to; without one nothing is pushed
    /// (pull still works) and each attempt says why.
    pub ca: Option<PathBuf>,
    /// The gateway's client certificate and key, for receivers that want mutual TLS.
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// TCP and TLS connection.
    pub connect: Duration,
    /// From the request sent to the whole answer read.
    pub answer: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            answer: Duration::from_secs(15),
        }
    }
}

/// Receivers answer a few hundred bytes; anything far bigger is not the contract.
const ANSWER_LIMIT: usize = 64 * 1024;

type Sender = http1::SendRequest<Full<Bytes>>;

pub struct Pusher {
    connector: Option<TlsConnector>,
    timeouts: Timeouts,
    /// One kept-alive connection per receiver (host and port), for its next batch: a
    /// handshake per batch would cost more than the batch on a busy receiver.
    idle: Mutex<HashMap<String, Sender>>,
    receivers: Receivers,
}

/// How one request went, before the answer is judged.
enum Exchange {
    Answered(u16, Bytes),
    Failed(String),
    TimedOut,
}

/// The result of one attempt.
pub struct Delivered {
    pub outcome: AttemptOutcome,
    pub http_status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
}

impl Pusher {
    pub fn new(
        tls_files: &PushTls,
        timeouts: Timeouts,
        receivers: Receivers,
    ) -> Result<Self, TlsError> {
        let Some(ca) = &tls_files.ca else {
            return Ok(Pusher {
                connector: None,
                timeouts,
                idle: Mutex::default(),
                receivers,
            });
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in tls::load_certificates(ca)? {
            roots.add(cert).map_err(|e| TlsError::ClientCa {
                path: ca.clone(),
                reason: e.to_string(),
            })?;
        }
        let builder = ClientConfig::builder_with_provider(tls::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let config = match &tls_files.client_identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(tls::load_certificates(chain)?, tls::load_key(key)?)?,
            None => builder.with_no_client_auth(),
        };
        Ok(Pusher {
            connector: Some(TlsConnector::from(Arc::new(config))),
            timeouts,
            idle: Mutex::default(),
            receivers,
        })
    }

    /// Sends one batch to `endpoint` (an `https://host:port/path` URL) and tells how it
    /// went. The connection is kept for the receiver's next batch; a kept connection
    /// that turns out closed is replaced once within the same attempt, so a receiver
    /// that restarted between batches costs nothing.
    pub async fn push(
        &self,
        endpoint: &str,
        subscriber: &CbeNumber,
        batch: &[Notification],
    ) -> Delivered {
        let started = Instant::now();
        let done = |outcome, http_status, error: Option<String>| Delivered {
            outcome,
            http_status,
            latency: started.elapsed(),
            error,
        };
        let target = match PushEndpoint::parse(endpoint) {
            Ok(t) => t,
            Err(e) => return done(AttemptOutcome::ConnectFailed, None, Some(e)),
        };
        let body = Bytes::from(contract::write_request(subscriber, batch));
        let kept = self.take_idle(target.authority());
        let reused = kept.is_some();
        let mut sender = match kept {
            Some(s) => s,
            None => match self.connect_within(&target).await {
                Ok(s) => s,
                Err((outcome, error)) => return done(outcome, None, Some(error)),
            },
        };
        let mut answered = self.exchange(&mut sender, &target, body.clone()).await;
        if reused && matches!(answered, Exchange::Failed(_)) {
            sender = match self.connect_within(&target).await {
                Ok(s) => s,
                Err((outcome, error)) => return done(outcome, None, Some(error)),
            };
            answered = self.exchange(&mut sender, &target, body).await;
        }
        let (status, body) = match answered {
            Exchange::TimedOut => {
                return done(
                    AttemptOutcome::Timeout,
                    None,
                    Some(format!("no answer within {:?}", self.timeouts.answer)),
                );
            }
            Exchange::Failed(e) => {
                tracing::info!(subscriber = %subscriber, receiver = target.authority(), error = %e, "a push failed before its answer");
                return done(
                    AttemptOutcome::ConnectFailed,
                    None,
                    Some(format!(
                        "the connection to {} ended before an answer",
                        target.authority()
                    )),
                );
            }
            Exchange::Answered(status, body) => (status, body),
        };
        // The whole answer was read: the connection can carry the next batch.
        self.keep_idle(target.authority(), sender);
        if !(200..300).contains(&status) {
            return done(
                AttemptOutcome::HttpStatus,
                Some(status),
                Some(http_error(status, &body)),
            );
        }
        match contract::read_response(&body) {
            Ok((true, _)) => done(AttemptOutcome::Ok, Some(status), None),
            Ok((false, message)) => done(
                AttemptOutcome::Nok,
                Some(status),
                Some(message.unwrap_or_else(|| "NOK".to_owned())),
            ),
            Err(e) => done(AttemptOutcome::BadAnswer, Some(status), Some(e)),
        }
    }

    /// One request and its whole answer, within the answer timeout.
    async fn exchange(&self, sender: &mut Sender, target: &PushEndpoint, body: Bytes) -> Exchange {
        let request = Request::post(target.path_and_query())
            .header(header::HOST, target.authority())
            .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{}\"", contract::SOAP_ACTION))
            .body(Full::new(body));
        let request = match request {
            Ok(r) => r,
            Err(e) => return Exchange::Failed(e.to_string()),
        };
        let exchange = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), ANSWER_LIMIT)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        match tokio::time::timeout(self.timeouts.answer, exchange).await {
            Err(_) => Exchange::TimedOut,
            Ok(Err(e)) => Exchange::Failed(e),
            Ok(Ok((status, body))) => Exchange::Answered(status, body),
        }
    }

    async fn connect_within(
        &self,
        target: &PushEndpoint,
    ) -> Result<Sender, (AttemptOutcome, String)> {
        match tokio::time::timeout(self.timeouts.connect, self.connect(target)).await {
            Err(_) => Err((
                AttemptOutcome::Timeout,
                format!("no connection within {:?}", self.timeouts.connect),
            )),
            Ok(Err(e)) => Err((AttemptOutcome::ConnectFailed, e)),
            Ok(Ok(s)) => Ok(s),
        }
    }

    /// The kept connection to `authority`, if it is still open.
    fn take_idle(&self, authority: &str) -> Option<Sender> {
        let kept = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(authority)?;
        (!kept.is_closed()).then_some(kept)
    }

    fn keep_idle(&self, authority: &str, sender: Sender) {
        if !sender.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(authority.to_owned(), sender);
        }
    }

    async fn connect(&self, target: &PushEndpoint) -> Result<Sender, String> {
        let Some(connector) = &self.connector else {
            return Err(
                "no CA is configured for receivers' certificates (serve --notify-ca)".to_owned(),
            );
        };
        let name = ServerName::try_from(target.host().to_owned())
            .map_err(|e| format!("{}: {e}", target.host()))?;
        // Why a connection failed goes to the log only (see the module's comment).
        let unreachable = |stage: &str, e: &dyn std::fmt::Display| {
            tracing::info!(receiver = target.authority(), stage, error = %e, "cannot reach a receiver");
            format!("could not connect to {}", target.authority())
        };
        let mut tcp = None;
        for addr in self.allowed_addresses(target).await? {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => {
                    unreachable("connect", &e);
                }
            }
        }
        let tcp = tcp.ok_or_else(|| format!("could not connect to {}", target.authority()))?;
        let _ = tcp.set_nodelay(true);
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| unreachable("TLS", &e))?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| unreachable("HTTP", &e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "notification connection closed");
            }
        });
        Ok(sender)
    }
}

impl Pusher {
    /// The receiver's addresses that `Receivers` allows: all it resolves to when its
    /// name is listed, else each address checked.
    async fn allowed_addresses(
        &self,
        target: &PushEndpoint,
    ) -> Result<Vec<std::net::SocketAddr>, String> {
        let resolved: Vec<std::net::SocketAddr> = lookup_host((target.host(), target.port()))
            .await
            .map_err(|e| {
                tracing::info!(receiver = target.authority(), error = %e, "cannot resolve a receiver");
                format!("cannot resolve {}", target.host())
            })?
            .collect();
        let named = self.receivers.names(target.host());
        let mut refused = None;
        let allowed: Vec<std::net::SocketAddr> = resolved
            .into_iter()
            .filter(|a| {
                named
                    || self
                        .receivers
                        .check_address(a.ip())
                        .map_err(|e| refused = Some(e))
                        .is_ok()
            })
            .collect();
        if allowed.is_empty() {
            // An address the subscriber named is its own to know; the addresses a name
            // resolves to inside the network are not.
            return Err(match refused {
                Some(e) if target.host().parse::<std::net::IpAddr>().is_ok() => e,
                Some(e) => {
                    tracing::info!(receiver = target.authority(), reason = %e, "a receiver's name resolves where receivers may not be");
                    format!(
                        "{} resolves to no address receivers may be at (serve --receivers)",
                        target.host()
                    )
                }
                None => format!("{} resolves to no address", target.host()),
            });
        }
        Ok(allowed)
    }
}

/// A refusal as the attempt records it: the status and the start of what the
/// receiver said, which is usually why.
fn http_error(status: u16, body: &[u8]) -> String {
    const SHOWN: usize = 300;
    let text = String::from_utf8_lossy(&body[..body.len().min(SHOWN)]);
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {text}")
    }
}
