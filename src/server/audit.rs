//! The audit trail: every exchange is recorded. Records go through a channel to one
//! writer thread that commits them in groups, so requests never wait for a disk sync
//! and the disk syncs at most once per window however busy the server is. The same
//! thread keeps the trail within its retention after each commit, a few groups of
//! records at a time, so the store file stops growing under sustained load. When the
//! writer falls so far behind that records are dropped, the drop is counted
//! (`bcss_audit_dropped_records_total`) and the next commit records it in the trail
//! itself, as a record marked `Dropped`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::clock::{self, Clock};
use crate::metrics::{AuditMetrics, Metrics};
use crate::store::{AuditMark, AuditRecord, Retention, Store};

/// How much of the audit trail is kept (`--journal-max-records`, `--journal-max-age`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalLimits {
    pub max_records: u64,
    pub max_age: Option<Duration>,
}

impl Default for JournalLimits {
    /// A million records (about 142 MB of store for consultations), a week.
    fn default() -> Self {
        JournalLimits {
            max_records: 1_000_000,
            max_age: Some(Duration::from_secs(7 * 24 * 3600)),
        }
    }
}

/// Groups of records (of up to 256) removed in one pass at most: one pass is one
/// short write transaction, and passes follow each commit, so the oldest records go
/// at up to ~1,000 groups a second, faster than the busiest server writes them.
const PRUNE_GROUPS: usize = 64;

enum Message {
    Record(AuditRecord),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AuditSink {
    tx: SyncSender<Message>,
    metrics: Arc<Metrics>,
    /// Dropped and not yet said in the trail.
    unsaid: Arc<AtomicU64>,
}

/// Records waiting for the writer at most: if the disk falls this far behind, records
/// are dropped (and counted in the log) rather than memory growing without end.
const QUEUE: usize = 65_536;

/// Records written in one commit at most; under load the writer drains this many.
const BATCH: usize = 4096;

impl AuditSink {
    pub fn start(
        store: Arc<dyn Store>,
        limits: JournalLimits,
        clock: Arc<Clock>,
        metrics: Arc<Metrics>,
    ) -> AuditSink {
        Self::start_with_queue(store, limits, clock, metrics, QUEUE)
    }

    fn start_with_queue(
        store: Arc<dyn Store>,
        limits: JournalLimits,
        clock: Arc<Clock>,
        metrics: Arc<Metrics>,
        queue: usize,
    ) -> AuditSink {
        let (tx, rx) = mpsc::sync_channel(queue);
        let unsaid = Arc::new(AtomicU64::new(0));
        let (writer_metrics, writer_unsaid) = (metrics.clone(), unsaid.clone());
        let spawned = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                write_loop(
                    store,
                    rx,
                    limits,
                    clock,
                    &writer_metrics.audit,
                    &writer_unsaid,
                )
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the audit writer: exchanges will not be audited");
        }
        AuditSink {
            tx,
            metrics,
            unsaid,
        }
    }

