//! The admin API: a JSON API through which a tester changes the running gateway:
//! applies world fragments, sends statements, resets the register to the worlds it
//! started with, moves the clock and manages subscriptions. Every change goes through
//! the rules and transactions the SOAP services use; fault rules (`faults.rs`) change
//! only how the gateway answers, never what it stores.
//!
//! Two transports serve the same routes: HTTPS on a listener of its own (loopback by
//! default), where each request carries the bearer token the gateway wrote at its
//! first start to `<data-dir>/admin.token` (its owner only may read it), and the
//! control socket (`control.rs`), which only the gateway's own account may open, for
//! the command line. `GET /openapi.json` describes the API and needs no token.
//!
//! One module per resource; `routes` is the table of their routes.

mod clock;
mod faults;
pub mod journal;
mod metrics;
mod statements;
pub mod subscriptions;
mod token;
mod world;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

pub use token::{TOKEN_FILE, load_or_create as token};

use crate::clock::Clock;
use crate::control::{Control, ControlError};
use crate::server::next_connection;
use crate::services::effects::Wake;
use crate::store::{Store, StoreError};
use crate::tls::{self, TlsError, TlsFiles};

/// The OpenAPI document of this API, served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../../schemas/admin.openapi.json");

/// The register as the gateway started, in its data directory, for reset.
pub const SNAPSHOT_FILE: &str = "initial.redb";

/// Where the admin API listens unless told otherwise: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9444";

/// Largest request body: a world fragment or a statement file.
const BODY_LIMIT: usize = 64 << 20;
/// Connections served at once: the API is for a tester's scripts, not for load.
const MAX_CONNECTIONS: usize = 64;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A request's headers must arrive within this; it also closes a kept-alive
/// connection left idle.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen for the admin API on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot keep the register's initial state in {}: {source}", path.display())]
    Snapshot { path: PathBuf, source: StoreError },
    #[error(transparent)]
    Control(#[from] ControlError),
}

pub struct AdminConfig {
    /// The HTTPS listener, if any.
    pub listen: Option<Listen>,
    /// Serve the control socket in the data directory.
    pub control: bool,
    /// Keep the register as it starts, for `POST /v1/reset` (a copy of the store: a
    /// matter of milliseconds for the demo, of seconds for millions of lines).
    pub reset: bool,
    /// The data directory: the register's initial state is kept there for
    /// `POST /v1/reset`, and statement files sent are written there for their import.
    pub data_dir: PathBuf,
}

pub struct Listen {
    pub addr: SocketAddr,
    /// The server's certificate and key (no client certificate is asked for).
    pub tls: TlsFiles,
    pub token: String,
}

/// What the admin API shares with the running gateway: the dispatcher's wake-up, the
/// fault rules, the metrics and the kept bodies.
pub struct Shared {
    pub wake: Option<Wake>,
    pub faults: Arc<crate::services::faults::Faults>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub bodies: Option<Arc<crate::server::bodies::JournalBodies>>,
}

/// What every handler reaches.
#[derive(Clone)]
struct Admin {
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    wake: Option<Wake>,
    faults: Arc<crate::services::faults::Faults>,
    metrics: Arc<crate::metrics::Metrics>,
    bodies: Option<Arc<crate::server::bodies::JournalBodies>>,
    /// The register as started, unless the gateway started with reset off.
    snapshot: Option<Arc<PathBuf>>,
    data_dir: Arc<PathBuf>,
}

/// The admin API as it runs.
pub struct RunningAdmin {
    listener: Option<(SocketAddr, watch::Sender<bool>, JoinHandle<()>)>,
    control: Option<Control>,
}

impl RunningAdmin {
    /// Where the HTTPS listener listens, if there is one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(|(addr, _, _)| *addr)
    }

    pub async fn shutdown(self) {
        if let Some((_, stop, task)) = self.listener {
            let _ = stop.send(true);
            let _ = task.await;
        }
        if let Some(control) = self.control {
            control.stop();
        }
    }
}

/// Keeps the register as it stands (the worlds just loaded) for reset, then serves.
pub async fn start(
    config: AdminConfig,
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    shared: Shared,
) -> Result<RunningAdmin, AdminError> {
    let Shared {
        wake,
        faults,
        metrics,
        bodies,
    } = shared;
    let snapshot = config.data_dir.join(SNAPSHOT_FILE);
    let (snapshot_store, path, keep) = (store.clone(), snapshot.clone(), config.reset);
    let started = std::time::Instant::now();
    tokio::task::spawn_blocking(move || {
        if keep {
            snapshot_store.save_snapshot(&path)
        } else {
            // A copy of an earlier start is not this start's register.
            let _ = std::fs::remove_file(&path);
            Ok(())
        }
    })
    .await
    .map_err(|e| AdminError::Snapshot {
        path: snapshot.clone(),
        source: StoreError::Engine(e.to_string()),
    })?
    .map_err(|source| AdminError::Snapshot {
        path: snapshot.clone(),
        source,
    })?;
    if keep {
        tracing::info!(
            took_ms = started.elapsed().as_millis(),
            "register kept for reset"
        );
    }
    let state = Admin {
        store,
        clock,
        wake,
        faults,
        metrics,
        bodies,
        snapshot: config.reset.then(|| Arc::new(snapshot)),
        data_dir: Arc::new(config.data_dir.clone()),
    };
    let listener = match config.listen {
        Some(listen) => Some(serve_https(listen, state.clone()).await?),
        None => None,
    };
    let control = if config.control {
        // Without it (a path too long for a Unix socket, say) the gateway still serves.
        // Files named by path are read as the gateway's own account: only for the
        // account that may open the socket.
        let api = routes()
            .route("/v1/world/files", post(world::apply_files))
            .route("/v1/statements/file", post(statements::import_file))
            .route("/openapi.json", get(openapi))
            .with_state(state);
        Control::start(&config.data_dir, api)
            .inspect_err(|e| {
                tracing::warn!(error = %e, "the command line will not reach this gateway");
            })
            .ok()
    } else {
        None
    };
    Ok(RunningAdmin { listener, control })
}

