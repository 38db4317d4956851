//! A notification receiver for testers: it implements LivingWagesNotificationService
//! over TLS, checks each batch against the contract, logs it, and answers OK, or NOK,
//! or nothing for a while, as told. `examples/notification_sink.rs` runs it; the tests
//! use it as the institution's side.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

use crate::tls::{self, TlsError, TlsFiles};
use crate::wire::living_wages_notification_v1::{self as contract, Received};

/// How the sink answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// OK: the batch is taken.
    Acknowledge,
    /// NOK: the gateway must send it again.
    Refuse,
    /// No answer for this long (longer than the gateway waits: a timeout).
    Stall(Duration),
}

#[derive(Debug, Error)]
pub enum SinkError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// One notification of a batch answered OK.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub subscriber: String,
    pub notification: Received,
    /// When its batch was read, for latency measurements.
    pub at: Instant,
}

/// What the sink saw.
struct State {
    behaviour: Mutex<Behaviour>,
    /// Every notification answered OK, in arrival order.
    accepted: Mutex<Vec<Arrival>>,
    /// Requests received, whatever the answer.
    requests: Mutex<u64>,
    changed: Notify,
}

pub struct Sink {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// Requests are small; a bigger one is not a notification batch.
const BODY_LIMIT: usize = 8 * 1024 * 1024;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sink {
    /// Listens on `addr` with the given certificate and key.
    pub async fn start(
        addr: SocketAddr,
        certificate: PathBuf,
        key: PathBuf,
        behaviour: Behaviour,
    ) -> Result<Sink, SinkError> {
        let config = tls::server_config(
            &TlsFiles {
                certificate_chain: certificate,
                private_key: key,
                client_ca: None,
            },
            false,
            &tls::ClientTrust::default(),
        )?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SinkError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SinkError::Bind { addr, source })?;
        let state = Arc::new(State {
            behaviour: Mutex::new(behaviour),
            accepted: Mutex::new(Vec::new()),
            requests: Mutex::new(0),
            changed: Notify::new(),
        });
        let (stop, mut stopped) = watch::channel(false);
        let serving = state.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let (tcp, _) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::warn!(error = %e, "sink accept failed");
                            continue;
                        }
                    },
                    _ = stopped.changed() => break,
                };
                let acceptor = acceptor.clone();
                let state = serving.clone();
                // Answers are small: without this, Nagle and delayed acknowledgements
                // add tens of milliseconds to each one.
                let _ = tcp.set_nodelay(true);
                connections.spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req| answer(state.clone(), req));
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
            // Connections in flight (a stalled one included) end with the sink.
            connections.abort_all();
        });
        Ok(Sink {
            addr,
            state,
            stop,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL to subscribe with.
    pub fn url(&self) -> String {
        format!("https://{}{}", self.addr, contract::SINK_PATH)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *lock(&self.state.behaviour) = behaviour;
    }

    /// Every notification answered OK so far, with its subscriber.
    pub fn accepted(&self) -> Vec<(String, Received)> {
        lock(&self.state.accepted)
            .iter()
            .map(|a| (a.subscriber.clone(), a.notification.clone()))
            .collect()
    }

    /// Every notification answered OK so far, with when it arrived.
    pub fn arrivals(&self) -> Vec<Arrival> {
        lock(&self.state.accepted).clone()
    }

    /// Requests received so far, whatever the answer.
    pub fn requests(&self) -> u64 {
        *lock(&self.state.requests)
    }

    /// Waits until at least `count` notifications were accepted, or `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.state.changed.notified();
            if lock(&self.state.accepted).len() >= count {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return lock(&self.state.accepted).len() >= count;
            }
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    r
}

async fn answer(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    *lock(&state.requests) += 1;
    state.changed.notify_waiters();
    if req.uri().path() != contract::SINK_PATH {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            format!("no service at {}", req.uri().path()),
        ));
    }
    let body = match Limited::new(req.into_body(), BODY_LIMIT).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(reply(StatusCode::BAD_REQUEST, e.to_string())),
    };
    let batch = match contract::read_request_envelope(&body) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "sink: a request that breaks the contract");
            return Ok(reply(StatusCode::BAD_REQUEST, e));
        }
    };
    let behaviour = *lock(&state.behaviour);
    match behaviour {
        Behaviour::Stall(wait) => {
            tokio::time::sleep(wait).await;
            Ok(reply(
                StatusCode::OK,
                contract::write_response(false, Some("stalled")),
            ))
        }
        Behaviour::Refuse => Ok(reply(
            StatusCode::OK,
            contract::write_response(false, Some("refused by the sink")),
        )),
        Behaviour::Acknowledge => {
            let at = Instant::now();
            for n in &batch.notifications {
                tracing::info!(
                    subscriber = %batch.subscriber,
                    sequence = n.sequence,
                    id = %n.id,
                    event = %n.event,
                    ssin = %n.ssin,
                    pcsa = %n.pcsa_cbe,
                    attestation = n.right.as_ref().map_or("", |r| r.attestation.as_str()),
                    "notification received"
                );
            }
            lock(&state.accepted).extend(batch.notifications.into_iter().map(|notification| {
                Arrival {
                    subscriber: batch.subscriber.clone(),
                    notification,
                    at,
                }
            }));
            state.changed.notify_waiters();
            Ok(reply(StatusCode::OK, contract::write_response(true, None)))
        }
    }
}
