//! The server: a TLS listener speaking HTTP/1.1 and HTTP/2, with body limits, handshake,
//! header and idle timeouts, and graceful shutdown (in-flight requests finish).

pub mod audit;
pub mod auth;
pub mod bodies;
pub mod body;
pub mod contracts;
mod cut;
mod handshakes;
mod idle;
pub mod injected;
pub mod login_limits;
mod routes;
pub mod signed_answers;
mod soap_endpoint;
mod ticket;
pub mod ws_security;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::tls;
pub use crate::tls::TlsFiles;
pub use audit::AuditSink;
pub use auth::AuthModes;

use crate::clock::Clock;
use crate::services::writer::RegisterWriter;
use crate::store::Store;
use routes::{ConnectionInfo, Gateway};

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub tls: TlsFiles,
    /// CAs trusted for client certificates besides `tls.client_ca` (institutions' own,
    /// declared in world files).
    pub client_cas: Vec<std::path::PathBuf>,
    pub auth: AuthModes,
    /// Largest request body accepted (413 beyond).
    pub body_limit: usize,
    /// Request bodies held at once, all connections together (503 beyond); one
    /// connection holds at most `BODIES_PER_CONNECTION` bodies' worth.
    pub body_memory: usize,
    /// Time a client has to complete the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time a client has to send a request's headers (HTTP/1.1).
    pub header_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight requests; connections still open after it
    /// are closed.
    pub shutdown_grace: Duration,
    /// Connections served at once, counted from the end of their TLS handshake; beyond,
    /// a connection whose handshake is done waits for a place (within the handshake
    /// timeout).
    pub max_connections: usize,
    /// TLS handshakes in progress at once; beyond, the oldest is dropped for the new
    /// connection.
    pub max_handshakes: usize,
    /// Base URL written into served WSDLs; default: from the request's Host.
    pub public_url: Option<String>,
    /// The server's clock (the system clock unless a tester moved it).
    pub clock: Arc<Clock>,
    /// How long a registered form waits before consultations see its effect.
    pub propagation_delay: Duration,
    /// Payments of a statement this many months old are definitive.
    pub definitive_after_months: u32,
    /// Wakes the notification dispatcher after registrations and subscription changes.
    pub notify: Option<crate::services::effects::Wake>,
    /// Where subscribers' receivers may be (checked when they subscribe).
    pub receivers: crate::domain::Receivers,
    /// How much of the audit trail is kept.
    pub journal: audit::JournalLimits,
    /// The fault rules a tester sets, shared with the admin API.
    pub faults: Arc<crate::services::faults::Faults>,
    /// Only these networks are answered (`--allow-from`); a connection from elsewhere
    /// is held unanswered. Everyone when `None`.
    pub allow_from: Option<Vec<ipnet::IpNet>>,
    /// The counts `/metrics` shows, shared with the dispatcher and the admin API.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The latest exchanges' bodies (`--journal-bodies`), shared with the admin API.
    pub bodies: Option<Arc<bodies::JournalBodies>>,
    /// Signs every SOAP answer, with `--sign-answers`.
    pub answer_signer: Option<Arc<signed_answers::AnswerSigner>>,
}

impl Config {
    pub fn new(addr: SocketAddr, tls: TlsFiles) -> Self {
        Config {
            addr,
            tls,
            client_cas: Vec::new(),
            auth: AuthModes::default(),
            body_limit: 1024 * 1024,
            body_memory: 256 << 20,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(30),
            max_connections: 10_000,
            max_handshakes: 1024,
            public_url: None,
            clock: Arc::new(Clock::system()),
            propagation_delay: Duration::ZERO,
            definitive_after_months:
                crate::services::living_wages_with_amount::DEFINITIVE_AFTER_MONTHS,
            notify: None,
            receivers: crate::domain::Receivers::default(),
            journal: audit::JournalLimits::default(),
            faults: Arc::new(injected::registry(
                crate::services::faults::DEFAULT_MAX_HOLD,
            )),
            allow_from: None,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            bodies: None,
            answer_signer: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum ServerError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("no way to log in: enable HTTP Basic, client certificates or WS-Security (--auth)")]
    NoAuthentication,
    #[error("the server task failed: {0}")]
    Task(String),
    #[error("cannot start the register's writer thread: {0}")]
    Writer(std::io::Error),
}

/// A server accepting connections in the background.
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    audit: AuditSink,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period), and
    /// commits the audit trail.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?;
        self.audit.flush().await;
        Ok(())
    }

    /// The audit writer, for what else records exchanges (the dispatcher).
    pub fn journal(&self) -> AuditSink {
        self.audit.clone()
    }

    /// Commits every audit record of exchanges answered so far.
    pub async fn flush_audit(&self) {
        self.audit.flush().await;
    }
}

