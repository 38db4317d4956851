//! The composition root: a store, the SOAP server, the notification dispatcher and
//! the control socket, wired together in one place. `serve`, the tests and the
//! benchmarks all start the gateway through `App`, so they cannot drift apart.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::clock::Clock;
use crate::control::Control;
use crate::notify::{Dispatcher, NotifyConfig};
use crate::server::{self, RunningServer, ServerError};
use crate::store::Store;
use crate::tls::TlsError;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("cannot start the notification dispatcher: {0}")]
    Dispatcher(#[from] TlsError),
}

/// What to start. Only the server is always there.
pub struct App {
    store: Arc<dyn Store>,
    config: server::Config,
    notifications: Option<NotifyConfig>,
    control: Option<PathBuf>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: server::Config) -> App {
        App {
            store,
            config,
            notifications: None,
            control: None,
        }
    }

    /// Runs the notification dispatcher beside the server, woken by its registrations.
    pub fn with_notifications(mut self, config: NotifyConfig) -> App {
        self.notifications = Some(config);
        self
    }

    /// Serves `<data_dir>/control.sock`, through which `bcss-gateway clock` moves the
    /// clock of the running gateway.
    pub fn with_control(mut self, data_dir: &Path) -> App {
        self.control = Some(data_dir.to_owned());
        self
    }

    pub async fn start(self) -> Result<RunningApp, AppError> {
        let App {
            store,
            mut config,
            notifications,
            control,
        } = self;
        let clock = config.clock.clone();
        let dispatcher = match notifications {
            Some(notify) => {
                let dispatcher = Dispatcher::start(store.clone(), clock.clone(), notify)?;
                config.notify = Some(dispatcher.waker());
                Some(dispatcher)
            }
            None => None,
        };
        let server = server::start(config, store).await?;
        // The control socket only serves `bcss-gateway clock`: without it (a path too
        // long for a Unix socket, say) the gateway still serves.
        let control = control.and_then(|dir| {
            Control::start(&dir, clock.clone())
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "`bcss-gateway clock` will not reach this server");
                })
                .ok()
        });
        Ok(RunningApp {
            server,
            dispatcher,
            control,
            clock,
        })
    }
}

/// The gateway as it runs.
pub struct RunningApp {
    server: RunningServer,
    dispatcher: Option<Dispatcher>,
    control: Option<Control>,
    clock: Arc<Clock>,
}

impl RunningApp {
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Stops the server (in-flight requests finish, the audit trail is flushed), then
    /// the dispatcher (what was not recorded is sent again at the next start), then the
    /// control socket.
    pub async fn shutdown(self) -> Result<(), AppError> {
        self.server.shutdown().await?;
        if let Some(dispatcher) = self.dispatcher {
            dispatcher.shutdown().await;
        }
        if let Some(control) = self.control {
            control.stop();
        }
        Ok(())
    }

    /// The running server and dispatcher, for a caller that stops them itself (the
    /// tests stop the server while its dispatcher runs on; the notification benchmark
    /// runs a dispatcher of its own).
    pub fn into_parts(self) -> (RunningServer, Option<Dispatcher>) {
        (self.server, self.dispatcher)
    }
}