    pub fn record(&self, record: AuditRecord) {
        match self.tx.try_send(Message::Record(record)) {
            Ok(()) => {
                self.metrics.audit.waiting.inc();
            }
            Err(TrySendError::Full(_)) => {
                self.unsaid.fetch_add(1, Ordering::Relaxed);
                let dropped = self.metrics.audit.dropped.inc() + 1;
                if dropped.is_power_of_two() {
                    tracing::error!(
                        dropped,
                        "the audit writer is behind: exchanges were not audited"
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("the audit writer has stopped: an exchange was not audited");
            }
        }
    }

    /// Returns once every record sent before this call is committed.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        let mut message = Message::Flush(done);
        loop {
            match self.tx.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) => {
                    message = m;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
        let _ = wait.await;
    }
}

/// A commit gathers what arrives within this window: at most ~20 disk syncs a second
/// however busy the server is, and a record waits at most this long to be committed.
/// Under load a commit's cost barely depends on its size, so a longer window (10 ms
/// before) took ~10 % off the CPU of a consultation; an audit record is not something
/// a client was promised, and shutdown flushes the last window.
/// The writer sleeps through the window instead of waiting on the channel, so sending
/// a record never has to wake a thread.
const WINDOW: Duration = Duration::from_millis(50);

fn write_loop(
    store: Arc<dyn Store>,
    rx: Receiver<Message>,
    limits: JournalLimits,
    clock: Arc<Clock>,
    stats: &AuditMetrics,
    unsaid: &AtomicU64,
) {
    // What came before this start is brought within the bounds too.
    prune(store.as_ref(), &limits, &clock);
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        let mut slept = false;
        loop {
            while let Some(msg) = next.take() {
                match msg {
                    Message::Record(r) => batch.push(r),
                    Message::Flush(done) => waiting.push(done),
                }
                if batch.len() >= BATCH {
                    break;
                }
                next = rx.try_recv().ok();
            }
            // Someone waits for the commit, the batch is full, or the window is over.
            if slept || !waiting.is_empty() || batch.len() >= BATCH {
                break;
            }
            std::thread::sleep(WINDOW);
            slept = true;
            next = rx.try_recv().ok();
        }
        let written = batch.len() as u64;
        let unsaid = unsaid.swap(0, Ordering::Relaxed);
        if unsaid > 0 {
            batch.push(dropped_record(unsaid, &clock));
        }
        if !batch.is_empty() {
            match store.append_audit(&batch) {
                Ok(()) => {
                    stats.commits.inc();
                    stats.written.inc_by(written);
                }
                Err(e) => {
                    tracing::error!(error = %e, records = batch.len(), "audit records could not be written");
                }
            }
            stats
                .waiting
                .dec_by(i64::try_from(written).unwrap_or(i64::MAX));
            batch.clear();
            prune(store.as_ref(), &limits, &clock);
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

impl crate::services::journal::Recorder for AuditSink {
    fn record(&self, record: AuditRecord) {
        AuditSink::record(self, record);
    }
}

/// The record that says `exchanges` records were dropped before it.
fn dropped_record(exchanges: u64, clock: &Clock) -> AuditRecord {
    let now_ms = clock.setting().at(clock::unix_millis());
    AuditRecord {
        ticket: super::ticket::new_ticket(now_ms),
        received_at_ms: now_ms,
        latency_us: 0,
        caller: None,
        operation: None,
        legal_context: None,
        ssin: None,
        outcome: "DROPPED".into(),
        http_status: 0,
        service: None,
        mark: Some(AuditMark::Dropped { exchanges }),
    }
}

/// One pass of retention: the oldest groups of records beyond the limits, by the
/// server's clock (a tester who moves it ages the trail with it).
fn prune(store: &dyn Store, limits: &JournalLimits, clock: &Clock) {
    let now_ms = clock.setting().at(clock::unix_millis());
    let retention = Retention {
        max_records: limits.max_records,
        oldest_ms: limits
            .max_age
            .map(|age| now_ms.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX))),
    };
    match store.prune_audit(&retention, PRUNE_GROUPS) {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "audit records beyond the retention removed"),
        Err(e) => {
            tracing::error!(error = %e, "audit records beyond the retention could not be removed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RedbStore;

    #[tokio::test]
    async fn records_dropped_while_the_writer_is_behind_are_counted_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(dir.path()).unwrap());
        let clock = Arc::new(Clock::system());
        let metrics = Arc::new(Metrics::new());
        let sink = AuditSink::start_with_queue(
            store.clone(),
            JournalLimits::default(),
            clock,
            metrics.clone(),
            4,
        );
        // The writer gathers for a window after the first record: the queue of four
        // is full long before it drains.
        for _ in 0..100 {
            sink.record(dropped_record(0, &Clock::system()));
        }
        sink.flush().await;
        let stats = &metrics.audit;
        let dropped = stats.dropped.get();
        assert!(dropped > 0);
        assert_eq!(stats.written.get() + dropped, 100);
        let trail = store.audit_trail(None, 1000).unwrap();
        let said: u64 = trail
            .iter()
            .filter_map(|r| match r.mark {
                Some(AuditMark::Dropped { exchanges }) if exchanges > 0 => Some(exchanges),
                _ => None,
            })
            .sum();
        assert_eq!(said, dropped);
        assert_eq!(trail.len() as u64, 100 - dropped + 1);
        assert_eq!(stats.waiting.get(), 0);
    }
}