/// How long a peer has to let an idle connection close, whatever it does.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

async fn sleep_until_some(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

pub async fn start(config: Config, store: Arc<dyn Store>) -> Result<RunningServer, ServerError> {
    // A client certificate identifies its institution when it chains to a trusted CA
    // or is registered (pinned) itself.
    let mtls = config.auth.client_certificate;
    if !config.auth.basic && !mtls && !config.auth.ws_security {
        return Err(ServerError::NoAuthentication);
    }
    // No client certificate is asked for where none is accepted.
    let mut tls_files = config.tls.clone();
    let trust = if mtls {
        let register = store.clone();
        let pinned: tls::Pinned = Arc::new(move |fingerprint| {
            register
                .institution_by_certificate(fingerprint)
                .is_ok_and(|found| found.is_some())
        });
        tls::ClientTrust {
            extra_cas: config.client_cas.clone(),
            pinned: Some(pinned),
        }
    } else {
        tls_files.client_ca = None;
        tls::ClientTrust::default()
    };
    // Mandatory only where nothing else could identify the caller.
    let certificate_only = mtls && !config.auth.basic && !config.auth.ws_security;
    let tls_config = tls::server_config(&tls_files, certificate_only, &trust)?;
    let acceptor = TlsAcceptor::from(Arc::new(tls_config));
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr,
        source,
    })?;
    let audit = AuditSink::start(
        store.clone(),
        config.journal,
        config.clock.clone(),
        config.metrics.clone(),
    );
    let writer = RegisterWriter::start(store.clone()).map_err(ServerError::Writer)?;
    let gateway = Arc::new(Gateway::new(store, &config, audit.clone(), writer));
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, acceptor, gateway, config, stopped));
    tracing::info!(%local_addr, "listening");
    Ok(RunningServer {
        local_addr,
        stop,
        task,
        audit,
    })
}

