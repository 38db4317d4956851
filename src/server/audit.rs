//! The audit trail: every exchange is recorded. Records go through a channel to one
//! writer thread that commits them in batches, so requests never wait for a disk sync.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};

use tokio::sync::oneshot;

use crate::store::{AuditRecord, Store};

enum Message {
    Record(AuditRecord),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AuditSink {
    tx: Sender<Message>,
}

/// Records written in one commit at most; under load the writer drains this many.
const BATCH: usize = 4096;

impl AuditSink {
    pub fn start(store: Arc<dyn Store>) -> AuditSink {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_loop(store, rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the audit writer: exchanges will not be audited");
        }
        AuditSink { tx }
    }

    pub fn record(&self, record: AuditRecord) {
        if self.tx.send(Message::Record(record)).is_err() {
            tracing::error!("the audit writer has stopped: an exchange was not audited");
        }
    }

    /// Returns once every record sent before this call is committed.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }
}

fn write_loop(store: Arc<dyn Store>, rx: Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Message::Record(r) => batch.push(r),
                Message::Flush(done) => waiting.push(done),
            }
            next = if batch.len() < BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty() {
            if let Err(e) = store.append_audit(&batch) {
                tracing::error!(error = %e, records = batch.len(), "audit records could not be written");
            }
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