async fn serve_https(
    listen: Listen,
    state: Admin,
) -> Result<(SocketAddr, watch::Sender<bool>, JoinHandle<()>), AdminError> {
    let tls_config = tls::server_config(
        &TlsFiles {
            client_ca: None,
            ..listen.tls.clone()
        },
        false,
        &tls::ClientTrust::default(),
    )?;
    let acceptor = TlsAcceptor::from(Arc::new(tls_config));
    let listener = TcpListener::bind(listen.addr)
        .await
        .map_err(|source| AdminError::Bind {
            addr: listen.addr,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| AdminError::Bind {
        addr: listen.addr,
        source,
    })?;
    use sha2::Digest;
    let token_digest: Arc<[u8; 32]> =
        Arc::new(sha2::Sha256::digest(listen.token.as_bytes()).into());
    let router = routes()
        .route_layer(axum::middleware::from_fn_with_state(
            token_digest,
            require_token,
        ))
        .route("/openapi.json", get(openapi))
        .with_state(state);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, acceptor, router, stopped));
    tracing::info!(%local_addr, "admin API listening");
    Ok((local_addr, stop, task))
}

/// The API: one row per operation (`/openapi.json` is added by each transport, after
/// the token's layer, which covers only the routes before it).
fn routes() -> Router<Admin> {
    Router::new()
        .route("/v1/world", get(world::export).post(world::apply))
        .route("/v1/reset", post(world::reset))
        .route("/v1/statements", post(statements::import))
        .route("/v1/statements/{insCode}/{month}", get(statements::export))
        .route("/v1/clock", get(clock::show).put(clock::set))
        .route("/v1/clock/advance", post(clock::advance))
        .route(
            "/v1/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route("/v1/faults/{id}", axum::routing::delete(faults::remove))
        .route("/metrics", get(metrics::scrape))
        .route("/v1/journal", get(journal::find))
        .route("/v1/journal/count", get(journal::count))
        .route("/v1/journal/{ticket}/bodies", get(journal::bodies))
        .route("/v1/subscriptions", get(subscriptions::list))
        .route(
            "/v1/subscriptions/{institution}",
            get(subscriptions::show)
                .put(subscriptions::subscribe)
                .delete(subscriptions::unsubscribe),
        )
        .route(
            "/v1/subscriptions/{institution}/replay",
            post(subscriptions::replay),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn not_found() -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such resource: the operations are listed at /openapi.json",
    )
    .into_response()
}

/// Refuses a request without the bearer token. The token's SHA-256 is compared digest
/// to digest, so the comparison's time says nothing about the token.
async fn require_token(
    State(token_digest): State<Arc<[u8; 32]>>,
    request: Request,
    next: Next,
) -> Response {
    use sha2::Digest;
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(token) if sha2::Sha256::digest(token.trim().as_bytes())[..] == token_digest[..] => {
            next.run(request).await
        }
        Some(_) => Problem::new(
            StatusCode::UNAUTHORIZED,
            "the bearer token is not this gateway's (see <data-dir>/admin.token)",
        )
        .bearer()
        .into_response(),
        None => Problem::new(
            StatusCode::UNAUTHORIZED,
            "send the token of <data-dir>/admin.token as Authorization: Bearer <token>",
        )
        .bearer()
        .into_response(),
    }
}

/// An error answer: `{"error": reason, "problems": [...]}`.
#[derive(Debug, Serialize)]
struct Problem {
    #[serde(skip)]
    status: StatusCode,
    #[serde(skip)]
    challenge: bool,
    error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<FieldProblem>,
}

/// One thing wrong in a request body, where it is.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldProblem {
    /// The file, for files the gateway read (the control socket's operations).
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    line: usize,
    field: String,
    reason: String,
}

impl Problem {
    fn new(status: StatusCode, error: impl Into<String>) -> Problem {
        Problem {
            status,
            challenge: false,
            error: error.into(),
            problems: Vec::new(),
        }
    }

    fn bearer(mut self) -> Problem {
        self.challenge = true;
        self
    }

    fn internal(e: impl std::fmt::Display) -> Problem {
        tracing::error!(error = %e, "admin API request failed");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        Problem::internal(e)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let challenge = self.challenge;
        let mut response = (status, axum::Json(self)).into_response();
        if challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"bcss-gateway admin\""),
            );
        }
        response
    }
}

/// A JSON body that is not what the operation takes.
fn bad_json(e: axum::extract::rejection::JsonRejection) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, e.body_text())
}

/// Runs blocking work (a durable commit, file I/O, password hashing) off the workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(Problem::internal)?
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let builder = Arc::new(builder);
    let mut connections = tokio::task::JoinSet::new();
    while let Some((slot, tcp, peer)) =
        next_connection(&listener, &slots, &mut connections, &mut stopped).await
    {
        let (acceptor, builder, router) = (acceptor.clone(), builder.clone(), router.clone());
        let mut stopped = stopped.clone();
        connections.spawn(async move {
            let _slot = slot;
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                _ => {
                    tracing::debug!(%peer, "admin API: TLS handshake failed or timed out");
                    return;
                }
            };
            let conn =
                builder.serve_connection(TokioIo::new(tls), TowerToHyperService::new(router));
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "admin API connection ended with an error");
                    }
                }
                _ = stopped.changed() => {}
            }
        });
    }
    connections.shutdown().await;
}
