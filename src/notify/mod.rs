//! The notification dispatcher. Two steps, each durable in the store:
//!
//! 1. **Fan-out** (`fanout.rs`): outbox events, written in the same transaction as the
//!    right they describe, become notifications queued per subscriber with gap-free
//!    sequence numbers, in one transaction with the fan-out's position.
//! 2. **Delivery**: one task per pushed subscriber sends its queue in order, in batches,
//!    and records every attempt with the subscription's new position in one
//!    transaction. A failing head blocks only its own subscriber; after the retry
//!    schedule the subscription is marked failing and waits for a replay.
//!
//! After a crash, both steps resume from what the store holds: a batch sent but not
//! yet recorded is sent again with the same notification ids (at-least-once).

pub mod fanout;
pub mod push;
pub mod sink;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::domain::{
    Attempt, AttemptOutcome, CbeNumber, Delivery, RetrySchedule, SubscriptionState,
};
use crate::metrics::Metrics;
use crate::services::faults::{Effect, Faults, Request};
use crate::services::journal::Recorder;
use crate::store::{AuditMark, AuditRecord, Store, StoreError};
use crate::tls::TlsError;
use push::{PushTls, Pusher, Timeouts};

#[derive(Clone, Debug)]
pub struct NotifyConfig {
    pub tls: PushTls,
    pub timeouts: Timeouts,
    pub schedule: RetrySchedule,
    /// Most notifications in one push.
    pub batch_size: usize,
    /// A change is notified once consultations see it, this long after it was accepted.
    pub propagation_delay: Duration,
    /// Where receivers may be.
    pub receivers: crate::domain::Receivers,
}

pub use crate::services::effects::Wake;

/// Even with no wake-up, the dispatcher looks at the store this often (a form
/// registered by another process, a clock moved by a tester).
const POLL: Duration = Duration::from_secs(1);
/// Outbox events read per fan-out transaction.
const FAN_OUT_BATCH: usize = 512;

pub struct Dispatcher {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    wake: Wake,
}

/// What the dispatcher shares with the rest of the gateway: the wake-up the server
/// rings after a registration, the counts `/metrics` shows, the fault rules on
/// deliveries, and the journal where what they did is recorded.
#[derive(Clone)]
pub struct Shared {
    pub wake: Wake,
    pub metrics: Arc<Metrics>,
    pub faults: Arc<Faults>,
    pub journal: Arc<dyn Recorder>,
}

impl Dispatcher {
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<Clock>,
        config: NotifyConfig,
        shared: Shared,
    ) -> Result<Dispatcher, TlsError> {
        let pusher = Arc::new(Pusher::new(
            &config.tls,
            config.timeouts,
            config.receivers.clone(),
        )?);
        let Shared {
            wake,
            metrics,
            faults,
            journal,
        } = shared;
        let (stop, stopped) = watch::channel(false);
        let run = Run {
            store,
            clock,
            config: Arc::new(config),
            pusher,
            stopped,
            metrics,
            faults,
            journal,
        };
        let task = tokio::spawn(run.main_loop(wake.clone()));
        Ok(Dispatcher { stop, task, wake })
    }

    pub fn waker(&self) -> Wake {
        self.wake.clone()
    }

    /// Stops every task; what was not recorded is sent again at the next start.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

#[derive(Clone)]
struct Run {
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    config: Arc<NotifyConfig>,
    pusher: Arc<Pusher>,
    stopped: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
    faults: Arc<Faults>,
    journal: Arc<dyn Recorder>,
}