/// The next connection to shake hands with: taken from the listen backlog at once, so
/// that a client is not queued behind connections that never finish their handshake.
/// Finished `connections` are reaped meanwhile. `None` when `stopped` says so.
async fn next_handshake(
    listener: &TcpListener,
    connections: &mut JoinSet<()>,
    stopped: &mut watch::Receiver<bool>,
) -> Option<(tokio::net::TcpStream, SocketAddr)> {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = stopped.changed() => return None,
        };
        match accepted {
            Ok(accepted) => return Some(accepted),
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The next connection to serve, once one of `slots` is free (at the cap, clients
/// wait in the listen backlog); finished `connections` are reaped meanwhile. `None`
/// when `stopped` says so.
pub async fn next_connection(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
    connections: &mut JoinSet<()>,
    stopped: &mut watch::Receiver<bool>,
) -> Option<(
    tokio::sync::OwnedSemaphorePermit,
    tokio::net::TcpStream,
    SocketAddr,
)> {
    loop {
        // A slot first, then a connection.
        let next = async {
            let slot = slots.clone().acquire_owned().await;
            (slot, listener.accept().await)
        };
        let (slot, accepted) = tokio::select! {
            next = next => next,
            // Reap finished connections so the set stays the size of the open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = stopped.changed() => return None,
        };
        let slot = slot.ok()?;
        match accepted {
            Ok((tcp, peer)) => return Some((slot, tcp, peer)),
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Bodies' worth (of `Config::body_limit`) one connection may hold at once, its
/// HTTP/2 streams together.
pub const BODIES_PER_CONNECTION: usize = 4;

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    gateway: Arc<Gateway>,
    config: Config,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let handshakes = Arc::new(handshakes::Handshakes::new(config.max_handshakes));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Timed here instead (`idle::Activity::head_overdue`): hyper's timer would also
        // run between two requests of a kept-alive connection.
        .header_read_timeout(None)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        // What a connection's streams hold of bodies is bounded by its share
        // (`BODIES_PER_CONNECTION`); a hundred is the least RFC 9113 advises.
        .max_concurrent_streams(100);
    let builder = Arc::new(builder);
    while let Some((tcp, peer)) = next_handshake(&listener, &mut connections, &mut stopped).await {
        let _ = tcp.set_nodelay(true);
        let (waiting, mut dropped) = handshakes.enter();
        // An IPv4 client of a dual-stack listener comes as ::ffff:a.b.c.d.
        if let Some(allowed) = &config.allow_from
            && !allowed
                .iter()
                .any(|net| net.contains(&peer.ip().to_canonical()))
        {
            // As the network treats an address it has not registered: no answer, not
            // even a handshake, until the client gives up. Such connections count
            // among the handshakes in progress, so they cannot crowd out others for
            // longer than the newest ones take to arrive.
            let hold = config.faults.max_hold;
            let mut stopped = stopped.clone();
            connections.spawn(async move {
                tracing::debug!(%peer, "connection from an address not allowed: unanswered");
                tokio::select! {
                    _ = tokio::time::sleep(hold) => {}
                    _ = &mut dropped => {}
                    _ = stopped.changed() => {}
                }
                drop((tcp, waiting));
            });
            continue;
        }
        let slots = slots.clone();
        let acceptor = acceptor.clone();
        let gateway = gateway.clone();
        let builder = builder.clone();
        let mut stopped = stopped.clone();
        let handshake_timeout = config.handshake_timeout;
        let idle_timeout = config.idle_timeout;
        let header_timeout = config.header_timeout;
        let connection_bodies = config
            .body_limit
            .saturating_mul(BODIES_PER_CONNECTION)
            .min(Semaphore::MAX_PERMITS);
        connections.spawn(async move {
            // The handshake, then a place among the connections served, both within the
            // handshake timeout. Only a handshake in progress may be dropped for a newer
            // one (`handshakes`): a client that finished its handshake waits for its
            // place without being pushed out by connections that have not.
            let started = tokio::time::Instant::now();
            let tls = tokio::select! {
                done = tokio::time::timeout(handshake_timeout, acceptor.accept(tcp)) => match done {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                },
                _ = &mut dropped => {
                    tracing::debug!(%peer, "TLS handshake dropped for a newer connection");
                    return;
                }
            };
            drop(waiting);
            let _slot = match tokio::time::timeout_at(started + handshake_timeout, slots.acquire_owned()).await {
                Ok(Ok(slot)) => slot,
                Ok(Err(_)) => return,
                Err(_) => {
                    tracing::debug!(%peer, "no place for the connection within the handshake timeout");
                    return;
                }
            };
            let certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(tls::fingerprint);
            // HTTP/2 carries no request heads to time: its frames come and go between
            // requests.
            let http2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            let cut = Arc::new(cut::CutSignal::default());
            let info = Arc::new(ConnectionInfo {
                peer,
                certificate,
                bodies: Arc::new(Semaphore::new(connection_bodies)),
                cut: cut.clone(),
            });
            let (io, activity) = idle::Tracked::new(tls, cut.clone());
            let requests = activity.clone();
            let service = service_fn(move |req| {
                let gateway = gateway.clone();
                let info = info.clone();
                let serving = requests.serving();
                async move {
                    let response = gateway.handle(req, &info).await;
                    // An injected fault that withholds the answer: the connection's
                    // task ends the connection, and this answer is never sent.
                    if let Some(withheld) = response.extensions().get::<injected::Withheld>() {
                        match *withheld {
                            injected::Withheld::Reset => info.cut.reset(),
                            injected::Withheld::Hold(hold) => {
                                info.cut.holding();
                                tokio::time::sleep(hold).await;
                                info.cut.close();
                            }
                        }
                        std::future::pending::<()>().await;
                    }
                    drop(serving);
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let conn = builder.serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            let mut closing = false;
            // Once an idle connection is being closed, the peer has this long to let it
            // close (an HTTP/2 peer must acknowledge the GOAWAY's PING); then it is cut.
            let mut cut_at: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stopped.changed(), if !closing => {
                        // A request held by an injected fault would keep shutdown
                        // waiting for nothing.
                        if cut.holds() {
                            break;
                        }
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    _ = activity.idle_for(idle_timeout), if !closing => {
                        tracing::debug!(%peer, "closing idle connection");
                        closing = true;
                        cut_at = Some(tokio::time::Instant::now() + CLOSE_GRACE);
                        conn.as_mut().graceful_shutdown();
                    }
                    _ = sleep_until_some(cut_at), if cut_at.is_some() => {
                        tracing::debug!(%peer, "the peer did not let the connection close: cut");
                        break;
                    }
                    _ = activity.head_overdue(header_timeout), if !http2 => {
                        tracing::debug!(%peer, "a request's headers did not arrive in time");
                        break;
                    }
                    _ = cut.asked() => {
                        tracing::debug!(%peer, "connection ended by an injected fault");
                        break;
                    }
                }
            }
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown grace period over: closing the remaining connections"
        );
        connections.shutdown().await;
    }
}
