//! The control socket of a running gateway: `<data-dir>/control.sock`, a Unix socket
//! that only the account running the gateway may open. It is a second transport of
//! the admin API (the same operations, as HTTP/1.1 over the socket), through which the
//! `clock`, `subscribers` and `payments import` commands reach the gateway running on
//! a data directory with no token to manage: the socket is the data directory's own.

use std::path::{Path, PathBuf};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use thiserror::Error;
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

pub const SOCKET: &str = "control.sock";

/// Largest answer read: an exported world of a large register.
const ANSWER_LIMIT: usize = 1 << 30;

#[derive(Debug, Error)]
pub enum ControlError {
    #[error("cannot open the control socket {path}: {source}")]
    Listen {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no gateway is running on this data directory (nothing answers at {path}: {source}); \
         start one with `bcss-gateway serve`"
    )]
    NotRunning {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the gateway did not answer on {path}: {reason}")]
    Exchange { path: PathBuf, reason: String },
}

/// The socket being served; the file is removed when it stops.
pub struct Control {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl Control {
    /// Serves `api` on `<data_dir>/control.sock`.
    pub fn start(data_dir: &Path, api: axum::Router) -> Result<Control, ControlError> {
        let path = data_dir.join(SOCKET);
        let listen_error = |source| ControlError::Listen {
            path: path.clone(),
            source,
        };
        // The store's lock already keeps a second gateway off this directory: a socket
        // file left here is from one that was killed.
        if path.exists() {
            std::fs::remove_file(&path).map_err(listen_error)?;
        }
        let listener = UnixListener::bind(&path).map_err(listen_error)?;
        restrict_to_owner(&path).map_err(listen_error)?;
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let service = TowerToHyperService::new(api.clone());
                        tokio::spawn(async move {
                            let served = auto::Builder::new(TokioExecutor::new())
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                            if let Err(e) = served {
                                tracing::debug!(error = %e, "control connection ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "control socket accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Ok(Control { path, task })
    }

    pub fn stop(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// An answer of the admin API.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends one request of the admin API to the gateway running on `data_dir` through
/// its control socket: `body` is its content type and bytes.
pub async fn request(
    data_dir: &Path,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Result<Answer, ControlError> {
    let socket = data_dir.join(SOCKET);
    let stream = UnixStream::connect(&socket)
        .await
        .map_err(|source| ControlError::NotRunning {
            path: socket.clone(),
            source,
        })?;
    let failed = |reason: String| ControlError::Exchange {
        path: socket.clone(),
        reason,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(e.to_string()))?;
    tokio::spawn(connection);
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, "control.sock");
    let bytes = match body {
        Some((content_type, bytes)) => {
            builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
            bytes
        }
        None => Vec::new(),
    };
    let request = builder
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| failed(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status().as_u16();
    let body = http_body_util::Limited::new(response.into_body(), ANSWER_LIMIT)
        .collect()
        .await
        .map_err(|e| failed(e.to_string()))?
        .to_bytes();
    Ok(Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
