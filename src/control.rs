//! The control socket of a running gateway: `<data-dir>/control.sock`, a Unix socket
//! that only the account running the gateway may open (the data directory's own
//! protection, with no password or certificate to manage). The `clock` command moves
//! a running server's clock through it.
//!
//! One request line, one answer line:
//!
//! - `clock` → the setting and the time;
//! - `clock set <setting>` (as `serve --clock` reads it) → the same, after the change;
//! - `clock advance <duration>` (`31d`, `-2h`, ...) → the same, after the move;
//!
//! answered `ok <setting>|<time>` or `error <reason>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

use crate::clock::{self, Clock, Setting};
use crate::domain::date::format_utc_timestamp;

pub const SOCKET: &str = "control.sock";

/// A request line longer than this is not one of ours.
const LINE_LIMIT: u64 = 1024;

#[derive(Debug, Error)]
pub enum ControlError {
    #[error("cannot open the control socket {path}: {source}")]
    Listen {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no gateway is running on this data directory (nothing answers at {path}: {source}); \
         start one with `bcss-gateway serve`, or set its clock at start with --clock"
    )]
    NotRunning {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the gateway did not answer on {path}: {source}")]
    Exchange {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

/// The socket being served; the file is removed when it stops.
pub struct Control {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl Control {
    pub fn start(data_dir: &Path, clock: Arc<Clock>) -> Result<Control, ControlError> {
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
                        tokio::spawn(answer(stream, clock.clone()));
                    }
                    Err(e) => tracing::warn!(error = %e, "control socket accept failed"),
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

async fn answer(stream: UnixStream, clock: Arc<Clock>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let reply = match BufReader::new(read.take(LINE_LIMIT))
        .read_line(&mut line)
        .await
    {
        Ok(_) => match command(line.trim(), &clock) {
            Ok(()) => {
                let setting = clock.setting();
                format!("ok {setting}|{}", format_utc_timestamp(clock.now_ms()))
            }
            Err(reason) => format!("error {reason}"),
        },
        Err(e) => format!("error {e}"),
    };
    if let Err(e) = write.write_all(format!("{reply}\n").as_bytes()).await {
        tracing::debug!(error = %e, "control client left before the answer");
    }
}

/// Carries out one request on the clock.
fn command(line: &str, clock: &Clock) -> Result<(), String> {
    let mut words = line.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some("clock"), None, None) => Ok(()),
        (Some("clock"), Some("set"), Some(text)) => {
            let setting = Setting::parse(text, clock::unix_millis()).map_err(|e| e.to_string())?;
            tracing::info!(%setting, "clock set");
            clock.set(setting);
            Ok(())
        }
        (Some("clock"), Some("advance"), Some(text)) => {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.strip_prefix('+').unwrap_or(text)),
            };
            let ms = clock::parse_duration_ms(digits).map_err(|e| e.to_string())?;
            clock.advance_ms(if negative { -ms } else { ms });
            tracing::info!(setting = %clock.setting(), "clock advanced");
            Ok(())
        }
        _ => Err(format!("unknown request {line:?}")),
    }
}

/// Sends one request line to the gateway running on `data_dir` and returns its answer
/// (the setting and the time, `|`-separated).
pub async fn request(data_dir: &Path, line: &str) -> Result<String, ControlError> {
    let path = data_dir.join(SOCKET);
    let mut stream =
        UnixStream::connect(&path)
            .await
            .map_err(|source| ControlError::NotRunning {
                path: path.clone(),
                source,
            })?;
    let exchange = async {
        stream.write_all(format!("{line}\n").as_bytes()).await?;
        let mut answer = String::new();
        BufReader::new(stream.take(LINE_LIMIT))
            .read_line(&mut answer)
            .await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = exchange.await.map_err(|source| ControlError::Exchange {
        path: path.clone(),
        source,
    })?;
    let answer = answer.trim_end();
    if let Some(ok) = answer.strip_prefix("ok ") {
        return Ok(ok.to_owned());
    }
    Err(ControlError::Refused(
        answer.strip_prefix("error ").unwrap_or(answer).to_owned(),
    ))
}
