//! The composition root: a store, the SOAP server, the notification dispatcher, the
//! control socket and the admin API, wired together in one place. `serve`, the tests and the
//! benchmarks all start the gateway through `App`, so they cannot drift apart.

use std::net::SocketAddr;
use std::sync::Arc;

use thiserror::Error;

use crate::admin::{self, AdminConfig, AdminError, RunningAdmin};
use crate::clock::Clock;
use crate::notify::{Dispatcher, NotifyConfig, Shared, Wake};
use crate::server::{self, RunningServer, ServerError};
use crate::store::Store;
use crate::tls::TlsError;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("cannot start the notification dispatcher: {0}")]
    Dispatcher(#[from] TlsError),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// What to start. Only the server is always there.
pub struct App {
    store: Arc<dyn Store>,
    config: server::Config,
    notifications: Option<NotifyConfig>,
    admin: Option<AdminConfig>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, config: server::Config) -> App {
        App {
            store,
            config,
            notifications: None,
            admin: None,
        }
    }

    /// Serves the admin API (its HTTPS listener, the control socket, or both); the
    /// register as it stands when the app starts is what a reset returns to.
    pub fn with_admin(mut self, config: AdminConfig) -> App {
        self.admin = Some(config);
        self
    }

    /// Runs the notification dispatcher beside the server, woken by its registrations.
    pub fn with_notifications(mut self, config: NotifyConfig) -> App {
        self.notifications = Some(config);
        self
    }

    pub async fn start(self) -> Result<RunningApp, AppError> {
        let App {
            store,
            mut config,
            notifications,
            admin,
        } = self;
        let clock = config.clock.clone();
        // The dispatcher starts last, with the server's journal; the wake-up the server
        // rings after a registration is made first.
        if notifications.is_some() {
            config.notify = Some(Wake::default());
        }
        let wake = config.notify.clone();
        let admin = match admin {
            Some(admin) => Some(
                admin::start(
                    admin,
                    store.clone(),
                    clock.clone(),
                    admin::Shared {
                        wake: wake.clone(),
                        faults: config.faults.clone(),
                        metrics: config.metrics.clone(),
                        bodies: config.bodies.clone(),
                    },
                )
                .await?,
            ),
            None => None,
        };
        let (metrics, faults) = (config.metrics.clone(), config.faults.clone());
        let server = server::start(config, store.clone()).await?;
        let dispatcher = match (notifications, wake) {
            (Some(notify), Some(wake)) => {
                let shared = Shared {
                    wake,
                    metrics,
                    faults,
                    journal: Arc::new(server.journal()),
                };
                match Dispatcher::start(store, clock.clone(), notify, shared) {
                    Ok(dispatcher) => Some(dispatcher),
                    Err(e) => {
                        let _ = server.shutdown().await;
                        return Err(e.into());
                    }
                }
            }
            _ => None,
        };
        Ok(RunningApp {
            server,
            dispatcher,
            admin,
            clock,
        })
    }
}

/// The gateway as it runs.
pub struct RunningApp {
    server: RunningServer,
    dispatcher: Option<Dispatcher>,
    admin: Option<RunningAdmin>,
    clock: Arc<Clock>,
}

impl RunningApp {
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Where the admin API listens, when it runs.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(RunningAdmin::local_addr)
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Stops the admin API and the control socket, then the server (in-flight requests
    /// finish, the audit trail is flushed), then the dispatcher (what was not recorded
    /// is sent again at the next start).
    pub async fn shutdown(self) -> Result<(), AppError> {
        if let Some(admin) = self.admin {
            admin.shutdown().await;
        }
        self.server.shutdown().await?;
        if let Some(dispatcher) = self.dispatcher {
            dispatcher.shutdown().await;
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