impl Run {
    async fn main_loop(self, wake: Wake) {
        let metrics = self.metrics.clone();
        let _running = metrics.dispatcher_running();
        let mut workers: HashMap<CbeNumber, (Arc<Notify>, JoinHandle<()>)> = HashMap::new();
        let mut stopped = self.stopped.clone();
        loop {
            self.fan_out_all().await;
            match self.store.subscriptions() {
                Ok(subscriptions) => {
                    workers.retain(|_, (_, task)| !task.is_finished());
                    for s in subscriptions.iter().filter(|s| s.is_pushed()) {
                        let (notify, _) = workers.entry(s.institution).or_insert_with(|| {
                            let notify = Arc::new(Notify::new());
                            let task =
                                tokio::spawn(self.clone().deliver(s.institution, notify.clone()));
                            (notify, task)
                        });
                        notify.notify_one();
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read the subscriptions"),
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stopped.changed() => break,
            }
        }
        for (_, (_, task)) in workers {
            let _ = task.await;
        }
    }

    /// Fans out everything the outbox holds beyond the fan-out's position.
    async fn fan_out_all(&self) {
        loop {
            let store = self.store.clone();
            let delay =
                i64::try_from(self.config.propagation_delay.as_millis()).unwrap_or(i64::MAX);
            let visible_from = self.clock.now_ms().saturating_sub(delay);
            let read = tokio::task::spawn_blocking(move || {
                fanout::fan_out(store.as_ref(), FAN_OUT_BATCH, visible_from)
            })
            .await;
            match read {
                Ok(Ok(0)) => return,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "notification fan-out failed; retried at the next wake-up");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "notification fan-out task failed");
                    return;
                }
            }
        }
    }

    /// How long to wait before looking again when a fault rule pauses `institution`'s
    /// deliveries; the first time a pause holds a batch back, the journal says so.
    fn held_back(&self, institution: CbeNumber, now: i64, holding: &mut bool) -> Option<Duration> {
        let Some(paused) = self.faults.paused(institution, now) else {
            *holding = false;
            return None;
        };
        if !*holding {
            *holding = true;
            self.faults.fired(&paused.rules);
            for rule in &paused.rules {
                self.metrics.injected(*rule);
                self.injected(institution, *rule, "pause", "PAUSED", now);
            }
        }
        let left = paused.until_ms.map_or(POLL, |u| {
            Duration::from_millis(u64::try_from(u - now).unwrap_or(0))
        });
        Some(left.min(POLL))
    }

    /// Pushes an acknowledged batch again when a fault rule asks for a duplicate: the
    /// same notifications, ids and order, before anything after them.
    async fn duplicate(
        &self,
        institution: CbeNumber,
        endpoint: &str,
        batch: &[crate::domain::Notification],
    ) {
        let now = self.clock.now_ms();
        let Some(fired) = self.faults.pick(&Request::delivery(institution), now) else {
            return;
        };
        if fired.effect != Some(Effect::Duplicate) {
            return;
        }
        let again = self.pusher.push(endpoint, &institution, batch).await;
        let outcome = again.outcome.wire_name();
        self.metrics.delivery(institution.as_str(), outcome);
        self.metrics.injected(fired.rule);
        self.injected(institution, fired.rule, "duplicate", outcome, now);
    }

    /// The journal's record of what a fault rule did to `institution`'s deliveries.
    fn injected(
        &self,
        institution: CbeNumber,
        rule: u64,
        effect: &str,
        outcome: &'static str,
        at_ms: i64,
    ) {
        let random = uuid::Uuid::new_v4();
        let random: &[u8; 10] = random.as_bytes()[..10].try_into().unwrap_or(&[0; 10]);
        self.journal.record(AuditRecord {
            // Time-ordered by the gateway's clock, as the server's tickets.
            ticket: uuid::Builder::from_unix_timestamp_millis(
                u64::try_from(at_ms).unwrap_or(0),
                random,
            )
            .into_uuid(),
            received_at_ms: at_ms,
            latency_us: 0,
            caller: Some(institution),
            operation: Some("notify".into()),
            legal_context: None,
            ssin: None,
            outcome: outcome.into(),
            http_status: 0,
            service: Some(crate::services::faults::DELIVERIES.into()),
            mark: Some(AuditMark::Injected {
                rule,
                effect: effect.to_owned(),
            }),
        });
    }

    /// Delivers one subscriber's queue until it is empty and nothing wakes it, or the
    /// subscription stops being pushed.
    async fn deliver(self, institution: CbeNumber, notify: Arc<Notify>) {
        let mut stopped = self.stopped.clone();
        // A fault rule pauses this subscriber's deliveries.
        let mut holding = false;
        loop {
            if *stopped.borrow() {
                return;
            }
            let subscription = match self.store.subscriptions() {
                Ok(all) => all.into_iter().find(|s| s.institution == institution),
                Err(e) => {
                    tracing::error!(%institution, error = %e, "cannot read the subscription");
                    None
                }
            };
            let Some(subscription) = subscription.filter(|s| s.is_pushed()) else {
                return;
            };
            let Delivery::Push { endpoint } = &subscription.delivery else {
                return;
            };
            let now = self.clock.now_ms();
            let wait = if subscription.pending() == 0 {
                Some(POLL)
            } else if subscription.next_attempt_ms > now {
                Some(
                    Duration::from_millis(
                        u64::try_from(subscription.next_attempt_ms - now).unwrap_or(0),
                    )
                    .min(POLL),
                )
            } else {
                None
            };
            let wait = wait.or_else(|| self.held_back(institution, now, &mut holding));
            if let Some(wait) = wait {
                tokio::select! {
                    () = notify.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => return,
                }
                continue;
            }
            let batch = match self.store.notifications(
                &institution,
                subscription.acknowledged,
                self.config.batch_size,
            ) {
                Ok(b) if !b.is_empty() => b,
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!(%institution, error = %e, "cannot read the queue");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let first = batch.first().map_or(0, |n| n.sequence);
            let last = batch.last().map_or(0, |n| n.sequence);
            let sent_at = self.clock.now_ms();
            let result = self.pusher.push(endpoint, &institution, &batch).await;
            self.metrics
                .delivery(institution.as_str(), result.outcome.wire_name());
            if result.outcome == AttemptOutcome::Ok {
                self.duplicate(institution, endpoint, &batch).await;
            }
            // The next attempt's wait counts from the end of this one, not its start:
            // an attempt that timed out must not be followed by another at once.
            let ended_at = self.clock.now_ms();
            let attempt = Attempt {
                at_ms: sent_at,
                first_sequence: first,
                last_sequence: last,
                outcome: result.outcome.clone(),
                http_status: result.http_status,
                latency_ms: u64::try_from(result.latency.as_millis()).unwrap_or(u64::MAX),
                error: result.error.clone(),
            };
            let schedule = self.config.schedule.clone();
            let (store, outcome, error) = (
                self.store.clone(),
                result.outcome.clone(),
                result.error.clone(),
            );
            // A durable commit: off the async workers.
            let written = tokio::task::spawn_blocking(move || {
                store.update_subscription(&institution, Some(&attempt), &mut |old| {
                    let mut s = old?.clone();
                    // A replay or a new subscription moved the queue meanwhile: this
                    // attempt is recorded, the position is theirs.
                    if s.acknowledged + 1 != first {
                        return Some(s);
                    }
                    if outcome == AttemptOutcome::Ok {
                        s.acknowledge(last);
                    } else {
                        s.failed_attempts = s.failed_attempts.saturating_add(1);
                        s.last_error = error.clone();
                        match schedule.jittered_wait_after(s.failed_attempts, &institution) {
                            Some(wait) => {
                                s.next_attempt_ms = ended_at.saturating_add(
                                    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
                                );
                            }
                            None => s.state = SubscriptionState::Failing,
                        }
                    }
                    Some(s)
                })
            })
            .await
            .unwrap_or_else(|e| {
                Err(StoreError::Engine(format!(
                    "the attempt's writer failed: {e}"
                )))
            });
            match written {
                Ok(Some(s)) if s.state == SubscriptionState::Failing => {
                    self.metrics.dead_letter(institution.as_str());
                    tracing::warn!(
                        %institution,
                        sequence = s.acknowledged + 1,
                        error = s.last_error.as_deref().unwrap_or(""),
                        "notification dead-lettered after the last retry: the subscription is failing until a replay"
                    )
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%institution, error = %e, "cannot record a delivery attempt");
                    tokio::time::sleep(POLL).await;
                }
            }
            if result.outcome != AttemptOutcome::Ok {
                tracing::info!(
                    %institution,
                    first,
                    last,
                    outcome = result.outcome.wire_name(),
                    error = result.error.as_deref().unwrap_or(""),
                    "notification push failed"
                );
            }
        }
    }
}
